/**
 * Static types: `covariances` / `precisionsCholesky` have the shape of the covariance type when it is
 * known at compile time (README, "Usage"). Compiles test/types/*.ts with the TypeScript compiler: the
 * good file must have no errors, and each line marked BAD in the other must have one.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const here = dirname(fileURLToPath(import.meta.url));
const files = ['covariances-ok.ts', 'covariances-bad.ts'].map((f) => join(here, 'types', f));
const program = ts.createProgram(files, {
  target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext,
  strict: true, noEmit: true, skipLibCheck: true, lib: ['lib.es2022.d.ts', 'lib.esnext.disposable.d.ts', 'lib.dom.d.ts'], types: ['node'],
});
const errorLines = (file: string): number[] =>
  ts.getPreEmitDiagnostics(program, program.getSourceFile(file)).filter((d) => d.file?.fileName === file).map((d) => d.file!.getLineAndCharacterOfPosition(d.start!).line + 1);

describe('covariances are typed by covariance type', () => {
  it('full, mclust names, tied, diag and spherical index as their shapes', () => {
    expect(errorLines(files[0])).toEqual([]);
  });

  it('indexing past the shape, or a statically unknown type, is a compile error', () => {
    const bad = readFileSync(files[1], 'utf8').split('\n').flatMap((l, i) => (l.includes('// BAD') ? [i + 1] : []));
    expect(bad.length).toBe(3);
    expect([...new Set(errorLines(files[1]))].sort((a, b) => a - b)).toEqual(bad);
  });
});
