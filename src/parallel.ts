/**
 * Parallel EM passes: the rows are split into contiguous shards, each loaded once into its own worker
 * (a Web Worker in browsers, a worker_threads Worker in Node) with its own backend — a WebAssembly
 * instance created from the one compiled module posted to it, or the JS backend. Every iteration the
 * main thread posts the kernel parameters, each worker runs the fused pass over its shard and posts
 * back its sufficient statistics (buffers transferred both ways), and the statistics are added up:
 * they are sums over rows, so the M-step sees the same numbers as a single pass (up to the order of
 * floating-point additions). Initialisation, the M-step and the final E-step stay on the main thread.
 *
 * The worker script is `./worker.js` next to this file, located with
 * `new Worker(new URL('./worker.js', import.meta.url), { type: 'module' })` — the pattern Vite and
 * webpack 5 recognise, so it is bundled with the package without any consumer configuration. Node
 * (which has no global Worker before v22) loads `node:worker_threads` by a dynamic import that bundlers
 * are told to leave alone, so this module has no Node-only static import.
 */
import type { KernelFamily, Matrix } from './types.js';
import type { BackendName, KernelParams, Stats } from './backend/types.js';
import { SufficientStatistics } from './statistics.js';
import type { PassEngine } from './em.js';
import { compileModule } from './wasm/loader.js';
import { GaussianMixtureError, abortError, describe } from './errors.js';
import type { MatrixSource } from './input.js';
import { copyRows, denseSource } from './input.js';
import type { WorkerReply, WorkerRequest, SerializedError } from './worker.js';

/** A pass engine backed by workers; `close()` terminates them (idempotent). */
export interface ShardedEngine extends PassEngine {
  /** Number of workers (shards). */
  readonly size: number;
  close(): Promise<void>;
}

let liveWorkers = 0;

/**
 * Number of worker threads gmm-wasm has started and not yet seen terminate (0 between fits).
 * A diagnostic for tests and leak checks.
 */
export function activeWorkerCount(): number {
  return liveWorkers;
}

interface NodeLike {
  process?: { versions?: { node?: string } };
  navigator?: { hardwareConcurrency?: number };
  Worker?: unknown;
}
const G = globalThis as unknown as NodeLike;

function isNode(): boolean {
  return typeof G.process === 'object' && G.process !== null && typeof G.process.versions?.node === 'string';
}

/** Hidden from bundlers: the specifier is not a literal, and the comments tell them to leave it. */
async function importNode<T>(name: string): Promise<T> {
  const specifier = `node:${name}`;
  return (await import(/* webpackIgnore: true */ /* @vite-ignore */ specifier)) as T;
}

/** `workers: 'auto'`: navigator.hardwareConcurrency, or os.availableParallelism() in Node; at least 1. */
export async function resolveWorkerCount(option: number | 'auto'): Promise<number> {
  return option === 'auto' ? coreCount() : option;
}

/** navigator.hardwareConcurrency, or os.availableParallelism() in Node; 1 when neither is known. */
export async function coreCount(): Promise<number> {
  const hc = G.navigator?.hardwareConcurrency;
  if (typeof hc === 'number' && hc >= 1) return Math.floor(hc);
  if (isNode()) {
    try {
      const os = await importNode<{ availableParallelism?: () => number; cpus: () => unknown[] }>('os');
      const n = os.availableParallelism ? os.availableParallelism() : os.cpus().length;
      if (Number.isInteger(n) && n >= 1) return n;
    } catch {
      // fall through
    }
  }
  return 1;
}

/**
 * Fewest rows a worker's shard gets: 8 kernel blocks of 8 rows. Each iteration costs a worker one
 * round trip (parameters posted, statistics posted back: ~0.1 ms), while a shard this small takes a
 * few microseconds, so a further worker for fewer rows only adds messages (workers: 1000 on 40 rows
 * starts none). Larger shards are where workers pay off (see bench/anchors.mjs --workers), but this
 * cap only removes the workers that cannot help at all.
 */
export const MIN_ROWS_PER_WORKER = 64;

/**
 * The number of workers a fit of `rows` rows uses for the `workers` option: at most the cores
 * (threads beyond them only share them) and at least MIN_ROWS_PER_WORKER rows each; 1 means the
 * calling thread. An explicit number that is capped adds a warning saying why. `rows` Infinity:
 * capped at the cores only.
 */
