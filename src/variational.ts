import type { SklearnCovarianceType } from './types.js';
import type { Backend, Stats } from './backend/types.js';
import type { FitEstimator } from './fit.js';
import type { InitContext, PartitionInit } from './init.js';
import { initialResponsibilities, responsibilityStatistics } from './init.js';
import type { Estimate, Mixture } from './params.js';
import { allocateMixture, covarianceSize, factorizeInPlace } from './params.js';
import { mStep } from './mstep.js';
import { betaln, digamma, gammaln } from './special.js';

export type WeightConcentrationPriorType = 'dirichlet_process' | 'dirichlet_distribution';

/** The priors of the variational mixture as resolved for one data set (scikit-learn's `*_prior_`). */
export interface ResolvedPriors {
  weightConcentrationPrior: number;
  meanPrecisionPrior: number;
  meanPrior: Float64Array; // d
  degreesOfFreedomPrior: number;
  /** full / tied: d x d (row-major), diag: d, spherical: 1. */
  covariancePrior: Float64Array;
}

/**
 * The variational posterior (scikit-learn's BayesianGaussianMixture attributes) on top of a Mixture
 * whose `weights` are the expected weights, `covariances` the Wishart scale inverses divided by the
 * degrees of freedom and `precChol` their factors; its `kernel.logWeights` hold E[ln pi_k] plus the
 * component's constant of the expected log-density (foldExpectations), so the E-step kernels compute
 * scikit-learn's `_estimate_weighted_log_prob` as they are.
 */
export interface Variational extends Mixture {
  priorType: WeightConcentrationPriorType;
  /** dirichlet_process: the Beta parameters alpha_k; dirichlet_distribution: the Dirichlet concentration. */
  alpha: Float64Array;
  /** dirichlet_process: the Beta parameters beta_k; dirichlet_distribution: empty. */
  beta: Float64Array;
  meanPrecision: Float64Array; // k
  /** Wishart degrees of freedom per component (tied: one value, repeated k times). */
  dof: Float64Array;
}

/** scikit-learn adds 10 machine epsilons to every N_k (as mstep.ts does). */
const EMPTY_GUARD = 10 * 2.220446049250313e-16;
const LN2 = Math.LN2;
const LN_2PI = Math.log(2 * Math.PI);

/** A Variational of this shape with zeroed arrays. */
export function allocateVariational(type: SklearnCovarianceType, k: number, d: number, priorType: WeightConcentrationPriorType): Variational {
  return {
    ...allocateMixture(type, k, d),
    priorType,
    alpha: new Float64Array(k),
    beta: new Float64Array(priorType === 'dirichlet_process' ? k : 0),
    meanPrecision: new Float64Array(k),
    dof: new Float64Array(k),
  };
}

/**
 * scikit-learn's BayesianGaussianMixture as an estimator of the fit driver: the updates of the
 * Dirichlet (or stick-breaking Beta) and Normal-Wishart posteriors from the statistics of an E-step,
 * and the lower bound after them (`_compute_lower_bound`, the whole-data ELBO up to a constant).
 */
export class VariationalEstimator implements FitEstimator<Variational> {
  readonly boundAfterUpdate = true;
  /** The maximum-likelihood estimate of the statistics (N_k, x_k, S_k of scikit-learn), reused. */
  private readonly ml: Estimate;
  /** Scratch: N_k + 10 eps, x_k - m_0, and the tied model's between-component scatter. */
  private readonly nk: Float64Array;
  private readonly diff: Float64Array;
  private readonly scatter: Float64Array;

  constructor(
    readonly type: SklearnCovarianceType,
    readonly k: number,
    readonly d: number,
    readonly regCovar: number,
    readonly priorType: WeightConcentrationPriorType,
    readonly priors: ResolvedPriors,
    readonly backend: Backend,
  ) {
    this.ml = { type, k, d, weights: new Float64Array(k), means: new Float64Array(k * d), covariances: new Float64Array(covarianceSize(type, k, d)) };
    this.nk = new Float64Array(k);
    this.diff = new Float64Array(d);
    this.scatter = new Float64Array(type === 'tied' ? d * d : 0);
  }

  /** scikit-learn's `_initialize`: the posterior from the responsibilities of a partition (or 'random'). */
  initialize(init: Exclude<PartitionInit, 'auto' | 'hc'>, ctx: InitContext): Variational {
    const { stats, centres } = responsibilityStatistics(initialResponsibilities(init, ctx), ctx);
    const out = allocateVariational(this.type, this.k, this.d, this.priorType);
    this.posterior(stats, centres, out, 'at initialisation');
    return out;
  }

  update(stats: Stats, current: Variational, spare: Variational | null, iter: number): { next: Variational; bound: number } {
    const next = spare ?? allocateVariational(this.type, this.k, this.d, this.priorType);
    this.posterior(stats, current.means, next, `in the update of iteration ${iter}`);
    return { next, bound: this.lowerBound(stats, current, next) };
  }

