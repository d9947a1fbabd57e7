// Timeline items from two sources: stored transitions (the `timeline` command, for what happened
// before this window opened) and live lifecycle events. Both become one display shape.
import type { LifecycleView, StatusView, TimelineEntry } from './bindings';
import { shortReason } from './errors';

export type Tone = 'good' | 'bad' | 'warn' | 'neutral';

export interface TimelineItem {
  key: number;
  atMs: number;
  /** The lifecycle kind, "transition" for a stored state change, "paused"/"resumed" from the status. */
  kind: LifecycleView['kind'] | 'transition' | 'paused' | 'resumed';
  title: string;
  detail: string;
  /** The detail in full when `detail` shortened it (an error's whole cause chain). */
  full?: string;
  tone: Tone;
}

/** Items kept per subscription. */
export const TIMELINE_CAP = 500;

let nextKey = 1;

function delayText(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0).replace(/\.0$/, '')} s`;
}

function join(...parts: (string | null | undefined | false)[]): string {
  return parts.filter((p): p is string => typeof p === 'string' && p !== '').join(' · ');
}

/** A live lifecycle event as a timeline item; null for kinds too frequent to list. */
export function lifecycleItem(l: LifecycleView): TimelineItem | null {
  const base = { key: nextKey++, atMs: l.atMs, kind: l.kind };
  switch (l.kind) {
    case 'started':
      return { ...base, title: 'started', detail: join(l.status !== null && `HTTP ${l.status}`, l.detail), tone: 'good' };
    case 'error': {
      const reason = shortReason(l.detail);
      return {
        ...base,
        title: 'error',
        detail: join(l.status !== null && !reason.startsWith('HTTP ') && `HTTP ${l.status}`, reason),
        ...(reason !== l.detail.trim() ? { full: l.detail } : {}),
        tone: 'bad',
      };
    }
    case 'finished':
      return { ...base, title: 'finished', detail: l.detail, tone: 'neutral' };
    case 'retrying':
      return {
        ...base,
        title: l.attempt !== null ? `retrying ${l.attempt}` : 'retrying',
        detail: join(l.delayMs !== null && `in ${delayText(l.delayMs)}`, l.detail),
        tone: 'warn',
      };
    case 'retries-failed':
      return {
        ...base,
        title: 'retries failed',
        detail: join(l.attempt !== null && `gave up after ${l.attempt} attempts`, l.detail),
        tone: 'bad',
      };
    case 'gap':
      return { ...base, title: 'gap', detail: join(l.missed !== null && `${l.missed} missed`, l.detail), tone: 'warn' };
    case 'reset':
      return { ...base, title: 'ids reset', detail: l.detail, tone: 'warn' };
    case 'retry-changed':
      return {
        ...base,
        title: 'server retry',
        detail: join(l.delayMs !== null && `now ${delayText(l.delayMs)}`, l.detail),
        tone: 'neutral',
      };
    // A connecting event precedes every started/error, a message or comment can come
    // thousands of times a second: neither belongs in a timeline.
    case 'connecting':
    case 'message':
    case 'comment':
      return null;
  }
}

export function storedItem(e: TimelineEntry): TimelineItem {
  if (e.kind === 'gap') {
    return {
      key: nextKey++,
      atMs: e.atMs,
      kind: 'gap',
      title: 'gap',
      detail: join(e.missed !== null && `${e.missed} missed`, e.reason),
      tone: 'warn',
    };
  }
  if (e.kind === 'reset') {
    return { key: nextKey++, atMs: e.atMs, kind: 'reset', title: 'ids reset', detail: e.reason, tone: 'warn' };
  }
  const to = e.to ?? '?';
  // "stale" is the engine's liveness verdict (open but silent past the threshold), stored beside
  // the state changes.
  const tone: Tone = to === 'open' ? 'good' : to === 'failed' ? 'bad' : to === 'retrying' || to === 'stale' ? 'warn' : 'neutral';
  const reason = shortReason(e.reason);
  return {
    key: nextKey++,
    atMs: e.atMs,
    kind: 'transition',
    title: e.from ? `${e.from} → ${to}` : to,
    detail: reason,
    ...(reason !== e.reason.trim() ? { full: e.reason } : {}),
    tone,
  };
}

/**
 * A pause or a resume, seen as a change of the status's state (the engine's lifecycle events
 * do not include them); null for any other change.
 */
export function statusItem(before: StatusView['state'], after: StatusView['state'], atMs: number): TimelineItem | null {
  if (before === after) return null;
  if (after === 'paused') return { key: nextKey++, atMs, kind: 'paused', title: 'paused', detail: '', tone: 'neutral' };
  if (before === 'paused') return { key: nextKey++, atMs, kind: 'resumed', title: 'resumed', detail: '', tone: 'good' };
  return null;
}

/** Timeline items as shown: runs of the same item, or of the same few items, folded into one. */
export interface FoldedItem extends TimelineItem {
  /** How many times the item (or the block of `period` items) happened in a row. */
  count: number;
  /** Items in the repeated block (1 for a single item). */
  period: number;
  /** When the first repetition began. */
  firstAtMs: number;
}

/** The longest block of items that folds as a repeating cycle (error → retrying → started). */
const MAX_PERIOD = 3;

// Items that differ only in numbers (attempt, delay) count as the same.
function signature(i: TimelineItem): string {
  return `${i.kind}\u0000${i.title.replace(/\d+/g, '#')}`;
}

function worst(tones: readonly Tone[]): Tone {
  if (tones.every((t) => t === tones[0])) return tones[0];
  return tones.includes('bad') || tones.includes('warn') ? 'warn' : 'neutral';
}

/**
 * Folds repeats, newest first: a stream that drops every few seconds says "error → retrying 1 →
 * started ×40" once instead of 120 lines. The shown details are the latest repetition's.
 */
export function foldTimeline(items: readonly TimelineItem[]): FoldedItem[] {
  const newest = [...items].reverse();
  const sig = newest.map(signature);
  const same = (a: number, b: number, p: number) => {
    for (let k = 0; k < p; k++) if (sig[a + k] !== sig[b + k]) return false;
    return true;
  };
  const out: FoldedItem[] = [];
  let i = 0;
  while (i < newest.length) {
    let period = 1;
    let reps = 1;
    for (let p = 1; p <= MAX_PERIOD && i + 2 * p <= newest.length; p++) {
      let r = 1;
      while (i + (r + 1) * p <= newest.length && same(i, i + r * p, p)) r++;
      if (r >= 2 && r * p > reps * period) {
        period = p;
        reps = r;
      }
    }
    // The latest repetition, oldest first.
    const block = newest.slice(i, i + period).reverse();
    const last = block[block.length - 1];
    const first = newest[i + reps * period - 1];
    const fulls = block.map((b) => b.full).filter((f): f is string => f !== undefined);
    out.push({
      key: last.key,
      atMs: last.atMs,
      kind: period === 1 ? last.kind : block[0].kind,
      title: block.map((b) => b.title).join(' → '),
      detail: join(...block.map((b) => b.detail)),
      ...(fulls.length > 0 ? { full: fulls.join('\n') } : {}),
      tone: worst(block.map((b) => b.tone)),
      count: reps,
      period,
      firstAtMs: first.atMs,
    });
    i += reps * period;
  }
  return out;
}

/**
 * The stored entries from before `liveSinceMs` followed by the live items: after that instant the
 * live feed tells the same story in more detail, so stored entries from then on are left out.
 */
export function mergeTimeline(
  stored: readonly TimelineEntry[],
  live: readonly TimelineItem[],
  liveSinceMs: number,
): TimelineItem[] {
  const older = stored.filter((e) => e.atMs < liveSinceMs).map(storedItem);
  const all = [...older, ...live].sort((a, b) => a.atMs - b.atMs);
  return all.length > TIMELINE_CAP ? all.slice(all.length - TIMELINE_CAP) : all;
}
