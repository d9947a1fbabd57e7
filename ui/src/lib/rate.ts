// Message rates from the status counters. The rate is computed from `messages` deltas rather than
// from the live rows received, because the bridge may drop live rows when a window lags
// (droppedMessages) while the counters stay exact.

/** Seconds of history kept: enough for the sparkline's last minutes. */
export const RATE_HISTORY_SECS = 600;
/** The window of the msgs/s figure. */
export const RATE_WINDOW_SECS = 10;

export class RateTracker {
  // Per-second counts in a ring indexed by (second % size).
  private readonly counts: Float64Array;
  private latestSec: number | null = null;
  private startedSec: number | null = null;
  private lastTotal: number | null = null;

  constructor(private readonly size: number = RATE_HISTORY_SECS) {
    this.counts = new Float64Array(size);
  }

  /**
   * Feeds the subscription's running `messages` counter; the increase since the previous call is
   * counted in the second of `atMs` (the last message's time when known). The first call only sets
   * the baseline, so messages from before the window opened do not look like a burst.
   */
  observe(total: number, atMs: number): number {
    const prev = this.lastTotal;
    this.lastTotal = total;
    if (this.startedSec === null) this.startedSec = Math.floor(atMs / 1000);
    if (prev === null || total < prev) return 0;
    const delta = total - prev;
    if (delta > 0) this.add(delta, atMs);
    return delta;
  }

  add(n: number, atMs: number): void {
    const sec = Math.floor(atMs / 1000);
    if (this.startedSec === null) this.startedSec = sec;
    this.advance(sec);
    const latest = this.latestSec ?? sec;
    if (sec <= latest - this.size) return; // older than the ring
    this.counts[this.mod(sec)] += n;
  }

  /** Average msgs/s over the last `windowSecs` complete seconds before `nowMs`. */
  rate(nowMs: number, windowSecs: number = RATE_WINDOW_SECS): number {
    if (this.startedSec === null) return 0;
    const nowSec = Math.floor(nowMs / 1000);
    let sum = 0;
    for (let s = nowSec - windowSecs; s < nowSec; s++) sum += this.countAt(s);
    // A tracker younger than the window divides by the seconds it has seen, so a new stream does
    // not start at a tenth of its real rate.
    const seen = Math.max(1, Math.min(windowSecs, nowSec - this.startedSec));
    return sum / seen;
  }

  /** Counts for the last `secs` complete seconds before `nowMs`, oldest first. */
  series(nowMs: number, secs: number): number[] {
    const nowSec = Math.floor(nowMs / 1000);
    const out = new Array<number>(secs);
    for (let i = 0; i < secs; i++) out[i] = this.countAt(nowSec - secs + i);
    return out;
  }

  private countAt(sec: number): number {
    if (this.latestSec === null || sec > this.latestSec || sec <= this.latestSec - this.size) return 0;
    return this.counts[this.mod(sec)];
  }

  private advance(sec: number): void {
    if (this.latestSec === null) {
      this.latestSec = sec;
      return;
    }
    if (sec <= this.latestSec) return;
    const steps = Math.min(sec - this.latestSec, this.size);
    for (let i = 1; i <= steps; i++) this.counts[this.mod(this.latestSec + i)] = 0;
    this.latestSec = sec;
  }

  private mod(sec: number): number {
    return ((sec % this.size) + this.size) % this.size;
  }
}
