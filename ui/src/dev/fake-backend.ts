// A stand-in for the Rust shell, for `npm run dev` in a plain browser: it answers every command
// of docs/app-contract.md and streams batches like the real bridge (every 50 ms, statuses
// coalesced). Only imported when import.meta.env.DEV and no Tauri runtime is present, so it is
// never part of a production build. `?rate=N` adds a stream of N msgs/s to try the log at load.
//
// Notifications follow the shell's notifier in small: an outage past a threshold, the recovery
// after a told one, at most one of each a minute per subscription (the rest folded, then summed
// up), Do Not Disturb listing without showing. Each one is also emitted as the
// `streamwatch://notification` event, so the bell counts them live.
import type { Channel } from '@tauri-apps/api/core';
import { emit } from '@tauri-apps/api/event';
import { mockIPC } from '@tauri-apps/api/mocks';
import { NOTIFICATION_EVENT, NOTIFICATIONS_PAGE_MAX } from '../lib/api';
import type {
  AppSettings,
  LifecycleView,
  MessageView,
  NotificationView,
  StatusView,
  SubscriptionForm,
  SubscriptionView,
  TimelineEntry,
  UpdateBatch,
} from '../lib/bindings';
import type { Health } from '../lib/types';
import * as build from './builders';

type Behaviour = 'ticker' | 'flaky' | 'quiet' | 'bursty' | 'firehose' | 'plain';

type RuleKey = 'down' | 'recovered';

interface RateWindow {
  openedMs: number;
  folded: number;
}

interface FakeSub {
  view: SubscriptionView;
  behaviour: Behaviour;
  stored: MessageView[];
  seq: number;
  n: number;
  phaseUntil: number;
  transitions: TimelineEntry[];
  /** When the current outage began; null while open (or paused: the user's doing, not an outage). */
  downSince: number | null;
  downTold: boolean;
  /** Open again after a told outage: "recovered" waits for a message, or the grace, to say more. */
  recovery: { openedMs: number; messageSeen: boolean } | null;
  windows: Map<RuleKey, RateWindow>;
}

const MAX_BATCH = 2000;
/**
 * The shell's default is 10 s, but the flaky stream here is down for about 1.4 s at a time: a
 * shorter threshold makes it produce notifications while you watch.
 */
const DOWN_AFTER_MS = 1000;
/**
 * Open but silent this long is "stale" here. The engine learns each stream's usual pace; one
 * figure is enough for the fake, above the bursty stream's 6 s gaps and well below how long the
 * quiet stream stays silent.
 */
const STALE_AFTER_MS = 10_000;
const RATE_WINDOW_MS = 60_000;
/** A dev session left open for hours must not grow the list without end. */
const NOTIFICATIONS_KEPT = 5000;
const NOUNS: Record<RuleKey, string> = { down: 'outages', recovered: 'recoveries' };

/** As the shell words a duration: "45 s", "3 min", "3 min 12 s", "2 h 5 min". */
function humanDuration(ms: number): string {
  const s = Math.floor(Math.max(0, ms) / 1000);
  if (s < 60) return `${s} s`;
  if (s < 3600) return s % 60 === 0 ? `${s / 60} min` : `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** The last link of an error chain, as the shell puts it in a notification. */
/** A state change as the shell words one stored by an older version. */
function legacyEntry(atMs: number, from: string | null, to: string, reason: string): TimelineEntry {
  return {
    atMs,
    kind: 'transition',
    from,
    to,
    reason,
    missed: null,
    title: from ? `${from} → ${to}` : to,
    detail: reason,
    tone: 'neutral',
    error: null,
    attempt: null,
    delayMs: null,
  };
}

function shortReason(message: string): string {
  const last = (message.split(': ').at(-1) ?? message).replace(/ \(os error \d+\)$/, '').trim();
  return last || message;
}

/** Tauri rejects arguments that do not deserialize with a plain string before the command runs. */
function badArg(cmd: string, name: string, expected: string): string {
  return `invalid args \`${name}\` for command \`${cmd}\`: expected ${expected}`;
}

