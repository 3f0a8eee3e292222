// Charts, drawn with Observable Plot (https://observablehq.com/plot/).
import * as Plot from '@observablehq/plot';

export const COLORS = ['#4e79a7', '#f28e2c', '#e15759', '#76b7b2', '#59a14f', '#edc949', '#af7aa1', '#ff9da7', '#9c755f', '#bab0ab'];
const color = (c) => COLORS[c % COLORS.length];

/** Points of the s-sigma ellipse of a 2-D Gaussian (mean m, covariance S). */
export function ellipse(m, S, s, steps = 72) {
  const [a, b, c] = [S[0][0], S[0][1], S[1][1]];
  const mid = (a + c) / 2;
  const rad = Math.sqrt(((a - c) / 2) ** 2 + b * b);
  const l1 = Math.max(mid + rad, 0);
  const l2 = Math.max(mid - rad, 0);
  const theta = 0.5 * Math.atan2(2 * b, a - c);
  const [ct, st] = [Math.cos(theta), Math.sin(theta)];
  const pts = [];
  for (let i = 0; i <= steps; i++) {
    const t = (2 * Math.PI * i) / steps;
    const u = s * Math.sqrt(l1) * Math.cos(t);
    const v = s * Math.sqrt(l2) * Math.sin(t);
    pts.push([m[0] + u * ct - v * st, m[1] + u * st + v * ct]);
  }
  return pts;
}

/** Extent of the data, padded, used for the plot domain and the density grid. */
export function extent(X, rows) {
  let [x1, x2, y1, y2] = [Infinity, -Infinity, Infinity, -Infinity];
  for (let i = 0; i < rows; i++) {
    x1 = Math.min(x1, X[2 * i]);
    x2 = Math.max(x2, X[2 * i]);
    y1 = Math.min(y1, X[2 * i + 1]);
    y2 = Math.max(y2, X[2 * i + 1]);
  }
  const px = (x2 - x1 || 1) * 0.08;
  const py = (y2 - y1 || 1) * 0.08;
  return { x1: x1 - px, x2: x2 + px, y1: y1 - py, y2: y2 + py };
}

/** At most `max` row indices, evenly spread, so big data sets stay quick to draw. */
export function displayRows(rows, max = 4000) {
  const step = Math.max(1, rows / max);
  const idx = [];
  for (let i = 0; i < rows; i += step) idx.push(Math.floor(i));
  return idx;
}

/**
 * The scatter: points coloured by their most likely component (opacity = its responsibility), the
 * 1 and 2 sigma ellipses of every component, and contours of the mixture's log density.
 */
