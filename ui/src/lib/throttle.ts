// At most one run per interval: the first at once, the rest folded into one at the interval's end.

/** The timer functions a `Throttle` uses (the window's, or a test's). */
export interface Timers {
  now(): number;
  set(run: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

const windowTimers: Timers = {
  now: () => performance.now(),
  set: (run, ms) => setTimeout(run, ms),
  clear: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/**
 * Runs what it is asked at most once per `intervalMs`: a request after a quiet interval runs at
 * once; requests within the interval are folded into one, the latest, run when it ends.
 */
export class Throttle {
  private last = Number.NEGATIVE_INFINITY;
  private pending: (() => void) | null = null;
  private timer: unknown = null;

  constructor(
    readonly intervalMs: number,
    private readonly timers: Timers = windowTimers,
  ) {}

  /** Runs `run` now, or with the next run at the interval's end (a later request replaces it). */
  request(run: () => void): void {
    const wait = this.last + this.intervalMs - this.timers.now();
    if (wait <= 0 && this.timer === null) {
      this.fire(run);
      return;
    }
    this.pending = run;
    if (this.timer === null) {
      this.timer = this.timers.set(() => {
        this.timer = null;
        const next = this.pending;
        this.pending = null;
        if (next) this.fire(next);
      }, Math.max(0, wait));
    }
  }

  /** Runs `run` at once, dropping a waiting run (it is stale: `run` supersedes it). */
  now(run: () => void): void {
    this.cancel();
    this.fire(run);
  }

  /** Drops a waiting run. */
  cancel(): void {
    if (this.timer !== null) this.timers.clear(this.timer);
    this.timer = null;
    this.pending = null;
  }

  private fire(run: () => void): void {
    this.last = this.timers.now();
    run();
  }
}
