import { describe, expect, it } from 'vitest';
import { displayState, IntervalEstimator, isStale, STALE_ABSOLUTE_MS, STALE_FLOOR_MS, staleThresholdMs } from '../src/lib/stale';
import { status } from './fixtures';

const NOW = 1_700_000_000_000;

describe('staleThresholdMs', () => {
  it('is 60 s until the usual interval is known', () => {
    expect(staleThresholdMs(null, 0)).toBe(STALE_ABSOLUTE_MS);
    expect(staleThresholdMs(1000, 1)).toBe(STALE_ABSOLUTE_MS);
  });
  it('is 5 usual intervals, within the floor and 60 s', () => {
    expect(staleThresholdMs(3000, 10)).toBe(15_000);
    expect(staleThresholdMs(100, 10)).toBe(STALE_FLOOR_MS);
    expect(staleThresholdMs(30_000, 10)).toBe(STALE_ABSOLUTE_MS);
  });
});

describe('isStale', () => {
  it('is never stale unless open', () => {
    for (const state of ['connecting', 'retrying', 'paused', 'failed', 'stopped'] as const) {
      expect(isStale(status({ state, lastMessageAtMs: NOW - 3_600_000 }), NOW, null, 0)).toBe(false);
    }
  });

  it('is stale after 60 s without a message', () => {
    expect(isStale(status({ lastMessageAtMs: NOW - 59_000, connectedSinceMs: NOW - 600_000 }), NOW, null, 0)).toBe(false);
    expect(isStale(status({ lastMessageAtMs: NOW - 61_000, connectedSinceMs: NOW - 600_000 }), NOW, null, 0)).toBe(true);
  });

  it('is stale after 5 usual intervals', () => {
    const s = status({ lastMessageAtMs: NOW - 16_000, connectedSinceMs: NOW - 600_000 });
    expect(isStale(s, NOW, 3000, 10)).toBe(true);
    expect(isStale(s, NOW, 4000, 10)).toBe(false);
  });

  it('counts silence from the connection when no message came since', () => {
    expect(isStale(status({ lastMessageAtMs: NOW - 120_000, connectedSinceMs: NOW - 5000 }), NOW, null, 0)).toBe(false);
    expect(isStale(status({ lastMessageAtMs: null, connectedSinceMs: NOW - 61_000 }), NOW, null, 0)).toBe(true);
  });

  it('shows as the display state', () => {
    expect(displayState(status({ connectedSinceMs: NOW - 61_000 }), NOW, null, 0)).toBe('stale');
    expect(displayState(status({ state: 'retrying' }), NOW, null, 0)).toBe('retrying');
  });
});

describe('IntervalEstimator', () => {
  it('learns the usual gap between arrivals', () => {
    const e = new IntervalEstimator();
    for (let i = 0; i <= 10; i++) e.observe(NOW + i * 2000, NOW - 1);
    expect(e.samples).toBe(10);
    expect(e.usualMs).toBeCloseTo(2000);
  });

  it('ignores repeats of the same last-message time', () => {
    const e = new IntervalEstimator();
    e.observe(NOW, null);
    e.observe(NOW, null);
    expect(e.samples).toBe(0);
  });

  it('keeps a reconnection downtime out of the average', () => {
    const e = new IntervalEstimator();
    e.observe(NOW, NOW - 10_000);
    e.observe(NOW + 1000, NOW - 10_000);
    // Reconnected at +5 s; the next message at +6 s must not count as a 5 s gap.
    e.observe(NOW + 6000, NOW + 5000);
    expect(e.samples).toBe(1);
    expect(e.usualMs).toBe(1000);
  });
});
