import { describe, expect, it } from 'vitest';
import { lifecycleItem, mergeTimeline, storedItem } from '../src/lib/timeline';
import { lifecycle } from './fixtures';

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