  /** The posterior from statistics about `shift` into `out` (scikit-learn's _m_step). */
  private posterior(stats: Stats, shift: Float64Array, out: Variational, when: string): void {
    const { type, k, d, priors: p, nk, ml } = this;
    // x_k and S_k (with regCovar) as scikit-learn's _estimate_gaussian_parameters gives them.
    mStep(stats, shift, type, this.regCovar, undefined, ml);
    for (let c = 0; c < k; c++) nk[c] = stats.N[c] + EMPTY_GUARD;
    const w0 = p.weightConcentrationPrior;
    if (this.priorType === 'dirichlet_process') {
      let tail = 0;
      for (let c = k - 1; c >= 0; c--) {
        out.alpha[c] = 1 + nk[c];
        out.beta[c] = w0 + tail;
        tail += nk[c];
      }
    } else {
      for (let c = 0; c < k; c++) out.alpha[c] = w0 + nk[c];
    }
    const b0 = p.meanPrecisionPrior;
    const m0 = p.meanPrior;
    for (let c = 0; c < k; c++) {
      const bk = (out.meanPrecision[c] = b0 + nk[c]);
      for (let a = 0; a < d; a++) out.means[c * d + a] = (b0 * m0[a] + nk[c] * ml.means[c * d + a]) / bk;
    }
    this.wishart(out);
    expectedWeights(out);
    factorizeInPlace(out, this.backend, this.regCovar, when);
    foldExpectations(out);
  }

  /** The Wishart posteriors: degrees of freedom and covariances (scikit-learn's _estimate_wishart_*). */
  private wishart(out: Variational): void {
    const { type, k, d, priors: p, nk, ml, diff, scatter } = this;
    const { meanPrecisionPrior: b0, meanPrior: m0, degreesOfFreedomPrior: nu0, covariancePrior: psi0 } = p;
    const cov = out.covariances;
    const at = (c: number): void => {
      for (let a = 0; a < d; a++) diff[a] = ml.means[c * d + a] - m0[a];
    };
    switch (type) {
      case 'full':
        for (let c = 0; c < k; c++) {
          at(c);
          const nu = (out.dof[c] = nu0 + nk[c]);
          const shrink = (nk[c] * b0) / out.meanPrecision[c];
          for (let i = 0; i < d * d; i++) {
            const a = Math.floor(i / d);
            const b = i % d;
            cov[c * d * d + i] = (psi0[i] + nk[c] * ml.covariances[c * d * d + i] + shrink * diff[a] * diff[b]) / nu;
          }
        }
        break;
      case 'tied': {
        let total = 0;
        for (let c = 0; c < k; c++) total += nk[c];
        const nu = nu0 + total / k;
        out.dof.fill(nu);
        scatter.fill(0);
        for (let c = 0; c < k; c++) {
          at(c);
          const f = nk[c] / out.meanPrecision[c];
          for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) scatter[a * d + b] += f * diff[a] * diff[b];
        }
        for (let i = 0; i < d * d; i++) cov[i] = (psi0[i] + (ml.covariances[i] * total) / k + (b0 / k) * scatter[i]) / nu;
        break;
      }
      case 'diag':
        for (let c = 0; c < k; c++) {
          at(c);
          const nu = (out.dof[c] = nu0 + nk[c]);
          const shrink = b0 / out.meanPrecision[c];
          for (let a = 0; a < d; a++) cov[c * d + a] = (psi0[a] + nk[c] * (ml.covariances[c * d + a] + shrink * diff[a] * diff[a])) / nu;
        }
        break;
      case 'spherical':
        for (let c = 0; c < k; c++) {
          at(c);
          const nu = (out.dof[c] = nu0 + nk[c]);
          let sq = 0;
          for (let a = 0; a < d; a++) sq += diff[a] * diff[a];
          cov[c] = (psi0[0] + nk[c] * (ml.covariances[c] + ((b0 / out.meanPrecision[c]) * sq) / d)) / nu;
        }
        break;
    }
  }

  /**
   * scikit-learn's `_compute_lower_bound` at the updated posterior `next`, with the responsibilities of
   * the E-step at `current`. Their entropy -sum_ik r_ik ln r_ik comes from the statistics: with
   * ln r_ik = g_ik - ln p_i, g_ik = logWeights_k + logDet_k - d/2 ln 2pi - 1/2 (x_i - m_k)^T P_k (x_i - m_k)
   * the kernel's joint log-density at `current`, sum_i r_ik g_ik needs only N_k and tr(P_k S2_k)
   * (S2 taken about m_k), and sum_i ln p_i is the pass's log-likelihood.
   */
  private lowerBound(stats: Stats, current: Variational, next: Variational): number {
    const { type, k, d } = this;
    const { N, S2 } = stats;
    const kp = current.kernel;
    let joint = 0;
    for (let c = 0; c < k; c++) {
      joint += N[c] * (kp.logWeights[c] + kp.logDet[c] - 0.5 * d * LN_2PI) - 0.5 * traceProduct(current, S2, c, type === 'tied');
    }
    const entropy = stats.logLik - joint;

    let logWishart = 0;
    for (let c = 0; c < (type === 'tied' ? 1 : k); c++) {
      const nu = next.dof[c];
      const logDetChol = next.kernel.logDet[c] - 0.5 * d * Math.log(nu);
      let g = 0;
      for (let j = 0; j < d; j++) g += gammaln(0.5 * (nu - j));
      logWishart += -(nu * logDetChol + nu * d * 0.5 * LN2 + g);
    }
    if (type === 'tied') logWishart *= k;

    let logNormWeight = 0;
    if (next.priorType === 'dirichlet_process') {
      for (let c = 0; c < k; c++) logNormWeight -= betaln(next.alpha[c], next.beta[c]);
    } else {
      let sum = 0;
      for (let c = 0; c < k; c++) {
        sum += next.alpha[c];
        logNormWeight -= gammaln(next.alpha[c]);
      }
      logNormWeight += gammaln(sum);
    }
    let logMeanPrecision = 0;
    for (let c = 0; c < k; c++) logMeanPrecision += Math.log(next.meanPrecision[c]);
    return entropy - logWishart - logNormWeight - 0.5 * d * logMeanPrecision;
  }
}

