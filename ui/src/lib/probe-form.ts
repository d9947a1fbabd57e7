// The form's "Probe" section as the user edits it: "Run every N s/min/h" (empty: not a probe)
// and the run notification rules. The shell checks the interval's range and compiles the
// answer rule again; its words land under the field they are about (probeErrorKey).
import type { ProbeForm } from './bindings';
/** Messages by field key (the form's FormErrors). */
type FormErrors = Partial<Record<string, string>>;

export type ProbeUnit = 's' | 'min' | 'h';

export const PROBE_UNITS: readonly { value: ProbeUnit; label: string; secs: number }[] = [
  { value: 's', label: 'seconds', secs: 1 },
  { value: 'min', label: 'minutes', secs: 60 },
  { value: 'h', label: 'hours', secs: 3600 },
];

/** The engine's bounds on a probe interval (catalog/validate.rs) and on a run time limit. */
export const MIN_PROBE_SECS = 10;
export const MAX_PROBE_SECS = 7 * 24 * 3600;
export const MAX_RUN_LIMIT_MS = 3_600_000;

export interface ProbeDraft {
  /** Empty: not a probe. */
  every: string;
  unit: ProbeUnit;
  notifyFailed: boolean;
  notifyNoSentinel: boolean;
  firstTokenLimitMs: string;
  totalLimitMs: string;
  expectContains: string;
  expectRegex: string;
  expectJsonPointer: string;
  expectJsonEquals: string;
}

/** The error keys of the section. */
export const PROBE_KEYS = {
  every: 'probe.every',
  firstToken: 'probe.firstTokenLimitMs',
  total: 'probe.totalLimitMs',
  regex: 'probe.expectRegex',
  pointer: 'probe.expectJsonPointer',
  equals: 'probe.expectJsonEquals',
  rules: 'probe.rules',
} as const;

export function emptyProbeDraft(): ProbeDraft {
  return {
    every: '',
    unit: 'min',
    notifyFailed: true,
    notifyNoSentinel: false,
    firstTokenLimitMs: '',
    totalLimitMs: '',
    expectContains: '',
    expectRegex: '',
    expectJsonPointer: '',
    expectJsonEquals: '',
  };
}

/** The interval in the largest unit that says it exactly: 300 → 5 min, 90 → 90 s. */
export function splitEvery(secs: number): { every: string; unit: ProbeUnit } {
  for (const u of [...PROBE_UNITS].reverse()) {
    if (secs % u.secs === 0) return { every: String(secs / u.secs), unit: u.value };
  }
  return { every: String(secs), unit: 's' };
}

export function probeDraftFrom(f: ProbeForm | undefined): ProbeDraft {
  if (!f) return emptyProbeDraft();
  const every = f.everySecs === null || f.everySecs === 0 ? { every: '', unit: 'min' as ProbeUnit } : splitEvery(f.everySecs);
  return {
    ...every,
    notifyFailed: f.notifyFailed,
    notifyNoSentinel: f.notifyNoSentinel,
    firstTokenLimitMs: f.firstTokenLimitMs === null ? '' : String(f.firstTokenLimitMs),
    totalLimitMs: f.totalLimitMs === null ? '' : String(f.totalLimitMs),
    expectContains: f.expectContains,
    expectRegex: f.expectRegex,
    expectJsonPointer: f.expectJsonPointer,
    expectJsonEquals: f.expectJsonEquals,
  };
}

/** Whether the section has anything beyond the defaults (it then opens by itself). */
export function probeIsSet(d: ProbeDraft): boolean {
  const empty = emptyProbeDraft();
  return (Object.keys(empty) as (keyof ProbeDraft)[]).some((k) => k !== 'unit' && d[k] !== empty[k]);
}

function whole(text: string): number | null {
  const t = text.trim();
  if (!/^\d+$/.test(t)) return null;
  const n = Number(t);
  return Number.isSafeInteger(n) ? n : null;
}

/** Checks what can be checked here and builds the ProbeForm the shell takes. */
export function validateProbe(d: ProbeDraft, errors: FormErrors): ProbeForm {
  let everySecs: number | null = null;
  if (d.every.trim() !== '') {
    const n = whole(d.every);
    const unit = PROBE_UNITS.find((u) => u.value === d.unit) ?? PROBE_UNITS[0];
    if (n === null) errors[PROBE_KEYS.every] = 'A whole number, or empty for no schedule.';
    else {
      everySecs = n * unit.secs;
      if (everySecs < MIN_PROBE_SECS || everySecs > MAX_PROBE_SECS)
        errors[PROBE_KEYS.every] = 'A probe runs every 10 seconds at the most often and every 7 days at the least often.';
    }
  }
  const limit = (text: string, key: string): number | null => {
    if (text.trim() === '') return null;
    const n = whole(text);
    if (n === null || n < 1 || n > MAX_RUN_LIMIT_MS) {
      errors[key] = 'Milliseconds from 1 to 3600000 (one hour), or empty for no limit.';
      return null;
    }
    return n;
  };
  const firstTokenLimitMs = limit(d.firstTokenLimitMs, PROBE_KEYS.firstToken);
  const totalLimitMs = limit(d.totalLimitMs, PROBE_KEYS.total);
  // The regex is Rust's: only the shell can say it does not compile (the section hints).
  const regex = d.expectRegex.trim();
  const pointer = d.expectJsonPointer.trim();
  if (pointer !== '' && !pointer.startsWith('/')) errors[PROBE_KEYS.pointer] = 'A JSON pointer starts with /, like /answer/status.';
  if (pointer === '' && d.expectJsonEquals.trim() !== '') errors[PROBE_KEYS.pointer] = 'Say where in the answer to look: a JSON pointer such as /status.';
  else if (pointer !== '' && d.expectJsonEquals.trim() === '') errors[PROBE_KEYS.equals] = 'The value to compare with, e.g. "done", 5 or true.';
  return {
    everySecs,
    notifyFailed: d.notifyFailed,
    notifyNoSentinel: d.notifyNoSentinel,
    firstTokenLimitMs,
    totalLimitMs,
    expectContains: d.expectContains,
    expectRegex: regex,
    expectJsonPointer: pointer,
    expectJsonEquals: d.expectJsonEquals.trim(),
  };
}

/**
 * Where a shell refusal about the probe goes: the interval ("probeEvery") or the run rule it
 * names ("probe.expectRegex", "probe.totalLimitMs", …; "probe" for the rules as a whole).
 * `null` when the field is not the probe's.
 */
export function probeErrorKey(field: string): string | null {
  if (field === 'probeEvery' || field === 'probe_every_ms') return PROBE_KEYS.every;
  if (field === 'probe') return PROBE_KEYS.rules;
  const key = `probe.${field.slice('probe.'.length)}`;
  return field.startsWith('probe.') && (Object.values(PROBE_KEYS) as string[]).includes(key) ? key : null;
}

/** Whether `key` is one of the section's error keys. */
export function isProbeKey(key: string): boolean {
  return key.startsWith('probe.');
}
