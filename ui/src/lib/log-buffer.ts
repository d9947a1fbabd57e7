// The live log's storage. Rows live in a plain ring-shaped deque, never in Svelte state: at
// 100,000 rows per subscription, a reactive proxy per row would cost more than the rows
// themselves. Components learn about changes from one version counter per subscription and
// read rows by position.
import type { MessageView } from './bindings';
import { formatBytes } from './format';

/** Rows kept per subscription; older ones stay in storage and come back through history_page. */
export const LOG_CAP = 100_000;
/**
 * Bytes of row data kept per subscription: 100,000 rows of 64 KiB previews would be 6.5 GB.
 * The oldest rows go first, as with the row cap (storage has them).
 */
export const LOG_BYTE_CAP = 64 * 1024 * 1024;

export interface LogRow {
  /** Unique for this UI session and stable across merges: it keys DOM rows and selections. */
  readonly uid: number;
  /** Storage sequence number; null for a live row until a history page matches it. */
  seq: number | null;
  readonly receivedAtMs: number;
  readonly event: string;
  readonly id: string;
  readonly data: string;
  /** Re-sent by the server after a reconnect (live rows and stored ones alike). */
  readonly replayed?: boolean;
  /** The data does not match its expected JSON Schema: the first error in words. */
  readonly mismatch?: string;
  /** Bytes of the whole data: more than `data` holds when `truncated`. */
  readonly size: number;
  /** `data` is the first 64 KiB only; the whole text is a `messageText` call away. */
  readonly truncated?: boolean;
  /** Not a message: a marker row (gap, reconnect, reset, pause) whose words are in `data`. */
  readonly marker?: MarkerKind;
}

/** What a marker row marks. */
export type MarkerKind = 'gap' | 'reconnect' | 'reset' | 'paused' | 'resumed';

let nextUid = 1;

/** A marker row at `atMs` saying `text`. */
export function markerRow(kind: MarkerKind, atMs: number, text: string): LogRow {
  return { uid: nextUid++, seq: null, receivedAtMs: atMs, event: '', id: '', data: text, size: 0, marker: kind };
}

/** The note after a truncated row's data, e.g. "… (16.0 MiB, show all)"; null when whole. */
export function truncatedLabel(row: LogRow): string | null {
  return row.truncated ? `… (${formatBytes(row.size)}, show all)` : null;
}

/**
 * The message itself becomes the row: it is given a uid, not copied (at 10,000 events/s a copy
 * per row is 10,000 objects a second more for the collector, for nothing).
 */
export function toLogRow(m: MessageView): LogRow {
  const row = m as MessageView & { uid: number };
  row.uid = nextUid++;
  return row;
}

/** What `mergeOlder` did. */
export interface MergeResult {
  /** Rows inserted. */
  added: number;
  /** Page rows that were already here as live rows (they now carry their seq). */
  matched: number;
  /** Page rows left out because the buffer is full. */
  dropped: number;
}

// Live rows have no seq, so a stored copy of one is recognised by its content and arrival time
// (the shell stamps both from the same event).
function contentKey(r: { receivedAtMs: number; event: string; id: string; data: string }): string {
  return `${r.receivedAtMs}\u0000${r.event}\u0000${r.id}\u0000${r.data}`;
}

export class LogBuffer {
  readonly cap: number;
  readonly byteCap: number;
  /** Bytes of data (UTF-16 code units, close enough for a bound) the rows hold. */
  bytes = 0;
  // Grows by doubling up to `cap`, so a quiet subscription does not reserve 100k slots.
  private slots: (LogRow | undefined)[];
  private head = 0;
  private len = 0;
  /** Absolute position of the first row: rises as old rows are evicted, falls as history is prepended. */
  first = 0;
  /** Bumped when rows already here move (a merge reorders the front): views rebuild on it. */
  layout = 0;
  /** Rows evicted from the front since creation. */
  evicted = 0;
  /** Marker rows held (they take slots and bytes like messages, but are not messages). */
  markers = 0;
  /** Row count per event type, for the filter menu. */
  readonly eventTypes = new Map<string, number>();
  // Rows a history page brought in that the live feed may still deliver (storage can commit a
  // message before the bridge's next batch carries it). Live rows are in order, so once one
  // arrives that is newer than all of them, no twin can come any more and the map is dropped.
  private expectLive: Map<string, LogRow> | null = null;
  private expectUntil = 0;

