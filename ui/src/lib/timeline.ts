// Timeline items from two sources: stored transitions (the `timeline` command, for what happened
// before this window opened) and live lifecycle events. Both become one display shape.
import type { LifecycleView, TimelineEntry } from './bindings';

export type Tone = 'good' | 'bad' | 'warn' | 'neutral';

export interface TimelineItem {
  key: number;
  atMs: number;
  /** The lifecycle kind, or "transition" for a stored state change. */
  kind: LifecycleView['kind'] | 'transition';
  title: string;
  detail: string;
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
    case 'error':
      return { ...base, title: 'error', detail: join(l.status !== null && `HTTP ${l.status}`, l.detail), tone: 'bad' };
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
  const to = e.to ?? '?';
  const tone: Tone = to === 'open' ? 'good' : to === 'failed' ? 'bad' : to === 'retrying' ? 'warn' : 'neutral';
  return {
    key: nextKey++,
    atMs: e.atMs,
    kind: 'transition',
    title: e.from ? `${e.from} → ${to}` : to,
    detail: e.reason,
    tone,
  };
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
