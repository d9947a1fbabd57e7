// Builders for contract objects, so each test states only what it is about.
import type { LifecycleView, MessageView, StatusView, SubscriptionForm, SubscriptionView, UpdateBatch } from '../src/lib/bindings';

export function status(p: Partial<StatusView> = {}): StatusView {
  return {
    state: 'open',
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
    ...p,
  };
}

export function form(p: Partial<SubscriptionForm> = {}): SubscriptionForm {
  return {
    name: 'Demo',
    url: 'http://127.0.0.1:8787/events',
    method: 'GET',
    headers: [],
    body: null,
    lastEventId: null,
    retryInitialMs: 1000,
    retryMaxMs: 30000,
    maxRetries: null,
    idleTimeoutSecs: null,
    paused: false,
    ...p,
  };
}

export function view(id: number, name = `Sub ${id}`, st: Partial<StatusView> = {}): SubscriptionView {
  const f = form({ name });
  return { id, name, url: f.url, form: f, status: status(st) };
}

export function msg(subscriptionId: number, n: number, p: Partial<MessageView> = {}): MessageView {
  return { subscriptionId, seq: null, receivedAtMs: 1_000_000 + n, event: 'tick', id: String(n), data: `{"n":${n}}`, ...p };
}

export function batch(p: Partial<UpdateBatch> = {}): UpdateBatch {
  return { statuses: [], messages: [], lifecycle: [], added: [], removed: [], droppedMessages: 0, ...p };
}

export function lifecycle(subscriptionId: number, kind: LifecycleView['kind'], p: Partial<LifecycleView> = {}): LifecycleView {
  return { subscriptionId, atMs: 1_000_000, kind, detail: '', attempt: null, delayMs: null, status: null, missed: null, ...p };
}
