// The demo page: reads the controls, sends fits to a Web Worker (fit-worker.js) and draws the results.
import { builtin, csvDataset, FAITHFUL_CSV, removeValues } from './datasets.js';
import { COLORS, criterionPlot, displayRows, extent, loglikPlot, scatterPlot, timingPlot, weightsPlot } from './plots.js';
import { drawSample, loadImageFile, paintSegments, rgbPixels } from './segmentation.js';

const $ = (selector) => document.querySelector(selector);

/** A Web Worker running fit-worker.js, with promise-returning tasks; cancel() terminates and restarts it. */
class FitWorker {
  constructor(onHello) {
    this.onHello = onHello;
    this.nextId = 1;
    this.spawn();
  }

  spawn() {
    this.pending = new Map();
    this.worker = new Worker(new URL('./fit-worker.js', import.meta.url), { type: 'module' });
    this.worker.onmessage = ({ data }) => {
      if (data.type === 'hello') return this.onHello?.(data);
      const job = this.pending.get(data.id);
      if (!job) return;
      if (data.type === 'progress') job.onProgress?.(data.info);
      else {
        this.pending.delete(data.id);
        if (data.type === 'result') job.resolve(data.result);
        else job.reject(Object.assign(new Error(data.message), { code: data.code }));
      }
    };
    this.worker.onerror = (event) => {
      event.preventDefault();
      this.failAll(new Error(`The fit worker failed: ${event.message || 'could not load the worker script'}`));
    };
  }

  failAll(err) {
    for (const job of this.pending.values()) job.reject(err);
    this.pending.clear();
  }

  run(task, payload, { transfer = [], onProgress } = {}) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, onProgress });
      this.worker.postMessage({ id, task, payload }, transfer);
    });
  }

  /** Stops whatever runs (terminating the worker also ends the package's own workers) and starts afresh. */
  cancel() {
    this.worker.terminate();
    const err = Object.assign(new Error('Stopped.'), { name: 'AbortError' });
    this.failAll(err);
    this.spawn();
  }
}

let workersAvailable = false;
let firstFitStarted = false;
function hello(info) {
  workersAvailable = info.workers;
  const backend = info.autoBackend === 'wasm' ? 'WASM with SIMD' : info.autoBackend;
  $('#capabilities').textContent =
    `backend 'auto' uses ${backend} here · ${info.cores} logical cores · ` +
    (info.workers ? "the 'workers' option spreads each EM pass over several workers" : "this build has no 'workers' option (fits use one worker)");
  for (const select of document.querySelectorAll('.workers-select')) {
    select.disabled = !info.workers;
    if (!info.workers) select.value = '1';
  }
  // every respawn says hello again (cancel() restarts the worker): only the first one starts a fit
  if (!firstFitStarted) {
    firstFitStarted = true;
    runFit(); // the page opens on a fit of the default controls (Old Faithful), not an empty plot
  }
  document.body.dataset.ready = 'true';
}

const fitWorker = new FitWorker(hello);
const segWorker = new FitWorker();

const workersValue = (v) => (v === 'auto' ? 'auto' : Number(v));
const isAbort = (err) => err?.name === 'AbortError';

// ---------------------------------------------------------------- clustering

const fitForm = $('#fit-form');
const plotWidth = (el, fallback) => Math.max(280, Math.min(el.clientWidth || fallback, 900));

function currentDataset() {
  const key = fitForm.elements.data.value;
  if (key !== 'csv') return builtin(key);
  const text = fitForm.csv.value.trim();
  if (!text) throw new Error('Paste CSV text or choose a file first.');
  return csvDataset(text, 'Your CSV');
}

function fitOptions() {
  const f = fitForm;
  const options = {
    nComponents: Number(f.k.value),
    covarianceType: f.covarianceType.value,
    init: f.init.value,
    backend: f.backend.value,
    seed: Number(f.seed.value),
    maxIter: Number(f.maxIter.value),
  };
  if (workersAvailable) options.workers = workersValue(f.workers.value);
  return options;
}

function show(el, node) {
  el.replaceChildren(node);
}

function setStatus(el, text, error = false) {
  el.textContent = text;
  el.classList.toggle('error', error);
}

function paramsTable(fit) {
  const table = document.createElement('table');
  table.innerHTML = '<tr><th></th><th>weight</th><th>mean x</th><th>mean y</th><th>σ x</th><th>σ y</th><th>ρ</th></tr>';
  fit.means.forEach((m, c) => {
    if (!fit.active[c]) return;
    const S = fit.covariances[c];
    const sx = Math.sqrt(S[0][0]);
    const sy = Math.sqrt(S[1][1]);
    const row = table.insertRow();
    row.innerHTML =
      `<td><span class="swatch" style="background:${COLORS[c % COLORS.length]}"></span>${c + 1}</td>` +
      [fit.weights[c], m[0], m[1], sx, sy, S[0][1] / (sx * sy)].map((v) => `<td>${v.toPrecision(4)}</td>`).join('');
  });
  return table;
}

