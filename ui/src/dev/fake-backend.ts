// A stand-in for the Rust shell, for `npm run dev` in a plain browser: it answers every command
// of docs/app-contract.md and streams batches like the real bridge (every 50 ms, statuses
// coalesced). Only imported when import.meta.env.DEV and no Tauri runtime is present, so it is
// never part of a production build. `?rate=N` adds a stream of N msgs/s to try the log at load.
import type { Channel } from '@tauri-apps/api/core';
import { mockIPC } from '@tauri-apps/api/mocks';
import type {
  LifecycleView,
  MessageView,
  StatusView,
  SubscriptionForm,
  SubscriptionView,
  TimelineEntry,
  UpdateBatch,
} from '../lib/bindings';

type Behaviour = 'ticker' | 'flaky' | 'quiet' | 'bursty' | 'firehose' | 'plain';

interface FakeSub {
  view: SubscriptionView;
  behaviour: Behaviour;
  stored: MessageView[];
  seq: number;
  n: number;
  phaseUntil: number;
  transitions: TimelineEntry[];
}

const MAX_BATCH = 2000;

function status(partial: Partial<StatusView> = {}): StatusView {
  return {
    state: 'connecting',
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
    ...partial,
  };
}

function form(name: string, url: string, extra: Partial<SubscriptionForm> = {}): SubscriptionForm {
  return {
    name,
    url,
    method: 'GET',
    headers: [],
    body: null,
    lastEventId: null,
    retryInitialMs: 1000,
    retryMaxMs: 30000,
    maxRetries: null,
    idleTimeoutSecs: null,
    paused: false,
    ...extra,
  };
}