export async function usefulWorkerCount(option: number | 'auto', rows: number, warnings: string[]): Promise<number> {
  const requested = await resolveWorkerCount(option);
  if (requested < 2) return requested;
  const cores = await coreCount();
  const byRows = Math.max(1, Math.floor(rows / MIN_ROWS_PER_WORKER));
  const n = Math.min(requested, cores, byRows);
  if (n < requested && option !== 'auto') {
    const why = [
      ...(cores < requested ? [`this machine has ${cores} core${cores === 1 ? '' : 's'}`] : []),
      ...(byRows < requested ? [`X has ${rows} rows and a worker needs at least ${MIN_ROWS_PER_WORKER}`] : []),
    ];
    warnings.push(`workers: ${requested} was requested, but ${why.join(' and ')}, so the fit used ${n === 1 ? 'one thread' : `${n} workers`}.`);
  }
  return n;
}

/** One worker as the pool sees it, whatever the platform. */
interface Port {
  post(msg: WorkerRequest, transfer: Transferable[]): void;
  terminate(): Promise<void>;
}

interface PortEvents {
  message(msg: WorkerReply): void;
  /** The worker failed outside the protocol (script did not load, uncaught error, exited). */
  failure(err: Error): void;
}

type Spawn = (events: PortEvents) => Port;

interface NodeWorker {
  on(event: 'message', f: (m: WorkerReply) => void): void;
  on(event: 'error', f: (e: unknown) => void): void;
  on(event: 'messageerror', f: (e: unknown) => void): void;
  on(event: 'exit', f: (code: number) => void): void;
  postMessage(m: unknown, transfer?: readonly unknown[]): void;
  terminate(): Promise<number>;
}

/** Counts a started worker; the returned function uncounts it exactly once. */
function track(): () => void {
  liveWorkers++;
  let done = false;
  return () => {
    if (!done) {
      done = true;
      liveWorkers--;
    }
  };
}

let customWorkerUrl: URL | string | null = null;

/**
 * Where the worker script is, when it is not `./worker.js` next to this module: for bundlers that do
 * not follow `new URL('./worker.js', import.meta.url)` (esbuild; the script is exported as
 * 'gmm-wasm/worker'), a CDN, or a copy served elsewhere. A module worker URL (browsers) or a file URL
 * (Node). null restores the default. Applies to every later fit, model selection and chunk source:
 * where the script lives is a property of the deployment, not of a model.
 */
export function setWorkerUrl(url: URL | string | null): void {
  if (url !== null && typeof url !== 'string' && !(url instanceof URL)) {
    throw new TypeError(`setWorkerUrl expects a URL, a string or null, got ${describe(url)}.`);
  }
  customWorkerUrl = url;
}

function spawnWeb(events: PortEvents): Port {
  // Keep this expression literally as it is: bundlers detect `new Worker(new URL('...', import.meta.url))`.
  const worker = customWorkerUrl !== null ? new Worker(customWorkerUrl, { type: 'module' }) : new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
  const untrack = track();
  worker.onmessage = (e: MessageEvent<WorkerReply>) => events.message(e.data);
  worker.onerror = (e: ErrorEvent) => {
    e.preventDefault();
    events.failure(new Error(e.message || 'the worker script failed to load or threw'));
  };
  worker.onmessageerror = () => events.failure(new Error('a message from the worker could not be deserialised'));
  return {
    post: (msg, transfer) => worker.postMessage(msg, transfer),
    terminate: async () => {
      worker.terminate();
      untrack();
    },
  };
}

function nodeSpawner(WorkerCtor: new (url: URL) => NodeWorker): Spawn {
  // Not the literal bundler pattern on purpose: this branch only runs in Node, from dist/. The magic
  // comment keeps webpack from treating the expression as a dependency ("Critical dependency").
  const file = './worker.js';
  const url = new URL(/* webpackIgnore: true */ file, import.meta.url);
  return (events) => {
    const worker = new WorkerCtor(customWorkerUrl !== null ? new URL(customWorkerUrl) : url);
    const untrack = track();
    let exited = false;
    const gone = new Promise<void>((resolve) => {
      worker.on('exit', (code) => {
        exited = true;
        untrack();
        resolve();
        events.failure(new Error(`the worker exited (code ${code})`));
      });
    });
    worker.on('message', (m) => events.message(m));
    worker.on('error', (e) => events.failure(e instanceof Error ? e : new Error(String(e))));
    worker.on('messageerror', () => events.failure(new Error('a message from the worker could not be deserialised')));
    return {
      post: (msg, transfer) => worker.postMessage(msg, transfer),
      terminate: async () => {
        if (!exited) await worker.terminate();
        await gone;
      },
    };
  };
}

