// The command line as a user meets it: the built dist/cli.js run as a process (npm test builds first)
// on files written to a temporary directory. Reference values come from the same data in the plain
// files of data/ (a quoted, semicolon- or tab-separated copy must give the identical fit) and from the
// library itself (predict's labels equal GaussianMixture.fromJSON(saved).predict).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { GaussianMixture } from '../dist/index.js';
import { readTable } from '../dist/cli/csv.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'dist', 'cli.js');
const dir = mkdtempSync(join(tmpdir(), 'gmm-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: dir, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function fitJson(...args: string[]): Record<string, any> {
  const r = run('fit', ...args, '--json', '--workers', '1');
  expect(r.stderr).not.toMatch(/Error/);
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout);
}

const file = (name: string, text: string): string => {
  writeFileSync(join(dir, name), text);
  return name;
};
const csvRows = (name: string): string[][] =>
  readFileSync(join(root, 'data', name), 'utf8').trim().split('\n').map((l) => l.split(','));
const iris = csvRows('iris.csv');
const faithful = csvRows('faithful.csv');
const irisPath = join(root, 'data', 'iris.csv');
const faithfulPath = join(root, 'data', 'faithful.csv');

describe('command line arguments', () => {
  it('--help and -h print the usage and fit nothing', () => {
    for (const flag of ['--help', '-h']) {
      const r = run(flag);
      expect(r.status).toBe(0);
      expect(r.stdout).toContain('Usage:');
      expect(r.stdout).toContain('gmm-wasm fit FILE');
      expect(r.stdout).not.toContain('Chosen');
    }
    expect(run('fit', '--help').stdout).toContain('--label-column');
  });

  it('--version prints the package version', () => {
    const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    const r = run('--version');
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(version);
  });

  it.each([
    [['fit', irisPath, '--K', '3'], /--K/],
    [['fit', irisPath, '--k', 'abc'], /--k: .*'abc'/],
    [['fit', irisPath, '--k', '0'], /--k: .*'0'/],
    [['fit', irisPath, '--k', '5:2'], /--k: the range '5:2' is empty/],
    [['fit', irisPath, '--type', 'fool'], /--type: unknown covariance type 'fool'/],
    [['fit', irisPath, '--criterion', 'xic'], /--criterion: expected bic, icl or aic, got 'xic'/],
    [['fit', irisPath, '--seed', '-1'], /--seed/],
    [['fit', irisPath, '--n-init', '1.5'], /--n-init: .*'1.5'/],
    [['fit', irisPath, '--init', 'kmeans'], /--init: expected auto or hc, got 'kmeans'/],
    [['fit', irisPath, '--init', 'hc', '--n-init', '2'], /--n-init: --init hc is one start per candidate, so --n-init must be 1, got 2/],
    [['fit', irisPath, '--tol', '0'], /--tol: expected a number > 0, got '0'/],
    [['fit', irisPath, '--max-iter', 'x'], /--max-iter: .*'x'/],
    [['fit', irisPath, '--columns', 'sepal_length,nope'], /--columns: no column 'nope'/],
    [['fit'], /give the CSV file/],
    [['fit', 'no-such-file.csv'], /'no-such-file.csv' cannot be read: no such file/],
    [[irisPath], /unknown command '.*iris.csv'.*gmm-wasm fit/],
    [['predict', irisPath], /--model FILE.json is required/],
  ])('%j is refused with exit status 2 and a message naming it', (args, message) => {
    const r = run(...args);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
  });
});

