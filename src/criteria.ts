/**
 * The information criteria, in scikit-learn's sign (lower is better), from a total log-likelihood
 * L = sum_i w_i log p(x_i), p free parameters and n rows:
 *   BIC = -2 L + p ln n,   AIC = -2 L + 2 p,
 *   ICL = BIC - 2 sum_i log max_k r_ik (mclust's integrated complete-data likelihood criterion,
 *         Biernacki, Celeux and Govaert 2000: BIC plus the entropy of the classification).
 */
export interface Criteria {
  bic: number;
  aic: number;
  icl: number;
}

/** BIC, AIC and ICL; `resp` (n x k responsibilities, row-major) is needed for ICL only (NaN without). */
export function criteria(logLik: number, p: number, n: number, resp?: Float64Array, k?: number): Criteria {
  const bic = -2 * logLik + p * Math.log(n);
  const aic = -2 * logLik + 2 * p;
  if (!resp || !k) return { bic, aic, icl: NaN };
  let classification = 0;
  for (let i = 0; i < n; i++) {
    let max = 0;
    for (let c = 0; c < k; c++) max = Math.max(max, resp[i * k + c]);
    classification += Math.log(max);
  }
  return { bic, aic, icl: bic - 2 * classification };
}
