// The add/edit form's model: text fields as typed (numbers stay strings until saved, so a
// half-typed value is never coerced), validation with one message per field, and the
// conversion to and from the contract's SubscriptionForm.
import { HTTP_METHODS, type HeaderForm, type MessageRuleForm, type NotifyForm, type SubscriptionForm } from './bindings';
import { emptyNetworkDraft, networkDraftFrom, validateNetwork, NETWORK_FIELDS, type NetworkDraft } from './network-form';
import { expectationDraftsFrom, validateExpectations, type ExpectationDraft } from './expectations-form';
import { emptyProbeDraft, probeDraftFrom, probeErrorKey, validateProbe, type ProbeDraft } from './probe-form';

export interface HeaderDraft {
  /** Local key for the keyed list; not sent. */
  key: number;
  name: string;
  value: string;
  secret: boolean;
  /** A secret the shell keeps: value "" means "keep it". */
  hasStoredValue: boolean;
  /** The user chose to type a new value for a stored secret. */
  replacing: boolean;
}

/** One message rule as typed; empty fields are not conditions. */
export interface RuleDraft {
  /** Local key for the keyed list; not sent. */
  key: number;
  event: string;
  contains: string;
  regex: string;
  jsonPointer: string;
  jsonEquals: string;
}

/** When to notify, as typed. */
export interface NotifyDraft {
  downAfterSecs: string;
  recovered: boolean;
  gaveUp: boolean;
  fatal: boolean;
  /** Ids went backwards: the server restarted its counter. */
  reset: boolean;
  /** Silent past the stale threshold, and data again. */
  stale: boolean;
  /** An event does not match its expected JSON Schema. */
  schemaMismatch: boolean;
  messages: RuleDraft[];
}

export interface FormDraft {
  name: string;
  url: string;
  /** Extra query parameters holding credentials, comma-separated as typed. */
  secretParams: string;
  method: string;
  headers: HeaderDraft[];
  body: string;
  lastEventId: string;
  retryInitialMs: string;
  retryMaxMs: string;
  maxRetries: string;
  /** Empty: automatic (3× the usual gap, at least 45 s); 0: off. */
  idleTimeoutSecs: string;
  /** Empty: learned from the stream. */
  staleAfterSecs: string;
  paused: boolean;
  notify: NotifyDraft;
  redirects: RedirectChoice;
  /** On: integer ids that jump are not gaps (the server does not count by one). */
  idsNotSequential: boolean;
  /** When a stream that ended is requested again; `by-method` is the method's default. */
  reconnect: ReconnectChoice;
  /** An event type that ends the stream cleanly; empty: none. */
  endEvent: string;
  /** Proxy, extra CA certificates, client certificate and key. */
  network: NetworkDraft;
  /** JSON Schemas the events must match (expectations-form.ts). */
  expectations: ExpectationDraft[];
  /** Probe schedule and run notification rules (probe-form.ts). */
  probe: ProbeDraft;
}

/** Which redirects a subscription follows (the shell's RedirectMode). */
export type RedirectChoice = NonNullable<SubscriptionForm['redirects']>;

/** The choices of the redirects select, each saying in plain words what it does. */
export const REDIRECT_CHOICES: readonly { value: RedirectChoice; label: string }[] = [
  { value: 'any', label: 'Follow any redirect' },
  { value: 'same-origin', label: 'Only to the same server (same scheme, host and port)' },
  { value: 'never', label: 'Never: treat a redirect as an error' },
];

/** When a stream that ended is requested again (the shell's ReconnectChoice). */
export type ReconnectChoice = NonNullable<SubscriptionForm['reconnect']>;

/**
 * What `by-method` means for `method`. The engine's rule (reconnect_mode.rs,
 * `default_for_method`), repeated only to label the choice while the method is typed.
 */
export function reconnectDefaultWords(method: string): string {
  return method.trim().toUpperCase() === 'GET' || method.trim() === '' ? 'always' : 'after errors only';
}

