/**
 * A chunk source's memory is bounded by its chunk, not by its rows: 3e7 x 8 float32 rows (960 MB if
 * they were held at once) stream through the WASM backend with a peak RSS under 500 MB. The rows are
 * regenerated deterministically for every pass, as a file reader would re-read them. No timing here.
 */
import { describe, expect, it } from 'vitest';
import { GaussianMixture } from '../src/index.js';
import type { ChunkSource } from '../src/index.js';

const ROWS = 30_000_000;
const D = 8;
const CHUNK = 200_000;

/** Two well-separated uniform blobs (component = row parity), same rows on every pass. */
function stream(peak: { rss: number }): ChunkSource {
  const buffer = new Float32Array(CHUNK * D);
  return {
    cols: D,
    chunks: function* () {
      for (let start = 0; start < ROWS; start += CHUNK) {
        let s = (start / CHUNK + 1) * 2654435761 >>> 0;
        for (let i = 0; i < CHUNK; i++) {
          const offset = (start + i) % 2 === 0 ? 0 : 6;
          for (let j = 0; j < D; j++) {
            s ^= s << 13; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
            buffer[i * D + j] = offset + s / 4294967296;
          }
        }
        peak.rss = Math.max(peak.rss, process.memoryUsage().rss);
        yield { data: buffer, rows: CHUNK, cols: D };
      }
    },
  };
}

describe('chunk sources: memory', () => {
  it('3e7 x 8 float32 rows fit with a peak RSS below 500 MB', async () => {
    const peak = { rss: process.memoryUsage().rss };
    const gmm = new GaussianMixture({ nComponents: 2, covarianceType: 'diag', backend: 'wasm', seed: 1, init: 'kmeans', maxIter: 3, tol: 0 });
    await gmm.fit(stream(peak));
    const mb = peak.rss / 2 ** 20;
    console.log(`3e7 x 8 float32 stream: peak RSS ${mb.toFixed(0)} MB`);
    expect(mb).toBeLessThan(500);
    // It is a fit, not only a pass: the two blobs are found (uniform on [0,1) and [6,7): means 0.5 and 6.5).
    const means = gmm.means.map((m) => m[0]).sort((a, b) => a - b);
    expect(means[0]).toBeCloseTo(0.5, 2);
    expect(means[1]).toBeCloseTo(6.5, 2);
    expect(gmm.weights[0]).toBeCloseTo(0.5, 6);
  });
});
