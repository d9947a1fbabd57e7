import { describe, expect, it } from 'vitest';
import { foldTimeline, lifecycleItem, mergeTimeline, statusItem, storedItem } from '../src/lib/timeline';
import { lifecycle } from '../src/dev/builders';

describe('timeline items', () => {
  it('describes lifecycle events', () => {
    expect(lifecycleItem(lifecycle(1, 'started', { status: 200, detail: 'http://x/' }))).toMatchObject({ title: 'started', detail: 'HTTP 200 · http://x/', tone: 'good' });
    expect(lifecycleItem(lifecycle(1, 'retrying', { attempt: 3, delayMs: 4200 }))).toMatchObject({ title: 'retrying 3', detail: 'in 4.2 s', tone: 'warn' });
    expect(lifecycleItem(lifecycle(1, 'retries-failed', { attempt: 5 }))).toMatchObject({ title: 'retries failed', tone: 'bad' });
    expect(lifecycleItem(lifecycle(1, 'gap', { missed: 15 }))).toMatchObject({ title: 'gap', detail: '15 missed' });
    expect(lifecycleItem(lifecycle(1, 'error', { detail: 'reset', status: 503 }))).toMatchObject({ detail: 'HTTP 503 · reset', tone: 'bad' });
  });

  it('leaves out the frequent kinds', () => {
    expect(lifecycleItem(lifecycle(1, 'connecting'))).toBeNull();
    expect(lifecycleItem(lifecycle(1, 'comment'))).toBeNull();
    expect(lifecycleItem(lifecycle(1, 'message'))).toBeNull();
  });

  it('describes stored transitions', () => {
    expect(storedItem({ atMs: 1, kind: 'transition', from: 'open', to: 'retrying', reason: 'eof', missed: null })).toMatchObject({ title: 'open → retrying', detail: 'eof', tone: 'warn' });
    const stale = 'no data for 1 min (usually every 2 s)';
    expect(storedItem({ atMs: 1, kind: 'transition', from: 'open', to: 'stale', reason: stale, missed: null })).toMatchObject({ title: 'open → stale', detail: stale, tone: 'warn' });
  });

  it('describes id resets, live and stored', () => {
    const words = 'ids went backwards from 41 to 1: did the server restart?';
    expect(lifecycleItem(lifecycle(1, 'reset', { detail: words }))).toMatchObject({ kind: 'reset', title: 'ids reset', detail: words, tone: 'warn' });
    expect(storedItem({ atMs: 1, kind: 'reset', from: null, to: null, reason: words, missed: null })).toMatchObject({ kind: 'reset', title: 'ids reset', detail: words, tone: 'warn' });
  });

  it('merges stored entries from before the live feed with live items, oldest first', () => {
    const stored = [
      { atMs: 100, kind: 'transition' as const, from: null, to: 'open', reason: '', missed: null },
      { atMs: 300, kind: 'transition' as const, from: 'open', to: 'retrying', reason: '', missed: null },
    ];
    const live = [lifecycleItem(lifecycle(1, 'retrying', { atMs: 310, attempt: 1, delayMs: 500 }))!];
    const merged = mergeTimeline(stored, live, 250);
    expect(merged.map((i) => i.atMs)).toEqual([100, 310]);
  });
});

describe('timeline folding and pause/resume', () => {
  const at = (ms: number) => ({ atMs: ms });

  it('folds a reconnect cycle that repeats into one line with a count', () => {
    const items = [lifecycleItem(lifecycle(1, 'started', at(0)))!];
    for (let k = 1; k <= 4; k++) {
      items.push(lifecycleItem(lifecycle(1, 'error', { atMs: k * 1000, detail: 'error decoding response body: end of file before message completed' }))!);
      items.push(lifecycleItem(lifecycle(1, 'retrying', { atMs: k * 1000 + 1, attempt: 1, delayMs: 800 + k }))!);
      items.push(lifecycleItem(lifecycle(1, 'started', { atMs: k * 1000 + 900, status: 200 }))!);
    }
    const folded = foldTimeline(items);
    expect(folded.map((f) => [f.title, f.count])).toEqual([
      ['error → retrying 1 → started', 4],
      ['started', 1],
    ]);
    const cycle = folded[0];
    expect(cycle.atMs).toBe(4900);
    expect(cycle.firstAtMs).toBe(1000);
    expect(cycle.detail).toContain('in 804 ms'); // the latest repetition's details
    expect(cycle.detail).toContain('the server closed the connection');
    expect(cycle.full).toContain('end of file before message completed');
    expect(cycle.tone).toBe('warn');
  });

  it('folds the same item in a row, ignoring the numbers in it', () => {
    const items = [1, 2, 3].map((a) => lifecycleItem(lifecycle(1, 'retrying', { atMs: a, attempt: a, delayMs: 100 * a }))!);
    const folded = foldTimeline(items);
    expect(folded).toHaveLength(1);
    expect(folded[0]).toMatchObject({ title: 'retrying 3', count: 3, period: 1, detail: 'in 300 ms', firstAtMs: 1 });
  });

  it('leaves different items alone, newest first', () => {
    const items = [lifecycleItem(lifecycle(1, 'started', at(1)))!, lifecycleItem(lifecycle(1, 'gap', { atMs: 2, missed: 3 }))!];
    expect(foldTimeline(items).map((f) => [f.title, f.count])).toEqual([
      ['gap', 1],
      ['started', 1],
    ]);
    expect(foldTimeline([])).toEqual([]);
  });

  it('makes pause and resume items from state changes only', () => {
    expect(statusItem('open', 'paused', 5)).toMatchObject({ kind: 'paused', title: 'paused', atMs: 5 });
    expect(statusItem('paused', 'connecting', 6)).toMatchObject({ kind: 'resumed', title: 'resumed', tone: 'good' });
    expect(statusItem('open', 'retrying', 7)).toBeNull();
    expect(statusItem('paused', 'paused', 8)).toBeNull();
    const folded = foldTimeline([statusItem('open', 'paused', 1)!, statusItem('paused', 'open', 2)!, statusItem('open', 'paused', 3)!, statusItem('paused', 'open', 4)!]);
    expect(folded.map((f) => [f.title, f.count])).toEqual([['paused → resumed', 2]]);
  });

  it('shows errors in a few words and keeps the whole chain', () => {
    const chain = 'error sending request for url (http://127.0.0.1:9/events): client error (Connect): tcp connect error: Connection refused (os error 111)';
    expect(lifecycleItem(lifecycle(1, 'error', { detail: chain }))).toMatchObject({ detail: 'connection refused', full: chain });
    expect(lifecycleItem(lifecycle(1, 'error', { detail: 'server answered 503 Service Unavailable', status: 503 }))).toMatchObject({ detail: 'HTTP 503 Service Unavailable' });
    expect(storedItem({ atMs: 1, kind: 'transition', from: 'open', to: 'retrying', reason: chain, missed: null })).toMatchObject({ detail: 'connection refused', full: chain });
  });
});