describe('reading CSV files', () => {
  const reference = fitJson(irisPath, '--k', '3', '--type', 'full');

  it('the plain iris file: 4 numeric columns, species as known classes', () => {
    expect(reference.rows).toBe(150);
    expect(reference.columns).toEqual(['sepal_length', 'sepal_width', 'petal_length', 'petal_width']);
    expect(reference.labelColumn).toBe('species');
    expect(reference.adjustedRandIndex).toBeGreaterThan(0.8);
    expect(reference.adjustedRandIndex).toBeLessThanOrEqual(1);
  });

  it('quoted fields holding commas and quotes give the same fit as the plain file', () => {
    const q = (s: string): string => `"${s.replace(/"/g, '""')}"`;
    const lines = [
      ['sepal "length"', 'sepal_width', 'petal_length', 'petal_width', 'species'].map(q).join(','),
      ...iris.slice(1).map((r) => [...r.slice(0, 4), r[4] === 'setosa' ? 'Setosa, wild' : r[4]].map(q).join(',')),
    ];
    const j = fitJson(file('quoted.csv', `${lines.join('\r\n')}\r\n`), '--k', '3', '--type', 'full');
    expect(j.columns).toEqual(['sepal "length"', 'sepal_width', 'petal_length', 'petal_width']);
    expect(j.bic).toBe(reference.bic);
    expect(j.means).toEqual(reference.means);
    expect(j.adjustedRandIndex).toBe(reference.adjustedRandIndex);
  });

  it('semicolons with decimal commas are detected, read, and warned about', () => {
    const text = faithful.map((r) => r.map((c) => c.replace('.', ',')).join(';')).join('\n');
    const r = run('fit', file('semi.csv', text), '--k', '2', '--type', 'full', '--json', '--workers', '1');
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/decimal commas read as decimal points \(first: '3,6' in row 2, column 'eruptions'\)/);
    const plain = fitJson(faithfulPath, '--k', '2', '--type', 'full');
    const j = JSON.parse(r.stdout);
    expect(j.columns).toEqual(['eruptions', 'waiting']);
    expect(j.bic).toBe(plain.bic);
  });

  it('a tab-separated file without a header is read with numbered columns', () => {
    const j = fitJson(file('tab.tsv', iris.slice(1).map((r) => r.join('\t')).join('\n')), '--k', '3', '--type', 'full');
    expect(j.columns).toEqual(['column 1', 'column 2', 'column 3', 'column 4']);
    expect(j.labelColumn).toBe('column 5');
    expect(j.rows).toBe(150);
    expect(j.bic).toBe(reference.bic);
  });

  it('a missing value is an error naming its row and column', () => {
    const lines = iris.map((r) => r.join(','));
    lines[7] = lines[7].replace(/^([^,]*,[^,]*,)[^,]*/, '$1NA');
    const r = run('fit', file('missing.csv', lines.join('\n')));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/missing value in row 8, column 'petal_length' \("NA"\)/);
  });

  it('a non-numeric cell in a chosen column and a ragged row are errors naming the row', () => {
    const bad = iris.map((r) => r.join(','));
    bad[3] = bad[3].replace(/^[^,]*/, 'x5.1');
    let r = run('fit', file('text.csv', bad.join('\n')), '--columns', 'sepal_length,sepal_width');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/row 4, column 'sepal_length': "x5.1" is not a number/);
    const ragged = iris.map((r) => r.join(','));
    ragged[10] += ',extra';
    r = run('fit', file('ragged.csv', ragged.join('\n')));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/row 11 has 6 fields but the first row has 5/);
  });

  // readTable reads each record once and keeps numbers per column (src/cli/csv.ts); these cases are
  // where that differs from a table of all cells. The expected values are the files' own cells.
  it('a label column whose first cells are numbers keeps every cell as written', () => {
    const cells = ['01', '2', '2.50', 'b', '01', 'c'];
    const t = readTable(`x,g\n${cells.map((g, i) => `${i + 0.5},${g}`).join('\n')}\n`, 'late.csv');
    expect(t.labelColumn).toBe('g');
    expect(t.labels).toEqual(cells);
    expect(t.columns).toEqual(['x']);
    expect(Array.from(t.data)).toEqual([0.5, 1.5, 2.5, 3.5, 4.5, 5.5]);
  });

  it('blank records at the end are dropped; a blank record inside is a ragged row; a ragged row is reported before a missing cell', () => {
    expect(readTable('a,b\n1,2\n3,4\n\n  \n\n', 'blank.csv').rows).toBe(2);
    expect(() => readTable('a,b\n1,2\n\n3,4\n', 'blank.csv')).toThrow(/row 3 has 1 fields but the first row has 2/);
    expect(() => readTable('a,b\n1,NA\n3,4\n5,6,7\n', 'both.csv')).toThrow(/row 4 has 3 fields/);
    expect(() => readTable('a,b\n1,2\n3,NA\nNA,6\n', 'two.csv')).toThrow(/missing value in row 3, column 'b'/);
  });
});