let fitRun = 0;

async function runFit() {
  const run = ++fitRun;
  fitWorker.cancel(); // a new fit replaces the running one
  const status = $('#fit-status');
  document.body.dataset.fitState = 'running';
  document.body.dataset.selectState = 'idle';
  let dataset;
  try {
    dataset = currentDataset();
  } catch (err) {
    setStatus(status, err.message, true);
    document.body.dataset.fitState = 'error';
    return;
  }
  const options = fitOptions();
  const bayesian = fitForm.model.value === 'bayesian';
  const missingShare = Number(fitForm.missing.value) / 100;
  const monitored = bayesian ? 'lower bound (ELBO)' : 'mean log-likelihood';
  $('#loglik-caption').textContent = bayesian
    ? 'Lower bound (ELBO) per iteration (live); the weights below follow it, bars under 0.01 are switched off'
    : 'Mean log-likelihood per EM iteration (live)';
  $('#weights-figure').hidden = !bayesian;
  $('#weights').replaceChildren();
  const grid = { ...extent(dataset.X, dataset.rows), width: 96, height: 72 };
  const scatterEl = $('#scatter');
  const width = plotWidth(scatterEl, 640);
  show(scatterEl, scatterPlot(dataset, null, { width, height: Math.round(width * 0.72), grid }));
  const drawn = displayRows(dataset.rows).length;
  $('#scatter-sample').textContent = drawn < dataset.rows
    ? ` To stay quick to draw, the plot shows a sample of ${drawn.toLocaleString('en')} of the ${dataset.rows.toLocaleString('en')} points (evenly spaced rows); the fit uses them all.`
    : '';
  $('#stop-note')?.remove();
  $('#fit-stop').disabled = false;

  // (b) the log-likelihood, redrawn at most once per frame while the worker reports iterations
  const live = [];
  let frame = 0;
  let liveWeights = null;
  const drawLive = () => {
    frame = 0;
    if (run !== fitRun) return;
    show($('#loglik'), loglikPlot(live, { width: plotWidth($('#loglik'), 420), live: true, label: monitored, first: bayesian ? 1 : 0 }));
    if (liveWeights) show($('#weights'), weightsPlot(liveWeights, { width: plotWidth($('#weights'), 420) }));
  };
  // the extent and the grid above come from the complete data, so the plot does not jump with p
  let fitX = dataset.X;
  let removedNote = '';
  try {
    if (missingShare > 0) {
      const { X, removed } = removeValues(dataset.X, dataset.rows, missingShare, options.seed);
      fitX = X;
      options.missingValues = 'em';
      removedNote = ` ${removed.toLocaleString('en')} of ${(2 * dataset.rows).toLocaleString('en')} values removed at random (seed ${options.seed}) and fitted with missingValues: 'em'; hollow diamonds are the imputed rows.`;
    }
  } catch (err) {
    setStatus(status, err.message, true);
    document.body.dataset.fitState = 'error';
    return;
  }
  setStatus(status, `Fitting ${dataset.name} (${dataset.rows.toLocaleString('en')} rows)…`);
  const t0 = performance.now();
  try {
    const X = fitX.slice();
    const fit = await fitWorker.run('fit', { X, rows: dataset.rows, cols: 2, options, grid, bayesian }, {
      transfer: [X.buffer],
      onProgress: (info) => {
        const value = bayesian ? info.lowerBound : info.meanLogLikelihood;
        live[info.iter - 1] = value;
        // The Bayesian model reports its weights each iteration: components switch off as the bound rises.
        liveWeights = info.weights ?? null;
        const active = liveWeights ? `, ${liveWeights.filter((w) => w > 0.01).length} of ${liveWeights.length} components active` : '';
        setStatus(status, `Fitting… iteration ${info.iter}, ${monitored} ${value.toFixed(5)}${active}`);
        if (!frame) frame = requestAnimationFrame(drawLive);
      },
    });
    if (run !== fitRun) return;
    if (frame) cancelAnimationFrame(frame);
    // (a) scatter + ellipses + density, and the final history (initial parameters .. final E-step)
    show(scatterEl, scatterPlot(dataset, fit, { width, height: Math.round(width * 0.72), grid, showDensity: fitForm.density.checked }));
    show($('#loglik'), loglikPlot(fit.history, { width: plotWidth($('#loglik'), 420), label: monitored, first: bayesian ? 1 : 0 }));
    show($('#params'), paramsTable(fit));
    if (bayesian) show($('#weights'), weightsPlot(fit.weights, { width: plotWidth($('#weights'), 420) }));
    const warn = fit.fitWarnings.length ? ` Warning: ${fit.fitWarnings.join(' ')}` : '';
    const summary = bayesian
      ? `${fit.effectiveComponents} of ${options.nComponents} components active (weight > 0.01), lower bound ${fit.lowerBound.toFixed(2)}.`
      : `BIC ${fit.bic.toFixed(1)}, AIC ${fit.aic.toFixed(1)}.`;
    setStatus(
      status,
      `${dataset.name}: ${fit.converged ? 'converged' : 'stopped'} after ${fit.nIter} iterations in ${(fit.seconds * 1000).toFixed(1)} ms ` +
        `(${fit.backendName}, ${fit.fitWorkers} worker${fit.fitWorkers > 1 ? 's' : ''}; wall time with messaging ${(performance.now() - t0).toFixed(0)} ms). ` +
        `${summary}${removedNote}${dataset.note ? ' ' + dataset.note : ''}${warn}`,
    );
    document.body.dataset.fitState = 'done';
    document.body.dataset.activeComponents = String(fit.effectiveComponents);
  } catch (err) {
    if (run !== fitRun) return;
    setStatus(status, isAbort(err) ? 'Stopped.' : `Fit failed: ${err.message}`, !isAbort(err));
    document.body.dataset.fitState = isAbort(err) ? 'stopped' : 'error';
    $('#fit-stop').disabled = true;
    return;
  }

  try {
    const payload = () => {
      const X = fitX.slice();
      return [{ X, rows: dataset.rows, cols: 2, options }, { transfer: [X.buffer] }];
    };
    // (d) the same fit timed on both backends
    // the timing task fits GaussianMixture; BIC/AIC over K stay on as the selectModel-style answer to compare with
    if (bayesian) $('#timing').replaceChildren();
    else if (fitForm.timing.checked) {
      const [p, t] = payload();
      const { timings } = await fitWorker.run('timing', p, { ...t, onProgress: ({ partial }) => show($('#timing'), timingPlot(partial, { width: plotWidth($('#timing'), 420) })) });
      if (run !== fitRun) return;
      show($('#timing'), timingPlot(timings, { width: plotWidth($('#timing'), 420) }));
    }
    // (c) BIC and AIC over K = 1..10, the curves growing as the fits finish
    $('#select-choice').replaceChildren();
    if (fitForm.select.checked) {
      document.body.dataset.selectState = 'running';
      const points = [];
      const draw = () => {
        show($('#bic'), criterionPlot(points, 'bic', { width: plotWidth($('#bic'), 520) }));
        show($('#aic'), criterionPlot(points, 'aic', { width: plotWidth($('#aic'), 520) }));
      };
      const [p, t] = payload();
      const selected = await fitWorker.run('select', { ...p, kMax: 10, file: missingShare > 0 ? null : dataset.file }, {
        ...t,
        onProgress: ({ done, total, point }) => {
          setStatus($('#fit-status'), $('#fit-status').textContent.replace(/ \[model selection.*$/, '') + ` [model selection ${done}/${total}]`);
          if (point) {
            points.push(point);
            if (done % 4 === 0 || done === total) draw();
          }
        },
      });
      if (run !== fitRun) return;
      points.splice(0, points.length, ...selected.points);
      draw();
      const { chosen, command } = selected;
      setStatus($('#fit-status'), $('#fit-status').textContent.replace(/ \[model selection.*$/, ''));
      const choice = $('#select-choice');
      choice.replaceChildren(
        `BIC over K = 1..10 chooses K = ${chosen.k}, '${chosen.covarianceType}' (BIC ${chosen.bic.toFixed(1)})` +
          (command ? ', the model the command line chooses: ' : '.'),
      );
      if (command) choice.append(Object.assign(document.createElement('code'), { textContent: command }));
      document.body.dataset.selectState = 'done';
    }
  } catch (err) {
    if (run === fitRun && !isAbort(err)) {
      setStatus($('#fit-status'), `${$('#fit-status').textContent} (comparison failed: ${err.message})`, true);
      document.body.dataset.selectState = 'error';
    }
  } finally {
    if (run === fitRun) $('#fit-stop').disabled = true;
  }
}

fitForm.elements.data.addEventListener('change', (e) => {
  $('#csv-box').hidden = e.target.value !== 'csv';
  if (e.target.value === 'csv' && !fitForm.csv.value) fitForm.csv.value = FAITHFUL_CSV.split('\n').slice(0, 40).join('\n');
});
$('#csv-file').addEventListener('change', async (e) => {
  const file = e.target.files?.[0];
  if (file) fitForm.csv.value = await file.text();
});
$('#fit-button').addEventListener('click', runFit);
$('#fit-stop').addEventListener('click', () => {
  fitRun++;
  fitWorker.cancel();
  setStatus($('#fit-status'), 'Stopped.');
  document.body.dataset.fitState = 'stopped';
  $('#fit-stop').disabled = true;
});

// ---------------------------------------------------------------- image segmentation

const segForm = $('#seg-form');
let source = null; // canvas holding the image to segment

function showOriginal(canvas) {
  source = canvas;
  const view = $('#original');
  view.width = canvas.width;
  view.height = canvas.height;
  view.getContext('2d').drawImage(canvas, 0, 0);
  const seg = $('#segmented');
  seg.width = canvas.width;
  seg.height = canvas.height;
  seg.getContext('2d').clearRect(0, 0, seg.width, seg.height);
  $('#palette').replaceChildren();
  setStatus($('#seg-status'), `${canvas.width} × ${canvas.height} = ${(canvas.width * canvas.height).toLocaleString('en')} pixels.`);
}

let segRun = 0;

async function runSegment() {
  const run = ++segRun;
  segWorker.cancel();
  const status = $('#seg-status');
  const bar = $('#seg-progress');
  const k = Number(segForm.k.value);
  const maxIter = Number(segForm.maxIter.value);
  const options = { nComponents: k, covarianceType: segForm.covarianceType.value, maxIter, tol: 0, seed: 0 };
  if (workersAvailable) options.workers = workersValue(segForm.workers.value);
  const { width, height } = source;
  const pixels = rgbPixels(source);
  document.body.dataset.segState = 'running';
  $('#segment-stop').disabled = false;
  bar.max = maxIter;
  bar.value = 0;
  const t0 = performance.now();
  setStatus(status, `Initialising (k-means) on ${(width * height).toLocaleString('en')} pixels…`);
  try {
    const result = await segWorker.run('segment', { pixels, rows: width * height, options }, {
      transfer: [pixels.buffer],
      onProgress: (info) => {
        bar.value = info.iter;
        setStatus(status, `Iteration ${info.iter} / ${maxIter} · ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      },
    });
    if (run !== segRun) return;
    bar.value = bar.max;
    const palette = paintSegments($('#segmented'), width, height, result.labels, result.means);
    $('#palette').replaceChildren(
      ...palette.map((p, c) => {
        const s = document.createElement('span');
        s.className = 'swatch';
        s.style.background = `rgb(${p.join(',')})`;
        s.title = `rgb(${p.join(', ')}), weight ${result.weights[c].toFixed(3)}`;
        return s;
      }),
    );
    const warn = result.fitWarnings.length ? ` Warning: ${result.fitWarnings.join(' ')}` : '';
    setStatus(
      status,
      `${k} colours, ${result.nIter} iterations: fit ${result.fitSeconds.toFixed(2)} s (${result.backendName}, ` +
        `${result.fitWorkers} worker${result.fitWorkers > 1 ? 's' : ''}), total ${((performance.now() - t0) / 1000).toFixed(2)} s.${warn}`,
    );
    document.body.dataset.segState = 'done';
    document.body.dataset.segK = String(k);
  } catch (err) {
    if (run !== segRun) return;
    setStatus(status, isAbort(err) ? 'Stopped.' : `Segmentation failed: ${err.message}`, !isAbort(err));
    document.body.dataset.segState = isAbort(err) ? 'stopped' : 'error';
  } finally {
    if (run === segRun) $('#segment-stop').disabled = true;
  }
}

$('#sample-button').addEventListener('click', () => showOriginal(drawSample()));
$('#image-file').addEventListener('change', async (e) => {
  const file = e.target.files?.[0];
  if (!file) return;
  try {
    showOriginal(await loadImageFile(file, Number(segForm.maxPixels.value)));
  } catch (err) {
    setStatus($('#seg-status'), `Could not read the image: ${err.message}`, true);
  }
});
$('#segment-button').addEventListener('click', runSegment);
$('#segment-stop').addEventListener('click', () => {
  segRun++;
  segWorker.cancel();
  setStatus($('#seg-status'), 'Stopped.');
  document.body.dataset.segState = 'stopped';
  $('#segment-stop').disabled = true;
});

showOriginal(drawSample());
