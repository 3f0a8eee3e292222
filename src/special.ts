/**
 * Log-gamma and digamma for x > 0, to about 1e-15 relative: what the variational updates and the
 * lower bound of BayesianGaussianMixture need (scipy.special.gammaln / digamma in scikit-learn).
 */

/** Lanczos coefficients for g = 7, n = 9 (Godfrey), accurate to ~1e-15 for x >= 0.5. */
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];
const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/** ln Gamma(x) for x > 0. */
export function gammaln(x: number): number {
  // Small arguments through Gamma(x) = Gamma(x + 1) / x, where Lanczos is accurate.
  if (x < 0.5) return gammaln(x + 1) - Math.log(x);
  if (x > 20) {
    // Stirling's series: the Lanczos sum loses relative accuracy for large x only through cancellation
    // in (x - 0.5) ln t - t, which this form avoids.
    const z = 1 / (x * x);
    const series = (1 / 12 - z * (1 / 360 - z * (1 / 1260 - z * (1 / 1680 - z / 1188)))) / x;
    return (x - 0.5) * Math.log(x) - x + HALF_LOG_2PI + series;
  }
  const y = x - 1;
  let a = LANCZOS[0];
  const t = y + 7.5;
  for (let i = 1; i < 9; i++) a += LANCZOS[i] / (y + i);
  return HALF_LOG_2PI + (y + 0.5) * Math.log(t) - t + Math.log(a);
}

/** ln B(a, b) = ln Gamma(a) + ln Gamma(b) - ln Gamma(a + b), for a, b > 0. */
export function betaln(a: number, b: number): number {
  return gammaln(a) + gammaln(b) - gammaln(a + b);
}

/** psi(x) = d/dx ln Gamma(x) for x > 0: the recurrence psi(x) = psi(x + 1) - 1/x up to x >= 10, then the asymptotic series. */
export function digamma(x: number): number {
  let shift = 0;
  while (x < 10) {
    shift -= 1 / x;
    x += 1;
  }
  const z = 1 / (x * x);
  const series = z * (1 / 12 - z * (1 / 120 - z * (1 / 252 - z * (1 / 240 - z * (1 / 132 - z * (691 / 32760 - z / 12))))));
  return shift + Math.log(x) - 0.5 / x - series;
}
