import { describe, expect, it } from 'vitest';
import { RateTracker } from '../src/lib/rate';

const T = 1_700_000_000_000; // a whole second

describe('RateTracker', () => {
  it('takes the first counter as a baseline, not as a burst', () => {
    const r = new RateTracker();
    expect(r.observe(5000, T)).toBe(0);
    expect(r.rate(T + 10_000)).toBe(0);
  });

  it('averages msgs/s over the last 10 complete seconds from counter deltas', () => {
    const r = new RateTracker();
    r.observe(0, T - 20_000);
    let total = 0;
    for (let s = 0; s < 20; s++) {
      total += 5;
      r.observe(total, T - 20_000 + s * 1000 + 500);
    }
    expect(r.rate(T)).toBeCloseTo(5);
  });

  it('divides by the seconds it has seen while younger than the window', () => {
    const r = new RateTracker();
    r.observe(0, T);
    r.observe(10, T + 500);
    r.observe(20, T + 1500);
    expect(r.rate(T + 2000)).toBeCloseTo(10);
  });

  it('falls to zero when messages stop', () => {
    const r = new RateTracker();
    r.observe(0, T);
    r.observe(100, T + 100);
    expect(r.rate(T + 30_000)).toBe(0);
  });

  it('treats a counter that went down as a new baseline', () => {
    const r = new RateTracker();
    r.observe(100, T);
    expect(r.observe(3, T + 1000)).toBe(0);
    expect(r.observe(5, T + 1200)).toBe(2);
  });

  it('gives per-second counts for the sparkline, oldest first', () => {
    const r = new RateTracker();
    r.observe(0, T);
    r.observe(3, T + 100);
    r.observe(4, T + 2100);
    expect(r.series(T + 3000, 4)).toEqual([0, 3, 0, 1]);
  });

  it('wraps its ring without leaking old counts', () => {
    const r = new RateTracker(10);
    r.observe(0, T);
    r.observe(7, T + 100);
    r.observe(8, T + 25_100);
    expect(r.series(T + 26_000, 10)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
  });
});