function uint(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0;
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
  /** Oldest first, so ids ascend. */
  let notes: NotificationView[] = [];
  let nextNoteId = 1;
  const settings: AppSettings = { doNotDisturb: false, startAtLogin: false };

  function create(f: SubscriptionForm, behaviour: Behaviour): FakeSub {
    const id = nextId++;
    const now = Date.now();
    const s: FakeSub = {
      view: build.viewOf(id, f, { state: f.paused ? 'paused' : 'connecting' }),
      behaviour,
      stored: [],
      seq: 0,
      n: 0,
      phaseUntil: now + 600,
      transitions: [legacyEntry(now - 3_600_000, null, 'connecting', 'app started')],
      downSince: f.paused ? null : now,
      downTold: false,
      recovery: null,
      windows: new Map(),
    };
    if (behaviour === 'ticker' && !f.paused) {
      // An hour-old history, so scrolling up pages rows in from "storage".
      for (let i = 1; i <= 1200; i++) {
        const at = now - 3_600_000 + i * 2000;
        s.stored.push(build.msg(id, i, { seq: ++s.seq, receivedAtMs: at, data: JSON.stringify({ n: i, at: new Date(at).toISOString(), old: true }) }));
      }
      s.n = 1200;
      s.view.status = { ...s.view.status, messages: 1200, lastId: '1200', lastMessageAtMs: now - 1_200_000 };
    }
    subs.set(id, s);
    return s;
  }

  function setStatus(s: FakeSub, patch: Partial<StatusView>): void {
    const prev = s.view.status.state;
    const now = Date.now();
    if (patch.state && patch.state !== prev) {
      s.transitions.push(legacyEntry(now, prev, patch.state, patch.lastError ?? ''));
      watchOutage(s, patch.state, now);
    }
    const next = { ...s.view.status, ...patch };
    const downSinceMs = next.state === 'open' || next.state === 'paused' || next.state === 'stopped' ? null : s.downSince;
    s.view = { ...s.view, status: { ...next, downSinceMs, health: healthOf(next, s.downSince, now) } };
    statuses.set(s.view.id, s.view.status);
  }

  /** The engine's verdict in small: stale when open and silent, down when out past the threshold. */
  function healthOf(st: StatusView, downSince: number | null, now: number): Health {
    if (st.state === 'open') {
      const heard = Math.max(st.lastMessageAtMs ?? 0, st.connectedSinceMs ?? 0);
      if (now - heard > STALE_AFTER_MS) return 'stale';
      const dataSinceOpen = st.lastMessageAtMs !== null && st.lastMessageAtMs >= (st.connectedSinceMs ?? 0);
      return dataSinceOpen ? 'open' : 'waiting';
    }
    if ((st.state === 'connecting' || st.state === 'retrying') && downSince !== null && now - downSince >= DOWN_AFTER_MS) return 'down';
    return st.state;
  }

  /** Silence and outages turn into a verdict with time alone, without a status change. */
  function refreshHealth(s: FakeSub, now: number): void {
    if (healthOf(s.view.status, s.downSince, now) !== s.view.status.health) setStatus(s, {});
  }

  function watchOutage(s: FakeSub, to: StatusView['state'], now: number): void {
    if (to === 'paused' || to === 'stopped') {
      s.downSince = null;
      s.downTold = false;
      s.recovery = null;
    } else if (to === 'open') {
      if (s.downTold) s.recovery = { openedMs: now, messageSeen: false };
      else s.downSince = null;
    } else if (s.recovery) {
      // Dropped again before the recovery was told: the same outage goes on.
      s.recovery = null;
    } else if (s.downSince === null) {
      s.downSince = now;
    }
  }

  function listNote(subscriptionId: number | null, kind: string, title: string, body: string, delivery: string, atMs: number): NotificationView {
    const n: NotificationView = { id: nextNoteId++, atMs, subscriptionId, kind, title, body, delivery };
    notes.push(n);
    if (notes.length > NOTIFICATIONS_KEPT) notes.splice(0, notes.length - NOTIFICATIONS_KEPT);
    return n;
  }

  function note(subscriptionId: number | null, kind: string, title: string, body: string, folded: boolean, atMs: number): void {
    const delivery = folded ? 'folded' : settings.doNotDisturb ? 'silenced' : 'shown';
    const n = listNote(subscriptionId, kind, title, body, delivery, atMs);
    // Once a test has cleared the IPC mocks there is nothing left to emit through.
    emit(NOTIFICATION_EVENT, n).catch(() => {});
  }

  /** A rule fired: shown, unless the same rule already spoke for this stream within the window. */
  function fire(s: FakeSub, key: RuleKey, title: string, body: string, now: number): void {
    const w = s.windows.get(key);
    const folded = w !== undefined && now - w.openedMs < RATE_WINDOW_MS;
    if (w && folded) w.folded++;
    else s.windows.set(key, { openedMs: now, folded: 0 });
    note(s.view.id, key, title, body, folded, now);
  }

  function tellNotifications(now: number): void {
    for (const s of subs.values()) {
      for (const [key, w] of s.windows) {
        if (w.folded > 0 && now - w.openedMs >= RATE_WINDOW_MS) {
          note(s.view.id, 'summary', `${s.view.name}: and ${w.folded} more ${NOUNS[key]}`, "Folded to keep notifications quiet (at most one a minute per rule); the app's notification list has them.", false, now);
          s.windows.set(key, { openedMs: now, folded: 0 });
        }
      }
      const st = s.view.status;
      if (s.downSince !== null && !s.downTold && !s.recovery && now - s.downSince >= DOWN_AFTER_MS) {
        s.downTold = true;
        const retry = st.attempt > 0 ? ` · retry ${st.attempt}` : '';
        const reason = st.lastError ? ` · ${shortReason(st.lastError)}` : '';
        fire(s, 'down', `${s.view.name} is down`, `Not connected for ${humanDuration(now - s.downSince)}${retry}${reason}.`, now);
      }
      const r = s.recovery;
      // Like the engine: a 200 with no data yet is not a recovery.
      if (r && r.messageSeen) {
        const downFor = r.openedMs - (s.downSince ?? r.openedMs);
        s.downSince = null;
        s.downTold = false;
        s.recovery = null;
        fire(s, 'recovered', `${s.view.name} recovered`, `Back after ${humanDuration(downFor)} down.${r.messageSeen ? ' Resumed with no missed events.' : ''}`, now);
      }
    }
  }

  function life(s: FakeSub, kind: LifecycleView['kind'], extra: Partial<LifecycleView> = {}): void {
    lifecycle.push(build.lifecycle(s.view.id, kind, { atMs: Date.now(), ...extra }));
  }

  function message(s: FakeSub, event: string, data: string): void {
    const now = Date.now();
    s.n++;
    const m = build.msg(s.view.id, s.n, { receivedAtMs: now, event, data });
    s.stored.push({ ...m, seq: ++s.seq });
    if (s.stored.length > 200_000) s.stored.splice(0, 50_000);
    if (messages.length < MAX_BATCH) messages.push(m);
    else dropped++;
    if (s.recovery) s.recovery.messageSeen = true;
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

  const demo = create(build.form({ name: 'Demo stream', url: 'http://127.0.0.1:8787/events?rate=5&close_after=25' }), 'ticker');
  // As the app's backend says of its first-run demo (read from close_after in the URL).
  demo.view = { ...demo.view, demo: { dropsEvery: 25 } };
  const orders = create(build.form({ name: 'Orders (bursts every 6 s)', url: 'https://api.example.com/orders/stream', method: 'POST', body: '{"since":"now"}', headers: [{ name: 'Authorization', value: '', secret: true, hasStoredValue: true }, { name: 'Accept-Language', value: 'en', secret: false, hasStoredValue: false }] }), 'bursty');
  const prices = create(build.form({ name: 'Prices (flaky)', url: 'https://feed.example.com/prices', maxRetries: 10 }), 'flaky');
  const health = create(build.form({ name: 'Health (goes quiet)', url: 'http://localhost:9000/health/events', idleTimeoutSecs: 30 }), 'quiet');
  create(build.form({ name: 'Plain text', url: 'http://localhost:9000/log' }), 'plain');
  create(build.form({ name: 'Archive', url: 'https://example.org/archive/events', paused: true }), 'ticker');
  if (firehoseRate > 0) create(build.form({ name: `Firehose ${firehoseRate}/s`, url: 'http://127.0.0.1:8787/events?rate=' + firehoseRate }), 'firehose');

  function seedNotifications(): void {
    const now = Date.now();
    const ago = (min: number): number => now - min * 60_000;
    const names = [demo, orders, prices].map((s) => s.view.name);
    for (const s of [demo, orders, prices]) listNote(s.view.id, 'down', `${s.view.name} is down`, 'Not connected for 10 s · retry 3 · Connection refused.', 'folded', ago(52));
    listNote(null, 'many-down', '3 subscriptions down — network unreachable?', `Not connected: ${names.join(', ')}.`, 'shown', ago(52));
    for (const s of [demo, orders, prices]) listNote(s.view.id, 'recovered', `${s.view.name} recovered`, 'Back after 3 min 12 s down. Resumed with no missed events.', 'folded', ago(49));
    listNote(null, 'many-recovered', '3 subscriptions recovered', `Back: ${names.join(', ')}.`, 'shown', ago(49));
    listNote(orders.view.id, 'fatal', `${orders.view.name} stopped: HTTP 401`, 'HTTP 401 Unauthorized. Retrying cannot fix this: check the URL, credentials or server, then press Resume.', 'shown', ago(31));
    // A stream removed since: its notifications stay listed, naming it, with an id nothing has.
    listNote(nextId++, 'gave-up', 'Staging feed gave up', 'Stopped after 10 failed retries. Last error: Connection refused. Reconnect it by hand.', 'shown', ago(24));
    listNote(health.view.id, 'message', `${health.view.name}: /ok = false`, '{"ok":false,"reason":"disk 91% full"}\n(event status, id 7)', 'shown', ago(17));
    listNote(prices.view.id, 'down', `${prices.view.name} is down`, 'Not connected for 12 s · retry 3 · connection reset by peer.', 'silenced', ago(8));
    listNote(prices.view.id, 'recovered', `${prices.view.name} recovered`, 'Back after 14 s down. 3 events were missed (ids skipped on resume).', 'silenced', ago(8));
  }
  seedNotifications();

  setInterval(() => {
    const now = Date.now();
    for (const s of subs.values()) {
      step(s, now);
      refreshHealth(s, now);
    }
    tellNotifications(now);
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

  // shouldMockEvents: `listen` and `emit` work in the page, so the notification event reaches the UI.
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
      case 'duplicate_subscription': {
        const from = need(args.id);
        const names = new Set([...subs.values()].map((x) => x.view.name.toLowerCase()));
        let name = `${from.view.name} (copy)`;
        for (let n = 2; names.has(name.toLowerCase()); n++) name = `${from.view.name} (copy ${n})`;
        const s = create({ ...from.view.form, name }, from.behaviour);
        added.push(s.view);
        return s.view;
      }
      case 'parse_curl': {
        // The real reading is the engine's; in the browser, only the URL and -H lines.
        const text = String(args.text ?? '');
        const url = /https?:\/\/[^\s'"^]+/.exec(text)?.[0];
        if (!/^\s*curl\b/.test(text) || !url) throw { kind: 'invalid', message: 'This is not a curl command: it should start with "curl".', field: 'curl' };
        const headers = [...text.matchAll(/-H\s+['"]([^:'"]+):\s*([^'"]*)['"]/g)].map(([, name, value]) => ({
          name,
          value,
          secret: /^(authorization|cookie)$|token|key|secret/i.test(name),
          hasStoredValue: false,
        }));
        return { url, method: 'GET', headers, body: null, filled: ['URL', 'method GET', `${headers.length} headers`], notes: [] };
      }
      case 'request_view': {
        const s = need(args.id);
        const f = s.view.form;
        const lastId = s.view.status.lastId;
        const headers = [
          { name: 'Accept', value: 'text/event-stream', secret: false, automatic: true },
          { name: 'Cache-Control', value: 'no-cache', secret: false, automatic: true },
          ...f.headers.map((h) => ({ name: h.name, value: h.secret ? '••••' : h.value, secret: h.secret, automatic: false })),
          ...(lastId ? [{ name: 'Last-Event-ID', value: lastId, secret: false, automatic: true }] : []),
        ];
        return { method: f.method, url: s.view.url, headers, body: f.body, lastEventId: lastId || null, redirects: f.redirects ?? 'any', proxy: f.network?.proxy ? f.network.proxy.replace(/\/\/[^@/]*@/, '//••••@') : null };
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
      case 'message_text': {
        const s = need(args.id);
        const m = s.stored.find((r) => r.seq === args.seq) ?? s.stored.find((r) => r.receivedAtMs === args.receivedAtMs && r.id === args.eventId);
        return m?.data ?? '';
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
      case 'list_notifications': {
        const before = args.before ?? null;
        if (before !== null && !uint(before)) throw badArg(cmd, 'before', 'u64 or null');
        if (!uint(args.limit)) throw badArg(cmd, 'limit', 'u32');
        const limit = Math.min(NOTIFICATIONS_PAGE_MAX, args.limit);
        const older = before === null ? notes : notes.filter((n) => n.id < before);
        return limit === 0 ? [] : older.slice(-limit).reverse();
      }
      case 'clear_notifications':
        notes = [];
        nextNoteId = 1;
        return null;
      case 'get_settings':
        return { ...settings };
      case 'set_do_not_disturb':
        if (typeof args.on !== 'boolean') throw badArg(cmd, 'on', 'a boolean');
        settings.doNotDisturb = args.on;
        return { ...settings };
      case 'set_start_at_login':
        if (typeof args.on !== 'boolean') throw badArg(cmd, 'on', 'a boolean');
        settings.startAtLogin = args.on;
        return { ...settings };
      case 'window_ready':
        // A browser tab has no hidden window to show.
        return null;
      default:
        throw `fake backend: unknown command ${cmd}`;
    }
  }, { shouldMockEvents: true });
}
