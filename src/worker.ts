/**
 * The worker side of parallel fitting (see parallel.ts). Either one shard of rows per worker, loaded
 * once, then one fused EM pass per 'pass' message, whose statistics go back with their buffers
 * transferred; or (selectModel) the whole data set and the grid's starting partitions, then one whole
 * candidate fit per 'select-fit' message (and, in one worker, the grid's hierarchical tree first).
 * Runs as a module Web Worker (self.onmessage) and as a Node worker_threads worker (parentPort, loaded
 * by a dynamic import so that browsers and bundlers never see a Node module). No top-level await.
 */
import type { KernelFamily, Matrix } from './types.js';
import type { Backend, BackendName, DataHandle, KernelParams } from './backend/types.js';
import { MissingEngine } from './missing.js';
import { SufficientStatistics } from './statistics.js';
import { JsBackend } from './backend/js.js';
import { WasmBackend } from './backend/wasm.js';
import type { ResolvedOptions } from './options.js';
import type { Settling } from './em.js';
import { StartSet } from './starts.js';
import type { StartTable, TreeRequest } from './starts.js';
import { fitCandidate } from './select.js';
import type { CandidateResult, StoppingRule } from './select.js';

export type WorkerRequest =
  | {
      type: 'init';
      backend: BackendName;
      /** The compiled kernels (null for the JS backend). */
      module: WebAssembly.Module | null;
      /** The worker's shard, or null for a worker of a chunk source (its rows come with each 'pass'). */
      X: Matrix<Float64Array> | Matrix<Float32Array> | null;
      weights: Float64Array | null;
      k: number;
      d: number;
      family: KernelFamily;
      /** X has missing entries (NaN): the shard's passes are incomplete-data passes. Default false. */
      missing?: boolean;
    }
  | {
      type: 'pass';
      params: KernelParams;
      N: Float64Array;
      S1: Float64Array;
      S2: Float64Array;
      /** Rows to pass over instead of the shard (a piece of a chunk), loaded for this pass only. */
      X?: Matrix<Float64Array> | Matrix<Float32Array>;
    }
  | {
      /** A worker of selectModel: the whole data set and the K = 1 candidates' starts (they need no tree)... */
      type: 'select-init';
      backend: BackendName;
      module: WebAssembly.Module | null;
      X: Matrix<Float64Array> | Matrix<Float32Array>;
      variance: number;
      starts: StartTable;
    }
  | {
      /** ... then every starting partition of the grid. */
      type: 'select-starts';
      starts: StartTable;
    }
  | {
      /** selectModel's hierarchical tree (StartSet.growTree), grown here while the other workers fit K = 1. */
      type: 'select-tree';
      tree: TreeRequest;
    }
  | {
      type: 'select-fit';
      /** The candidate's number, which its 'select-bar' messages repeat. */
      id: number;
      options: Omit<ResolvedOptions, 'onIteration' | 'signal'>;
      rule: StoppingRule;
      /** The race's bar when the candidate is sent (fitCandidate's `best`)... */
      best: number;
      /** ... and whether it is final; if not, 'select-bar' messages follow until it is. */
      final: boolean;
    }
  | {
      /** Unanswered: a lower or final bar for the running candidate `id` (ignored once it has ended). */
      type: 'select-bar';
      id: number;
      best: number;
      final: boolean;
    };

export interface SerializedError {
  name: string;
  message: string;
  code?: string;
}

export type WorkerReply =
  | { type: 'ready' }
  | { type: 'stats'; N: Float64Array; S1: Float64Array; S2: Float64Array; logLik: number; weightSum: number }
  | { type: 'candidate'; result: CandidateResult }
  | { type: 'tree'; parts: Int32Array[] }
  | { type: 'error'; error: SerializedError };

type Reply = (msg: WorkerReply, transfer: Transferable[]) => void;

let backend: Backend | null = null;
/** A shard's rows ('init') and the shape of its statistics. */
let shard: { handle: DataHandle | null; missing: MissingEngine | null; k: number; d: number; family: KernelFamily } | null = null;
let selection: { X: Matrix<Float64Array> | Matrix<Float32Array>; handle: DataHandle; starts: StartSet; variance: number } | null = null;
/** The bar of the running candidate while it may still fall. */
let pendingBar: { id: number; value: number; final: boolean; settle: () => void; settled: Promise<void> } | null = null;

