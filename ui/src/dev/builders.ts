// Builders for the contract's objects, shared by the dev fake backend and the tests: each caller
// states only what it is about, and a field the contract gains gets its default in one place.
// Never part of a production build: only the fake backend (dev only) and the tests import it.
import type { LifecycleView, MessageView, StatusView, SubscriptionForm, SubscriptionView, UpdateBatch } from '../lib/bindings';

/** A status, open unless told; its health is the state's own (no verdict on top) unless told. */
export function status(p: Partial<StatusView> = {}): StatusView {
  const state = p.state ?? 'open';
  return {
    state,
    health: state,
    attempt: 0,
    nextRetryAtMs: null,
    lastId: '',
    lastMessageAtMs: null,
    messages: 0,
    bytes: 0,
    reconnects: 0,
    connectedSinceMs: null,
    lastError: null,
    finalUrl: null,
    gaps: 0,
    missedEvents: 0,
    replayed: 0,
    resets: 0,
    schemaMismatches: 0,
    downSinceMs: null,
    ...p,
  };
}

/** A form with the shell's defaults and no `notify` (as an older UI sends it). */
export function form(p: Partial<SubscriptionForm> = {}): SubscriptionForm {
  return {
    name: 'Demo',
    url: 'http://127.0.0.1:8787/events',
    secretParams: [],
    method: 'GET',
    headers: [],
    body: null,
    lastEventId: null,
    retryInitialMs: 1000,
    retryMaxMs: 30000,
    maxRetries: null,
    idleTimeoutSecs: null,
    staleAfterSecs: null,
    paused: false,
    redirects: 'any',
    idsNotSequential: false,
    reconnect: 'by-method',
    endEvent: '',
    network: { proxy: '', caCertificates: '', clientCertificate: '', clientKey: '', hasStoredKey: false },
    expectations: [],
    probe: { everySecs: null, notifyFailed: true, notifyNoSentinel: false, firstTokenLimitMs: null, totalLimitMs: null, expectContains: '', expectRegex: '', expectJsonPointer: '', expectJsonEquals: '' },
    ...p,
  };
}

/** A saved subscription as the shell lists it: the form's name and URL, and a status. */
export function viewOf(id: number, f: SubscriptionForm, st: Partial<StatusView> = {}): SubscriptionView {
  return { id, name: f.name, url: f.url, form: f, status: status(st) };
}

/** A saved subscription with a default form under `name`. */
export function view(id: number, name = `Sub ${id}`, st: Partial<StatusView> = {}): SubscriptionView {
  return viewOf(id, form({ name }), st);
}

/** The n-th live message of a subscription: a "tick" with id n. */
export function msg(subscriptionId: number, n: number, p: Partial<MessageView> = {}): MessageView {
  return { subscriptionId, seq: null, receivedAtMs: 1_000_000 + n, event: 'tick', id: String(n), data: `{"n":${n}}`, replayed: false, size: String(n).length + 6, truncated: false, ...p };
}

export function batch(p: Partial<UpdateBatch> = {}): UpdateBatch {
  return { statuses: [], messages: [], lifecycle: [], added: [], removed: [], droppedMessages: 0, ...p };
}

export function lifecycle(subscriptionId: number, kind: LifecycleView['kind'], p: Partial<LifecycleView> = {}): LifecycleView {
  return { subscriptionId, atMs: 1_000_000, kind, detail: '', attempt: null, delayMs: null, status: null, missed: null, ...p };
}
