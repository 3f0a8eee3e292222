/**
 * The input forms of README "Inputs" (src/input.ts, src/arrow.ts): integer typed arrays, strided
 * matrices and column selections, ImageData, Apache Arrow tables and record batches, a Parquet file
 * read through parquet-wasm. The reference for each is the same numbers given as a dense
 * Float64Array (or Float32Array) matrix, fitted and scored by the same code: the backends copy
 * integer, strided and Arrow rows into float32 / float64 storage and compute on it exactly as on the
 * dense input, so results must agree to 1e-12 and predictions exactly.
 */
import { describe, expect, it } from 'vitest';
import { Float32, Float64, Int16, Int32, Int64, Table, Utf8, makeVector, tableFromArrays, tableFromIPC, tableToIPC, vectorFromArray } from 'apache-arrow';
import { Table as WasmTable, WriterPropertiesBuilder, readParquet, writeParquet } from 'parquet-wasm/node';
import { BayesianGaussianMixture, GaussianMixture, selectModel } from '../src/index.js';
import type { GaussianMixtureOptions } from '../src/options.js';
import type { MatrixInput, NumericArray } from '../src/types.js';
import { expectSameFit, relErr, rng } from './helpers.js';
// @ts-ignore -- the built package (npm run build), for workers (dist/worker.js); typed through the source.
import * as built from '../dist/index.js';
import type * as Src from '../src/index.js';

type Model = InstanceType<typeof GaussianMixture>;
const BACKENDS = ['js', 'wasm'] as const;


/**
 * n x d integer-valued rows from three overlapping clusters, every value in [lo, hi] (so the same
 * numbers fit every integer type whose range holds [lo, hi]).
 */
function integerBlobs(n: number, d: number, seed: number, lo = 0, hi = 120): Float64Array {
  const u = rng(seed);
  const normal = (): number => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
  const mid = (lo + hi) / 2;
  const span = (hi - lo) / 8;
  const centres = [-1.5, 0, 1.5].map((c) => Array.from({ length: d }, (_, j) => mid + span * (c + 0.3 * j * c)));
  const X = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    const c = centres[Math.floor(u() * 3)];
    for (let j = 0; j < d; j++) X[i * d + j] = Math.min(hi, Math.max(lo, Math.round(c[j] + span * 0.8 * normal())));
  }
  return X;
}


/** Every scoring method on `input` equals the same on `reference` (the same model): predictions exactly. */
function expectSameScores(gmm: Model, input: MatrixInput, reference: MatrixInput): void {
  expect(Array.from(gmm.predict(input))).toEqual(Array.from(gmm.predict(reference)));
  expect(relErr(Array.from(gmm.predictProba(reference).data), Array.from(gmm.predictProba(input).data))).toBeLessThanOrEqual(1e-12);
  expect(relErr(Array.from(gmm.scoreSamples(reference)), Array.from(gmm.scoreSamples(input)))).toBeLessThanOrEqual(1e-12);
  for (const m of ['score', 'bic', 'aic', 'icl'] as const) {
    expect(Math.abs(gmm[m](input) - gmm[m](reference))).toBeLessThanOrEqual(1e-12 * Math.abs(gmm[m](reference)));
  }
}

/** Fits `input` and `reference` with the same options; they must give the same model and scores. */
async function expectSameAsReference(input: MatrixInput, reference: MatrixInput, opts: GaussianMixtureOptions): Promise<Model> {
  const ref = await new GaussianMixture(opts).fit(reference);
  const got = await new GaussianMixture(opts).fit(input);
  expectSameFit(ref, got, 1e-12);
  expectSameScores(got, input, reference);
  expect(Array.from(got.predict(input))).toEqual(Array.from(ref.predict(reference)));
  return got;
}

/** A copy to compare against afterwards: the input must not be mutated. */
function snapshot(a: NumericArray): number[] {
  return Array.from(a);
}

const n = 400;
const d = 3;
const base = integerBlobs(n, d, 7);
const f64 = { data: base, rows: n, cols: d };