/** How to start a worker here, or why it cannot be done. */
async function spawner(): Promise<Spawn | string> {
  if (typeof G.Worker === 'function') return spawnWeb;
  if (isNode()) {
    try {
      const wt = await importNode<{ Worker: new (url: URL) => NodeWorker }>('worker_threads');
      return nodeSpawner(wt.Worker);
    } catch (err) {
      return `node:worker_threads could not be loaded (${(err as Error)?.message ?? String(err)})`;
    }
  }
  return 'this environment has no Worker';
}

/** A load failure before the worker answered its first message: we fall back to one thread. */
class StartupFailure extends Error {}

function revive(e: SerializedError): Error {
  if (e.code) return new GaussianMixtureError(e.code as GaussianMixtureError['code'], e.message);
  const err = e.name === 'RangeError' ? new RangeError(e.message) : e.name === 'TypeError' ? new TypeError(e.message) : new Error(e.message);
  if (e.name && err.name !== e.name) err.name = e.name;
  return err;
}

interface Slot {
  resolve(reply: WorkerReply): void;
  reject(err: unknown): void;
}

/** One worker as the pool uses it: one request in flight at a time. */
class Shard {
  ready = false;
  failed: Error | null = null;
  pending: Slot | null = null;
  readonly port: Port;

  constructor(spawn: Spawn) {
    this.port = spawn({
      message: (m) => {
        const slot = this.pending;
        this.pending = null;
        if (!slot) return;
        if (m.type === 'error') slot.reject(revive(m.error));
        else slot.resolve(m);
      },
      failure: (err) => this.fail(this.ready ? new Error(`gmm-wasm worker failed: ${err.message}`) : new StartupFailure(err.message)),
    });
  }

  fail(err: Error): void {
    if (this.failed === null) this.failed = err;
    const slot = this.pending;
    this.pending = null;
    slot?.reject(err);
  }

  /** A message the worker does not answer, which may come while a request is in flight. */
  notify(msg: WorkerRequest): void {
    if (!this.failed) this.port.post(msg, []);
  }

  request(msg: WorkerRequest, transfer: Transferable[]): Promise<WorkerReply> {
    if (this.failed) return Promise.reject(this.failed);
    return new Promise<WorkerReply>((resolve, reject) => {
      this.pending = { resolve, reject };
      try {
        this.port.post(msg, transfer);
      } catch (err) {
        this.pending = null;
        reject(err);
      }
    });
  }
}

export interface PoolConfig {
  /** Workers to start (>= 2). */
  workers: number;
  /** The main backend's name: the workers run the same kernels. */
  backend: BackendName;
  signal?: AbortSignal;
  /** Receives a message when workers were requested but the work falls back to one thread. */
  warnings: string[];
  /** The first message to worker i (its data), with the buffers to transfer; the compiled module is added. */
  init(i: number, module: WebAssembly.Module | null): { msg: WorkerRequest; transfer: Transferable[] };
}

/**
 * A started set of workers, each initialised with its first message. `race` awaits a batch of
 * requests (rejecting at once on abort); `close` terminates them all (idempotent).
 */
export class WorkerPool {
  private closed: Promise<void> | null = null;
  private readonly onAbort: () => void;

  constructor(
    readonly shards: Shard[],
    private readonly signal: AbortSignal | undefined,
  ) {
    this.onAbort = () => {
      for (const s of this.shards) s.fail(abortError(this.signal!) as Error);
    };
    signal?.addEventListener('abort', this.onAbort);
  }

  get size(): number {
    return this.shards.length;
  }

  /**
   * Awaits all, rejecting as soon as one rejects (and at once when aborted). Promise.all observes every
   * request, so the ones that fail after the first (closing the pool fails them all) are never
   * unhandled rejections — which would end a Node process.
   */
  async race<T>(work: Promise<T>[]): Promise<T[]> {
    const all = Promise.all(work);
    if (this.signal?.aborted || this.closed) {
      all.catch(() => undefined);
      if (this.signal?.aborted) throw abortError(this.signal);
      throw new Error('gmm-wasm: the worker pool is closed');
    }
    return all;
  }

  close(): Promise<void> {
    if (this.closed === null) {
      this.signal?.removeEventListener('abort', this.onAbort);
      for (const s of this.shards) s.fail(new Error('gmm-wasm: the worker pool is closed'));
      this.closed = Promise.all(this.shards.map((s) => s.port.terminate().catch(() => undefined))).then(() => undefined);
    }
    return this.closed;
  }
}