/** The choices of the reconnect select; the first names the default for `method`. */
export function reconnectChoices(method: string): readonly { value: ReconnectChoice; label: string }[] {
  const m = method.trim() === '' ? 'GET' : method.trim().toUpperCase();
  return [
    { value: 'by-method', label: `Default for ${m}: ${reconnectDefaultWords(method)}` },
    { value: 'always', label: 'Always: an endless stream' },
    { value: 'error', label: 'After errors only: a clean end is done' },
    { value: 'never', label: 'Never' },
  ];
}

/** Field names as the shell names them in CommandError.field (camelCase, as the DTO). */
export type FieldName = Exclude<keyof FormDraft, 'headers' | 'notify' | 'network' | 'expectations' | 'probe'> | 'headers' | 'notify' | (typeof NETWORK_FIELDS)[number];

/**
 * Errors keyed by field; header rows use `headers.<index>.name` / `headers.<index>.value`,
 * notification settings `notify.downAfterSecs` and `notify.messages.<index>.<field>` (or
 * `notify.messages.<index>` for the rule as a whole), and the shell's verdict on them `notify`.
 */
export type FormErrors = Partial<Record<string, string>>;

/**
 * The methods the form offers: the engine's list, and the subscription's own if it is an
 * extension method (any token is valid HTTP), so editing never silently changes it.
 */
export function methodChoices(current: string): string[] {
  const known: readonly string[] = HTTP_METHODS;
  return known.includes(current) ? [...known] : [...known, current];
}

export const DEFAULT_RETRY_INITIAL_MS = 1000;
export const DEFAULT_RETRY_MAX_MS = 30_000;
const MAX_DELAY_MS = 24 * 3600 * 1000;
const MAX_IDLE_SECS = 24 * 3600;
/** Longest stale threshold (the engine's MAX_STALE_AFTER_SECS). */
const MAX_STALE_SECS = 24 * 3600;
const MAX_RETRIES = 1_000_000;
/** The shell's limits on notification rules (crates/engine/src/alerts/rules.rs). */
export const DEFAULT_DOWN_AFTER_SECS = 10;
export const MAX_DOWN_AFTER_SECS = 86_400;
export const MAX_PATTERN_LEN = 1000;

let nextKey = 1;

export function newHeader(): HeaderDraft {
  return { key: nextKey++, name: '', value: '', secret: false, hasStoredValue: false, replacing: false };
}

export function newRule(p: Partial<Omit<RuleDraft, 'key'>> = {}): RuleDraft {
  return { key: nextKey++, event: '', contains: '', regex: '', jsonPointer: '', jsonEquals: '', ...p };
}

/** What a new subscription notifies about: down for 10 s, recovered, gave up, fatal errors. */
export function defaultNotifyDraft(): NotifyDraft {
  return { downAfterSecs: String(DEFAULT_DOWN_AFTER_SECS), recovered: true, gaveUp: true, fatal: true, reset: true, stale: true, schemaMismatch: true, messages: [] };
}

function notifyDraftFrom(n: NotifyForm | undefined): NotifyDraft {
  if (!n) return defaultNotifyDraft();
  return {
    downAfterSecs: String(n.downAfterSecs),
    recovered: n.recovered,
    gaveUp: n.gaveUp,
    fatal: n.fatal,
    reset: n.reset,
    stale: n.stale,
    schemaMismatch: n.schemaMismatch ?? true,
    messages: n.messages.map((m) => newRule({ ...m })),
  };
}

/** "sid, ticket" → ["sid", "ticket"]: names only, blanks dropped. */
export function splitParams(text: string): string[] {
  return text
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
}

export function emptyDraft(): FormDraft {
  return {
    name: '',
    url: '',
    secretParams: '',
    method: 'GET',
    headers: [],
    body: '',
    lastEventId: '',
    retryInitialMs: String(DEFAULT_RETRY_INITIAL_MS),
    retryMaxMs: String(DEFAULT_RETRY_MAX_MS),
    maxRetries: '',
    idleTimeoutSecs: '',
    staleAfterSecs: '',
    paused: false,
    notify: defaultNotifyDraft(),
    redirects: 'any',
    idsNotSequential: false,
    reconnect: 'by-method',
    endEvent: '',
    network: emptyNetworkDraft(),
    expectations: [],
    probe: emptyProbeDraft(),
  };
}

