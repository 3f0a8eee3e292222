import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { GaussianMixture } from '../src/model.js';
import type { BackendOption, InitParameters } from '../src/options.js';
import type { MatrixInput } from '../src/types.js';
import { JsBackend } from '../src/backend/js.js';
import { createStats, type KernelParams, type Stats } from '../src/backend/types.js';
import { packUpper } from '../src/params.js';
import { SPARE_MAX_BYTES, WasmBackend } from '../src/backend/wasm.js';
import type { KernelFamily, Matrix } from '../src/types.js';
import { rng } from './helpers.js';
import {
  compileModule,
  compileModuleSync,
  instantiate,
  isSimdSupported,
  isWasmAvailable,
  pickVariant,
  wasmBytes,
  type WasmVariant,
} from '../src/wasm/loader.js';

const REL = 1e-12;


/** Random symmetric positive definite d x d matrices, k of them, row-major. */
function randomSpd(rand: () => number, k: number, d: number): Float64Array {
  const out = new Float64Array(k * d * d);
  for (let c = 0; c < k; c++) {
    const A = Array.from({ length: d * d }, () => rand() * 2 - 1);
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < d; j++) {
        let s = i === j ? 0.1 : 0;
        for (let m = 0; m < d; m++) s += A[i * d + m] * A[j * d + m];
        out[c * d * d + i * d + j] = s / d;
      }
    }
  }
  return out;
}

function randomParams(rand: () => number, k: number, d: number, family: KernelFamily): KernelParams {
  const weights = Array.from({ length: k }, () => 0.2 + rand());
  const total = weights.reduce((a, b) => a + b, 0);
  const means = Float64Array.from({ length: k * d }, () => rand() * 4 - 2);
  const logDet = new Float64Array(k);
  let precChol: Float64Array;
  if (family === 'tri') {
    const U = new Float64Array(k * d * d);
    expect(new JsBackend().precisionCholesky(randomSpd(rand, k, d), k, d, U, logDet)).toBe(-1);
    // The kernels' layout (KernelParams): each U_c^T as packed lower rows.
    precChol = new Float64Array((k * d * (d + 1)) / 2);
    for (let c = 0; c < k; c++) packUpper(U, c * d * d, d, precChol, (c * d * (d + 1)) / 2);
  } else {
    precChol = Float64Array.from({ length: k * d }, () => 1 / Math.sqrt(0.3 + rand()));
    for (let c = 0; c < k; c++) for (let j = 0; j < d; j++) logDet[c] += Math.log(precChol[c * d + j]);
  }
  return { k, d, family, logWeights: Float64Array.from(weights, (w) => Math.log(w / total)), means, precChol, logDet };
}

function randomX(rand: () => number, n: number, d: number, f32: boolean): Matrix<Float64Array> | Matrix<Float32Array> {
  const data = f32 ? new Float32Array(n * d) : new Float64Array(n * d);
  for (let i = 0; i < data.length; i++) data[i] = rand() * 6 - 3;
  return { data, rows: n, cols: d } as Matrix<Float64Array> | Matrix<Float32Array>;
}

/** Agreement relative to the array's largest magnitude (sums with cancellation have no better scale). */
function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  expect(actual.length, what).toBe(expected.length);
  let scale = 0;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]));
  for (let i = 0; i < expected.length; i++) {
    if (!(Math.abs(actual[i] - expected[i]) <= REL * scale)) {
      expect.fail(`${what}[${i}]: ${actual[i]} vs ${expected[i]} (scale ${scale})`);
    }
  }
}

function expectStatsClose(a: Stats, b: Stats, what: string): void {
  expectClose(a.N, b.N, `${what} N`);
  expectClose(a.S1, b.S1, `${what} S1`);
  expectClose(a.S2, b.S2, `${what} S2`);
  expectClose([a.logLik, a.weightSum], [b.logLik, b.weightSum], `${what} logLik/weightSum`);
}

const VARIANTS: [WasmVariant, 'wasm' | 'wasm-scalar'][] = [
  ['simd', 'wasm'],
  ['scalar', 'wasm-scalar'],
];

const CASES: { d: number; k: number; weighted: boolean; f32: boolean }[] = [
  { d: 1, k: 1, weighted: false, f32: false },
  { d: 1, k: 3, weighted: true, f32: false },
  { d: 2, k: 2, weighted: false, f32: true },
  { d: 3, k: 6, weighted: true, f32: false },
  { d: 5, k: 4, weighted: false, f32: false },
  { d: 16, k: 3, weighted: true, f32: true },
  { d: 40, k: 6, weighted: true, f32: false },
];

