#!/usr/bin/env node
/**
 * The `gmm-wasm` command (`npm start` runs `gmm-wasm demo`): parses the command line and runs the
 * command. Exit status 0 on success, 2 for a bad command line or input file (the message names the
 * flag, value, row or column), 1 for a failure of the fit itself.
 */
import { readFileSync } from 'node:fs';
import { HELP, parseCommand } from './cli/args.js';
import { demoCommand, fitCommand, predictCommand } from './cli/commands.js';
import type { Output } from './cli/commands.js';
import { UsageError } from './cli/errors.js';

const io: Output = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) };

async function main(): Promise<void> {
  const c = parseCommand(process.argv.slice(2));
  switch (c.command) {
    case 'help':
      io.out(`${HELP}\n`);
      return;
    case 'version': {
      const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
      io.out(`${pkg.version}\n`);
      return;
    }
    case 'fit':
      return fitCommand(c, io);
    case 'predict':
      return predictCommand(c, io);
    case 'demo':
      return demoCommand(c, io);
  }
}

main().catch((err: unknown) => {
  if (err instanceof UsageError) {
    process.stderr.write(`gmm-wasm: ${err.message}\n`);
    process.exitCode = 2;
    return;
  }
  process.stderr.write(`gmm-wasm: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}\n`);
  process.exitCode = 1;
});
