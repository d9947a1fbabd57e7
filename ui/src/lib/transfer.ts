// What the Export and Import dialogs compute before asking the shell: the time range a preset
// or the custom fields mean, the file name offered in the save dialog, and the result lines.
import type { ExportDone, HistoryFileFormat, ImportDone } from './bindings';

export type RangePreset = 'hour' | 'day' | 'all' | 'custom';

export const RANGE_PRESETS: readonly { value: RangePreset; label: string }[] = [
  { value: 'hour', label: 'Last hour' },
  { value: 'day', label: 'Last 24 h' },
  { value: 'all', label: 'All' },
  { value: 'custom', label: 'From – to' },
];

const HOUR_MS = 3_600_000;

/** A `datetime-local` value (local time, minutes or seconds) as ms since the epoch; null if empty or unreadable. */
export function parseLocal(value: string): number | null {
  if (!value.trim()) return null;
  const ms = new Date(value).getTime();
  return Number.isFinite(ms) ? ms : null;
}

/** `ms` as a `datetime-local` value in local time, to the minute. */
export function toLocalInput(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export type Range = { sinceMs: number | null; untilMs: number | null };

/**
 * The range a preset means at `now`, or for `custom` the two fields (an empty field is open).
 * An error when the custom fields are unreadable or the end is before the start.
 */
export function rangeOf(preset: RangePreset, now: number, from: string, to: string): Range | { error: string } {
  switch (preset) {
    case 'hour':
      return { sinceMs: now - HOUR_MS, untilMs: null };
    case 'day':
      return { sinceMs: now - 24 * HOUR_MS, untilMs: null };
    case 'all':
      return { sinceMs: null, untilMs: null };
    case 'custom': {
      const sinceMs = parseLocal(from);
      const untilMs = parseLocal(to);
      if (from.trim() && sinceMs === null) return { error: 'The start is not a date and time.' };
      if (to.trim() && untilMs === null) return { error: 'The end is not a date and time.' };
      // The end field is to the minute: include the whole of that minute.
      const until = untilMs === null ? null : untilMs + 59_999;
      if (sinceMs !== null && until !== null && until < sinceMs) return { error: 'The end is before the start.' };
      return { sinceMs, untilMs: until };
    }
  }
}

/** A file-name-safe form of a subscription's name. */
function slug(name: string): string {
  const s = name
    .normalize('NFKD')
    .replace(/[^\w.-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60);
  return s || 'stream';
}

/** The name the save dialog offers: `<stream or all>-history-<date>.<ext>`. */
export function historyFileName(subName: string | null, format: HistoryFileFormat, now: number): string {
  const day = toLocalInput(now).slice(0, 10);
  return `${subName === null ? 'all-streams' : slug(subName)}-history-${day}.${format === 'csv' ? 'csv' : 'jsonl'}`;
}

/** The name the save dialog offers for a probe's runs: `<stream>-runs-<date>.<ext>`. */
export function runsFileName(subName: string, format: HistoryFileFormat, now: number): string {
  return `${slug(subName)}-runs-${toLocalInput(now).slice(0, 10)}.${format === 'csv' ? 'csv' : 'jsonl'}`;
}

/** The save dialog's file type for a history or runs file of `format`. */
export function fileFilter(format: HistoryFileFormat): { name: string; extensions: string[] } {
  return format === 'csv' ? { name: 'CSV', extensions: ['csv'] } : { name: 'JSON lines', extensions: ['jsonl', 'ndjson'] };
}

/** The name the save dialog offers for the subscriptions file. */
export function subscriptionsFileName(now: number): string {
  return `streamwatch-subscriptions-${toLocalInput(now).slice(0, 10)}.json`;
}

function plural(n: number, one: string, many: string): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
}

/** "Wrote 1,204 messages to /path." */
export function historyDoneText(done: ExportDone): string {
  return `Wrote ${plural(done.count, 'message', 'messages')} to ${done.path}.`;
}

/** "Wrote 12 runs to /path." */
export function runsDoneText(done: ExportDone): string {
  return `Wrote ${plural(done.count, 'run', 'runs')} to ${done.path}.`;
}

/** "Wrote 3 subscriptions to /path." (and what it reveals). */
export function subscriptionsDoneText(done: ExportDone): string {
  const base = `Wrote ${plural(done.count, 'subscription', 'subscriptions')} to ${done.path}.`;
  return done.revealed > 0
    ? `${base} It holds the secret values of ${plural(done.revealed, 'subscription', 'subscriptions')} in plain text: keep it private.`
    : base;
}

/** "Added 2 subscriptions: A, B (renamed from …), with 40 stored messages." */
export function importDoneText(done: ImportDone): string {
  const n = done.added.length;
  if (n === 0) return 'The file holds no subscriptions: nothing was added.';
  const names = done.added.map((a) => (a.name === a.fromName ? a.name : `${a.name} (was ${a.fromName})`)).join(', ');
  const messages = done.added.reduce((sum, a) => sum + a.messages, 0);
  const tail = messages > 0 ? `, with ${plural(messages, 'stored message', 'stored messages')}` : '';
  return `Added ${plural(n, 'subscription', 'subscriptions')}: ${names}${tail}.`;
}