describe('integer typed arrays equal the same values as Float64Array', () => {
  const types = [Uint8Array, Uint8ClampedArray, Int8Array, Int16Array, Uint16Array, Int32Array, Uint32Array];
  for (const backend of BACKENDS) {
    for (const T of types) {
      it(`${T.name}, backend ${backend}`, async () => {
        const data = T.from(base) as NumericArray;
        const before = snapshot(data);
        await expectSameAsReference({ data, rows: n, cols: d }, f64, { nComponents: 3, seed: 3, backend });
        expect(snapshot(data)).toEqual(before);
      });
    }
  }

  it('negative and large values: Int16 (+-30000) and Int32 (+-2e9), every covariance type, init kmeans', async () => {
    const i16 = integerBlobs(300, 2, 11, -30000, 30000);
    const i32 = integerBlobs(300, 2, 12, -2e9, 2e9);
    for (const backend of BACKENDS) {
      for (const covarianceType of ['full', 'tied', 'diag', 'spherical'] as const) {
        const opts = { nComponents: 3, seed: 5, backend, covarianceType, init: 'kmeans' as const };
        await expectSameAsReference({ data: Int16Array.from(i16), rows: 300, cols: 2 }, { data: i16, rows: 300, cols: 2 }, opts);
        await expectSameAsReference({ data: Int32Array.from(i32), rows: 300, cols: 2 }, { data: i32, rows: 300, cols: 2 }, opts);
      }
    }
  });

  it('more rows than init auto samples (its sample is copied from the integer rows), with sample weights', async () => {
    const m = 6000;
    const big = integerBlobs(m, d, 21);
    const w = Float64Array.from({ length: m }, (_, i) => 0.5 + (i % 3));
    for (const backend of BACKENDS) {
      const opts = { nComponents: 3, seed: 9, backend };
      const ref = await new GaussianMixture(opts).fit({ data: big, rows: m, cols: d }, { sampleWeight: w });
      const got = await new GaussianMixture(opts).fit({ data: Uint8Array.from(big), rows: m, cols: d }, { sampleWeight: w });
      expectSameFit(ref, got, 1e-12);
    }
  });

  it('BayesianGaussianMixture (its default priors read every row)', async () => {
    for (const backend of BACKENDS) {
      const opts = { nComponents: 4, seed: 3, backend, init: 'kmeans' as const };
      const ref = await new BayesianGaussianMixture(opts).fit(f64);
      const got = await new BayesianGaussianMixture(opts).fit({ data: Uint8Array.from(base), rows: n, cols: d });
      expectSameFit(ref, got, 1e-12);
      expect(relErr(ref.weightConcentration, got.weightConcentration)).toBeLessThanOrEqual(1e-12);
    }
  });

  it('selectModel', async () => {
    const opts = { nComponents: [1, 2, 3], covarianceTypes: ['full', 'diag'] as ('full' | 'diag')[], seed: 2 };
    const a = await selectModel(f64, opts);
    const b = await selectModel({ data: Uint16Array.from(base), rows: n, cols: d }, opts);
    expect(b.best.options.nComponents).toBe(a.best.options.nComponents);
    expect(b.table.map((r) => r.bic)).toEqual(a.table.map((r) => r.bic));
    expectSameFit(a.best, b.best, 1e-12);
  });

  it('workers: 2 (the built package) equal workers: 1 on the Float64Array', async () => {
    const { GaussianMixture: Built } = built as unknown as typeof Src;
    const opts = { nComponents: 3, seed: 4, backend: 'wasm' as const };
    // base repeated 6 times: two shards of 1200 rows.
    const rows = 6 * n;
    const big = Int16Array.from({ length: rows * d }, (_, i) => base[i % (n * d)]);
    const ref = await new Built(opts).fit({ data: Float64Array.from(big), rows, cols: d });
    const two = await new Built({ ...opts, workers: 2 }).fit({ data: big, rows, cols: d });
    expect(two.fitWorkers).toBe(2);
    expectSameFit(ref, two, 1e-10);
  });
});