  constructor(cap: number = LOG_CAP, byteCap: number = LOG_BYTE_CAP) {
    if (cap < 1) throw new RangeError('cap must be at least 1');
    this.cap = cap;
    this.byteCap = byteCap;
    this.slots = new Array<LogRow | undefined>(Math.min(cap, 1024));
  }

  get length(): number {
    return this.len;
  }

  /** One past the absolute position of the newest row. */
  get end(): number {
    return this.first + this.len;
  }

  /** Message rows held: every row but the markers. */
  get messages(): number {
    return this.len - this.markers;
  }

  get full(): boolean {
    return this.len >= this.cap;
  }

  /** The row at absolute position `pos`, if still held. */
  at(pos: number): LogRow | undefined {
    const i = pos - this.first;
    if (i < 0 || i >= this.len) return undefined;
    return this.slots[(this.head + i) % this.slots.length];
  }

  /** The row at index `i` counted from the oldest held row. */
  atIndex(i: number): LogRow | undefined {
    return this.at(this.first + i);
  }

  newest(): LogRow | undefined {
    return this.len ? this.atIndex(this.len - 1) : undefined;
  }

  /** Appends live messages in order; the oldest rows go when the cap is reached. */
  append(messages: readonly MessageView[]): void {
    for (const m of messages) this.appendMessage(m);
  }

  /** Appends one live message, unless a history page already brought it in. */
  appendMessage(m: MessageView): void {
    if (this.expectLive) {
      if (m.receivedAtMs > this.expectUntil) {
        this.expectLive = null;
      } else {
        const key = contentKey(m);
        if (this.expectLive.has(key)) {
          this.expectLive.delete(key);
          return;
        }
      }
    }
    this.pushBack(toLogRow(m));
  }

  pushBack(row: LogRow): void {
    if (this.len === this.cap) {
      this.popFront();
      this.evicted++;
    }
    // By bytes too (always keeping the new row): evicted rows count as the row cap's do.
    while (this.len > 0 && this.bytes + row.data.length > this.byteCap) {
      this.popFront();
      this.evicted++;
    }
    this.ensureRoom();
    this.slots[(this.head + this.len) % this.slots.length] = row;
    this.len++;
    this.tally(row, 1);
  }

  /** The smallest seq held (the front-most row that has one), the cursor for the next older page. */
  oldestSeq(): number | null {
    for (let i = 0; i < this.len; i++) {
      const r = this.atIndex(i);
      if (r && r.seq !== null) return r.seq;
    }
    return null;
  }