export function draftFromForm(f: SubscriptionForm): FormDraft {
  return {
    name: f.name,
    url: f.url,
    secretParams: f.secretParams.join(', '),
    method: f.method,
    headers: f.headers.map((h) => ({ ...newHeader(), name: h.name, value: h.value, secret: h.secret, hasStoredValue: h.hasStoredValue })),
    body: f.body ?? '',
    lastEventId: f.lastEventId ?? '',
    retryInitialMs: String(f.retryInitialMs),
    retryMaxMs: String(f.retryMaxMs),
    maxRetries: f.maxRetries === null ? '' : String(f.maxRetries),
    idleTimeoutSecs: f.idleTimeoutSecs === null ? '' : String(f.idleTimeoutSecs),
    staleAfterSecs: f.staleAfterSecs == null ? '' : String(f.staleAfterSecs),
    paused: f.paused,
    notify: notifyDraftFrom(f.notify),
    redirects: f.redirects ?? 'any',
    idsNotSequential: f.idsNotSequential ?? false,
    reconnect: f.reconnect ?? 'by-method',
    endEvent: f.endEvent ?? '',
    network: networkDraftFrom(f.network),
    expectations: expectationDraftsFrom(f.expectations),
    probe: probeDraftFrom(f.probe),
  };
}

// RFC 9110 token characters: what an HTTP method or header name may be made of.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// Header values and event ids cannot carry line breaks or NUL (they would end the line).
const LINE_BREAK_OR_NUL = /[\r\n\0]/;

function parseWhole(text: string, min: number, max: number): number | null {
  const t = text.trim();
  if (!/^\d+$/.test(t)) return null;
  const n = Number(t);
  return Number.isSafeInteger(n) && n >= min && n <= max ? n : null;
}

/** Whether a header row is blank and should simply be dropped. */
function isBlankHeader(h: HeaderDraft): boolean {
  return h.name.trim() === '' && h.value === '' && !h.hasStoredValue;
}

/**
 * Whether JavaScript can compile `pattern`: a hint only, the shell (Rust's regex crate) decides.
 * A leading inline flag group such as `(?i)`, which Rust reads and older JS engines do not, is
 * left out of the check.
 */
export function regexHint(pattern: string): string | null {
  const src = pattern.trim();
  if (src === '') return null;
  const flags = /^\(\?([a-zA-Z]+)\)/.exec(src);
  try {
    new RegExp(flags ? src.slice(flags[0].length) : src);
    return null;
  } catch (e) {
    const why = e instanceof Error ? e.message.replace(/^Invalid regular expression: /, '') : String(e);
    return `This may not be a valid regular expression (${why}); it is checked when you save.`;
  }
}