describe('loader', () => {
  it('detects WebAssembly and SIMD (Node 20 has both)', () => {
    expect(isWasmAvailable()).toBe(true);
    expect(isSimdSupported()).toBe(true);
    expect(pickVariant()).toBe('simd');
  });

  it('caches one compiled module per variant, shared by the async and sync paths', async () => {
    const simd = await compileModule('simd');
    expect(compileModuleSync('simd')).toBe(simd);
    expect(await compileModule('simd')).toBe(simd);
    expect(compileModuleSync('scalar')).not.toBe(simd);
    expect(await compileModule('scalar')).toBe(compileModuleSync('scalar'));
  });

  it('hands out fresh copies of the module bytes', () => {
    const a = wasmBytes('scalar');
    expect(WebAssembly.validate(a)).toBe(true);
    a.fill(0);
    expect(WebAssembly.validate(wasmBytes('scalar'))).toBe(true);
  });
});

describe.each(VARIANTS)('WasmBackend (%s) vs JsBackend', (variant, name) => {
  const make = () => new WasmBackend(compileModuleSync(variant), name);

  describe.each(['tri', 'diag'] as KernelFamily[])("family '%s'", (family) => {
    it.each(CASES)('agrees on emPass, score, accumulate: d=$d k=$k weighted=$weighted f32=$f32', ({ d, k, weighted, f32 }) => {
      const rand = rng(1000 * d + 10 * k + (weighted ? 1 : 0) + (family === 'tri' ? 5 : 0));
      const n = 60;
      const X = randomX(rand, n, d, f32);
      const w = weighted ? Float64Array.from({ length: n }, (_, i) => (i % 7 === 0 ? 0 : rand() * 2)) : null;
      const p = randomParams(rand, k, d, family);
      const js = new JsBackend();
      const wasm = make();
      const [hj, hw] = [js.load(X, w), wasm.load(X, w)];
      expect(wasm.name).toBe(name);

      const [sj, sw] = [createStats(k, d, family), createStats(k, d, family)];
      js.emPass(hj, p, sj);
      wasm.emPass(hw, p, sw);
      expectStatsClose(sw, sj, 'emPass');
      expect(Array.from(sw.shift)).toEqual(Array.from(p.means)); // the statistics are about the means
      wasm.emPass(hw, p, sw); // statistics are overwritten, not added to
      expectStatsClose(sw, sj, 'second emPass');

      const [lpj, lpw, rj, rw] = [new Float64Array(n), new Float64Array(n), new Float64Array(n * k), new Float64Array(n * k)];
      const tj = js.score(hj, p, lpj, rj);
      const tw = wasm.score(hw, p, lpw, rw);
      expectClose([tw], [tj], 'score total');
      expectClose(lpw, lpj, 'logProb');
      expectClose(rw, rj, 'resp');
      const lpNoResp = new Float64Array(n);
      expect(wasm.score(hw, p, lpNoResp, null)).toBe(tw);
      expect(lpNoResp).toEqual(lpw);

      const shift = Float64Array.from({ length: k * d }, () => rand() - 0.5);
      js.accumulate(hj, rj, shift, sj);
      wasm.accumulate(hw, rj, shift, sw);
      expectStatsClose(sw, sj, 'accumulate');
      expect(sw.logLik).toBe(0);
      expect(Array.from(sw.shift)).toEqual(Array.from(shift));

      wasm.emPass(hw, p, sw); // accumulate's shift must not have replaced the means
      js.emPass(hj, p, sj);
      expectStatsClose(sw, sj, 'emPass after accumulate');
      wasm.dispose();
    });

    it('chains chunks of rows exactly like one pass (n larger than the I/O buffer)', () => {
      const rand = rng(77);
      const [n, d, k] = [40000, 3, 6];
      const X = randomX(rand, n, d, false);
      const w = Float64Array.from({ length: n }, () => rand());
      const p = randomParams(rand, k, d, family);
      const js = new JsBackend();
      const wasm = make();
      const [hj, hw] = [js.load(X, w), wasm.load(X, w)];
      const [lpj, lpw, rj, rw] = [new Float64Array(n), new Float64Array(n), new Float64Array(n * k), new Float64Array(n * k)];
      expectClose([wasm.score(hw, p, lpw, rw)], [js.score(hj, p, lpj, rj)], 'score total');
      expectClose(lpw, lpj, 'logProb');
      expectClose(rw, rj, 'resp');
      const [sj, sw] = [createStats(k, d, family), createStats(k, d, family)];
      js.accumulate(hj, rj, p.means, sj);
      wasm.accumulate(hw, rj, p.means, sw);
      expectStatsClose(sw, sj, 'accumulate');
      js.emPass(hj, p, sj);
      wasm.emPass(hw, p, sw);
      expectStatsClose(sw, sj, 'emPass');
      wasm.dispose();
    });
  });

  it('agrees on precisionCholesky for random SPD matrices, d = 1..40, k = 1..6', () => {
    const rand = rng(5);
    const js = new JsBackend();
    const wasm = make();
    for (const [k, d] of [[1, 1], [2, 2], [6, 3], [3, 7], [4, 16], [2, 33], [6, 40]]) {
      const cov = randomSpd(rand, k, d);
      const copy = cov.slice();
      const [uj, uw] = [new Float64Array(k * d * d), new Float64Array(k * d * d).fill(NaN)];
      const [lj, lw] = [new Float64Array(k), new Float64Array(k)];
      expect(js.precisionCholesky(cov, k, d, uj, lj)).toBe(-1);
      expect(wasm.precisionCholesky(cov, k, d, uw, lw)).toBe(-1);
      expectClose(uw, uj, `precChol k=${k} d=${d}`);
      expectClose(lw, lj, `logDet k=${k} d=${d}`);
      expect(cov).toEqual(copy);
    }
    wasm.dispose();
  });

  it('precisionCholesky returns the index of the first non positive definite component', () => {
    const wasm = make();
    const js = new JsBackend();
    const [k, d] = [3, 2];
    const out = [new Float64Array(k * d * d), new Float64Array(k)] as const;
    const cov = Float64Array.from([2, 0.5, 0.5, 1, 1, 2, 2, 1, 1, 0, 0, 1]);
    expect(wasm.precisionCholesky(cov, k, d, ...out)).toBe(1);
    expect(js.precisionCholesky(cov, k, d, ...out)).toBe(1);
    expect(wasm.precisionCholesky(Float64Array.from([1, 0, 0, NaN]), 1, 2, ...out)).toBe(0);
    expect(wasm.precisionCholesky(Float64Array.from([0]), 1, 1, ...out)).toBe(0);
    wasm.dispose();
  });

  it('throws a RangeError naming the size when the data cannot fit in 4 GiB, before reading it', () => {
    const wasm = make();
    const before = wasm.memoryBytes;
    const huge = { data: new Float64Array(0), rows: 1e9, cols: 1 };
    expect(() => wasm.load(huge, null)).toThrow(RangeError);
    expect(() => wasm.load(huge, null)).toThrow(/X of 1000000000 x 1 needs 8\.0 GB \(\d+ bytes\) of WebAssembly memory; the limit is 4 GiB/);
    expect(() => wasm.load({ data: new Float64Array(0), rows: 3000000, cols: 200 }, null)).toThrow(/X of 3000000 x 200 needs 4\.8 GB/);
    expect(wasm.memoryBytes).toBe(before);
    wasm.dispose();
  });

  it('grows only when a data set needs more room, reuses released room, and keeps working across growth', () => {
    const rand = rng(9);
    const wasm = make();
    const js = new JsBackend();
    const small = randomX(rand, 100, 4, false);
    // Larger than the memory a backend can start with (a disposed backend's instance, SPARE_MAX_BYTES).
    const big = randomX(rand, Math.ceil(SPARE_MAX_BYTES / 64) + 1000, 8, false);
    wasm.release(wasm.load(small, null));
    const first = wasm.memoryBytes;
    for (let i = 0; i < 5; i++) wasm.release(wasm.load(small, null));
    expect(wasm.memoryBytes).toBe(first);
    const hBig = wasm.load(big, null);
    const high = wasm.memoryBytes;
    expect(high).toBeGreaterThan(first);
    for (const X of [small, small, small]) wasm.release(wasm.load(X, null)); // beside the big set, in released room
    expect(wasm.memoryBytes).toBe(high);

    const p = randomParams(rand, 3, 8, 'tri');
    const hj = js.load(big, null);
    const [sj, sw] = [createStats(3, 8, 'tri'), createStats(3, 8, 'tri')];
    js.emPass(hj, p, sj);
    wasm.emPass(hBig, p, sw);
    expectStatsClose(sw, sj, 'emPass after growth');
    wasm.dispose();
  });

  it('a disposed backend leaves its instance to the next one when its memory is small, zeroed; a large one is freed', () => {
    const rand = rng(11);
    const X = randomX(rand, 300, 3, false);
    const p = randomParams(rand, 4, 3, 'tri');
    const first = make();
    const written = first.allocateData(64, 4, 0);
    written.data.fill(7);
    const stats = createStats(4, 3, 'tri');
    first.emPass(first.load(X, null), p, stats);
    const bytes = first.memoryBytes;
    first.dispose();
    const next = make();
    // The same memory (a fresh instance starts smaller), but nothing of the last backend's data in it.
    expect(next.memoryBytes).toBe(bytes);
    expect(Array.from(next.allocateData(64, 4, 0).data).every((v) => v === 0)).toBe(true);
    const again = createStats(4, 3, 'tri');
    next.emPass(next.load(X, null), p, again);
    expect(Array.from(again.S2)).toEqual(Array.from(stats.S2));
    expect(again.logLik).toBe(stats.logLik);
    next.load(randomX(rand, Math.ceil(SPARE_MAX_BYTES / 24) + 1, 3, false), null);
    expect(next.memoryBytes).toBeGreaterThan(SPARE_MAX_BYTES);
    next.dispose();
    const fresh = make();
    expect(fresh.memoryBytes).toBeLessThan(bytes);
    fresh.dispose();
  });

  it('holds several data sets at once: passes over one are untouched by loading, scoring and releasing others', () => {
    const rand = rng(10);
    const wasm = make();
    const A = randomX(rand, 500, 3, false);
    const B = randomX(rand, 300, 3, true);
    const p = randomParams(rand, 4, 3, 'tri');
    const q = randomParams(rand, 2, 3, 'diag');
    const hA = wasm.load(A, null);
    const before = createStats(4, 3, 'tri');
    wasm.emPass(hA, p, before);
    const hB = wasm.load(B, null);
    wasm.score(hB, q, new Float64Array(300), new Float64Array(600));
    wasm.release(hB);
    wasm.release(wasm.load(randomX(rand, 5000, 3, false), null));
    const after = createStats(4, 3, 'tri');
    wasm.emPass(hA, p, after);
    expect(Array.from(after.S2)).toEqual(Array.from(before.S2));
    expect(after.logLik).toBe(before.logLik);
    wasm.dispose();
  });

  it('refuses use after dispose, a handle of another backend, and parameters that do not match the data', () => {
    const wasm = make();
    const other = make();
    const h = wasm.load({ data: new Float64Array([1, 2]), rows: 2, cols: 1 }, null);
    expect(() => other.score(h, randomParams(rng(1), 2, 1, 'diag'), new Float64Array(2), null)).toThrow(/another backend/);
    expect(() => wasm.score(h, randomParams(rng(1), 2, 2, 'diag'), new Float64Array(2), null)).toThrow(/do not match/);
    wasm.dispose();
    other.dispose();
    expect(wasm.memoryBytes).toBe(0);
    expect(() => wasm.load({ data: new Float64Array([1]), rows: 1, cols: 1 }, null)).toThrow(/dispose/);
  });
});