async function handle(msg: WorkerRequest, reply: Reply): Promise<void> {
  try {
    if (msg.type === 'init' || msg.type === 'select-init') {
      backend?.dispose();
      backend = null;
      shard = null;
      selection = null;
      const b: Backend = msg.backend === 'js' ? new JsBackend() : new WasmBackend(msg.module!, msg.backend);
      backend = b;
      if (msg.type === 'init') {
        // A shard with missing entries runs the incomplete-data pass, which holds its own handles.
        const missing = msg.missing && msg.X ? new MissingEngine(b, msg.X, msg.weights, msg.k, msg.family) : null;
        shard = { handle: missing ? null : msg.X && b.load(msg.X, msg.weights), missing, k: msg.k, d: msg.d, family: msg.family };
      } else {
        selection = { X: msg.X, handle: b.load(msg.X, null), starts: StartSet.fromTable(msg.starts), variance: msg.variance };
      }
      reply({ type: 'ready' }, []);
    } else if (msg.type === 'select-starts') {
      if (selection === null) throw new Error('gmm-wasm worker: select-starts before select-init');
      selection.starts = StartSet.fromTable(msg.starts);
      reply({ type: 'ready' }, []);
    } else if (msg.type === 'select-tree') {
      const parts = StartSet.growTree(msg.tree);
      reply({ type: 'tree', parts }, parts.map((p) => p.buffer));
    } else if (msg.type === 'select-bar') {
      if (pendingBar?.id === msg.id) {
        pendingBar.value = msg.best;
        pendingBar.final = msg.final;
        if (msg.final) pendingBar.settle();
      }
    } else if (msg.type === 'select-fit') {
      if (backend === null || selection === null) throw new Error('gmm-wasm worker: select-fit before select-init');
      const { X, handle, starts, variance } = selection;
      let best: number | Settling = msg.best;
      if (!msg.final) {
        let settle!: () => void;
        const settled = new Promise<void>((resolve) => (settle = resolve));
        const bar = (pendingBar = { id: msg.id, value: msg.best, final: false, settle, settled });
        best = { get value() { return bar.value; }, get final() { return bar.final; }, settled: () => bar.settled };
      }
      try {
        const result = await fitCandidate(X, variance, msg.options, backend, handle, starts, msg.rule, best);
        reply({ type: 'candidate', result }, []);
      } finally {
        pendingBar = null;
      }
    } else if (msg.type === 'pass') {
      if (backend === null || shard === null) throw new Error('gmm-wasm worker: pass before init');
      const { k, d, family } = shard;
      const stats = new SufficientStatistics(k, d, family, { N: msg.N, S1: msg.S1, S2: msg.S2, shift: new Float64Array(k * d), logLik: 0, weightSum: 0 });
      if (shard.missing && !msg.X) {
        shard.missing.emPass(msg.params, stats);
      } else {
        const rows = msg.X ? backend.load(msg.X, null) : shard.handle;
        if (rows === null) throw new Error('gmm-wasm worker: pass without rows');
        try {
          backend.emPass(rows, msg.params, stats);
        } finally {
          if (rows !== shard.handle) backend.release(rows);
        }
      }
      const { N, S1, S2 } = stats;
      reply({ type: 'stats', N, S1, S2, logLik: stats.logLik, weightSum: stats.weightSum }, [N.buffer, S1.buffer, S2.buffer]);
    } else {
      throw new Error(`gmm-wasm worker: unknown message ${JSON.stringify((msg as { type?: unknown })?.type)}`);
    }
  } catch (err) {
    const e = err as { name?: unknown; message?: unknown; code?: unknown };
    const error: SerializedError = {
      name: typeof e?.name === 'string' ? e.name : 'Error',
      message: typeof e?.message === 'string' ? e.message : String(err),
    };
    if (typeof e?.code === 'string') error.code = e.code;
    reply({ type: 'error', error }, []);
  }
}

interface Scope {
  WorkerGlobalScope?: unknown;
  process?: { versions?: { node?: string } };
  postMessage(msg: unknown, transfer: Transferable[]): void;
  onmessage: ((e: MessageEvent<WorkerRequest>) => void) | null;
}
const scope = globalThis as unknown as Scope;

if (typeof scope.WorkerGlobalScope !== 'undefined') {
  scope.onmessage = (e) => void handle(e.data, (m, t) => scope.postMessage(m, t));
} else if (typeof scope.process?.versions?.node === 'string') {
  const specifier = 'node:worker_threads';
  void import(/* webpackIgnore: true */ /* @vite-ignore */ specifier).then(
    ({ parentPort }: { parentPort: { on(e: 'message', f: (m: WorkerRequest) => void): void; postMessage(m: unknown, t: Transferable[]): void } | null }) => {
      if (parentPort === null) return; // imported outside a worker: nothing to serve
      parentPort.on('message', (m) => void handle(m, (r, t) => parentPort.postMessage(r, t)));
    },
  );
}
