// The timeline as shown. Every entry comes worded from the shell (the Rust side words stored
// data once: crates/app-api/src/timeline.rs), so an entry reads the same live and after a
// restart; this module only folds runs, newest first, keeping every step for the expansion.
import type { TimelineEntry } from './bindings';

export type Tone = TimelineEntry['tone'];

/** One row of the timeline: an entry, or a run of them folded into one line. */
export interface TimelineRow {
  key: string;
  atMs: number;
  /** The entry's kind; "backoff" for a folded run of retries, "repeat" for a repeating cycle. */
  kind: TimelineEntry['kind'] | 'backoff' | 'repeat';
  title: string;
  detail: string;
  tone: Tone;
  /** An error's plain words and raw chain (the latest one, for a run). */
  error: TimelineEntry['error'];
  /** The entries folded into this row, oldest first (empty for a single entry). */
  steps: readonly TimelineEntry[];
  /** When the run began. */
  firstAtMs: number;
}

/** Entries kept per subscription. */
export const TIMELINE_CAP = 500;

/** Fewer backoff steps than this are listed one by one. */
const MIN_RUN = 2;
/** The longest block of entries that folds as a repeating cycle (connected → ended → retrying). */
const MAX_PERIOD = 3;

function single(e: TimelineEntry, i: number): TimelineRow {
  return {
    key: `${e.atMs}:${i}`,
    atMs: e.atMs,
    kind: e.kind,
    title: e.title,
    detail: e.detail,
    tone: e.tone,
    error: e.error,
    steps: [],
    firstAtMs: e.atMs,
  };
}

/** "1–6" or "4". */
function range(a: number, b: number): string {
  return a === b ? `${a}` : `${a}–${b}`;
}

/** The delay in a retry entry's detail ("attempt 6, next in 30 s" → "30 s"). */
function nextIn(e: TimelineEntry): string {
  const m = /next in (.+)$/.exec(e.detail);
  return m ? m[1] : '';
}

/**
 * A run of backoff steps (retries, with the errors between them when they all say the same
 * thing) starting at `i` (oldest first); its length, or 0 when there is no run of `MIN_RUN`.
 */
function backoffRun(entries: readonly TimelineEntry[], i: number): number {
  // A retry belongs with the error before it: a run does not start between the two.
  if (entries[i].kind === 'retrying' && i > 0 && entries[i - 1].kind === 'error') return 0;
  let j = i;
  let retries = 0;
  let plain: string | null = null;
  while (j < entries.length) {
    const e = entries[j];
    if (e.kind === 'retrying') {
      retries++;
    } else if (e.kind === 'error') {
      const p = e.error?.plain ?? e.detail;
      if (plain !== null && p !== plain) break;
      plain = p;
    } else break;
    j++;
  }
  // A run ends on a retry: an error after the last one starts the next story.
  while (j > i && entries[j - 1].kind !== 'retrying') j--;
  return retries >= MIN_RUN ? j - i : 0;
}

function backoffRow(run: readonly TimelineEntry[], i: number): TimelineRow {
  const retries = run.filter((e) => e.kind === 'retrying');
  const errors = run.filter((e) => e.kind === 'error');
  const first = retries[0];
  const last = retries[retries.length - 1];
  const a = first.attempt ?? 1;
  const b = last.attempt ?? retries.length;
  const next = nextIn(last);
  const err = errors[errors.length - 1];
  return {
    key: `${run[0].atMs}:${i}:run`,
    atMs: run[run.length - 1].atMs,
    kind: 'backoff',
    title: 'retrying',
    detail: `attempts ${range(a, b)}${next ? `, next in ${next}` : ''}`,
    tone: 'warn',
    error: err ? err.error : null,
    steps: run,
    firstAtMs: run[0].atMs,
  };
}

// Entries that differ only in numbers (an attempt, a delay) count as the same.
function signature(e: TimelineEntry): string {
  return `${e.kind}\u0000${e.title}\u0000${e.detail.replace(/\d+(\.\d+)?/g, '#')}`;
}

/** A repeating cycle at `i`: [period, repetitions], or null. */
function cycle(sig: readonly string[], i: number): [number, number] | null {
  let best: [number, number] | null = null;
  for (let p = 1; p <= MAX_PERIOD && i + 2 * p <= sig.length; p++) {
    let r = 1;
    const same = (a: number, b: number) => {
      for (let k = 0; k < p; k++) if (sig[a + k] !== sig[b + k]) return false;
      return true;
    };
    while (i + (r + 1) * p <= sig.length && same(i, i + r * p)) r++;
    if (r >= 2 && (!best || r * p > best[0] * best[1])) best = [p, r];
  }
  return best;
}

function repeatRow(run: readonly TimelineEntry[], period: number, reps: number, i: number): TimelineRow {
  const block = run.slice(run.length - period);
  const errs = block.filter((e) => e.error);
  const last = block[block.length - 1];
  return {
    key: `${run[0].atMs}:${i}:cycle`,
    atMs: last.atMs,
    kind: 'repeat',
    title: block.map((e) => e.title).join(' → '),
    detail: `${reps} times`,
    tone: block.some((e) => e.tone === 'bad' || e.tone === 'warn') ? 'warn' : block[0].tone,
    error: errs.length > 0 ? errs[errs.length - 1].error : null,
    steps: run,
    firstAtMs: run[0].atMs,
  };
}

/**
 * The rows, newest first: runs of backoff steps fold into "retrying: attempts 1–6, next in
 * 30 s", a cycle that repeats (a stream that drops every few seconds) into one row; every
 * folded entry stays in the row's `steps`.
 */
export function foldTimeline(entries: readonly TimelineEntry[]): TimelineRow[] {
  const sig = entries.map(signature);
  const rows: TimelineRow[] = [];
  let i = 0;
  while (i < entries.length) {
    const run = backoffRun(entries, i);
    if (run > 0) {
      rows.push(backoffRow(entries.slice(i, i + run), i));
      i += run;
      continue;
    }
    const c = cycle(sig, i);
    if (c) {
      const [period, reps] = c;
      rows.push(repeatRow(entries.slice(i, i + period * reps), period, reps, i));
      i += period * reps;
      continue;
    }
    rows.push(single(entries[i], i));
    i++;
  }
  return rows.reverse();
}

/** A row as one line of text ("retrying: attempts 1–6, next in 30 s"). */
export function rowLine(r: { title: string; detail: string }): string {
  return r.detail ? `${r.title}: ${r.detail}` : r.title;
}

/** The newest `TIMELINE_CAP` entries. */
export function capTimeline(entries: readonly TimelineEntry[]): readonly TimelineEntry[] {
  return entries.length > TIMELINE_CAP ? entries.slice(entries.length - TIMELINE_CAP) : entries;
}
