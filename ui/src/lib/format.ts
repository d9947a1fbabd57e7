// Numbers, times and status words as the UI writes them. Pure functions: the clock is a parameter.
import type { StatusView } from './bindings';
import type { DisplayState } from './types';

const intFmt = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

export function formatCount(n: number): string {
  return intFmt.format(n);
}

/** msgs/s: one decimal below 10, whole above, "k" above 10,000. */
export function formatRate(r: number): string {
  if (!Number.isFinite(r) || r <= 0) return '0';
  if (r < 0.05) return '<0.1';
  if (r < 10) return r.toFixed(1).replace(/\.0$/, '');
  if (r < 10_000) return Math.round(r).toString();
  return `${(r / 1000).toFixed(1).replace(/\.0$/, '')}k`;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[u]}`;
}

/** A duration in its two largest units: "4 s", "2 min 5 s", "3 h 2 min", "2 d 3 h". */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 ? `${m} min ${s % 60} s` : `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d} d ${h % 24} h` : `${d} d`;
}

/** Time since an instant, short enough for the sidebar: "now", "4 s", "3 min", "2 h", "5 d". */
export function formatAgo(thenMs: number | null, nowMs: number): string {
  if (thenMs === null) return '—';
  const s = Math.floor((nowMs - thenMs) / 1000);
  if (s < 1) return 'now';
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h`;
  return `${Math.floor(s / 86_400)} d`;
}

function pad(n: number, w = 2): string {
  return n.toString().padStart(w, '0');
}

/** 14:03:27 local time. */
export function formatClock(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** 14:03:27.042 local time, for log rows. */
export function formatClockMs(ms: number): string {
  return `${formatClock(ms)}.${pad(new Date(ms).getMilliseconds(), 3)}`;
}

/** Clock time for today, "Mar 3 14:03:27" for other days. */
export function formatWhen(ms: number, nowMs: number): string {
  const d = new Date(ms);
  const n = new Date(nowMs);
  if (d.toDateString() === n.toDateString()) return formatClock(ms);
  const month = d.toLocaleString('en-US', { month: 'short' });
  return `${month} ${d.getDate()} ${formatClock(ms)}`;
}

export function formatPercent(p: number): string {
  if (!Number.isFinite(p)) return '—';
  const c = Math.min(100, Math.max(0, p));
  return c >= 99.95 || c === 0 ? `${Math.round(c)} %` : `${c.toFixed(1)} %`;
}

/** Midnight today, local time: the start of "today" for uptime and the timeline. */
export function startOfDay(nowMs: number): number {
  const d = new Date(nowMs);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

/** Whole seconds until `atMs`, never negative. */
export function secondsUntil(atMs: number, nowMs: number): number {
  return Math.max(0, Math.ceil((atMs - nowMs) / 1000));
}

/**
 * What the UI shows for a status: the engine's "stale" or "waiting" (open, no data yet since it
 * opened: a 200 alone is not green) verdict, else the state itself.
 */
export function displayState(status: StatusView): DisplayState {
  if (status.state === 'open' && (status.health === 'stale' || status.health === 'waiting')) return status.health;
  return status.state;
}

/** The words after the state of a stream waiting for its first message since it opened. */
export function waitingWords(status: StatusView): string {
  return status.reconnects > 0 ? 'reconnected, no data yet' : 'connected, no data yet';
}

/** Milliseconds of silence on an open stream (since the last message, or since it opened). */
export function silenceMs(status: StatusView, nowMs: number): number | null {
  if (status.state !== 'open') return null;
  const ref = Math.max(status.lastMessageAtMs ?? -Infinity, status.connectedSinceMs ?? -Infinity);
  return Number.isFinite(ref) ? Math.max(0, nowMs - ref) : null;
}

/**
 * The status as words: the state, and for a retrying stream its attempt and a live countdown
 * ("retrying 3 · next in 4 s").
 */
export function statusWord(state: DisplayState, status: StatusView, nowMs: number): string {
  switch (state) {
    case 'retrying': {
      if (status.nextRetryAtMs === null) return `retrying ${status.attempt}`;
      const s = secondsUntil(status.nextRetryAtMs, nowMs);
      return s > 0 ? `retrying ${status.attempt} · next in ${s} s` : `retrying ${status.attempt} · now`;
    }
    case 'connecting':
      return status.attempt > 0 ? `connecting · attempt ${status.attempt + 1}` : 'connecting';
    case 'waiting':
      return 'waiting for data';
    case 'offline':
      return 'offline · waits for the network';
    case 'stopped':
      // A probe between runs is waiting for its slot, not stopped for good.
      if (status.nextRunAtMs != null) return `next run ${clockTime(status.nextRunAtMs)}`;
      // A finite stream that ended as it should (its reconnect mode said so) is done, not stuck.
      return status.finished ? 'finished' : 'stopped';
    default:
      return state;
  }
}

/** A local wall-clock time as HH:MM. */
export function clockTime(atMs: number): string {
  const d = new Date(atMs);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

/**
 * "down since 14:05 (for 3 min 2 s)" for a retrying or failed stream whose outage began at
 * `status.downSinceMs` (the working stream was lost, or the first failure); '' otherwise.
 */
export function downSinceWords(status: StatusView, nowMs: number): string {
  if (status.downSinceMs === null) return '';
  if (status.state !== 'retrying' && status.state !== 'failed' && status.state !== 'connecting') return '';
  return `down since ${clockTime(status.downSinceMs)} (for ${formatDuration(nowMs - status.downSinceMs)})`;
}

/** Subscriptions down: past their "down after" threshold, or failed (the tray's red ones). */
export function downCount(statuses: readonly StatusView[]): number {
  return statuses.filter((s) => s.state === 'failed' || s.health === 'down' || s.health === 'failed').length;
}

/** Aggregate for the status bar: "5 open · 1 retrying · 0 failed", plus any other state present. */
export function aggregateLine(states: readonly DisplayState[]): string {
  const counts = new Map<DisplayState, number>();
  for (const s of states) counts.set(s, (counts.get(s) ?? 0) + 1);
  const offline = counts.get('offline') ?? 0;
  const parts = [
    // The machine's state first: it explains every other number.
    ...(offline ? [`offline: ${offline} waiting for the network`] : []),
    `${counts.get('open') ?? 0} open`,
    `${counts.get('retrying') ?? 0} retrying`,
    `${counts.get('failed') ?? 0} failed`,
  ];
  for (const s of ['stale', 'waiting', 'connecting', 'paused', 'stopped'] as const) {
    const n = counts.get(s);
    if (n) parts.push(`${n} ${s}`);
  }
  return parts.join(' · ');
}
