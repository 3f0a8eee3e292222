/**
 * An SVG picture of a fit: the rows as points coloured by cluster, each component's mean and its 1σ
 * and 2σ ellipses. Two columns are drawn as they are; more are projected on the data's first two
 * principal components (the same projection for points, means and covariances). Large data are
 * drawn from an evenly spaced sample of rows, and the caption says so.
 */
import { symmetricEigen } from '../eigen.js';

/** At most this many points are drawn (an SVG with 200 000 circles is too heavy to open). */
const MAX_POINTS = 5000;
const WIDTH = 640;
const HEIGHT = 480;
const MARGIN = 48;
const COLOURS = ['#4269d0', '#efb118', '#ff725c', '#6cc5b0', '#3ca951', '#ff8ab7', '#a463f2', '#97bbf5', '#9c6b4e', '#9498a0'];

export interface PlotInput {
  /** Row-major rows x cols. */
  data: Float64Array;
  rows: number;
  cols: number;
  columns: string[];
  labels: ArrayLike<number>;
  means: number[][];
  /** Full k x d x d covariances, row-major per component. */
  covariances: Float64Array;
  title: string;
}

/** The 2 x d projection: the identity for d <= 2, else the two leading principal axes. */
function projection(data: Float64Array, n: number, d: number): { axes: Float64Array; centre: Float64Array; names: string[] | null } {
  const centre = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) centre[j] += data[i * d + j] / n;
  const axes = new Float64Array(2 * d);
  if (d <= 2) {
    axes[0] = 1;
    if (d === 2) axes[d + 1] = 1;
    return { axes, centre: new Float64Array(d), names: null };
  }
  const C = new Float64Array(d * d);
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < d; a++) {
      const xa = data[i * d + a] - centre[a];
      for (let b = a; b < d; b++) C[a * d + b] += (xa * (data[i * d + b] - centre[b])) / n;
    }
  }
  const values = new Float64Array(d);
  const vectors = new Float64Array(d * d);
  symmetricEigen(C, 0, d, values, vectors);
  for (let j = 0; j < d; j++) {
    axes[j] = vectors[j * d];
    axes[d + j] = vectors[j * d + 1];
  }
  const total = values.reduce((s, v) => s + v, 0);
  const pct = (v: number): string => `${((100 * v) / total).toFixed(0)}%`;
  return { axes, centre, names: [`PC1 (${pct(values[0])} of variance)`, `PC2 (${pct(values[1])})`] };
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const num = (x: number): string => (Math.round(x * 100) / 100).toString();

