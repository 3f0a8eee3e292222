/**
 * Progress on stderr for work that takes longer than a second: a bar redrawn in place on a
 * terminal, plain lines (at most one a second) when stderr is a file or a pipe. Nothing at all for
 * work that ends within the first second, so quick runs and scripted output stay clean.
 */
import { performance } from 'node:perf_hooks';

/** Nothing is shown before this many milliseconds. */
const QUIET_MS = 1000;
/** A terminal bar is redrawn at most this often. */
const REDRAW_MS = 100;
const BAR = 24;

export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(text: string): unknown;
}

export class Progress {
  private readonly t0 = performance.now();
  private lastDraw = -Infinity;
  private shown = false;
  private state = { done: 0, total: 0, detail: '' };
  /** Redraws the elapsed time while a long step runs and the event loop is free (fits in workers). */
  private readonly timer: ReturnType<typeof setInterval>;

  /** `label` names the work ("fitting candidate models"); `stream` defaults to process.stderr. */
  constructor(
    private readonly label: string,
    private readonly stream: ProgressStream = process.stderr,
  ) {
    this.timer = setInterval(() => this.tick(), 250);
    this.timer.unref();
  }

  private seconds(): string {
    return `${((performance.now() - this.t0) / 1000).toFixed(1)} s`;
  }

  /** `done` of `total` steps finished; `detail` says what finished last. */
  update(done: number, total: number, detail = ''): void {
    this.state = { done, total, detail };
    this.tick();
  }

  /** Redraws if it is time to (cheap: callable once per EM iteration). */
  tick(): void {
    const now = performance.now();
    if (now - this.t0 < QUIET_MS || now - this.lastDraw < (this.stream.isTTY ? REDRAW_MS : QUIET_MS)) return;
    this.lastDraw = now;
    const { done, total, detail } = this.state;
    const tail = `${total > 0 ? `${done}/${total}` : 'first one running'}${detail ? `  ${detail}` : ''}  ${this.seconds()}`;
    if (this.stream.isTTY) {
      const filled = total > 0 ? Math.round((BAR * done) / total) : 0;
      const line = `${this.label} [${'#'.repeat(filled)}${'-'.repeat(BAR - filled)}] ${tail}`;
      const width = (this.stream.columns ?? 80) - 1;
      this.stream.write(`\r${line.slice(0, width).padEnd(width)}`);
      this.shown = true;
    } else {
      this.stream.write(`${this.label}: ${tail}\n`);
      this.shown = true;
    }
  }

  /** Ends the bar's line, and says how long it took when anything was shown. */
  done(): void {
    clearInterval(this.timer);
    if (!this.shown) return;
    if (this.stream.isTTY) this.stream.write(`\r${`${this.label}: done in ${this.seconds()}`.padEnd((this.stream.columns ?? 80) - 1)}\n`);
    else this.stream.write(`${this.label}: done in ${this.seconds()}\n`);
  }
}
