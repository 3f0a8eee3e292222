// selectModel's onCandidate progress hook: once per distinct candidate (aliases are fitted once), in
// order done = 1..total, on one thread and in workers, and a non-function is refused by name.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { selectModel } from '../src/index.js';

const faithful = readFileSync(fileURLToPath(new URL('../data/faithful.csv', import.meta.url)), 'utf8')
  .trim().split('\n').slice(1).map((l) => l.split(',').map(Number));

describe('selectModel onCandidate', () => {
  for (const workers of [1, 2]) {
    it(`reports each distinct candidate once (workers: ${workers})`, async () => {
      const seen: { done: number; total: number; k: number; type: string }[] = [];
      const { table } = await selectModel(faithful, {
        nComponents: [1, 2, 3], covarianceTypes: ['full', 'VVV', 'diag'], seed: 3, workers,
        onCandidate: ({ done, total, nComponents, covarianceType }) => seen.push({ done, total, k: nComponents, type: covarianceType }),
      });
      expect(table).toHaveLength(9); // full and VVV are one model: 6 fits for 9 rows
      expect(seen.map((s) => s.done)).toEqual([1, 2, 3, 4, 5, 6]);
      expect(seen.every((s) => s.total === 6)).toBe(true);
      expect(new Set(seen.map((s) => `${s.k}/${s.type}`)).size).toBe(6);
    });
  }

  it('refuses a non-function', async () => {
    await expect(selectModel(faithful, { onCandidate: 42 as never })).rejects.toThrow(/onCandidate must be a function, got 42/);
  });
});