  /**
   * Merges one history page (newest first, as history_page returns it) in front of the rows held.
   * A page can overlap live rows: the first page after start-up holds the newest stored messages,
   * some of which also arrived live. Those are matched instead of shown twice, and stored rows the
   * live feed never delivered (before the bridge started, or dropped while the window lagged) are
   * put back in arrival order.
   */
  mergeOlder(page: readonly MessageView[]): MergeResult {
    const result: MergeResult = { added: 0, matched: 0, dropped: 0 };
    if (page.length === 0) return result;
    const asc = [...page].reverse();
    const newestPageAt = asc[asc.length - 1].receivedAtMs;

    // Live rows that arrived no later than the page's newest row may overlap it: take them out,
    // merge, and put everything back.
    const popped: LogRow[] = [];
    for (;;) {
      const front = this.atIndex(0);
      if (!front || front.seq !== null || front.receivedAtMs > newestPageAt) break;
      popped.push(front);
      this.popFront();
    }
    // Page rows newer than every live row held may still arrive live.
    const newestHeld = this.newest();
    const twinsPossible = !newestHeld || newestHeld.seq === null;
    const liveByKey = new Map<string, LogRow>();
    for (const r of popped) if (!liveByKey.has(contentKey(r))) liveByKey.set(contentKey(r), r);

    const merged: LogRow[] = [];
    let li = 0;
    for (const m of asc) {
      const twin = liveByKey.get(contentKey(m));
      if (twin && twin.seq === null) {
        twin.seq = m.seq;
        result.matched++;
        continue;
      }
      while (li < popped.length && popped[li].receivedAtMs < m.receivedAtMs) merged.push(popped[li++]);
      const row = toLogRow(m);
      merged.push(row);
      result.added++;
      if (twinsPossible) {
        this.expectLive ??= new Map();
        this.expectLive.set(contentKey(m), row);
        this.expectUntil = Math.max(this.expectUntil, m.receivedAtMs);
      }
    }
    while (li < popped.length) merged.push(popped[li++]);

    // Back to the front, newest first; when the cap is reached the oldest page rows are left out
    // (popped live rows always fit: they were here before).
    for (let i = merged.length - 1; i >= 0; i--) {
      if (this.len >= this.cap || (this.len > 0 && this.bytes + merged[i].data.length > this.byteCap)) {
        result.dropped = i + 1;
        result.added -= i + 1;
        break;
      }
      this.pushFront(merged[i]);
    }
    this.layout++;
    return result;
  }

  clear(): void {
    this.slots = new Array<LogRow | undefined>(Math.min(this.cap, 1024));
    this.head = 0;
    this.len = 0;
    this.bytes = 0;
    this.markers = 0;
    this.eventTypes.clear();
    this.expectLive = null;
    this.layout++;
  }

  private pushFront(row: LogRow): void {
    this.ensureRoom();
    this.head = (this.head - 1 + this.slots.length) % this.slots.length;
    this.slots[this.head] = row;
    this.len++;
    this.first--;
    this.tally(row, 1);
  }

  private popFront(): LogRow | undefined {
    if (this.len === 0) return undefined;
    const row = this.slots[this.head];
    this.slots[this.head] = undefined;
    this.head = (this.head + 1) % this.slots.length;
    this.len--;
    this.first++;
    if (row) this.tally(row, -1);
    return row;
  }

  private ensureRoom(): void {
    if (this.len < this.slots.length) return;
    const size = Math.min(this.cap, this.slots.length * 2);
    const next = new Array<LogRow | undefined>(size);
    for (let i = 0; i < this.len; i++) next[i] = this.slots[(this.head + i) % this.slots.length];
    this.slots = next;
    this.head = 0;
  }

  private tally(row: LogRow, d: number): void {
    this.bytes += d * row.data.length;
    // Markers have no event type: they must not appear in the filter menu.
    if (row.marker) this.markers += d;
    else this.count(row.event, d);
  }

  private count(event: string, d: number): void {
    const n = (this.eventTypes.get(event) ?? 0) + d;
    if (n > 0) this.eventTypes.set(event, n);
    else this.eventTypes.delete(event);
  }
}

export interface LogFilter {
  /** Only this event type; null for all. */
  event: string | null;
  /** Case-insensitive text looked for in data, event type and id; "" for none. */
  search: string;
}

export const NO_FILTER: LogFilter = { event: null, search: '' };

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A predicate for `filter`, or null when it lets everything through. */
export function compileFilter(filter: LogFilter): ((row: LogRow) => boolean) | null {
  const event = filter.event;
  const q = filter.search.trim();
  if (event === null && q === '') return null;
  // A case-insensitive regex tests in place; lower-casing 100k payloads per keystroke would not.
  const re = q === '' ? null : new RegExp(escapeRegExp(q), 'i');
  return (row) =>
    // A marker explains the rows of any event type around it, but is not what a search looks for.
    row.marker !== undefined
      ? re === null
      : (event === null || row.event === event) &&
    (re === null || re.test(row.data) || re.test(row.event) || re.test(row.id));
}