export function scatterPlot(dataset, fit, { width = 640, height = 480, grid, showDensity = true } = {}) {
  const idx = displayRows(dataset.rows);
  // a fit with missing values places every row at impute(X); rows that lost a value are drawn apart
  const X = fit?.imputed ?? dataset.X;
  const all = idx.map((i) => ({
    x: X[2 * i],
    y: X[2 * i + 1],
    c: fit ? fit.label[i] : -1,
    p: fit ? fit.confidence[i] : 1,
    imputed: fit?.imputed ? fit.wasMissing[i] === 1 : false,
  }));
  const points = all.filter((d) => !d.imputed);
  const imputed = all.filter((d) => d.imputed);
  const marks = [];
  if (fit && showDensity) {
    let top = -Infinity;
    for (const v of fit.density) if (v > top) top = v;
    marks.push(
      Plot.contour(fit.density, {
        x1: grid.x1, x2: grid.x2, y1: grid.y1, y2: grid.y2, width: grid.width, height: grid.height,
        thresholds: Array.from({ length: 9 }, (_, i) => top - 9 + i + 0.5),
        stroke: '#888', strokeOpacity: 0.55, strokeWidth: 0.8, fill: null, className: 'density',
      }),
    );
  }
  marks.push(
    Plot.dot(points, {
      x: 'x', y: 'y', r: 2.2,
      fill: (d) => (d.c < 0 ? '#777' : color(d.c)),
      fillOpacity: (d) => 0.15 + 0.85 * d.p,
      className: 'points',
    }),
  );
  if (imputed.length) {
    marks.push(
      Plot.dot(imputed, {
        x: 'x', y: 'y', r: 3.2, symbol: 'diamond', fill: 'none', strokeWidth: 1.3,
        stroke: (d) => color(d.c),
        className: 'imputed',
      }),
    );
  }
  if (fit) {
    const rings = [];
    // a switched-off component of the Bayesian mixture keeps a mean and covariance near the prior's: not drawn
    const shown = fit.means.map((m, c) => ({ m, c })).filter(({ c }) => fit.active[c]);
    shown.forEach(({ m, c }) => {
      for (const s of [1, 2]) ellipse(m, fit.covariances[c], s).forEach(([x, y]) => rings.push({ x, y, c, s, key: `${c}-${s}` }));
    });
    marks.push(
      Plot.line(rings, { x: 'x', y: 'y', z: 'key', stroke: (d) => color(d.c), strokeWidth: (d) => (d.s === 1 ? 2 : 1.2), strokeDasharray: (d) => (d.s === 2 ? '5,3' : null), className: 'ellipses' }),
      Plot.dot(shown.map(({ m, c }) => ({ x: m[0], y: m[1], c, w: fit.weights[c] })), {
        x: 'x', y: 'y', symbol: 'plus', r: 6, stroke: '#111', strokeWidth: 2,
        title: (d) => `component ${d.c + 1}\nweight ${d.w.toFixed(3)}\nmean (${d.x.toPrecision(4)}, ${d.y.toPrecision(4)})`,
        className: 'means',
      }),
    );
  }
  return Plot.plot({
    width, height, grid: true,
    x: { label: dataset.xLabel, domain: [grid.x1, grid.x2] },
    y: { label: dataset.yLabel, domain: [grid.y1, grid.y2] },
    marks,
  });
}

/**
 * A monitored value per iteration: GaussianMixture's mean log-likelihood (index 0 = the initial
 * parameters) or, with `label: 'lower bound (ELBO)'`, BayesianGaussianMixture's lower bound.
 */
export function loglikPlot(history, { width = 420, height = 240, live = false, label = 'mean log-likelihood', first = 0 } = {}) {
  const pts = history.map((L, i) => ({ iteration: i + first, L }));
  return Plot.plot({
    width, height, grid: true, marginLeft: 64,
    x: { label: 'EM iteration', domain: pts.length > 1 ? undefined : [first, first + 1] },
    y: { label, nice: true, zero: false },
    marks: [
      Plot.line(pts, { x: 'iteration', y: 'L', stroke: '#4e79a7', className: 'loglik' }),
      Plot.dot(pts, { x: 'iteration', y: 'L', r: 2.5, fill: live ? '#e15759' : '#4e79a7', tip: true }),
    ],
  });
}

/** The weights of a Bayesian mixture as bars, the active ones (weight > threshold) in their component's colour. */
export function weightsPlot(weights, { width = 420, height = 180, threshold = 0.01 } = {}) {
  const bars = weights.map((w, c) => ({ c: c + 1, w, active: w > threshold }));
  const active = bars.filter((b) => b.active).length;
  return Plot.plot({
    width, height, marginLeft: 48,
    x: { label: `component (${active} of ${weights.length} with weight > ${threshold})`, domain: bars.map((b) => b.c) },
    y: { label: 'weight', domain: [0, 1], grid: true },
    marks: [
      Plot.barY(bars, { x: 'c', y: 'w', fill: (d) => (d.active ? color(d.c - 1) : '#ccc'), className: 'weights' }),
      Plot.text(bars, { x: 'c', y: 'w', text: (d) => (d.w < 0.001 ? '<0.001' : d.w.toFixed(3)), dy: -8, fontSize: 9 }),
      Plot.ruleY([threshold], { stroke: '#e15759', strokeDasharray: '4,3' }),
      Plot.ruleY([0]),
    ],
  });
}

