// Marker rows in the live log: a gap, a reconnect, an id reset, a pause or a resume, put among
// the messages where they happened. The shell sends lifecycle events at once but may hold
// messages back in its backlog under load, so a marker can arrive before the messages that
// preceded it: it waits here until the log has caught up with its time.
import type { LifecycleView, MessageView, StatusView } from './bindings';
import { markerRow, type LogBuffer, type LogRow, type MarkerKind } from './log-buffer';

/** Markers waiting per subscription at most; older ones are let go first (the log is bounded too). */
export const PENDING_MARKERS_CAP = 100;

/** The words of a lifecycle event's marker row; null for kinds that get none. */
export function lifecycleMarker(l: LifecycleView, startedBefore: boolean): { kind: MarkerKind; text: string } | null {
  switch (l.kind) {
    case 'gap': {
      const missed = l.missed ?? 0;
      // The shell's words carry the ids ("ids jumped from 40 to 53: …"); the row says them short.
      const ids = /from (\d+) to (\d+)/.exec(l.detail);
      const where = ids ? ` (ids ${ids[1]}→${ids[2]})` : l.detail ? ` · ${l.detail}` : '';
      return { kind: 'gap', text: `⚠ ${missed} event${missed === 1 ? '' : 's'} missed${where}` };
    }
    case 'reset':
      return { kind: 'reset', text: `⚠ ${l.detail}` };
    case 'started':
      // The first start of this session is no reconnect.
      return startedBefore ? { kind: 'reconnect', text: `↻ reconnected${l.status !== null ? ` · HTTP ${l.status}` : ''}` } : null;
    default:
      return null;
  }
}

/** The marker for a change of state: a pause or a resume; null for any other change. */
export function statusMarker(before: StatusView['state'], after: StatusView['state']): { kind: MarkerKind; text: string } | null {
  if (before === after) return null;
  if (after === 'paused') return { kind: 'paused', text: '⏸ paused: nothing is received until resumed' };
  if (before === 'paused') return { kind: 'resumed', text: '▶ resumed' };
  return null;
}

/** One subscription's markers on their way into its log. */
export class MarkerQueue {
  private pending: LogRow[] = [];
  private startedBefore = false;
  private last: MarkerKind | null = null;

  constructor(private readonly log: LogBuffer) {}

  /** Markers waiting for the log to catch up. */
  get waiting(): number {
    return this.pending.length;
  }

  lifecycle(l: LifecycleView): void {
    const m = lifecycleMarker(l, this.startedBefore);
    if (l.kind === 'started') this.startedBefore = true;
    // A resume reconnects: "resumed" already says so.
    if (m && !(m.kind === 'reconnect' && this.last === 'resumed')) this.queue(markerRow(m.kind, l.atMs, m.text));
  }

  status(before: StatusView['state'], after: StatusView['state'], atMs: number): void {
    const m = statusMarker(before, after);
    if (m) this.queue(markerRow(m.kind, atMs, m.text));
  }

  /** Appends a live message, after the markers that happened before it was received. */
  message(m: MessageView): void {
    // A gap or reset is told just before the message that shows it, so a marker goes before a
    // message received at the same millisecond.
    while (this.pending.length > 0 && this.pending[0].receivedAtMs <= m.receivedAtMs) {
      this.log.pushBack(this.pending.shift()!);
    }
    this.log.appendMessage(m);
  }

  /**
   * Appends the markers whose messages have all arrived: the shell's backlog is one queue in
   * arrival order, so once a message received at `caughtUpMs` or later is in (or the batch
   * carried no messages: the backlog is empty), nothing older can still come. Returns whether
   * any row was added.
   */
  flush(caughtUpMs: number): boolean {
    let added = false;
    while (this.pending.length > 0 && this.pending[0].receivedAtMs <= caughtUpMs) {
      this.log.pushBack(this.pending.shift()!);
      added = true;
    }
    return added;
  }

  private queue(row: LogRow): void {
    this.last = row.marker ?? null;
    this.pending.push(row);
    if (this.pending.length > PENDING_MARKERS_CAP) this.pending.shift();
  }
}