/**
 * tr(P_c S2_c) with P_c = U_c U_c^T the precision of component c of m (tied: the shared one) and S2_c
 * the scatter block of the statistics ('tri': upper triangle of a d x d block; 'diag': its diagonal).
 */
function traceProduct(m: Mixture, S2: Float64Array, c: number, tied: boolean): number {
  const { d, kernel } = m;
  let t = 0;
  if (kernel.family === 'diag') {
    for (let a = 0; a < d; a++) {
      const u = kernel.precChol[c * d + a];
      t += u * u * S2[c * d + a];
    }
    return t;
  }
  const u0 = tied ? 0 : c * d * d;
  const s0 = c * d * d;
  const U = m.precChol;
  for (let j = 0; j < d; j++) {
    // Column j of U against S2: sum_a S2_aa u_a^2 + 2 sum_{a<b} S2_ab u_a u_b.
    for (let a = 0; a <= j; a++) {
      const ua = U[u0 + a * d + j];
      t += S2[s0 + a * d + a] * ua * ua;
      for (let b = a + 1; b <= j; b++) t += 2 * S2[s0 + a * d + b] * ua * U[u0 + b * d + j];
    }
  }
  return t;
}

/** The expected weights E[pi_k] into m.weights (scikit-learn's weights_). */
function expectedWeights(m: Variational): void {
  const { k, alpha, beta, weights } = m;
  let total = 0;
  if (m.priorType === 'dirichlet_process') {
    let rest = 1;
    for (let c = 0; c < k; c++) {
      const s = alpha[c] + beta[c];
      weights[c] = (alpha[c] / s) * rest;
      rest *= beta[c] / s;
    }
  } else {
    weights.set(alpha);
  }
  for (let c = 0; c < k; c++) total += weights[c];
  for (let c = 0; c < k; c++) weights[c] /= total;
}

/**
 * Sets m.kernel.logWeights to E[ln pi_k] + const_k, where const_k = -d/2 ln nu_k +
 * 1/2 (d ln 2 + sum_j psi((nu_k - j) / 2) - d / beta_k) turns the Gaussian log-density at the
 * expected precision (what the kernels compute from m's factors) into the expected log-density
 * E[ln N(x | mu_k, Lambda_k)] of scikit-learn's `_estimate_log_prob`. Needs the posterior arrays only.
 */
export function foldExpectations(m: Variational): void {
  const { k, d, alpha, beta, dof, meanPrecision } = m;
  const lw = m.kernel.logWeights;
  if (m.priorType === 'dirichlet_process') {
    let stick = 0;
    for (let c = 0; c < k; c++) {
      const dsum = digamma(alpha[c] + beta[c]);
      lw[c] = digamma(alpha[c]) - dsum + stick;
      stick += digamma(beta[c]) - dsum;
    }
  } else {
    let sum = 0;
    for (let c = 0; c < k; c++) sum += alpha[c];
    const dsum = digamma(sum);
    for (let c = 0; c < k; c++) lw[c] = digamma(alpha[c]) - dsum;
  }
  for (let c = 0; c < k; c++) {
    let logLambda = d * LN2;
    for (let j = 0; j < d; j++) logLambda += digamma(0.5 * (dof[c] - j));
    lw[c] += -0.5 * d * Math.log(dof[c]) + 0.5 * (logLambda - d / meanPrecision[c]);
  }
}
