// Compiled by test/types.test.ts: every line marked BAD must be a type error.
import { GaussianMixture } from '../../src/index.js';

const spherical = new GaussianMixture({ covarianceType: 'spherical' });
const x: number = spherical.covariances[0][0]; // BAD: spherical covariances are k numbers
const diag = new GaussianMixture({ covarianceType: 'diag' });
const y: number = diag.covariances[0][0][0]; // BAD: diag is k x d
const unknown = GaussianMixture.fromJSON('{}');
const z: number = unknown.covariances[0][0][0]; // BAD: the type is not known statically
export { x, y, z };