it('the JS backend refuses parameters that do not match its data, and handles of another backend', () => {
  const js = new JsBackend();
  const h = js.load({ data: new Float64Array([1, 2]), rows: 2, cols: 1 }, null);
  expect(() => js.score(h, randomParams(rng(1), 2, 2, 'diag'), new Float64Array(2), null)).toThrow(/do not match/);
  expect(() => new JsBackend().score(h, randomParams(rng(1), 2, 1, 'diag'), new Float64Array(2), null)).toThrow(/another backend/);
});

describe.each(VARIANTS)("the kernels' exp and log (%s build)", (variant) => {
  const kernels = () => instantiate(compileModuleSync(variant));

  /** The kernel function applied to xs (in a fresh instance). */
  function run(fn: 'expArray' | 'logArray', xs: ArrayLike<number>): Float64Array {
    const k = kernels();
    const n = xs.length;
    const base = Math.ceil(k.heapBase() / 16) * 16;
    const need = base + 16 * n + 64;
    if (k.memory.buffer.byteLength < need) k.memory.grow(Math.ceil((need - k.memory.buffer.byteLength) / 65536));
    new Float64Array(k.memory.buffer).set(xs, base / 8);
    k[fn](base, base + 8 * n, n);
    return new Float64Array(k.memory.buffer, base + 8 * n, n).slice();
  }

  /** Max relative error of the kernel function against Math over `xs`. */
  function maxRelError(fn: 'expArray' | 'logArray', xs: Float64Array): number {
    const out = run(fn, xs);
    let worst = 0;
    for (let i = 0; i < xs.length; i++) {
      const want = fn === 'expArray' ? Math.exp(xs[i]) : Math.log(xs[i]);
      const err = want === 0 ? Math.abs(out[i]) : Math.abs(out[i] - want) / Math.abs(want);
      if (!(err <= worst)) worst = err;
    }
    return worst;
  }

  it('exp: relative error <= 1e-15 over [-708.39, 709.43] (dense near 0, log-spaced out to the ends)', () => {
    const rand = rng(31);
    const xs: number[] = [0, -0, 1, -1, 0.5 * Math.LN2, -0.5 * Math.LN2, Math.LN2, -708.39, 709.43, 1e-300, -1e-300];
    for (let i = 0; i < 200000; i++) xs.push((rand() * 2 - 1) * 40);
    for (let i = 0; i < 200000; i++) xs.push(-708.39 * rand(), 709.43 * rand());
    for (let i = 0; i < 20000; i++) xs.push((rand() < 0.5 ? -1 : 1) * Math.exp((rand() * 2 - 1) * 30));
    const filtered = Float64Array.from(xs.filter((x) => x >= -708.39 && x <= 709.43));
    expect(maxRelError('expArray', filtered)).toBeLessThanOrEqual(1e-15);
  });

  it('exp: flushes below -708.39 to 0, overflows to Infinity, propagates NaN', () => {
    const xs = [-708.5, -745.2, -1e308, -Infinity, 710, 1e308, Infinity, NaN, 0];
    // Twice: 8 at a time take the vector path in the SIMD build, the 9th the scalar path.
    const out = Array.from(run('expArray', [...xs, ...xs]));
    for (const half of [out.slice(0, 9), out.slice(9)]) {
      expect(half.slice(0, 4)).toEqual([0, 0, 0, 0]);
      expect(half.slice(4, 7)).toEqual([Infinity, Infinity, Infinity]);
      expect(half[7]).toBeNaN();
      expect(half[8]).toBe(1);
    }
  });

  it('log: relative error <= 1e-15 on [1, 64] (the log-sum-exp range) and on normal numbers', () => {
    const rand = rng(32);
    const xs: number[] = [1, 2, 3, Math.SQRT2, Math.SQRT1_2, 0.5, 1e-300, 1e300, Number.MAX_VALUE, 2.2250738585072014e-308];
    for (let i = 0; i < 200000; i++) xs.push(1 + 63 * rand());
    for (let i = 0; i < 100000; i++) xs.push(1 + 1e-6 * rand(), Math.exp((rand() * 2 - 1) * 700));
    // Near 1 the log itself is tiny: measure there against the absolute scale of the sum it feeds.
    const far = Float64Array.from(xs.filter((x) => Math.abs(x - 1) > 1e-3));
    expect(maxRelError('logArray', far)).toBeLessThanOrEqual(1e-15);
    const near = Float64Array.from({ length: 4096 }, () => 1 + (rand() * 2 - 1) * 1e-3);
    const out = run('logArray', near);
    for (let i = 0; i < near.length; i++) expect(Math.abs(out[i] - Math.log(near[i]))).toBeLessThanOrEqual(2.3e-16);
  });
});

