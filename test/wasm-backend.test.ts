import { describe, expect, it } from 'vitest';
import { JsBackend } from '../src/backend/js.js';
import { createStats, type KernelParams, type Stats } from '../src/backend/types.js';
import { WasmBackend } from '../src/backend/wasm.js';
import type { KernelFamily, Matrix } from '../src/types.js';
import {
  compileModule,
  compileModuleSync,
  isSimdSupported,
  isWasmAvailable,
  pickVariant,
  wasmBytes,
  type WasmVariant,
} from '../src/wasm/loader.js';

const REL = 1e-12;

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

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
    precChol = new Float64Array(k * d * d);
    expect(new JsBackend().precisionCholesky(randomSpd(rand, k, d), k, d, precChol, logDet)).toBe(-1);
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
      for (const b of [js, wasm]) {
        b.setData(X, w, k, family);
        b.setParams(p);
      }
      expect(wasm.name).toBe(name);

      const [sj, sw] = [createStats(k, d, family), createStats(k, d, family)];
      js.emPass(sj);
      wasm.emPass(sw);
      expectStatsClose(sw, sj, 'emPass');
      wasm.emPass(sw); // statistics are overwritten, not added to
      expectStatsClose(sw, sj, 'second emPass');

      const [lpj, lpw, rj, rw] = [new Float64Array(n), new Float64Array(n), new Float64Array(n * k), new Float64Array(n * k)];
      const tj = js.score(lpj, rj);
      const tw = wasm.score(lpw, rw);
      expectClose([tw], [tj], 'score total');
      expectClose(lpw, lpj, 'logProb');
      expectClose(rw, rj, 'resp');
      const lpNoResp = new Float64Array(n);
      expect(wasm.score(lpNoResp, null)).toBe(tw);
      expect(lpNoResp).toEqual(lpw);

      const shift = Float64Array.from({ length: k * d }, () => rand() - 0.5);
      js.accumulate(rj, shift, sj);
      wasm.accumulate(rj, shift, sw);
      expectStatsClose(sw, sj, 'accumulate');
      expect(sw.logLik).toBe(0);

      wasm.emPass(sw); // accumulate's shift must not have replaced the means
      js.emPass(sj);
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
      for (const b of [js, wasm]) {
        b.setData(X, w, k, family);
        b.setParams(p);
      }
      const [lpj, lpw, rj, rw] = [new Float64Array(n), new Float64Array(n), new Float64Array(n * k), new Float64Array(n * k)];
      expectClose([wasm.score(lpw, rw)], [js.score(lpj, rj)], 'score total');
      expectClose(lpw, lpj, 'logProb');
      expectClose(rw, rj, 'resp');
      const [sj, sw] = [createStats(k, d, family), createStats(k, d, family)];
      js.accumulate(rj, p.means, sj);
      wasm.accumulate(rj, p.means, sw);
      expectStatsClose(sw, sj, 'accumulate');
      js.emPass(sj);
      wasm.emPass(sw);
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
    expect(() => wasm.setData(huge, null, 2, 'diag')).toThrow(RangeError);
    expect(() => wasm.setData(huge, null, 2, 'diag')).toThrow(/X of 1000000000 x 1 needs 8\.0 GB \(\d+ bytes\) of WebAssembly memory; the limit is 4 GiB/);
    expect(() => wasm.setData({ data: new Float64Array(0), rows: 3000000, cols: 200 }, null, 3, 'tri')).toThrow(/X of 3000000 x 200 needs 4\.8 GB/);
    expect(wasm.memoryBytes).toBe(before);
    wasm.dispose();
  });

  it('grows only when a data set needs more room, and keeps working across growth', () => {
    const rand = rng(9);
    const wasm = make();
    const js = new JsBackend();
    const small = randomX(rand, 100, 4, false);
    const big = randomX(rand, 20000, 8, false);
    wasm.setData(small, null, 3, 'tri');
    const first = wasm.memoryBytes;
    for (let i = 0; i < 5; i++) wasm.setData(small, null, 3, 'tri');
    expect(wasm.memoryBytes).toBe(first);
    wasm.setData(big, null, 3, 'tri');
    const high = wasm.memoryBytes;
    expect(high).toBeGreaterThan(first);
    for (const X of [small, big, small, big]) wasm.setData(X, null, 3, 'tri');
    expect(wasm.memoryBytes).toBe(high);

    const p = randomParams(rand, 3, 8, 'tri');
    js.setData(big, null, 3, 'tri');
    for (const b of [js, wasm]) b.setParams(p);
    const [sj, sw] = [createStats(3, 8, 'tri'), createStats(3, 8, 'tri')];
    js.emPass(sj);
    wasm.emPass(sw);
    expectStatsClose(sw, sj, 'emPass after growth');
    wasm.dispose();
  });

  it('refuses use after dispose, and before setData/setParams', () => {
    const wasm = make();
    expect(() => wasm.emPass(createStats(1, 1, 'diag'))).toThrow(/setData/);
    wasm.setData({ data: new Float64Array([1, 2]), rows: 2, cols: 1 }, null, 1, 'diag');
    expect(() => wasm.score(new Float64Array(2), null)).toThrow(/setParams/);
    expect(() => wasm.setParams(randomParams(rng(1), 2, 1, 'diag'))).toThrow(/do not match/);
    wasm.dispose();
    expect(wasm.memoryBytes).toBe(0);
    expect(() => wasm.setData({ data: new Float64Array([1]), rows: 1, cols: 1 }, null, 1, 'diag')).toThrow(/dispose/);
  });
});
