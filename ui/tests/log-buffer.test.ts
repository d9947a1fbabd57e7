import { describe, expect, it } from 'vitest';
import { compileFilter, LogBuffer, LogView, truncatedLabel } from '../src/lib/log-buffer';
import { msg } from '../src/dev/builders';

function datas(b: LogBuffer): string[] {
  const out: string[] = [];
  for (let i = 0; i < b.length; i++) out.push(b.atIndex(i)!.id);
  return out;
}

function stored(n: number, p: Parameters<typeof msg>[2] = {}) {
  return msg(1, n, { seq: n, ...p });
}

describe('LogBuffer', () => {
  it('keeps the delivered message itself as the row, given a uid, not a copy', () => {
    // No copy: at 10,000 events/s a copy per row is garbage the collector must sweep.
    const b = new LogBuffer(5);
    const m = msg(1, 10);
    b.appendMessage(m);
    expect(b.atIndex(0)).toBe(m);
    expect(b.atIndex(0)!.uid).toBeGreaterThan(0);
    const page = [stored(3), stored(2)];
    b.mergeOlder(page);
    expect(b.atIndex(0)).toBe(page[1]);
    expect(b.atIndex(2)).toBe(m);
    expect(b.atIndex(0)!.uid).not.toBe(b.atIndex(1)!.uid);
  });

  it('keeps rows in arrival order and evicts the oldest at the cap', () => {
    const b = new LogBuffer(5);
    b.append([1, 2, 3, 4, 5, 6, 7].map((n) => msg(1, n)));
    expect(b.length).toBe(5);
    expect(datas(b)).toEqual(['3', '4', '5', '6', '7']);
    expect(b.evicted).toBe(2);
    expect(b.first).toBe(2);
    expect(b.end).toBe(7);
    expect(b.at(1)).toBeUndefined();
    expect(b.at(2)!.id).toBe('3');
  });

  it('grows its storage past the initial slots and stays ordered', () => {
    const b = new LogBuffer(5000);
    b.append(Array.from({ length: 3000 }, (_, i) => msg(1, i)));
    expect(b.length).toBe(3000);
    expect(b.atIndex(0)!.id).toBe('0');
    expect(b.newest()!.id).toBe('2999');
  });

  it('holds 100,000 rows at the cap and stays quick', () => {
    const b = new LogBuffer();
    const t0 = performance.now();
    for (let k = 0; k < 60; k++) b.append(Array.from({ length: 2000 }, (_, i) => msg(1, k * 2000 + i)));
    expect(b.length).toBe(100_000);
    expect(b.atIndex(0)!.id).toBe('20000');
    expect(b.newest()!.id).toBe('119999');
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  it('counts event types, and forgets those evicted', () => {
    const b = new LogBuffer(3);
    b.append([msg(1, 1, { event: 'a' }), msg(1, 2, { event: 'b' }), msg(1, 3, { event: 'b' })]);
    expect(Object.fromEntries(b.eventTypes)).toEqual({ a: 1, b: 2 });
    b.append([msg(1, 4, { event: 'c' })]);
    expect(Object.fromEntries(b.eventTypes)).toEqual({ b: 2, c: 1 });
  });

  it('prepends an older page (newest first) in order', () => {
    const b = new LogBuffer(100);
    b.append([stored(10), stored(11)]);
    const r = b.mergeOlder([stored(9), stored(8), stored(7)]);
    expect(r).toEqual({ added: 3, matched: 0, dropped: 0 });
    expect(datas(b)).toEqual(['7', '8', '9', '10', '11']);
    expect(b.oldestSeq()).toBe(7);
  });

  it('matches live rows that the first page also holds, instead of showing them twice', () => {
    const b = new LogBuffer(100);
    // Live rows 5..7 arrived; storage holds 1..6 (7 not yet committed).
    b.append([5, 6, 7].map((n) => msg(1, n)));
    const page = [6, 5, 4, 3, 2, 1].map((n) => stored(n));
    const r = b.mergeOlder(page);
    expect(r.added).toBe(4);
    expect(r.matched).toBe(2);
    expect(datas(b)).toEqual(['1', '2', '3', '4', '5', '6', '7']);
    expect(b.atIndex(4)!.seq).toBe(5);
    expect(b.atIndex(6)!.seq).toBeNull();
    expect(b.oldestSeq()).toBe(1);
  });

  it('keeps the replayed flag of stored rows a page brings in', () => {
    const b = new LogBuffer(100);
    b.mergeOlder([stored(3), stored(2, { replayed: true }), stored(1)]);
    expect([0, 1, 2].map((i) => b.atIndex(i)!.replayed ?? false)).toEqual([false, true, false]);
  });

  it('puts stored rows the live feed dropped back between live rows', () => {
    const b = new LogBuffer(100);
    b.append([1, 2, 5].map((n) => msg(1, n))); // 3 and 4 were dropped while lagging
    b.mergeOlder([5, 4, 3, 2, 1].map((n) => stored(n)));
    expect(datas(b)).toEqual(['1', '2', '3', '4', '5']);
  });

  it('does not show twice a stored row that arrives live after its page', () => {
    const b = new LogBuffer(100);
    b.mergeOlder([5, 4, 3].map((n) => stored(n))); // stored before the bridge delivered 4 and 5
    b.append([4, 5, 6, 7].map((n) => msg(1, n)));
    expect(datas(b)).toEqual(['3', '4', '5', '6', '7']);
    // Once newer rows came, equal content is a new message again.
    b.append([msg(1, 5)]);
    expect(b.length).toBe(6);
  });

  it('keeps the uid of a matched live row (DOM keys and selection survive a merge)', () => {
    const b = new LogBuffer(100);
    b.append([msg(1, 1)]);
    const uid = b.atIndex(0)!.uid;
    b.mergeOlder([stored(1)]);
    expect(b.length).toBe(1);
    expect(b.atIndex(0)!.uid).toBe(uid);
  });

  it('leaves out the oldest page rows when the cap is reached', () => {
    const b = new LogBuffer(4);
    b.append([stored(10), stored(11)]);
    const r = b.mergeOlder([stored(9), stored(8), stored(7), stored(6)]);
    expect(r).toEqual({ added: 2, matched: 0, dropped: 2 });
    expect(datas(b)).toEqual(['8', '9', '10', '11']);
    expect(b.full).toBe(true);
  });

  it('bumps its layout on a merge so views rebuild', () => {
    const b = new LogBuffer(10);
    const before = b.layout;
    b.mergeOlder([stored(1)]);
    expect(b.layout).toBe(before + 1);
    b.mergeOlder([]);
    expect(b.layout).toBe(before + 1);
  });
});

describe('compileFilter', () => {
  const row = { uid: 1, seq: null, receivedAtMs: 0, event: 'Update', id: '42', data: 'Hello (World)', size: 13 };

  it('lets everything through without a filter', () => {
    expect(compileFilter({ event: null, search: '  ' })).toBeNull();
  });

  it('matches the event type exactly and text case-insensitively, special characters literally', () => {
    expect(compileFilter({ event: 'Update', search: '' })!(row)).toBe(true);
    expect(compileFilter({ event: 'update', search: '' })!(row)).toBe(false);
    expect(compileFilter({ event: null, search: 'hello (w' })!(row)).toBe(true);
    expect(compileFilter({ event: null, search: '.*' })!(row)).toBe(false);
    expect(compileFilter({ event: null, search: '42' })!(row)).toBe(true);
    expect(compileFilter({ event: null, search: 'upd' })!(row)).toBe(true);
  });
});

describe('LogView', () => {
  it('without a filter mirrors the buffer and reports appended and evicted rows', () => {
    const b = new LogBuffer(5);
    const v = new LogView(b);
    b.append([1, 2, 3].map((n) => msg(1, n)));
    expect(v.sync()).toEqual({ appended: 3, prepended: 0, evicted: 0, rebuilt: false });
    b.append([4, 5, 6, 7].map((n) => msg(1, n)));
    expect(v.sync()).toEqual({ appended: 4, prepended: 0, evicted: 2, rebuilt: false });
    expect(v.count).toBe(5);
    expect(v.rowAt(0)!.id).toBe('3');
  });

  it('filters incrementally, testing only new rows', () => {
    const b = new LogBuffer(100);
    const v = new LogView(b, { event: 'b', search: '' });
    b.append([msg(1, 1, { event: 'a' }), msg(1, 2, { event: 'b' })]);
    expect(v.sync().appended).toBe(1);
    b.append([msg(1, 3, { event: 'b' }), msg(1, 4, { event: 'a' })]);
    expect(v.sync().appended).toBe(1);
    expect(v.count).toBe(2);
    expect([v.rowAt(0)!.id, v.rowAt(1)!.id]).toEqual(['2', '3']);
  });

  it('drops filtered rows that the buffer evicted', () => {
    const b = new LogBuffer(3);
    const v = new LogView(b, { event: null, search: 'x' });
    b.append([msg(1, 1, { data: 'x1' }), msg(1, 2, { data: 'y' }), msg(1, 3, { data: 'x3' })]);
    v.sync();
    expect(v.count).toBe(2);
    b.append([msg(1, 4, { data: 'x4' }), msg(1, 5, { data: 'y' })]);
    const d = v.sync();
    expect(d.evicted).toBe(1);
    expect(d.appended).toBe(1);
    expect([v.rowAt(0)!.id, v.rowAt(1)!.id]).toEqual(['3', '4']);
  });

  it('rebuilds after a merge and finds a row again by uid', () => {
    const b = new LogBuffer(100);
    const v = new LogView(b, { event: null, search: 'keep' });
    b.append([msg(1, 10, { seq: 10, data: 'keep 10' })]);
    v.sync();
    const uid = v.rowAt(0)!.uid;
    b.mergeOlder([msg(1, 9, { seq: 9, data: 'keep 9' }), msg(1, 8, { seq: 8, data: 'drop' })]);
    const d = v.sync();
    expect(d.rebuilt).toBe(true);
    expect(v.count).toBe(2);
    expect(v.indexOfUid(uid)).toBe(1);
  });

  it('changing the filter applies to every row held', () => {
    const b = new LogBuffer(100);
    const v = new LogView(b);
    b.append([msg(1, 1, { event: 'a' }), msg(1, 2, { event: 'b' })]);
    v.sync();
    v.setFilter({ event: 'a', search: '' });
    expect(v.count).toBe(1);
    v.setFilter({ event: null, search: '' });
    expect(v.count).toBe(2);
  });
});

describe('LogBuffer byte bound and truncated rows', () => {
  it('evicts the oldest rows once the data passes the byte cap, keeping the newest', () => {
    const b = new LogBuffer(1000, 10_000);
    for (let n = 0; n < 10; n++) b.append([msg(1, n, { data: 'x'.repeat(3000) })]);
    // 10 rows by count would fit; 3 rows of 3,000 by bytes.
    expect(b.length).toBe(3);
    expect(b.bytes).toBe(9000);
    expect(b.atIndex(0)?.id).toBe('7');
    expect(b.evicted).toBe(7);
    // One row larger than the cap still shows (alone).
    b.append([msg(1, 99, { data: 'y'.repeat(20_000) })]);
    expect(b.length).toBe(1);
    expect(b.newest()?.id).toBe('99');
  });

  it('keeps the size and the truncated mark, and words the note', () => {
    const b = new LogBuffer();
    b.append([msg(1, 1, { data: 'x'.repeat(10), size: 16 * 1024 * 1024, truncated: true }), msg(1, 2)]);
    const big = b.atIndex(0)!;
    expect(big.truncated).toBe(true);
    expect(truncatedLabel(big)).toBe('… (16 MiB, show all)');
    expect(truncatedLabel(b.atIndex(1)!)).toBeNull();
  });
});