/** Workers started ahead of their pool (prestartWorkers), which the next startPool takes first. */
const spares: Shard[] = [];

/**
 * Starts `workers` workers now, before their pool has any data to send them, so that their start (a
 * thread, the worker script's modules) overlaps work this thread still has to do, as the CLI reading
 * its file. The next startPool takes them first; releaseSpareWorkers ends those it did not take. Does
 * nothing where workers cannot be started (startPool then says why).
 */
export async function prestartWorkers(workers: number): Promise<void> {
  const spawn = await spawner();
  if (typeof spawn === 'string') return;
  for (let i = 0; i < workers; i++) spares.push(new Shard(spawn));
}

/** Ends the prestarted workers that no pool took (they would keep a Node process alive). */
export async function releaseSpareWorkers(): Promise<void> {
  await Promise.all(spares.splice(0).map((s) => s.port.terminate().catch(() => undefined)));
}

/**
 * Starts `workers` workers (prestarted ones first) and sends each its init message. Returns null —
 * after pushing a warning — when workers cannot be started here; the caller then works on its own
 * thread. Throws when aborted or when a worker rejects its init message (for instance, out of memory).
 */
export async function startPool(cfg: PoolConfig): Promise<WorkerPool | null> {
  const fallback = (why: string): null => {
    cfg.warnings.push(`workers: ${cfg.workers} was requested, but workers are unavailable (${why}); the fit ran on one thread.`);
    return null;
  };
  const spawn = await spawner();
  if (typeof spawn === 'string') return fallback(spawn);
  const module = cfg.backend === 'js' ? null : await compileModule(cfg.backend === 'wasm' ? 'simd' : 'scalar');
  const shards: Shard[] = [];
  const pool = new WorkerPool(shards, cfg.signal);
  try {
    for (let i = 0; i < cfg.workers; i++) shards.push(spares.shift() ?? new Shard(spawn));
  } catch (err) {
    await pool.close();
    return fallback((err as Error)?.message ?? String(err));
  }
  try {
    const ready = shards.map((shard, i) => {
      const { msg, transfer } = cfg.init(i, module);
      return shard.request(msg, transfer).then(() => {
        shard.ready = true;
      });
    });
    await pool.race(ready);
  } catch (err) {
    await pool.close();
    if (err instanceof StartupFailure) return fallback(err.message);
    throw err;
  }
  return pool;
}

export interface ShardedEngineConfig {
  /** Resolved worker count (>= 2 to start workers). */
  workers: number;
  /** The main backend's name: the workers run the same kernels. */
  backend: BackendName;
  /** All rows: a dense matrix or a MatrixSource, whose shards are gathered (and widened) for the workers. */
  data: Matrix<Float64Array> | Matrix<Float32Array> | MatrixSource;
  weights: Float64Array | null;
  k: number;
  family: KernelFamily;
  /** Whether `data` has missing entries (NaN): the workers then run the incomplete-data pass (missing.ts). */
  missing?: boolean;
  signal?: AbortSignal;
  /** Receives a message when workers were requested but the fit falls back to one thread. */
  warnings: string[];
}

/**
 * Starts `workers` workers (capped at the number of rows), each with a contiguous shard of the rows.
 * Returns null when fewer than two workers are wanted, or when workers cannot be started here (see
 * startPool); the caller then runs the passes on its own backend.
 */
export async function createShardedEngine(cfg: ShardedEngineConfig): Promise<ShardedEngine | null> {
  const n = Math.min(cfg.workers, cfg.data.rows);
  if (n < 2) return null;
  const { data, weights, k, family } = cfg;
  const { rows, cols: d } = data;
  const source = 'blocks' in data ? data : denseSource(data);
  const pool = await startPool({
    ...cfg,
    workers: n,
    init: (i, module) => {
      const start = Math.floor((i * rows) / n);
      const end = Math.floor(((i + 1) * rows) / n);
      const X = source.float32 ? new Float32Array((end - start) * d) : new Float64Array((end - start) * d);
      copyRows(source, start, end, X, 0);
      const w = weights ? weights.slice(start, end) : null;
      const transfer: Transferable[] = [X.buffer];
      if (w) transfer.push(w.buffer);
      const shard = { data: X, rows: end - start, cols: d } as Matrix<Float64Array> | Matrix<Float32Array>;
      return { msg: { type: 'init', backend: cfg.backend, module, X: shard, weights: w, k, d, family, missing: cfg.missing ?? false }, transfer };
    },
  });
  return pool && new WorkerEngine(pool, k, d, family);
}

