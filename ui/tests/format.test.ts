import { describe, expect, it } from 'vitest';
import { aggregateLine, formatAgo, formatBytes, formatCount, formatDuration, formatPercent, formatRate, statusWord } from '../src/lib/format';
import { status } from './fixtures';

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
});

describe('aggregateLine', () => {
  it('always names open, retrying and failed, then any other state present', () => {
    expect(aggregateLine(['open', 'open', 'open', 'open', 'open', 'retrying'])).toBe('5 open · 1 retrying · 0 failed');
    expect(aggregateLine(['open', 'stale', 'paused', 'failed'])).toBe('1 open · 0 retrying · 1 failed · 1 stale · 1 paused');
    expect(aggregateLine([])).toBe('0 open · 0 retrying · 0 failed');
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
