import { describe, expect, it } from 'vitest';
import {
  aggregateLine,
  displayState,
  formatAgo,
  formatBytes,
  formatCount,
  formatDuration,
  formatPercent,
  formatRate,
  silenceMs,
  statusWord,
  waitingWords,
  clockTime,
  downCount,
  downSinceWords,
} from '../src/lib/format';
import { status } from '../src/dev/builders';

const NOW = 1_700_000_000_000;

describe('statusWord', () => {
  it('shows the attempt and a countdown while retrying', () => {
    const s = status({ state: 'retrying', attempt: 3, nextRetryAtMs: NOW + 3200 });
    expect(statusWord('retrying', s, NOW)).toBe('retrying 3 · next in 4 s');
    expect(statusWord('retrying', s, NOW + 2500)).toBe('retrying 3 · next in 1 s');
    expect(statusWord('retrying', s, NOW + 4000)).toBe('retrying 3 · now');
  });

  it('is the plain state otherwise', () => {
    expect(statusWord('open', status(), NOW)).toBe('open');
    expect(statusWord('stale', status(), NOW)).toBe('stale');
    expect(statusWord('paused', status({ state: 'paused' }), NOW)).toBe('paused');
    expect(statusWord('connecting', status({ state: 'connecting', attempt: 2 }), NOW)).toBe('connecting · attempt 3');
  });

  it('says finished for a finite stream that ended for good, stopped otherwise', () => {
    expect(statusWord('stopped', status({ state: 'stopped' }), NOW)).toBe('stopped');
    expect(statusWord('stopped', status({ state: 'stopped', finished: '[DONE] after 3.2 s, 120 events' }), NOW)).toBe('finished');
  });

  it('says when a probe between runs runs next, not stopped', () => {
    const at = new Date(2026, 11, 3, 9, 5, 0).getTime();
    expect(statusWord('stopped', status({ state: 'stopped', nextRunAtMs: at }), NOW)).toBe('next run 09:05');
  });
});

describe('displayState', () => {
  it('shows the engine’s "stale" verdict, and the state otherwise', () => {
    expect(displayState(status({ health: 'stale' }))).toBe('stale');
    expect(displayState(status({ health: 'open', lastMessageAtMs: NOW - 3_600_000, connectedSinceMs: NOW - 7_200_000 }))).toBe('open');
    for (const state of ['connecting', 'retrying', 'paused', 'failed', 'stopped'] as const) {
      expect(displayState(status({ state }))).toBe(state);
    }
  });

  it('shows an open stream with no data since it opened as "waiting", not open', () => {
    const waiting = status({ health: 'waiting', lastMessageAtMs: null, connectedSinceMs: NOW - 5000 });
    expect(displayState(waiting)).toBe('waiting');
    expect(statusWord('waiting', waiting, NOW)).toBe('waiting for data');
    expect(waitingWords(waiting)).toBe('connected, no data yet');
    expect(waitingWords({ ...waiting, reconnects: 2 })).toBe('reconnected, no data yet');
    // A verdict that no longer fits the state (it dropped since) shows the state.
    expect(displayState(status({ state: 'retrying', health: 'waiting' }))).toBe('retrying');
    expect(aggregateLine(['open', 'waiting', 'waiting'])).toBe('1 open · 0 retrying · 0 failed · 2 waiting');
  });

  it('shows "down" as what the stream is doing: connecting or retrying', () => {
    expect(displayState(status({ state: 'retrying', health: 'down' }))).toBe('retrying');
    expect(displayState(status({ state: 'connecting', health: 'down' }))).toBe('connecting');
  });
});