/** What changed in a view since the previous sync, in matching rows. */
export interface ViewDelta {
  appended: number;
  prepended: number;
  evicted: number;
  rebuilt: boolean;
}

/**
 * The rows of one buffer that pass a filter, kept up to date incrementally: a sync tests only the
 * rows added since the last one, so filtering stays cheap while 2,000 rows arrive per batch.
 */
export class LogView {
  private test: ((row: LogRow) => boolean) | null = null;
  // Absolute positions of matching rows, from index `start` on (eviction advances `start`
  // instead of shifting the array).
  private positions: number[] = [];
  private start = 0;
  // Positions of the matching markers (evicted rows cannot be looked at, so they are kept apart).
  private markerPositions: number[] = [];
  private seenFirst = 0;
  private seenEnd = 0;
  private seenLayout = -1;

  constructor(
    private readonly buffer: LogBuffer,
    filter: LogFilter = NO_FILTER,
  ) {
    this.setFilter(filter);
  }

  get filtered(): boolean {
    return this.test !== null;
  }

  get count(): number {
    return this.test ? this.positions.length - this.start : this.buffer.length;
  }

  /** Matching message rows: `count` without the markers. */
  get messages(): number {
    if (!this.test) return this.buffer.messages;
    const first = this.buffer.first;
    while (this.markerPositions.length > 0 && this.markerPositions[0] < first) this.markerPositions.shift();
    return this.count - this.markerPositions.length;
  }

  setFilter(filter: LogFilter): void {
    this.test = compileFilter(filter);
    this.rebuild();
  }

  rowAt(index: number): LogRow | undefined {
    if (!this.test) return this.buffer.atIndex(index);
    const pos = this.positions[this.start + index];
    return pos === undefined ? undefined : this.buffer.at(pos);
  }

  /** The index of the row with this uid, or -1. Linear: used only to re-anchor after a rebuild. */
  indexOfUid(uid: number): number {
    const n = this.count;
    for (let i = n - 1; i >= 0; i--) if (this.rowAt(i)?.uid === uid) return i;
    return -1;
  }

  sync(): ViewDelta {
    const b = this.buffer;
    if (b.layout !== this.seenLayout) {
      const before = this.count;
      this.rebuild();
      return { appended: 0, prepended: Math.max(0, this.count - before), evicted: 0, rebuilt: true };
    }
    const delta: ViewDelta = { appended: 0, prepended: 0, evicted: 0, rebuilt: false };
    if (!this.test) {
      delta.evicted = Math.max(0, Math.min(b.first, this.seenEnd) - this.seenFirst);
      delta.appended = b.end - Math.max(this.seenEnd, b.first);
      delta.prepended = Math.max(0, this.seenFirst - b.first);
    } else {
      while (this.start < this.positions.length && this.positions[this.start] < b.first) {
        this.start++;
        delta.evicted++;
      }
      for (let p = Math.max(this.seenEnd, b.first); p < b.end; p++) {
        const row = b.at(p);
        if (row && this.test(row)) {
          this.positions.push(p);
          if (row.marker) this.markerPositions.push(p);
          delta.appended++;
        }
      }
      if (this.start > 4096 && this.start * 2 > this.positions.length) {
        this.positions = this.positions.slice(this.start);
        this.start = 0;
      }
    }
    this.seenFirst = b.first;
    this.seenEnd = b.end;
    return delta;
  }

  private rebuild(): void {
    const b = this.buffer;
    this.positions = [];
    this.markerPositions = [];
    this.start = 0;
    if (this.test) {
      for (let p = b.first; p < b.end; p++) {
        const row = b.at(p);
        if (!row || !this.test(row)) continue;
        this.positions.push(p);
        if (row.marker) this.markerPositions.push(p);
      }
    }
    this.seenFirst = b.first;
    this.seenEnd = b.end;
    this.seenLayout = b.layout;
  }
}
