// Compiled by test/types.test.ts: must type-check.
import { GaussianMixture } from '../../src/index.js';

const full = new GaussianMixture({ nComponents: 2, covarianceType: 'full' });
const a: number = full.covariances[0][0][0];
const vev = new GaussianMixture({ covarianceType: 'VEV' });
const b: number = vev.precisionsCholesky[1][0][1];
const tied = new GaussianMixture({ covarianceType: 'tied' });
const c: number = tied.covariances[0][1];
const diag = new GaussianMixture({ covarianceType: 'diag' });
const e: number = diag.covariances[0][1];
const spherical = new GaussianMixture({ covarianceType: 'spherical' });
const f: number = spherical.covariances[0];
const unknown = GaussianMixture.fromJSON('{}');
const g: number[] | number[][] | number[][][] = unknown.covariances;
export { a, b, c, e, f, g };