describe('strided matrices, column selections and ImageData', () => {
  // RGBA pixels: base's three columns as R, G, B and a constant alpha.
  const rgba = new Uint8ClampedArray(n * 4);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < 3; j++) rgba[i * 4 + j] = base[i * 3 + j];
    rgba[i * 4 + 3] = 255;
  }
  const inputs: [string, MatrixInput][] = [
    ['ImageData { data, width, height }', { data: rgba, width: 20, height: 20 }],
    ['{ data, rows, cols: 3, stride: 4 }', { data: rgba, rows: n, cols: 3, stride: 4 }],
    ['{ data, rows, cols: 4, columns: [0, 1, 2] }', { data: rgba, rows: n, cols: 4, columns: [0, 1, 2] }],
    ['stride 4 with the last row short (length n * 4 - 1)', { data: rgba.subarray(0, n * 4 - 1), rows: n, cols: 3, stride: 4 }],
  ];
  for (const backend of BACKENDS) {
    for (const [label, input] of inputs) {
      it(`${label}, backend ${backend}`, async () => {
        const before = snapshot(rgba);
        await expectSameAsReference(input, f64, { nComponents: 3, seed: 3, backend });
        expect(snapshot(rgba)).toEqual(before);
      });
    }
  }

  it('a column selection reorders: columns [2, 0] of a Float64Array at stride 5 equal the dense 2-column matrix', async () => {
    const wide = new Float64Array(n * 5).map((_, i) => base[Math.floor(i / 5) * 3 + ((i % 5) % 3)] + (i % 5) * 0.25);
    const dense = new Float64Array(n * 2);
    for (let i = 0; i < n; i++) {
      dense[i * 2] = wide[i * 5 + 2];
      dense[i * 2 + 1] = wide[i * 5];
    }
    for (const backend of BACKENDS) {
      await expectSameAsReference({ data: wide, rows: n, cols: 5, columns: [2, 0] }, { data: dense, rows: n, cols: 2 }, { nComponents: 2, seed: 1, backend });
      // float32 stays float32: the same against a dense Float32Array.
      const w32 = Float32Array.from(wide);
      await expectSameAsReference({ data: w32, rows: n, cols: 3, stride: 5 }, { data: Float32Array.from(Array.from({ length: n * 3 }, (_, i) => w32[Math.floor(i / 3) * 5 + (i % 3)])), rows: n, cols: 3 }, { nComponents: 2, seed: 1, backend });
    }
  });

  it('ImageData with all four channels, and RGBA on more rows than init auto samples', async () => {
    const m = 80 * 75;
    const big = integerBlobs(m, 4, 5, 0, 255);
    const px = Uint8ClampedArray.from(big);
    for (const backend of BACKENDS) {
      await expectSameAsReference({ data: px, width: 80, height: 75, columns: [0, 1, 2, 3] }, { data: big, rows: m, cols: 4 }, { nComponents: 3, seed: 8, backend, covarianceType: 'diag' });
      const rgb = Float64Array.from({ length: m * 3 }, (_, i) => big[Math.floor(i / 3) * 4 + (i % 3)]);
      await expectSameAsReference({ data: px, width: 80, height: 75 }, { data: rgb, rows: m, cols: 3 }, { nComponents: 3, seed: 8, backend });
    }
  });
});

describe('Apache Arrow tables and record batches equal the matrix', () => {
  const columns = { x: new Float64Array(n), y: new Int32Array(n), z: new Float32Array(n) };
  for (let i = 0; i < n; i++) {
    columns.x[i] = base[i * 3] + 0.5;
    columns.y[i] = base[i * 3 + 1];
    columns.z[i] = base[i * 3 + 2] * 0.25;
  }
  const matrix = (names: ('x' | 'y' | 'z')[]) => {
    const data = new Float64Array(n * names.length);
    for (let i = 0; i < n; i++) names.forEach((c, j) => (data[i * names.length + j] = columns[c][i]));
    return { data, rows: n, cols: names.length };
  };
  const table = tableFromArrays(columns);
  // Three record batches of uneven sizes (150, 150, 100).
  const batched = new Table([0, 150, 300].map((s) => tableFromArrays({ x: columns.x.slice(s, s + 150), y: columns.y.slice(s, s + 150), z: columns.z.slice(s, s + 150) }).batches[0]));

  for (const backend of BACKENDS) {
    it(`table (Float64, Int32, Float32 columns), batches, selection by name, backend ${backend}`, async () => {
      expect(batched.batches.length).toBe(3);
      const before = snapshot(columns.x);
      const opts = { nComponents: 3, seed: 6, backend };
      await expectSameAsReference(table, matrix(['x', 'y', 'z']), opts);
      await expectSameAsReference(batched, matrix(['x', 'y', 'z']), opts);
      await expectSameAsReference(batched.batches[1], { ...matrix(['x', 'y', 'z']), data: matrix(['x', 'y', 'z']).data.slice(450, 900), rows: 150 }, { ...opts, nComponents: 2 });
      await expectSameAsReference({ table: batched, columns: ['z', 'x'] }, matrix(['z', 'x']), opts);
      // A sliced table (batches starting inside their buffers).
      await expectSameAsReference(batched.slice(100, 350), { ...matrix(['x', 'y', 'z']), data: matrix(['x', 'y', 'z']).data.slice(300, 1050), rows: 250 }, opts);
      expect(snapshot(columns.x)).toEqual(before);
    });
  }

  it('all-float32 columns are kept float32: equal to the Float32Array matrix', async () => {
    const a = Float32Array.from(columns.x);
    const b = Float32Array.from(columns.z);
    const dense = new Float32Array(n * 2);
    for (let i = 0; i < n; i++) [dense[i * 2], dense[i * 2 + 1]] = [a[i], b[i]];
    for (const backend of BACKENDS) {
      await expectSameAsReference(tableFromArrays({ a, b }), { data: dense, rows: n, cols: 2 }, { nComponents: 2, seed: 2, backend });
    }
  });
});

