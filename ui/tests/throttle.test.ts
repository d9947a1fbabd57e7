import { describe, expect, it } from 'vitest';
import { Throttle, type Timers } from '../src/lib/throttle';

/** A clock moved by hand, with the timers due run by `advance`. */
function fakeTimers() {
  let t = 0;
  let seq = 0;
  const due = new Map<number, { at: number; run: () => void }>();
  const timers: Timers = {
    now: () => t,
    set: (run, ms) => {
      due.set(++seq, { at: t + ms, run });
      return seq;
    },
    clear: (h) => void due.delete(h as number),
  };
  const advance = (ms: number) => {
    t += ms;
    for (const [h, d] of [...due].sort((a, b) => a[1].at - b[1].at)) {
      if (d.at <= t) {
        due.delete(h);
        d.run();
      }
    }
  };
  return { timers, advance, pending: () => due.size };
}

describe('Throttle', () => {
  it('runs a request after a quiet interval at once', () => {
    const { timers } = fakeTimers();
    const th = new Throttle(200, timers);
    const runs: string[] = [];
    th.request(() => runs.push('a'));
    expect(runs).toEqual(['a']);
  });

  it('folds the requests within the interval into the latest, run when it ends', () => {
    const { timers, advance } = fakeTimers();
    const th = new Throttle(200, timers);
    const runs: string[] = [];
    th.request(() => runs.push('a'));
    advance(16);
    th.request(() => runs.push('b'));
    advance(16);
    th.request(() => runs.push('c'));
    expect(runs).toEqual(['a']);
    advance(167);
    expect(runs).toEqual(['a']);
    advance(1);
    expect(runs).toEqual(['a', 'c']);
    // The next interval counts from that run.
    advance(100);
    th.request(() => runs.push('d'));
    expect(runs).toEqual(['a', 'c']);
    advance(100);
    expect(runs).toEqual(['a', 'c', 'd']);
  });

  it('runs at most once per interval under a steady stream of requests', () => {
    const { timers, advance } = fakeTimers();
    const th = new Throttle(200, timers);
    let runs = 0;
    for (let i = 0; i < 600; i++) {
      th.request(() => runs++);
      advance(16);
    }
    // 9.6 s of requests every 16 ms: one run per 200 ms, not one per request.
    expect(runs).toBeGreaterThanOrEqual(47);
    expect(runs).toBeLessThanOrEqual(49);
  });

  it('now() runs at once and drops what was waiting; cancel() drops it too', () => {
    const { timers, advance, pending } = fakeTimers();
    const th = new Throttle(200, timers);
    const runs: string[] = [];
    th.request(() => runs.push('a'));
    th.request(() => runs.push('b'));
    th.now(() => runs.push('filter'));
    advance(500);
    expect(runs).toEqual(['a', 'filter']);
    th.request(() => runs.push('c'));
    th.request(() => runs.push('d'));
    th.cancel();
    expect(pending()).toBe(0);
    advance(500);
    expect(runs).toEqual(['a', 'filter', 'c']);
  });
});