/** The SVG document for `p`. */
export function scatterSvg(p: PlotInput): string {
  const { data, rows: n, cols: d } = p;
  const { axes, centre, names } = projection(data, n, d);
  const project = (row: ArrayLike<number>, offset: number): [number, number] => {
    let u = 0;
    let v = 0;
    for (let j = 0; j < d; j++) {
      const x = row[offset + j] - centre[j];
      u += axes[j] * x;
      v += axes[d + j] * x;
    }
    return [u, v];
  };
  const step = Math.max(1, Math.ceil(n / MAX_POINTS));
  const points: { u: number; v: number; c: number }[] = [];
  for (let i = 0; i < n; i += step) {
    const [u, v] = project(data, i * d);
    points.push({ u, v, c: p.labels[i] });
  }
  // Each component's 2 x 2 covariance in the plot's coordinates, A Sigma A^T, and its ellipse axes.
  const ellipses = p.means.map((mean, c) => {
    const [u, v] = project(mean, 0);
    const S = [0, 0, 0];
    const o = c * d * d;
    for (let a = 0; a < d; a++) {
      for (let b = 0; b < d; b++) {
        const s = p.covariances[o + a * d + b];
        S[0] += axes[a] * s * axes[b];
        S[1] += axes[a] * s * axes[d + b];
        S[2] += axes[d + a] * s * axes[d + b];
      }
    }
    if (d === 1) S[2] = 0;
    const values = new Float64Array(2);
    const vectors = new Float64Array(4);
    symmetricEigen([S[0], S[1], S[1], S[2]], 0, 2, values, vectors);
    return { u, v, r1: Math.sqrt(Math.max(values[0], 0)), r2: Math.sqrt(Math.max(values[1], 0)), angle: Math.atan2(vectors[2], vectors[0]) };
  });

  let [umin, umax, vmin, vmax] = [Infinity, -Infinity, Infinity, -Infinity];
  for (const q of points) {
    umin = Math.min(umin, q.u);
    umax = Math.max(umax, q.u);
    vmin = Math.min(vmin, q.v);
    vmax = Math.max(vmax, q.v);
  }
  if (umax === umin) [umin, umax] = [umin - 1, umax + 1];
  if (vmax === vmin) [vmin, vmax] = [vmin - 1, vmax + 1];
  const sx = (WIDTH - 2 * MARGIN) / (umax - umin);
  const sy = (HEIGHT - 2 * MARGIN) / (vmax - vmin);
  const X = (u: number): number => MARGIN + (u - umin) * sx;
  const Y = (v: number): number => HEIGHT - MARGIN - (v - vmin) * sy;
  const colour = (c: number): string => COLOURS[c % COLOURS.length];

  const xName = names ? names[0] : p.columns[0];
  const yName = names ? names[1] : (p.columns[1] ?? '');
  const sampled = step > 1 ? `, every ${step}th of ${n} rows drawn` : '';
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`,
    `<text x="${MARGIN}" y="20" font-size="14">${esc(p.title)}${esc(sampled)}</text>`,
    `<rect x="${MARGIN}" y="${MARGIN}" width="${WIDTH - 2 * MARGIN}" height="${HEIGHT - 2 * MARGIN}" fill="none" stroke="#ccc"/>`,
    `<text x="${WIDTH / 2}" y="${HEIGHT - 12}" text-anchor="middle">${esc(xName)}</text>`,
    `<text transform="translate(14 ${HEIGHT / 2}) rotate(-90)" text-anchor="middle">${esc(yName)}</text>`,
    `<text x="${MARGIN}" y="${HEIGHT - MARGIN + 16}">${num(umin)}</text>`,
    `<text x="${WIDTH - MARGIN}" y="${HEIGHT - MARGIN + 16}" text-anchor="end">${num(umax)}</text>`,
    `<text x="${MARGIN - 4}" y="${HEIGHT - MARGIN}" text-anchor="end">${num(vmin)}</text>`,
    `<text x="${MARGIN - 4}" y="${MARGIN + 10}" text-anchor="end">${num(vmax)}</text>`,
    '<g class="points" fill-opacity="0.6">',
  ];
  for (const q of points) out.push(`<circle cx="${num(X(q.u))}" cy="${num(Y(q.v))}" r="2" fill="${colour(q.c)}"/>`);
  out.push('</g>', '<g class="components" fill="none" stroke-width="1.5">');
  ellipses.forEach((e, c) => {
    // Drawn in data units (x and y scale differently), y up, under one matrix: the rotation is the data's angle.
    const deg = (e.angle * 180) / Math.PI;
    for (const k of [1, 2]) {
      out.push(
        `<ellipse class="component-${c}" transform="matrix(${sx} 0 0 ${-sy} ${num(X(e.u))} ${num(Y(e.v))}) rotate(${deg})" ` +
          `rx="${k * e.r1}" ry="${k * e.r2}" stroke="${colour(c)}" vector-effect="non-scaling-stroke"${k === 2 ? ' stroke-dasharray="4 3"' : ''}/>`,
      );
    }
    out.push(`<circle cx="${num(X(e.u))}" cy="${num(Y(e.v))}" r="4" fill="${colour(c)}" stroke="black"/>`);
  });
  out.push('</g>', '</svg>', '');
  return out.join('\n');
}
