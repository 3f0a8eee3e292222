/** gammaln, digamma and betaln (src/special.ts) against scipy.special 1.17.1, computed once and pasted here. */
import { describe, expect, it } from 'vitest';
import { betaln, digamma, gammaln } from '../src/special.js';
import { relScalar } from './helpers.js';

// [x, scipy.special.gammaln(x), scipy.special.digamma(x)]
const SCIPY: [number, number, number][] = [[0.01, 4.599479878042022, -100.56088545786868], [0.1666, 1.7171556598633795, -6.334616370170165], [0.5, 0.5723649429247, -1.9635100260214235], [1, 0.0, -0.5772156649015329], [1.5, -0.12078223763524526, 0.03648997397857652], [2.5, 0.2846828704729192, 0.7031566406452432], [7.3, 7.147892523022249, 1.917820335637986], [19.9, 39.04308858123621, 2.965383724267679], [20.1, 39.637192503636946, 2.9756379786475406], [55.5, 166.32150615984037, 4.0073469585404435], [400.25, 1996.006865149128, 5.990839612456271], [12345.6, 103959.18506616844, 9.421014502465397]];

describe('special functions', () => {
  it('gammaln and digamma match scipy to 1e-14 (absolute near their zeros)', () => {
    for (const [x, lg, dg] of SCIPY) {
      const tolLg = Math.max(1e-14 * Math.abs(lg), 1e-15);
      expect(Math.abs(gammaln(x) - lg), `gammaln(${x})`).toBeLessThanOrEqual(tolLg);
      expect(relScalar(digamma(x), dg), `digamma(${x})`).toBeLessThanOrEqual(1e-14);
    }
  });

  it('betaln matches scipy', () => {
    // scipy.special.betaln(0.3, 250.5), betaln(120.0, 3.25)
    expect(relScalar(betaln(0.3, 250.5), -0.5608204083437158)).toBeLessThanOrEqual(1e-13);
    expect(relScalar(betaln(120, 3.25), -14.653784780911783)).toBeLessThanOrEqual(1e-13);
  });
});