describe('a Parquet file (parquet-wasm) read into Arrow fits as the matrix', () => {
  it('written with row groups of 128 rows, read back in record batches of 100 rows', async () => {
    const columns = { r: Float64Array.from({ length: n }, (_, i) => base[i * 3]), g: Int16Array.from({ length: n }, (_, i) => base[i * 3 + 1]), b: Float32Array.from({ length: n }, (_, i) => base[i * 3 + 2]) };
    const props = new WriterPropertiesBuilder().setMaxRowGroupSize(128).build();
    const file = writeParquet(WasmTable.fromIPCStream(tableToIPC(tableFromArrays(columns), 'stream')), props);
    const read = tableFromIPC(readParquet(file, { batchSize: 100 }).intoIPCStream());
    expect(read.numRows).toBe(n);
    expect(read.batches.length).toBeGreaterThanOrEqual(4);
    for (const backend of BACKENDS) {
      const opts = { nComponents: 3, seed: 3, backend };
      const ref = await expectSameAsReference(read, f64, opts);
      // In chunks: one record batch at a time through the backend, every EM pass (fit({ cols, chunks })).
      const chunked = await new GaussianMixture(opts).fit({ cols: 3, chunks: () => read.batches });
      expectSameFit(ref, chunked, 1e-10);
      expect(Array.from(chunked.predict(read))).toEqual(Array.from(ref.predict(f64)));
    }
  });
});

describe('chunk sources of integer, strided and Arrow chunks', () => {
  it('equal the in-memory Float64Array fit (1e-10), sync and async', async () => {
    const rgba = new Uint8ClampedArray(n * 4);
    for (let i = 0; i < n; i++) for (let j = 0; j < 4; j++) rgba[i * 4 + j] = j < 3 ? base[i * 3 + j] : 255;
    const cut = [0, 1, 130, 131, 300, n];
    const pieces = (i: number): MatrixInput => {
      const [s, e] = [cut[i], cut[i + 1]];
      const rows = e - s;
      switch (i % 4) {
        case 0: return { data: Uint8Array.from(base.subarray(s * 3, e * 3)), rows, cols: 3 };
        case 1: return { data: rgba.subarray(s * 4, e * 4), rows, cols: 3, stride: 4 };
        case 2: return tableFromArrays({ a: Int16Array.from({ length: rows }, (_, r) => base[(s + r) * 3]), b: Float32Array.from({ length: rows }, (_, r) => base[(s + r) * 3 + 1]), c: Float64Array.from({ length: rows }, (_, r) => base[(s + r) * 3 + 2]) });
        default: return { data: rgba.subarray(s * 4, e * 4), width: rows, height: 1 };
      }
    };
    const items = Array.from({ length: cut.length - 1 }, (_, i) => pieces(i));
    for (const backend of BACKENDS) {
      const opts = { nComponents: 3, seed: 12, backend };
      const ref = await new GaussianMixture(opts).fit(f64);
      expectSameFit(ref, await new GaussianMixture(opts).fit({ cols: 3, chunks: () => items }), 1e-10);
      const chunks = async function* () {
        for (const item of items) yield item;
      };
      expectSameFit(ref, await new GaussianMixture(opts).fit({ cols: 3, chunks }), 1e-10);
    }
    // workers: 2 (the built package): every chunk split across the workers.
    const { GaussianMixture: Built } = built as unknown as typeof Src;
    const opts = { nComponents: 3, seed: 12, backend: 'wasm' as const };
    const ref = await new Built(opts).fit(f64);
    const two = await new Built({ ...opts, workers: 2 }).fit({ cols: 3, chunks: () => items });
    expect(two.fitWorkers).toBe(2);
    expectSameFit(ref, two, 1e-10);
  });
});