describe('scikit-learn fixtures on every backend build (10 EM updates from the fixture init)', () => {
  const dir = fileURLToPath(new URL('./fixtures/', import.meta.url));
  const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
  const backends: BackendOption[] = ['wasm', 'wasm-scalar', 'js'];

  interface Fixture {
    covarianceType: 'full' | 'tied' | 'diag' | 'spherical';
    nComponents: number;
    regCovar: number;
    X: number[][];
    init: { weights: number[]; means: number[][]; covariances: unknown };
    trajectory: { weights: number[]; means: number[][]; covariances: unknown; meanLogLikelihood: number }[];
  }

  function expectNear(actual: unknown, expected: unknown, tol: number, what: string): void {
    const a = [actual].flat(3) as number[];
    const e = [expected].flat(3) as number[];
    expect(a.length, what).toBe(e.length);
    for (let i = 0; i < e.length; i++) {
      if (!(Math.abs(a[i] - e[i]) <= tol * Math.max(1, Math.abs(e[i])))) expect.fail(`${what}[${i}]: ${a[i]} vs ${e[i]}`);
    }
  }

  const cases = files.flatMap((file) => backends.flatMap((backend) => [false, true].map((zeroCopy) => ({ file, backend, zeroCopy }))));
  it.each(cases)('$file on $backend (zero-copy: $zeroCopy)', async ({ file, backend, zeroCopy }) => {
    const fx = JSON.parse(readFileSync(dir + file, 'utf8')) as Fixture;
    const model = new GaussianMixture({
      nComponents: fx.nComponents,
      covarianceType: fx.covarianceType,
      regCovar: fx.regCovar,
      init: fx.init as InitParameters,
      tol: 0,
      maxIter: 10,
      backend,
    });
    let X: MatrixInput = fx.X;
    if (zeroCopy) {
      const m = await model.allocateData(fx.X.length, fx.X[0].length);
      fx.X.forEach((row, i) => m.data.set(row, i * m.cols));
      X = m;
    }
    await model.fit(X);
    const want = fx.trajectory[10];
    expectNear(model.weights, want.weights, 1e-8, 'weights');
    expectNear(model.means, want.means, 1e-8, 'means');
    expectNear(model.covariances, want.covariances, 1e-8, 'covariances');
    const history = model.history;
    expect(Math.abs(history[history.length - 1] - want.meanLogLikelihood)).toBeLessThanOrEqual(1e-10);
    model.dispose();
  });
});