describe('fit outputs and predict', () => {
  it('--json holds the chosen model and the selection table; no label column, no adjustedRandIndex', () => {
    const j = fitJson(faithfulPath, '--k', '1:3', '--type', 'full,tied');
    expect(j.selection).toHaveLength(6);
    const best = j.selection.filter((s: any) => s.degenerate === undefined).sort((a: any, b: any) => a.bic - b.bic)[0];
    expect([j.nComponents, j.covarianceType]).toEqual([best.nComponents, best.covarianceType]);
    expect(j.bic).toBe(best.bic);
    expect(j.logLikelihood).toBe(best.logLikelihood);
    expect(j.weights.reduce((s: number, w: number) => s + w, 0)).toBeCloseTo(1, 12);
    expect(j.means).toHaveLength(j.nComponents);
    expect(j).not.toHaveProperty('adjustedRandIndex');
  });

  it("--init hc: Mclust's start alone; on iris with all 14 models, Mclust's choice VEV, 2", () => {
    // Reference: Mclust(iris[, 1:4], G = 1:9) chooses VEV with 2 components (test/fixtures/mclust/mclust-select-iris.json).
    const j = fitJson(irisPath, '--type', 'mclust', '--init', 'hc', '--label-column', 'species');
    expect([j.covarianceType, j.nComponents]).toEqual(['VEV', 2]);
    expect(j.selection).toHaveLength(14 * 9);
  });

  it('--workers 2 (started while the file is read) gives the --workers 1 output, and the process ends', () => {
    const two = run('fit', faithfulPath, '--k', '1:4', '--type', 'full,spherical', '--json', '--workers', '2');
    expect(two.status).toBe(0);
    expect(JSON.parse(two.stdout)).toEqual(fitJson(faithfulPath, '--k', '1:4', '--type', 'full,spherical'));
    // One candidate: selectModel fits it on this thread, and the prestarted workers are ended.
    expect(run('fit', faithfulPath, '--k', '2', '--type', 'full', '--json', '--workers', '2').status).toBe(0);
  });

  it("candidates stopped by the race are marked '*' and outraced in --json; --no-race fits every one to the end", () => {
    const text = run('fit', faithfulPath, '--k', '1:5', '--type', 'full,diag', '--workers', '1');
    expect(text.status).toBe(0);
    expect(text.stdout).toMatch(/'\*' = stopped early, unable to win/);
    const raced = fitJson(faithfulPath, '--k', '1:5', '--type', 'full,diag');
    const strict = fitJson(faithfulPath, '--k', '1:5', '--type', 'full,diag', '--no-race');
    const stopped = raced.selection.filter((s: any) => s.outraced);
    expect(stopped.length).toBeGreaterThan(0);
    for (const s of stopped) expect(s.converged).toBe(false);
    expect(strict.selection.some((s: any) => s.outraced)).toBe(false);
    // The reference: the same selection without the race chooses the same model.
    expect([raced.nComponents, raced.covarianceType, raced.bic]).toEqual([strict.nComponents, strict.covarianceType, strict.bic]);
    expect(run('fit', faithfulPath, '--k', '1:5', '--type', 'full,diag', '--workers', '1', '--no-race').stdout).not.toContain('*');
  });

  it('--save then predict: labels equal the library model restored from the file; --proba rows sum to 1', () => {
    run('fit', faithfulPath, '--k', '2', '--type', 'full', '--save', 'model.json', '--plot', 'plot.svg');
    const saved = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    expect(saved.columns).toEqual(['eruptions', 'waiting']);
    const X = faithful.slice(1).map((r) => r.map(Number));
    const { columns: _columns, ...json } = saved; // the CLI's column names are not part of the model format
    const expected = Array.from(GaussianMixture.fromJSON(json).predict(X));

    const r = run('predict', '--model', 'model.json', faithfulPath, '--proba');
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe('label,proba_0,proba_1');
    expect(lines).toHaveLength(X.length + 1);
    const rows = lines.slice(1).map((l) => l.split(',').map(Number));
    expect(rows.map((x) => x[0])).toEqual(expected);
    for (const x of rows) expect(x[1] + x[2]).toBeCloseTo(1, 12);

    expect(run('predict', '--model', 'model.json', faithfulPath, '--out', 'labels.csv').status).toBe(0);
    expect(readFileSync(join(dir, 'labels.csv'), 'utf8')).toBe(`label\n${expected.join('\n')}\n`);

    const svg = readFileSync(join(dir, 'plot.svg'), 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.match(/<ellipse class="component-/g)).toHaveLength(4); // 1 and 2 sigma for each of the 2 components
    expect(svg.match(/<circle /g)).toHaveLength(272 + 2);
  });

  it('predict refuses a file that is not a model, and data with the wrong columns', () => {
    let r = run('predict', '--model', irisPath, faithfulPath);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/is not a model written by gmm-wasm fit --save/);
    r = run('predict', '--model', 'model.json', irisPath);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--columns: no column 'eruptions'/);
  });

  it('demo fits the embedded data and times nothing unless --bench', () => {
    const r = run('demo');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Old Faithful (data/faithful.csv): 272 rows x 2 columns');
    expect(r.stdout).toContain('iris (data/iris.csv): 150 rows x 4 columns');
    expect(r.stdout).not.toContain('fit time');
  });
});

describe('a 200 000-row file', () => {
  it('is read and fitted; the clusters match the generating labels', () => {
    // Two well-separated groups (means 0 and 10, unit variance) in 5 columns, with the group as a label column.
    const n = 200_000;
    let state = 12345;
    const uniform = (): number => {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      return (state + 0.5) / 2 ** 32;
    };
    const normal = (): number => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
    const lines = ['a,b,c,d,e,group'];
    for (let i = 0; i < n; i++) {
      const g = i % 2;
      lines.push(`${Array.from({ length: 5 }, () => (10 * g + normal()).toFixed(5)).join(',')},g${g}`);
    }
    const r = run('fit', file('big.csv', lines.join('\n')), '--k', '2', '--type', 'diag', '--json', '--workers', '1');
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.rows).toBe(n);
    expect(j.columns).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(j.adjustedRandIndex).toBe(1);
    const means = [...j.means].sort((x: number[], y: number[]) => x[0] - y[0]);
    for (const [g, mean] of means.entries()) for (const m of mean) expect(Math.abs(m - 10 * g)).toBeLessThan(0.02);
  });
});