/** The EM passes over shards: every worker's statistics, added up (they are sums over rows). */
class WorkerEngine implements ShardedEngine {
  /** Each shard's statistics buffers, transferred to the worker and back every pass. */
  private readonly buffers: { N: Float64Array; S1: Float64Array; S2: Float64Array }[];

  constructor(
    private readonly pool: WorkerPool,
    private readonly k: number,
    private readonly d: number,
    private readonly family: KernelFamily,
  ) {
    this.buffers = pool.shards.map(() => ({ N: new Float64Array(k), S1: new Float64Array(k * d), S2: new Float64Array(family === 'tri' ? k * d * d : k * d) }));
  }

  get size(): number {
    return this.pool.size;
  }

  async emPass(p: KernelParams, out: Stats): Promise<void> {
    if (p.k !== this.k || p.d !== this.d || p.family !== this.family) {
      throw new Error(`ShardedEngine: parameters for k=${p.k}, d=${p.d}, family '${p.family}' do not match the shards (k=${this.k}, d=${this.d})`);
    }
    const replies = await this.pool.race(
      this.pool.shards.map((shard, i) => {
        const { N, S1, S2 } = this.buffers[i];
        return shard.request({ type: 'pass', params: p, N, S1, S2 }, [N.buffer, S1.buffer, S2.buffer]);
      }),
    );
    out.clear();
    out.shift.set(p.means);
    for (let i = 0; i < replies.length; i++) {
      const r = replies[i];
      if (r.type !== 'stats') throw new Error(`ShardedEngine: unexpected reply '${r.type}'`);
      this.buffers[i] = { N: r.N, S1: r.S1, S2: r.S2 };
      out.add(new SufficientStatistics(this.k, this.d, this.family, { ...r, shift: out.shift }));
    }
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

export interface ChunkWorkersConfig {
  /** Resolved worker count (>= 2 to start workers). */
  workers: number;
  backend: BackendName;
  k: number;
  d: number;
  family: KernelFamily;
  signal?: AbortSignal;
  warnings: string[];
}

/**
 * Workers for a chunk source: they hold no rows; every chunk is split into contiguous pieces, one per
 * worker, copied to them with its pass (the source may reuse its chunk's buffer as soon as `pass`
 * returns). Returns null when fewer than two are wanted or workers cannot start here (see startPool).
 */
export async function createChunkWorkers(cfg: ChunkWorkersConfig): Promise<ChunkWorkers | null> {
  if (cfg.workers < 2) return null;
  const { k, d, family } = cfg;
  const pool = await startPool({
    ...cfg,
    init: (_i, module) => ({ msg: { type: 'init', backend: cfg.backend, module, X: null, weights: null, k, d, family }, transfer: [] }),
  });
  return pool && new ChunkWorkers(pool, k, d, family);
}

export class ChunkWorkers {
  constructor(
    private readonly pool: WorkerPool,
    private readonly k: number,
    private readonly d: number,
    private readonly family: KernelFamily,
  ) {}

  get size(): number {
    return this.pool.size;
  }

  /**
   * The statistics of m's rows at p, computed in the workers (one piece each; fewer pieces than
   * workers for a chunk with fewer rows). m is copied before this returns.
   */
  pass(m: MatrixSource, p: KernelParams): Promise<Stats[]> {
    const { k, d, family } = this;
    const pieces = Math.min(this.pool.size, m.rows);
    const work = this.pool.shards.slice(0, pieces).map((shard, i) => {
      const start = Math.floor((i * m.rows) / pieces);
      const end = Math.floor(((i + 1) * m.rows) / pieces);
      const data = m.float32 ? new Float32Array((end - start) * d) : new Float64Array((end - start) * d);
      copyRows(m, start, end, data, 0);
      const X = { data, rows: end - start, cols: d } as Matrix<Float64Array> | Matrix<Float32Array>;
      const N = new Float64Array(k);
      const S1 = new Float64Array(k * d);
      const S2 = new Float64Array(family === 'tri' ? k * d * d : k * d);
      return shard.request({ type: 'pass', params: p, N, S1, S2, X }, [N.buffer, S1.buffer, S2.buffer, X.data.buffer]);
    });
    return this.pool.race(work).then((replies) =>
      replies.map((r) => {
        if (r.type !== 'stats') throw new Error(`ChunkWorkers: unexpected reply '${r.type}'`);
        return new SufficientStatistics(k, d, family, { ...r, shift: Float64Array.from(p.means) });
      }),
    );
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