describe('silenceMs', () => {
  it('is the time since the last message on an open stream', () => {
    expect(silenceMs(status({ lastMessageAtMs: NOW - 61_000, connectedSinceMs: NOW - 600_000 }), NOW)).toBe(61_000);
  });

  it('counts from the connection when no message came since', () => {
    expect(silenceMs(status({ lastMessageAtMs: NOW - 120_000, connectedSinceMs: NOW - 5000 }), NOW)).toBe(5000);
    expect(silenceMs(status({ lastMessageAtMs: null, connectedSinceMs: NOW - 61_000 }), NOW)).toBe(61_000);
  });

  it('is none unless open, or before anything is known', () => {
    for (const state of ['connecting', 'retrying', 'paused', 'failed', 'stopped'] as const) {
      expect(silenceMs(status({ state, lastMessageAtMs: NOW - 3_600_000 }), NOW)).toBeNull();
    }
    expect(silenceMs(status(), NOW)).toBeNull();
  });
});

describe('down since and the down count', () => {
  it('says since when and for how long a retrying or failed stream is down', () => {
    const since = new Date(2026, 11, 2, 9, 5, 30).getTime();
    expect(clockTime(since)).toBe('09:05');
    const retrying = status({ state: 'retrying', attempt: 3, downSinceMs: since });
    expect(downSinceWords(retrying, since + 185_000)).toBe('down since 09:05 (for 3 min 5 s)');
    expect(downSinceWords({ ...retrying, state: 'failed' }, since + 7_200_000)).toBe('down since 09:05 (for 2 h)');
    // Open, paused, or no outage known: nothing to say.
    expect(downSinceWords({ ...retrying, state: 'open' }, since)).toBe('');
    expect(downSinceWords({ ...retrying, state: 'paused' }, since)).toBe('');
    expect(downSinceWords(status({ state: 'retrying', downSinceMs: null }), since)).toBe('');
  });

  it('counts the streams down past their threshold and the failed ones, not the briefly retrying', () => {
    expect(
      downCount([
        status({ state: 'retrying', health: 'down' }),
        status({ state: 'connecting', health: 'down' }),
        status({ state: 'failed' }),
        status({ state: 'retrying', health: 'retrying' }),
        status({ state: 'open' }),
        status({ state: 'paused' }),
      ]),
    ).toBe(3);
    expect(downCount([])).toBe(0);
  });
});

describe('aggregateLine', () => {
  it('always names open, retrying and failed, then any other state present', () => {
    expect(aggregateLine(['open', 'open', 'open', 'open', 'open', 'retrying'])).toBe('5 open · 1 retrying · 0 failed');
    expect(aggregateLine(['open', 'stale', 'paused', 'failed'])).toBe('1 open · 0 retrying · 1 failed · 1 stale · 1 paused');
    expect(aggregateLine([])).toBe('0 open · 0 retrying · 0 failed');
  });

  it('puts a machine without a network first: it explains the rest', () => {
    expect(aggregateLine(['offline', 'offline', 'open'])).toBe(
      'offline: 2 waiting for the network · 1 open · 0 retrying · 0 failed',
    );
  });
});

describe('numbers and times', () => {
  it('formats rates compactly', () => {
    expect(formatRate(0)).toBe('0');
    expect(formatRate(0.01)).toBe('<0.1');
    expect(formatRate(5)).toBe('5');
    expect(formatRate(4.25)).toBe('4.3');
    expect(formatRate(250.4)).toBe('250');
    expect(formatRate(12_345)).toBe('12.3k');
  });

  it('formats durations in their two largest units', () => {
    expect(formatDuration(4200)).toBe('4 s');
    expect(formatDuration(125_000)).toBe('2 min 5 s');
    expect(formatDuration(3 * 3600_000 + 120_000)).toBe('3 h 2 min');
    expect(formatDuration(2 * 86_400_000 + 3 * 3600_000)).toBe('2 d 3 h');
  });

  it('formats time since an instant', () => {
    expect(formatAgo(null, NOW)).toBe('—');
    expect(formatAgo(NOW - 300, NOW)).toBe('now');
    expect(formatAgo(NOW - 4000, NOW)).toBe('4 s');
    expect(formatAgo(NOW - 180_000, NOW)).toBe('3 min');
  });

  it('formats counts, bytes and percentages', () => {
    expect(formatCount(1234567)).toBe('1,234,567');
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatPercent(99.97)).toBe('100 %');
    expect(formatPercent(87.44)).toBe('87.4 %');
  });
});