const TYPE_COLORS = { domain: ['full', 'tied', 'diag', 'spherical'], range: ['#4e79a7', '#f28e2c', '#59a14f', '#af7aa1'] };

/**
 * BIC or AIC against K for the four covariance types, each curve drawn relative to its own minimum
 * (the types differ by far more than K changes them, so on a shared absolute axis they would read as
 * flat lines), on a symlog axis so both the steep drop from K = 1 and the small differences near each
 * minimum stay visible. The minimum of each curve is ringed; the overall best is named with its value.
 */
export function criterionPlot(points, criterion, { width = 420, height = 260 } = {}) {
  const ok = points.filter((p) => Number.isFinite(p[criterion]));
  const best = TYPE_COLORS.domain
    .map((t) => ok.filter((p) => p.covarianceType === t).reduce((a, b) => (b[criterion] < (a?.[criterion] ?? Infinity) ? b : a), null))
    .filter(Boolean);
  const minOf = new Map(best.map((b) => [b.covarianceType, b[criterion]]));
  const rel = ok.map((p) => ({ ...p, delta: p[criterion] - minOf.get(p.covarianceType) }));
  const overall = best.reduce((a, b) => (b[criterion] < a[criterion] ? b : a), best[0]);
  // symlog's own ticks crowd at the top and leave the bottom bare: 0, 1, 2, 5, 10, 20, 50, ... instead
  const top = Math.max(1, ...rel.map((p) => p.delta));
  const ticks = [0];
  for (let e = 1; e <= top; e *= 10) for (const m of [1, 2, 5]) if (m * e <= top) ticks.push(m * e);
  const name = criterion.toUpperCase();
  return Plot.plot({
    width, height, grid: true, marginLeft: 64,
    color: { ...TYPE_COLORS, legend: true },
    x: { label: 'K (components)', ticks: 10, domain: [1, 10] },
    y: { label: `${name} − its type's minimum (symlog axis; lower is better)`, type: 'symlog', ticks },
    marks: [
      Plot.line(rel, { x: 'k', y: 'delta', stroke: 'covarianceType', className: criterion }),
      Plot.dot(rel, { x: 'k', y: 'delta', r: 3, stroke: 'covarianceType', fill: 'white', title: (d) => `${d.covarianceType}, K=${d.k}: ${name} ${d[criterion].toFixed(1)}` }),
      Plot.dot(best, { x: 'k', y: 0, r: 7, stroke: 'covarianceType', strokeWidth: 2 }),
      overall
        ? Plot.text([overall], { x: 'k', y: 0, text: (d) => `best: K=${d.k}, ${d.covarianceType} (${name} ${d[criterion].toFixed(1)})`, dy: -14, fontWeight: 'bold' })
        : null,
    ],
  });
}

/** Fit time per backend, side by side. */
export function timingPlot(timings, { width = 420, height = 120 } = {}) {
  const ms = timings.map((t) => ({ ...t, ms: t.seconds * 1000 }));
  return Plot.plot({
    width, height, marginLeft: 90, marginRight: 100,
    x: { label: 'fit time (ms, median)', grid: true, nice: true },
    y: { label: null, domain: ms.map((t) => t.backend) },
    marks: [
      Plot.barX(ms, { x: 'ms', y: 'backend', fill: (d) => (d.backend === 'js' ? '#f28e2c' : '#4e79a7'), className: 'timing' }),
      Plot.text(ms, { x: 'ms', y: 'backend', text: (d) => `${d.ms < 10 ? d.ms.toFixed(2) : d.ms.toFixed(0)} ms (x${d.repeats})`, dx: 4, textAnchor: 'start' }),
      Plot.ruleX([0]),
    ],
  });
}