/** Checks the notification settings; errors go into `errors` under `notify.…` keys. */
function validateNotify(n: NotifyDraft, errors: FormErrors): NotifyForm {
  const downAfterSecs = parseWhole(n.downAfterSecs, 0, MAX_DOWN_AFTER_SECS);
  if (downAfterSecs === null) errors['notify.downAfterSecs'] = `A whole number of seconds up to ${MAX_DOWN_AFTER_SECS} (0: never).`;
  const messages: MessageRuleForm[] = n.messages.map((r, i) => {
    const at = `notify.messages.${i}`;
    const rule: MessageRuleForm = {
      event: r.event.trim(),
      // The shell matches the text as typed, spaces included.
      contains: r.contains,
      regex: r.regex.trim(),
      jsonPointer: r.jsonPointer.trim(),
      jsonEquals: r.jsonEquals.trim(),
    };
    if (LINE_BREAK_OR_NUL.test(rule.event)) errors[`${at}.event`] = 'An event type cannot contain line breaks.';
    if (rule.regex.length > MAX_PATTERN_LEN) errors[`${at}.regex`] = `Keep the pattern under ${MAX_PATTERN_LEN} characters.`;
    if (rule.jsonPointer !== '' && !rule.jsonPointer.startsWith('/'))
      errors[`${at}.jsonPointer`] = 'A JSON pointer starts with / (e.g. /level).';
    else if (rule.jsonPointer === '' && rule.jsonEquals !== '')
      errors[`${at}.jsonPointer`] = 'Say where to look: a JSON pointer such as /level.';
    else if (rule.jsonPointer !== '' && rule.jsonEquals === '')
      errors[`${at}.jsonEquals`] = 'The value to compare with, e.g. "error", 5 or true.';
    if (rule.event === '' && rule.contains === '' && rule.regex === '' && rule.jsonPointer === '' && rule.jsonEquals === '')
      errors[at] = 'Set at least one condition: an event type, text, a regex or a JSON pointer.';
    return rule;
  });
  return { downAfterSecs: downAfterSecs ?? 0, recovered: n.recovered, gaveUp: n.gaveUp, fatal: n.fatal, reset: n.reset, stale: n.stale, schemaMismatch: n.schemaMismatch, messages };
}

/**
 * Which part of the notification settings a shell error with field "notify" is about: the rule
 * it names ("message rule 2: …" → index 1), the down threshold, or the section as a whole.
 */
export function notifyErrorTarget(message: string): { rule: number } | 'downAfter' | null {
  const rule = /message rule (\d+)/i.exec(message);
  if (rule) {
    const n = Number(rule[1]);
    return n >= 1 ? { rule: n - 1 } : null;
  }
  return /down after/i.test(message) ? 'downAfter' : null;
}

export type Validation = { ok: true; form: SubscriptionForm } | { ok: false; errors: FormErrors };