describe('bad inputs give errors naming the parameter, the value and what is allowed', () => {
  const fit = (x: unknown) => new GaussianMixture({ nComponents: 1 }).fit(x as MatrixInput);
  const u8 = new Uint8Array(12);

  it('element types, stride, length, columns', async () => {
    await expect(fit({ data: new BigInt64Array(4), rows: 2, cols: 2 })).rejects.toThrow(/X\.data must be a Float64Array or Float32Array, or an integer typed array.*got a BigInt64Array/);
    await expect(fit({ data: u8, rows: 4, cols: 3, stride: 2 })).rejects.toThrow(/X\.stride must be an integer >= X\.cols \(3\).*got 2/);
    await expect(fit({ data: u8, rows: 3, cols: 3, stride: 4.5 })).rejects.toThrow(RangeError);
    await expect(fit({ data: u8, rows: 4, cols: 2, stride: 4 })).rejects.toThrow(/X\.data has length 12, but 4 rows of 2 columns at stride 4 need from 14 to 16 elements/);
    await expect(fit({ data: u8, rows: 3, cols: 4, columns: [0, 4] })).rejects.toThrow(/X\.columns\[1\] must be a column index, an integer from 0 to 3, got 4/);
    await expect(fit({ data: u8, rows: 3, cols: 4, columns: [1, 1] })).rejects.toThrow(/X\.columns lists column 1 twice/);
    await expect(fit({ data: u8, rows: 3, cols: 4, columns: [] })).rejects.toThrow(/X\.columns must be a non-empty array of column indices from 0 to 3/);
  });

  it('ImageData: element type and size', async () => {
    await expect(fit({ data: new Float32Array(16), width: 2, height: 2 })).rejects.toThrow(/X\.data of an ImageData must be a Uint8ClampedArray or Uint8Array.*got a Float32Array/);
    await expect(fit({ data: new Uint8ClampedArray(15), width: 2, height: 2 })).rejects.toThrow(/length 15, but width \* height \* 4 \(RGBA\) = 2 \* 2 \* 4 = 16/);
    await expect(fit({ data: new Uint8ClampedArray(16), width: 0, height: 4 })).rejects.toThrow(/X\.width must be an integer >= 1, got 0/);
  });

  it('non-finite values in strided float rows and across Arrow batches name the row and column', async () => {
    const wide = new Float64Array(5 * 4).fill(1);
    wide[3 * 4 + 2] = NaN; // row 3, stored column 2 = feature 1 of columns [0, 2]
    wide[1 * 4 + 3] = NaN; // not selected
    await expect(fit({ data: wide, rows: 5, cols: 4, columns: [0, 2] })).rejects.toThrow(/non-finite value \(NaN\) at row 3, column 1/);
    const t = new Table([tableFromArrays({ a: new Float64Array([1, 2]) }).batches[0], tableFromArrays({ a: new Float64Array([3, Infinity]) }).batches[0]]);
    await expect(fit(t)).rejects.toThrow(/non-finite value \(Infinity\) at row 3, column 0/);
  });

  it('Arrow: nulls, non-numeric and 64-bit columns, unknown or repeated names', async () => {
    const withNull = new Table({ a: vectorFromArray([1, 2, 3], new Float64()), b: vectorFromArray([4, null, 6], new Float64()) });
    await expect(fit(withNull)).rejects.toThrow(/X column 'b' has 1 null value, the first at row 1; missing values are not accepted/);
    const text = new Table({ a: vectorFromArray([1, 2], new Float64()), s: vectorFromArray(['u', 'v'], new Utf8()) });
    await expect(fit(text)).rejects.toThrow(/X column 's' has Arrow type Utf8; the accepted column types are Float64, Float32/);
    await expect(fit({ table: text, columns: ['a'] })).resolves.toBeInstanceOf(GaussianMixture);
    const big = new Table({ i: makeVector({ type: new Int64(), data: new BigInt64Array([1n, 2n]) }) });
    await expect(fit(big)).rejects.toThrow(/X column 'i' has Arrow type Int64/);
    await expect(fit({ table: text, columns: ['a', 'q'] })).rejects.toThrow(/X\.columns\[1\] is "q", not a column of the table; its columns are "a", "s"/);
    await expect(fit({ table: text, columns: ['a', 'a'] })).rejects.toThrow(/X\.columns lists column "a" twice/);
    await expect(fit({ table: text, columns: [] })).rejects.toThrow(/X\.columns must be a non-empty array of column names/);
    const empty = tableFromArrays({ a: new Float64Array(0) });
    await expect(fit(empty)).rejects.toThrow(/X must have at least one row/);
  });

  it('scoring methods validate the same way (predict on a strided matrix of the wrong width)', async () => {
    const gmm = await new GaussianMixture({ nComponents: 1, seed: 1 }).fit({ data: Int16Array.from(base), rows: n, cols: d });
    expect(() => gmm.predict({ data: u8, rows: 3, cols: 4 })).toThrow(/X has 4 columns, but the model was fitted with 3 features/);
    expect(() => gmm.scoreSamples({ data: u8, rows: 3, cols: 3, stride: 2 })).toThrow(/X\.stride/);
    expect(() => gmm.score(new Table({ f: vectorFromArray([1.5, 2.5], new Float32()), g: vectorFromArray([1, 2], new Int16()), h: vectorFromArray([3, 4], new Int32()) }))).not.toThrow();
  });
});
