// A module Web Worker that runs one fit per message (see run-fit.js).
import { GaussianMixture } from '/dist/index.js';
import { runFit } from './run-fit.js';

self.onmessage = async ({ data: spec }) => {
  try {
    postMessage({ ok: true, result: await runFit(GaussianMixture, spec), scope: self.constructor.name });
  } catch (err) {
    postMessage({ ok: false, error: `${err?.name}: ${err?.message}` });
  }
};
