// The bench scripts' command lines, read by node:util parseArgs in strict mode: an unknown flag, a
// flag without its value or a malformed number stops the script with a message that names the flag
// (exit 2), instead of a long run with the defaults.
import { parseArgs } from 'node:util';

/** Prints the problem and the script's usage line, and exits with status 2. */
export function usageError(message, usage) {
  process.stderr.write(`${message}\nusage: ${usage}\n`);
  process.exit(2);
}

/**
 * `{ values, positionals }` of this process's arguments for parseArgs `options` (their `default`s
 * apply). `positionals`: how many positional arguments the script takes at most (default none).
 */
export function readArgs(options, usage, { positionals = 0 } = {}) {
  let parsed;
  try {
    parsed = parseArgs({ options, strict: true, allowPositionals: positionals > 0 });
  } catch (err) {
    usageError(err.message, usage);
  }
  if (parsed.positionals.length > positionals) {
    usageError(`expected at most ${positionals} positional argument${positionals === 1 ? '' : 's'}, got ${parsed.positionals.map((p) => `'${p}'`).join(' ')}`, usage);
  }
  return parsed;
}

/**
 * The number `value` of `flag` (1e6 and 0.01 forms allowed); `integer` and `min` as the flag
 * requires. Anything else is a usage error naming the flag and the value.
 */
export function number(flag, value, usage, { integer = false, min = -Infinity } = {}) {
  const x = typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  if (!Number.isFinite(x) || (integer && !Number.isInteger(x)) || x < min) {
    const kind = integer ? 'an integer' : 'a number';
    usageError(`${flag}: expected ${kind}${min > -Infinity ? ` >= ${min}` : ''}, got '${value}'`, usage);
  }
  return x;
}

/** A comma-separated list, each item checked by `item` (default: kept as a non-empty string). */
export function list(flag, value, usage, item = (s) => s) {
  const parts = value.split(',').map((s) => s.trim());
  if (parts.some((s) => s === '')) usageError(`${flag}: expected a comma-separated list without empty items, got '${value}'`, usage);
  return parts.map(item);
}