export function validateDraft(d: FormDraft): Validation {
  const errors: FormErrors = {};
  const name = d.name.trim();
  if (name === '') errors.name = 'Give it a name.';
  else if (name.length > 200) errors.name = 'Keep the name under 200 characters.';

  const url = d.url.trim();
  if (url === '') {
    errors.url = 'Enter the stream’s URL.';
  } else {
    let parsed: URL | null = null;
    try {
      parsed = new URL(url);
    } catch {
      errors.url = 'This is not a valid URL (example: https://example.com/events).';
    }
    if (parsed && parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
      errors.url = 'Only http:// and https:// URLs can carry an event stream.';
    else if (parsed && parsed.hostname === '') errors.url = 'The URL needs a host.';
  }

  const method = d.method.trim().toUpperCase();
  if (!TOKEN.test(method)) errors.method = 'A method is one word of letters, like GET or POST.';

  const headers: HeaderForm[] = [];
  const seenSecret = new Set<string>();
  d.headers.forEach((h, i) => {
    if (isBlankHeader(h)) return;
    const hn = h.name.trim();
    if (hn === '') errors[`headers.${i}.name`] = 'Header name is missing.';
    else if (!TOKEN.test(hn)) errors[`headers.${i}.name`] = 'Letters, digits and - only (no spaces or colons).';
    else if (h.secret && seenSecret.has(hn.toLowerCase()))
      errors[`headers.${i}.name`] = 'This secret header is listed twice.';
    if (h.secret) seenSecret.add(hn.toLowerCase());
    const keepsStored = h.secret && h.hasStoredValue && h.value === '';
    if (LINE_BREAK_OR_NUL.test(h.value)) errors[`headers.${i}.value`] = 'A header value cannot contain line breaks.';
    else if (h.secret && h.value === '' && !keepsStored) errors[`headers.${i}.value`] = 'Enter the secret value.';
    headers.push({
      name: hn,
      // A stored secret travels back as "" with hasStoredValue: the shell keeps what it has.
      value: h.value.trim(),
      secret: h.secret,
      hasStoredValue: h.secret && h.hasStoredValue,
    });
  });

  if (LINE_BREAK_OR_NUL.test(d.lastEventId)) errors.lastEventId = 'An event id cannot contain line breaks.';

  const retryInitialMs = parseWhole(d.retryInitialMs, 0, MAX_DELAY_MS);
  if (retryInitialMs === null) errors.retryInitialMs = 'A whole number of milliseconds, up to 24 h.';
  const retryMaxMs = parseWhole(d.retryMaxMs, 1, MAX_DELAY_MS);
  if (retryMaxMs === null) errors.retryMaxMs = 'A whole number of milliseconds above 0, up to 24 h.';
  else if (retryInitialMs !== null && retryMaxMs < retryInitialMs)
    errors.retryMaxMs = 'The maximum delay must be at least the initial delay.';

  let maxRetries: number | null = null;
  if (d.maxRetries.trim() !== '') {
    maxRetries = parseWhole(d.maxRetries, 0, MAX_RETRIES);
    if (maxRetries === null) errors.maxRetries = 'A whole number, or empty to retry forever.';
  }

  let idleTimeoutSecs: number | null = null;
  if (d.idleTimeoutSecs.trim() !== '') {
    idleTimeoutSecs = parseWhole(d.idleTimeoutSecs, 0, MAX_IDLE_SECS);
    if (idleTimeoutSecs === null) errors.idleTimeoutSecs = 'A whole number of seconds (empty: automatic, 0: off).';
  }

  let staleAfterSecs: number | null = null;
  if (d.staleAfterSecs.trim() !== '') {
    staleAfterSecs = parseWhole(d.staleAfterSecs, 1, MAX_STALE_SECS);
    if (staleAfterSecs === null) errors.staleAfterSecs = 'A whole number of seconds from 1 to 86400 (empty: learned).';
  }

  const notify = validateNotify(d.notify, errors);
  const network = validateNetwork(d.network, errors);
  const expectations = validateExpectations(d.expectations, errors);
  const probe = validateProbe(d.probe, errors);

  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return {
    ok: true,
    form: {
      name,
      url,
      secretParams: splitParams(d.secretParams),
      method,
      headers,
      body: d.body === '' ? null : d.body,
      lastEventId: d.lastEventId === '' ? null : d.lastEventId,
      retryInitialMs: retryInitialMs as number,
      retryMaxMs: retryMaxMs as number,
      maxRetries,
      idleTimeoutSecs,
      staleAfterSecs,
      paused: d.paused,
      notify,
      redirects: d.redirects,
      idsNotSequential: d.idsNotSequential,
      reconnect: d.reconnect,
      endEvent: d.endEvent.trim(),
      network,
      expectations,
      probe,
    },
  };
}

/**
 * Where to show a CommandError's `field`. The shell may name a field as the DTO does
 * ("url", "retryMaxMs"), in snake_case, or a header as "headers", "headers[2]" or
 * "headers.2.value"; anything unknown goes to the form-level message.
 */
export function errorKeyForField(field: string | null): string | null {
  if (field === null || field === '') return null;
  const camel = field.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
  const header = /^headers?(?:[.[](\d+)\]?(?:\.(name|value))?)?$/.exec(camel);
  if (header) {
    if (header[1] === undefined) return 'headers';
    return `headers.${header[1]}.${header[2] ?? 'name'}`;
  }
  const expectation = /^expectations?[.[](\d+)\]?(?:\.schema)?$/.exec(camel);
  if (expectation) return `expectations.${expectation[1]}.schema`;
  const probe = probeErrorKey(field);
  if (probe) return probe;
  const known: readonly string[] = [
    'name', 'url', 'secretParams', 'method', 'body', 'lastEventId', 'retryInitialMs', 'retryMaxMs', 'maxRetries', 'idleTimeoutSecs', 'staleAfterSecs', 'paused',
    'notify', 'redirects', 'idsNotSequential', 'reconnect', 'endEvent', ...NETWORK_FIELDS,
  ];
  return known.includes(camel) ? camel : null;
}
