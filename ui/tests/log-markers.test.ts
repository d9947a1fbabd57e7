import { describe, expect, it } from 'vitest';
import { LogBuffer, LogView, markerRow, type LogRow } from '../src/lib/log-buffer';
import { MarkerQueue, PENDING_MARKERS_CAP } from '../src/lib/log-markers';
import { AppState } from '../src/lib/store/state.svelte';
import { batch, lifecycle, msg, status, view } from '../src/dev/builders';

function rows(log: LogBuffer): LogRow[] {
  const out: LogRow[] = [];
  for (let i = 0; i < log.length; i++) out.push(log.atIndex(i)!);
  return out;
}

/** Each row as "#id" for a message or "[kind] words" for a marker. */
function shape(log: LogBuffer): string[] {
  return rows(log).map((r) => (r.marker ? `[${r.marker}] ${r.data}` : `#${r.id}`));
}

const gap = (atMs: number) =>
  lifecycle(1, 'gap', { atMs, missed: 12, detail: 'ids jumped from 40 to 53: 12 event(s) missed' });

describe('marker rows', () => {
  it('put a gap before the message that showed it, saying how many were missed', () => {
    const log = new LogBuffer(100);
    const q = new MarkerQueue(log);
    q.message(msg(1, 40));
    q.lifecycle(gap(msg(1, 53).receivedAtMs));
    q.message(msg(1, 53));
    expect(shape(log)).toEqual(['#40', '[gap] ⚠ 12 events missed (ids 40→53)', '#53']);
  });

  it('wait for messages the shell still held back when the marker came', () => {
    const log = new LogBuffer(100);
    const q = new MarkerQueue(log);
    // The gap arrives in a batch before message 40, which was received earlier.
    q.lifecycle(gap(msg(1, 53).receivedAtMs));
    expect(q.flush(msg(1, 10).receivedAtMs)).toBe(false);
    q.message(msg(1, 40));
    q.message(msg(1, 53));
    expect(shape(log).map((s) => s.slice(0, 5))).toEqual(['#40', '[gap]', '#53']);
  });

  it('say an id reset in words and a reconnect only after the first start', () => {
    const log = new LogBuffer(100);
    const q = new MarkerQueue(log);
    q.lifecycle(lifecycle(1, 'started', { atMs: 1, status: 200 }));
    q.lifecycle(lifecycle(1, 'started', { atMs: 2, status: 200 }));
    q.lifecycle(lifecycle(1, 'reset', { atMs: 3, detail: 'ids went backwards from 2785 to 1: did the server restart?' }));
    q.flush(Number.POSITIVE_INFINITY);
    expect(shape(log)).toEqual(['[reconnect] ↻ reconnected · HTTP 200', '[reset] ⚠ ids went backwards from 2785 to 1: did the server restart?']);
  });

  it('mark a pause and a resume, and the resume is not also a reconnect', () => {
    const log = new LogBuffer(100);
    const q = new MarkerQueue(log);
    q.lifecycle(lifecycle(1, 'started', { atMs: 1 }));
    q.status('open', 'paused', 2);
    q.status('paused', 'connecting', 3);
    q.lifecycle(lifecycle(1, 'started', { atMs: 4 }));
    q.flush(Number.POSITIVE_INFINITY);
    expect(rows(log).map((r) => r.marker)).toEqual(['paused', 'resumed']);
  });

  it('are not messages: not in the message count, the event types or a search', () => {
    const log = new LogBuffer(100);
    const q = new MarkerQueue(log);
    q.message(msg(1, 40));
    q.lifecycle(gap(msg(1, 53).receivedAtMs));
    q.message(msg(1, 53));
    expect(log.length).toBe(3);
    expect(log.messages).toBe(2);
    expect([...log.eventTypes.keys()]).toEqual(['tick']);
    const all = new LogView(log);
    all.sync();
    expect(all.messages).toBe(2);
    const byType = new LogView(log, { event: 'tick', search: '' });
    expect(byType.count).toBe(3); // the marker explains the rows around it
    expect(byType.messages).toBe(2);
    const search = new LogView(log, { event: null, search: 'missed' });
    expect(search.count).toBe(0);
  });

  it('are bounded with the rows, and waiting ones too', () => {
    const log = new LogBuffer(3);
    const view = new LogView(log, { event: 'tick', search: '' });
    for (let i = 0; i < 10; i++) log.pushBack(markerRow('reconnect', i, '↻ reconnected'));
    view.sync();
    expect(log.length).toBe(3);
    expect(log.markers).toBe(3);
    expect(view.messages).toBe(0);
    const q = new MarkerQueue(new LogBuffer(10));
    for (let i = 0; i < PENDING_MARKERS_CAP + 50; i++) q.status('open', 'paused', i);
    expect(q.waiting).toBe(PENDING_MARKERS_CAP);
  });

  it('reach the log through the update channel, after the messages before them', () => {
    const app = new AppState((run) => run(), 1000);
    app.upsert(view(1));
    const sub = app.get(1)!;
    app.applyBatch(batch({ lifecycle: [gap(msg(1, 53).receivedAtMs)], messages: [msg(1, 40)] }));
    expect(shape(sub.log)).toEqual(['#40']); // 53 is still on its way
    app.applyBatch(batch({ messages: [msg(1, 53)] }));
    expect(shape(sub.log).map((s) => s.slice(0, 5))).toEqual(['#40', '[gap]', '#53']);
    app.applyBatch(batch({ statuses: [{ id: 1, status: status({ state: 'paused' }) }] }));
    expect(sub.log.newest()?.marker).toBe('paused');
    expect(sub.log.messages).toBe(2);
  });
});
