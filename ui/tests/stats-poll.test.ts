import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { StatsPoll, STATS_EVERY_MS, STATS_SETTLE_MS } from '../src/lib/stats-poll';

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('StatsPoll', () => {
  it('refreshes every few seconds, not every 10 s', async () => {
    expect(STATS_EVERY_MS).toBeLessThanOrEqual(2000);
    const fetch = vi.fn(async () => {});
    const poll = new StatsPoll(fetch);
    poll.start();
    await vi.advanceTimersByTimeAsync(STATS_EVERY_MS * 3);
    expect(fetch).toHaveBeenCalledTimes(3);
    poll.stop();
    await vi.advanceTimersByTimeAsync(STATS_EVERY_MS * 3);
    expect(fetch).toHaveBeenCalledTimes(3);
  });

  it('refreshes soon after a change of state, once for changes close together', async () => {
    const fetch = vi.fn(async () => {});
    const poll = new StatsPoll(fetch, 60_000);
    poll.start();
    poll.stateChanged();
    poll.stateChanged();
    await vi.advanceTimersByTimeAsync(STATS_SETTLE_MS - 1);
    expect(fetch).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(fetch).toHaveBeenCalledTimes(1);
    poll.stop();
  });

  it('never runs two fetches at once; a request made meanwhile runs after', async () => {
    let release: () => void = () => {};
    const fetch = vi.fn(() => new Promise<void>((r) => (release = r)));
    const poll = new StatsPoll(fetch, 60_000);
    const first = poll.run();
    void poll.run();
    void poll.run();
    expect(fetch).toHaveBeenCalledTimes(1);
    release();
    await vi.advanceTimersByTimeAsync(0);
    expect(fetch).toHaveBeenCalledTimes(2);
    release();
    await first;
    expect(fetch).toHaveBeenCalledTimes(2);
  });
});
