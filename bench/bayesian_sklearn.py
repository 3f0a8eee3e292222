"""scikit-learn's BayesianGaussianMixture timed as bench/bayesian.mjs times gmm-wasm (see there).

usage: bayesian_sklearn.py X.f64 labels.i32 n d k covariance t1 t2 repeats
Starts from scikit-learn's own _initialize with the one-hot responsibilities of the labels; prints
{"secPerIter": median over repeats of (time(t2) - time(t1)) / (t2 - t1)}.
"""
import json
import sys
import time

import numpy as np
from sklearn.mixture import BayesianGaussianMixture

x_file, label_file, n, d, k, cov, t1, t2, repeats = sys.argv[1:]
n, d, k, t1, t2, repeats = int(n), int(d), int(k), int(t1), int(t2), int(repeats)
X = np.fromfile(x_file, dtype="<f8").reshape(n, d)
labels = np.fromfile(label_file, dtype="<i4")
resp = np.zeros((n, k))
resp[np.arange(n), labels] = 1.0


class FromLabels(BayesianGaussianMixture):
    def _initialize_parameters(self, X, random_state):
        self._initialize(X, resp)


def timed(iters):
    m = FromLabels(n_components=k, covariance_type=cov, reg_covar=1e-6, tol=0, max_iter=iters)
    t0 = time.perf_counter()
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m.fit(X)
    return time.perf_counter() - t0


timed(t1)
samples = []
for _ in range(repeats):
    a = timed(t1)
    b = timed(t2)
    samples.append((b - a) / (t2 - t1))
print(json.dumps({"secPerIter": float(np.median(samples))}))