describe('data without a copy: float32 rows and allocateData', () => {
  it('float32 data stay float32 in the arena (half the bytes) and fit like their float64 widening', async () => {
    const rand = rng(41);
    const [n, d, k] = [30000, 6, 3];
    const X32 = randomX(rand, n, d, true) as Matrix<Float32Array>;
    const X64 = { data: Float64Array.from(X32.data), rows: n, cols: d };
    for (const [variant, name] of VARIANTS) {
      const a = new WasmBackend(compileModuleSync(variant), name);
      const b = new WasmBackend(compileModuleSync(variant), name);
      const ha = a.load(X32, null);
      const hb = b.load(X64, null);
      expect(a.memoryBytes).toBeLessThan(b.memoryBytes);
      const p = randomParams(rand, k, d, 'tri');
      const [sa, sb] = [createStats(k, d, 'tri'), createStats(k, d, 'tri')];
      a.emPass(ha, p, sa);
      b.emPass(hb, p, sb);
      expect(sa).toEqual(sb);
      a.dispose();
      b.dispose();
    }
  });

  it('allocateData returns a view into WebAssembly memory that load uses in place; dispose empties it', () => {
    const rand = rng(43);
    const [n, d, k] = [5000, 4, 3];
    const wasm = new WasmBackend(compileModuleSync('simd'), 'wasm');
    const js = new JsBackend();
    const m = wasm.allocateData(n, d, n * 8 + wasm.workBytes(k, d, true));
    const before = wasm.memoryBytes;
    const src = randomX(rand, n, d, false);
    m.data.set(src.data);
    wasm.release(wasm.load(m, Float64Array.from({ length: n }, () => rand())));
    const hj = js.load(src, null);
    expect(m.data.length).toBe(n * d);
    const p = randomParams(rand, k, d, 'tri');
    const hw = wasm.load(m, null);
    const [sj, sw] = [createStats(k, d, 'tri'), createStats(k, d, 'tri')];
    js.emPass(hj, p, sj);
    wasm.emPass(hw, p, sw);
    expectStatsClose(sw, sj, 'emPass on allocated data');
    // The room reserved up front held the weights and the working set.
    expect(wasm.memoryBytes).toBe(before);
    // Another data set goes beside the allocated region and leaves it intact.
    wasm.load(randomX(rand, 100, d, false), null);
    expect(Array.from(m.data.subarray(0, 8))).toEqual(Array.from(src.data.subarray(0, 8)));
    wasm.dispose();
    expect(m.data.length).toBe(0);
  });
});
