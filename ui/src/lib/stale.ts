// "Stale": the stream is open but has been silent for longer than it usually is. An open socket
// that stopped delivering is the failure a monitor most needs to surface, because nothing errors.
import type { StatusView } from './bindings';
import type { DisplayState } from './types';

/** Silent this long is stale whatever the stream's habits. */
export const STALE_ABSOLUTE_MS = 60_000;
/** Silent this many usual intervals is stale. */
export const STALE_FACTOR = 5;
/**
 * Never stale below this: updates arrive in 50 ms batches and timers jitter, so on a fast stream
 * "5 intervals" would be a few hundred ms and the word would flicker.
 */
export const STALE_FLOOR_MS = 2_000;
/** Intervals observed before the usual interval is trusted. */
export const MIN_SAMPLES = 3;

/**
 * The usual gap between arrivals, as an exponentially weighted mean of the gaps between the
 * last-message times seen in successive status updates. Gaps between arrivals (not per-message
 * averages) are what silence is compared with, so a stream that sends bursts every 30 s is not
 * called stale between its bursts.
 */
export class IntervalEstimator {
  usualMs: number | null = null;
  samples = 0;
  private lastAt: number | null = null;

  constructor(private readonly alpha = 0.25) {}

  /** Feeds a status; `connectedSinceMs` keeps a reconnection's downtime out of the average. */
  observe(lastMessageAtMs: number | null, connectedSinceMs: number | null): void {
    if (lastMessageAtMs === null || lastMessageAtMs === this.lastAt) return;
    const prev = this.lastAt;
    this.lastAt = lastMessageAtMs;
    if (prev === null || lastMessageAtMs < prev) return;
    if (connectedSinceMs !== null && connectedSinceMs > prev) return;
    const gap = lastMessageAtMs - prev;
    this.usualMs = this.usualMs === null ? gap : this.usualMs + this.alpha * (gap - this.usualMs);
    this.samples++;
  }
}

/** How long this stream may be silent before it is stale. */
export function staleThresholdMs(usualMs: number | null, samples: number): number {
  if (usualMs === null || samples < MIN_SAMPLES) return STALE_ABSOLUTE_MS;
  return Math.min(STALE_ABSOLUTE_MS, Math.max(STALE_FLOOR_MS, STALE_FACTOR * usualMs));
}

/** Milliseconds of silence on an open stream (since the last message, or since it opened). */
export function silenceMs(status: StatusView, nowMs: number): number | null {
  if (status.state !== 'open') return null;
  const ref = Math.max(status.lastMessageAtMs ?? -Infinity, status.connectedSinceMs ?? -Infinity);
  return Number.isFinite(ref) ? Math.max(0, nowMs - ref) : null;
}

export function isStale(status: StatusView, nowMs: number, usualMs: number | null, samples: number): boolean {
  const silent = silenceMs(status, nowMs);
  return silent !== null && silent > staleThresholdMs(usualMs, samples);
}

export function displayState(
  status: StatusView,
  nowMs: number,
  usualMs: number | null,
  samples: number,
): DisplayState {
  return isStale(status, nowMs, usualMs, samples) ? 'stale' : status.state;
}