export function installDevBackend(): void {
  const params = new URLSearchParams(location.search);
  const firehoseRate = Number(params.get('rate') ?? '0');
  const subs = new Map<number, FakeSub>();
  let nextId = 1;
  let channel: Channel<UpdateBatch> | null = null;
  let statuses = new Map<number, StatusView>();
  let messages: MessageView[] = [];
  let lifecycle: LifecycleView[] = [];
  let added: SubscriptionView[] = [];
  let removed: number[] = [];
  let dropped = 0;

  function create(f: SubscriptionForm, behaviour: Behaviour): FakeSub {
    const id = nextId++;
    const now = Date.now();
    const s: FakeSub = {
      view: { id, name: f.name, url: f.url, form: f, status: status({ state: f.paused ? 'paused' : 'connecting' }) },
      behaviour,
      stored: [],
      seq: 0,
      n: 0,
      phaseUntil: now + 600,
      transitions: [{ atMs: now - 3_600_000, kind: 'transition', from: null, to: 'connecting', reason: 'app started', missed: null }],
    };
    if (behaviour === 'ticker' && !f.paused) {
      // An hour-old history, so scrolling up pages rows in from "storage".
      for (let i = 1; i <= 1200; i++) {
        const at = now - 3_600_000 + i * 2000;
        s.stored.push({ subscriptionId: id, seq: ++s.seq, receivedAtMs: at, event: 'tick', id: String(i), data: JSON.stringify({ n: i, at: new Date(at).toISOString(), old: true }) });
      }
      s.n = 1200;
      s.view.status = { ...s.view.status, messages: 1200, lastId: '1200', lastMessageAtMs: now - 1_200_000 };
    }
    subs.set(id, s);
    return s;
  }

  function setStatus(s: FakeSub, patch: Partial<StatusView>): void {
    const prev = s.view.status.state;
    s.view = { ...s.view, status: { ...s.view.status, ...patch } };
    statuses.set(s.view.id, s.view.status);
    if (patch.state && patch.state !== prev) {
      s.transitions.push({ atMs: Date.now(), kind: 'transition', from: prev, to: patch.state, reason: patch.lastError ?? '', missed: null });
    }
  }

  function life(s: FakeSub, kind: LifecycleView['kind'], extra: Partial<LifecycleView> = {}): void {
    lifecycle.push({
      subscriptionId: s.view.id,
      atMs: Date.now(),
      kind,
      detail: '',
      attempt: null,
      delayMs: null,
      status: null,
      missed: null,
      ...extra,
    });
  }

  function message(s: FakeSub, event: string, data: string): void {
    const now = Date.now();
    s.n++;
    const m: MessageView = { subscriptionId: s.view.id, seq: null, receivedAtMs: now, event, id: String(s.n), data };
    s.stored.push({ ...m, seq: ++s.seq });
    if (s.stored.length > 200_000) s.stored.splice(0, 50_000);
    if (messages.length < MAX_BATCH) messages.push(m);
    else dropped++;
    const st = s.view.status;
    setStatus(s, { messages: st.messages + 1, bytes: st.bytes + data.length, lastMessageAtMs: now, lastId: m.id, attempt: 0 });
  }

  function open(s: FakeSub, now: number): void {
    setStatus(s, {
      state: 'open',
      connectedSinceMs: now,
      lastError: null,
      nextRetryAtMs: null,
      finalUrl: s.view.url,
      reconnects: s.view.status.connectedSinceMs !== null || s.view.status.finalUrl ? s.view.status.reconnects + 1 : 0,
    });
    life(s, 'started', { status: 200, detail: s.view.url });
  }

  function step(s: FakeSub, now: number): void {
    const st = s.view.status;
    if (st.state === 'paused' || st.state === 'failed' || st.state === 'stopped') return;
    if (st.state === 'connecting' && now >= s.phaseUntil) {
      open(s, now);
      s.phaseUntil = now + 8000;
      return;
    }
    if (st.state === 'retrying' && st.nextRetryAtMs !== null && now >= st.nextRetryAtMs) {
      setStatus(s, { state: 'connecting' });
      life(s, 'connecting', { attempt: st.attempt });
      s.phaseUntil = now + 400;
      return;
    }
    if (st.state !== 'open') return;
    switch (s.behaviour) {
      case 'ticker':
        if (Math.random() < 0.25) {
          message(s, 'tick', JSON.stringify({ n: s.n + 1, at: new Date(now).toISOString(), load: Math.round(Math.random() * 100) }));
        }
        break;
      case 'firehose': {
        const per = Math.max(1, Math.round(firehoseRate / 20));
        for (let i = 0; i < per; i++) message(s, i % 7 === 0 ? 'heartbeat' : 'update', `{"n":${s.n + 1},"v":"${Math.random().toString(36).slice(2)}"}`);
        break;
      }
      case 'bursty':
        if (now % 6000 < 60) {
          for (let i = 0; i < 12; i++) message(s, 'order', JSON.stringify({ order: 1000 + s.n, items: [{ sku: 'A-1', qty: 2 }, { sku: 'B-7', qty: 1 }], total: 31.5, note: '<b>not bold</b>' }));
        }
        break;
      case 'plain':
        if (Math.random() < 0.05) message(s, 'message', `line ${s.n + 1}: plain text, not JSON <img src=x onerror=alert(1)>`);
        break;
      case 'quiet':
        if (s.n < 8 && Math.random() < 0.1) message(s, 'status', JSON.stringify({ ok: true }));
        break;
      case 'flaky':
        if (Math.random() < 0.2) message(s, 'price', JSON.stringify({ sym: 'ACME', px: +(100 + Math.random()).toFixed(3) }));
        if (now >= s.phaseUntil) {
          const attempt = st.attempt + 1;
          const delay = Math.min(8000, 1000 * 2 ** (attempt - 1));
          life(s, 'error', { detail: 'connection reset by peer', status: null });
          life(s, 'finished');
          setStatus(s, { state: 'retrying', attempt, lastError: 'network: connection reset by peer', connectedSinceMs: null, nextRetryAtMs: now + delay });
          life(s, 'retrying', { attempt, delayMs: delay });
          if (attempt === 2) {
            setStatus(s, { gaps: st.gaps + 1, missedEvents: st.missedEvents + 3 });
            life(s, 'gap', { missed: 3, detail: `after ${s.n} next ${s.n + 4}` });
          }
          s.phaseUntil = now + 7000;
        }
        break;
    }
  }

  create(form('Demo stream', 'http://127.0.0.1:8787/events?rate=5&close_after=25'), 'ticker');
  create(form('Orders (bursts every 6 s)', 'https://api.example.com/orders/stream', { method: 'POST', body: '{"since":"now"}', headers: [{ name: 'Authorization', value: '', secret: true, hasStoredValue: true }, { name: 'Accept-Language', value: 'en', secret: false, hasStoredValue: false }] }), 'bursty');
  create(form('Prices (flaky)', 'https://feed.example.com/prices', { maxRetries: 10 }), 'flaky');
  create(form('Health (goes quiet)', 'http://localhost:9000/health/events', { idleTimeoutSecs: 30 }), 'quiet');
  create(form('Plain text', 'http://localhost:9000/log'), 'plain');
  create(form('Archive', 'https://example.org/archive/events', { paused: true }), 'ticker');
  if (firehoseRate > 0) create(form(`Firehose ${firehoseRate}/s`, 'http://127.0.0.1:8787/events?rate=' + firehoseRate), 'firehose');

  setInterval(() => {
    const now = Date.now();
    for (const s of subs.values()) step(s, now);
    if (!channel) return;
    if (statuses.size + messages.length + lifecycle.length + added.length + removed.length === 0) return;
    const batch: UpdateBatch = {
      statuses: [...statuses].map(([id, st]) => ({ id, status: st })),
      messages,
      lifecycle,
      added,
      removed,
      droppedMessages: dropped,
    };
    statuses = new Map();
    messages = [];
    lifecycle = [];
    added = [];
    removed = [];
    dropped = 0;
    channel.onmessage(batch);
  }, 50);

  function need(id: unknown): FakeSub {
    const s = subs.get(Number(id));
    if (!s) throw { kind: 'notFound', message: `no subscription ${String(id)}`, field: null };
    return s;
  }

  function check(f: SubscriptionForm): void {
    if (/example\.invalid/.test(f.url)) throw { kind: 'invalid', message: 'the host does not resolve', field: 'url' };
  }

  mockIPC((cmd, payload) => {
    const args = (payload ?? {}) as Record<string, unknown>;
    switch (cmd) {
      case 'list_subscriptions':
        return [...subs.values()].map((s) => s.view);
      case 'connect_updates':
        channel = args.onUpdate as Channel<UpdateBatch>;
        return null;
      case 'add_subscription': {
        const f = args.form as SubscriptionForm;
        check(f);
        const s = create({ ...f, headers: f.headers.map((h) => (h.secret ? { ...h, value: '', hasStoredValue: true } : h)) }, 'ticker');
        added.push(s.view);
        return s.view;
      }
      case 'update_subscription': {
        const s = need(args.id);
        const f = args.form as SubscriptionForm;
        check(f);
        s.view = { ...s.view, name: f.name, url: f.url, form: { ...f, headers: f.headers.map((h) => (h.secret ? { ...h, value: '', hasStoredValue: true } : h)) } };
        if (f.paused && s.view.status.state !== 'paused') setStatus(s, { state: 'paused', connectedSinceMs: null });
        return s.view;
      }
      case 'remove_subscription':
        need(args.id);
        subs.delete(Number(args.id));
        removed.push(Number(args.id));
        return null;
      case 'pause_subscription':
        setStatus(need(args.id), { state: 'paused', connectedSinceMs: null, nextRetryAtMs: null });
        return null;
      case 'resume_subscription': {
        const s = need(args.id);
        setStatus(s, { state: 'connecting' });
        s.phaseUntil = Date.now() + 500;
        return null;
      }
      case 'reconnect_now': {
        const s = need(args.id);
        life(s, 'finished');
        setStatus(s, { state: 'connecting', connectedSinceMs: null });
        s.phaseUntil = Date.now() + 300;
        return null;
      }
      case 'history_page': {
        const s = need(args.id);
        const before = args.beforeSeq as number | null;
        const limit = Number(args.limit);
        const older = before === null ? s.stored : s.stored.filter((m) => m.seq !== null && m.seq < before);
        return older.slice(Math.max(0, older.length - limit)).reverse();
      }
      case 'timeline': {
        const s = need(args.id);
        const since = (args.sinceMs as number | null) ?? 0;
        return s.transitions.filter((t) => t.atMs >= since);
      }
      case 'subscription_stats': {
        const s = need(args.id);
        return { uptimeTodayPercent: s.behaviour === 'flaky' ? 87.4 : 99.9, messagesStored: s.stored.length, gaps: s.view.status.gaps, missedEvents: s.view.status.missedEvents };
      }
      case 'export_subscriptions':
        return JSON.stringify([...subs.values()].map((s) => s.view.form), null, 2);
      default:
        throw `fake backend: unknown command ${cmd}`;
    }
  });
}
