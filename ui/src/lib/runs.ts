// The runs panel's pure parts: which subscriptions have runs, a run's row in plain words, and
// the chart's scaling (time to first token and duration per run, oldest on the left).
import type { RunView, RunsView, SubscriptionView } from './bindings';
import { formatBytes } from './format';

/** How many runs a page of the table holds; the chart draws the newest of them. */
export const RUNS_PAGE = 50;

/** A probe: it runs on a schedule. */
export function isProbe(view: SubscriptionView): boolean {
  const every = view.form.probe?.everySecs;
  return every !== null && every !== undefined && every > 0;
}

/** A stream that ends (a probe, or one that is not reconnected after a clean end): it has runs. */
export function hasRuns(view: SubscriptionView): boolean {
  if (isProbe(view)) return true;
  const mode = view.form.reconnect ?? 'by-method';
  if (mode === 'error' || mode === 'never') return true;
  return mode === 'by-method' && view.form.method.trim().toUpperCase() !== 'GET';
}

/** A duration in ms for the table: "—", "850 ms", "2.4 s", "1 min 5 s". */
export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)} min ${s % 60} s`;
}

/** The result in a word: ok, failed or running. */
export function runResult(run: RunView): 'ok' | 'failed' | 'running' {
  if (run.ok === null) return run.endedAtMs === null && run.failure === null ? 'running' : 'failed';
  return run.ok ? 'ok' : 'failed';
}

/** The answer's first non-empty line, cut to `max` characters. */
export function firstLine(text: string | null, max = 80): string {
  if (!text) return '';
  const line = text.split(/\r?\n/).find((l) => l.trim() !== '') ?? '';
  const t = line.trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/**
 * The usage figures as "12 in · 40 out" (OpenAI's prompt/completion tokens, Anthropic's and
 * Responses' input/output tokens, Gemini's promptTokenCount/candidatesTokenCount), else "".
 */
export function usageWords(usage: unknown): string {
  if (typeof usage !== 'object' || usage === null) return '';
  const u = usage as Record<string, unknown>;
  const input = num(u.prompt_tokens) ?? num(u.input_tokens) ?? num(u.promptTokenCount);
  const output = num(u.completion_tokens) ?? num(u.output_tokens) ?? num(u.candidatesTokenCount);
  const total = num(u.total_tokens) ?? num(u.totalTokenCount);
  const parts: string[] = [];
  if (input !== null) parts.push(`${input} in`);
  if (output !== null) parts.push(`${output} out`);
  if (parts.length === 0 && total !== null) parts.push(`${total} tokens`);
  return parts.join(' · ');
}

/** How it ended, in words: "[DONE]", "clean close", "error", "timeout". */
export function endWords(run: RunView): string {
  if (run.sentinel) return run.sentinel;
  switch (run.end) {
    case null:
      return '—';
    case 'done-sentinel':
      return 'end sentinel';
    case 'clean-close':
      return 'clean close';
    default:
      return run.end;
  }
}

/** One figure of a run, as its detail lists it. */
export interface RunFigure {
  /** Stable name, for `data-testid="run-fig-<key>"`. */
  key: string;
  label: string;
  value: string;
  /** The longer words behind it (a tooltip), when there are any. */
  title?: string;
}

/**
 * Every figure of a run, in the order a request goes: status, time to the response headers,
 * to the first event, to the first token, duration, events, bytes, how it ended, and for a
 * recognised LLM format the format, the finish reason and the usage. "—" where a run has none.
 */
export function runFigures(run: RunView): RunFigure[] {
  const or = (v: string | number | null | undefined): string => (v === null || v === undefined || v === '' ? '—' : String(v));
  const usage = run.usage === null || run.usage === undefined ? null : JSON.stringify(run.usage);
  return [
    { key: 'status', label: 'Status', value: or(run.status) },
    { key: 'ttfb', label: 'Response headers', value: formatMs(run.ttfbMs) },
    { key: 'first-event', label: 'First event', value: formatMs(run.firstEventMs) },
    { key: 'first-token', label: 'First token', value: formatMs(run.firstTokenMs) },
    { key: 'duration', label: 'Duration', value: formatMs(run.durationMs) },
    { key: 'events', label: 'Events', value: or(run.events) },
    { key: 'bytes', label: 'Bytes', value: run.bytes === null ? '—' : formatBytes(run.bytes) },
    { key: 'end', label: 'End', value: endWords(run) },
    { key: 'format', label: 'Format', value: or(run.formatLabel ?? run.format) },
    { key: 'finish', label: 'Finish reason', value: or(run.finishReason) },
    { key: 'usage', label: 'Usage', value: or(usageWords(run.usage) || usage), ...(usage ? { title: usage } : {}) },
  ];
}

/** "80 % ok today (4 of 5)", or that none ended today. */
export function successWords(v: Pick<RunsView, 'endedToday' | 'okToday' | 'successRateToday'>): string {
  if (v.endedToday === 0 || v.successRateToday === null) return 'no run ended today';
  const pct = Math.floor(v.successRateToday * 1000) / 10;
  const shown = Number.isInteger(pct) ? String(pct) : pct.toFixed(1);
  return `${shown} % ok today (${v.okToday} of ${v.endedToday})`;
}

/** The chart's shapes: one series per figure, oldest run on the left. */
export interface RunChart {
  /** The top of the y axis, in ms (a round figure above the largest value). */
  maxMs: number;
  /** SVG paths (M/L), empty when no run has the figure. */
  firstToken: string;
  duration: string;
  /** Failed runs' x positions, marked on the axis. */
  failed: number[];
  /** Points, for dots on a short series. */
  points: { x: number; firstTokenY: number | null; durationY: number | null; ok: boolean }[];
}

/** The smallest "nice" number (1, 2 or 5 × 10^n) at or above `v`. */
export function niceCeil(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

/** Scales `runs` (newest first, as listed) into a width × height box (y grows down). */
export function runChart(runs: readonly RunView[], width: number, height: number): RunChart {
  const ordered = [...runs].reverse();
  let max = 0;
  for (const r of ordered) max = Math.max(max, r.firstTokenMs ?? 0, r.durationMs ?? 0);
  const maxMs = niceCeil(max);
  const step = ordered.length > 1 ? width / (ordered.length - 1) : 0;
  const x0 = ordered.length > 1 ? 0 : width / 2;
  const y = (ms: number | null): number | null => (ms === null ? null : +(height - (ms / maxMs) * height).toFixed(1));
  const points = ordered.map((r, i) => ({
    x: +(x0 + i * step).toFixed(1),
    firstTokenY: y(r.firstTokenMs),
    durationY: y(r.durationMs),
    ok: runResult(r) !== 'failed',
  }));
  const path = (key: 'firstTokenY' | 'durationY'): string => {
    let d = '';
    let pen = false;
    for (const p of points) {
      const v = p[key];
      if (v === null) {
        pen = false;
        continue;
      }
      d += `${pen ? 'L' : 'M'}${p.x} ${v}`;
      pen = true;
    }
    return d;
  };
  return {
    maxMs,
    firstToken: path('firstTokenY'),
    duration: path('durationY'),
    failed: points.filter((p) => !p.ok).map((p) => p.x),
    points,
  };
}
