// The app's state: the subscriptions with their status, logs, timelines and figures, fed by
// `list_subscriptions` and then by the update channel. Components read from here and call its
// actions; only this module (through api.ts) talks to the shell.
import * as api from '../api';
import type {
  CommandError,
  LifecycleView,
  StatsView,
  StatusView,
  SubscriptionForm,
  SubscriptionView,
  TimelineEntry,
  UpdateBatch,
} from '../bindings';
import { clock } from '../clock.svelte';
import { displayState, silenceMs, startOfDay } from '../format';
import { LogBuffer, LOG_CAP } from '../log-buffer';
import { MarkerQueue } from '../log-markers';
import { RateTracker } from '../rate';
import { animationFrameScheduler, type FrameScheduler } from '../schedule';
import { capTimeline } from '../timeline';
import type { DisplayState } from '../types';

/** Rows asked for per history page. */
export const HISTORY_PAGE = 500;

export type HistoryState = 'idle' | 'loading' | 'error';

/** Lifecycle kinds the shell stores as timeline steps (see crates/engine/src/timeline.rs). */
const TIMELINE_STEPS: ReadonlySet<LifecycleView['kind']> = new Set([
  'started',
  'error',
  'finished',
  'retrying',
  'retries-failed',
  'retry-changed',
  'gap',
  'reset',
]);

/** How long after a change the timeline is read again: the writer commits within 50 ms. */
export const TIMELINE_REREAD_MS = 250;

/** One subscription as the UI holds it. */
export class Subscription {
  readonly id: number;
  // Replaced wholesale (never mutated): $state.raw avoids deep proxies on data that is swapped.
  view: SubscriptionView = $state.raw() as SubscriptionView;
  status: StatusView = $state.raw() as StatusView;
  /** Bumped when log rows change; the rows themselves are not reactive (see log-buffer.ts). */
  logVersion = $state(0);
  /**
   * The timeline as stored, worded by the shell: read again soon after anything that adds
   * to it (see `AppState.timelineChanged`), so it reads the same live and after a restart.
   */
  storedTimeline: readonly TimelineEntry[] = $state.raw([]);
  /** A pending re-read of the timeline. */
  timelineTimer: ReturnType<typeof setTimeout> | null = null;
  stats: StatsView | null = $state.raw(null);
  history: HistoryState = $state('idle');
  historyError: string | null = $state(null);
  /** Whether storage may hold rows older than the oldest one here. */
  hasMoreOlder = $state(true);
  /** When the user cleared the log view (rows received before are not shown; storage keeps them). */
  clearedAtMs: number | null = $state(null);
  /** Bumped by each clear and restore: a history page asked for before one is let go. */
  viewGeneration = 0;

  readonly log: LogBuffer;
  /** Gap, reconnect, reset and pause rows on their way into `log`. */
  readonly markers: MarkerQueue;
  readonly rate = new RateTracker();
  /** The detail view asked for stored timeline and first history page once. */
  detailLoaded = false;
  /** That first load, while it runs and after (the window waits for it before it is shown). */
  detailLoad: Promise<void> | null = null;

  constructor(
    view: SubscriptionView,
    private readonly owner: { readonly liveSinceMs: number },
    logCap: number = LOG_CAP,
  ) {
    this.id = view.id;
    this.view = view;
    this.status = view.status;
    this.log = new LogBuffer(logCap);
    this.markers = new MarkerQueue(this.log);
    this.observeStatus(view.status, clock.now);
  }

  get name(): string {
    return this.view.name;
  }

  /** The state word's state: the shell's, or "stale" when the engine says the stream went quiet. */
  get displayState(): DisplayState {
    return displayState(this.status);
  }

  /** msgs/s over the last 10 s; none while paused (the last seconds before the pause are not a rate). */
  get msgRate(): number {
    if (this.status.state === 'paused') return 0;
    return this.rate.rate(clock.now);
  }

  get silenceMs(): number | null {
    return silenceMs(this.status, clock.now);
  }

  get timeline(): readonly TimelineEntry[] {
    return this.storedTimeline;
  }

  /**
   * Empties this window's log of the rows received until `nowMs`; stored history stays, and
   * is not paged back in until the view is restored.
   */
  clearView(nowMs: number): void {
    this.log.clear();
    this.clearedAtMs = nowMs;
    this.hasMoreOlder = false;
    this.history = 'idle';
    this.historyError = null;
    this.viewGeneration++;
    this.logVersion++;
  }

  /** Undoes `clearView`: stored rows may be paged in again. */
  restoreView(): void {
    this.clearedAtMs = null;
    this.hasMoreOlder = true;
    this.history = 'idle';
    this.viewGeneration++;
  }

  setStatus(status: StatusView, nowMs: number): void {
    this.observeStatus(status, nowMs);
    this.status = status;
  }

  private observeStatus(status: StatusView, nowMs: number): void {
    this.rate.observe(status.messages, status.lastMessageAtMs ?? nowMs);
  }
}

export interface Notice {
  key: number;
  text: string;
  tone: 'error' | 'info';
}

export type SaveResult = { ok: true; view: SubscriptionView } | { ok: false; error: CommandError };

export type BridgeState = 'starting' | 'live' | 'error';

export class AppState {
  /** Sidebar order: as listed, then as added. */
  subs: Subscription[] = $state.raw([]);
  selectedId: number | null = $state(null);
  loading = $state(true);
  loadError: string | null = $state(null);
  bridge: BridgeState = $state('starting');
  /** Live rows the bridge skipped because this window lagged (storage has them). */
  droppedMessages = $state(0);
  notices: Notice[] = $state([]);
  /** When live updates started: stored timeline entries after it are told by the live feed. */
  liveSinceMs = $state(Number.POSITIVE_INFINITY);

  private readonly byId = new Map<number, Subscription>();
  private pending: UpdateBatch[] = [];
  private flushScheduled = false;
  private noticeKey = 1;

  constructor(
    private readonly schedule: FrameScheduler = animationFrameScheduler(),
    private readonly logCap: number = LOG_CAP,
  ) {}

  /** Forgets everything, as before `start` (a test, or a reload after the bridge died). */
  reset(): void {
    this.subs = [];
    this.byId.clear();
    this.selectedId = null;
    this.loading = true;
    this.loadError = null;
    this.bridge = 'starting';
    this.droppedMessages = 0;
    this.notices = [];
    this.liveSinceMs = Number.POSITIVE_INFINITY;
    this.pending = [];
    this.flushScheduled = false;
  }

  get selected(): Subscription | null {
    return this.selectedId === null ? null : (this.byId.get(this.selectedId) ?? null);
  }

  get(id: number): Subscription | undefined {
    return this.byId.get(id);
  }

  /** Loads the subscriptions, then opens the live update channel. */
  async start(): Promise<void> {
    this.loading = true;
    this.loadError = null;
    this.bridge = 'starting';
    try {
      const views = await api.listSubscriptions();
      for (const v of views) this.upsert(v);
      if (this.selectedId === null && this.subs.length > 0) this.selectedId = this.subs[0].id;
    } catch (e) {
      this.loadError = api.toCommandError(e).message;
      this.loading = false;
      this.bridge = 'error';
      return;
    }
    this.loading = false;
    try {
      this.liveSinceMs = Date.now();
      await api.connectUpdates((batch) => this.enqueue(batch));
      this.bridge = 'live';
    } catch (e) {
      this.bridge = 'error';
      this.notify(`Live updates are off: ${api.toCommandError(e).message}`);
    }
  }

  /** Queues a batch from the channel; all batches queued before the next frame apply together. */
  enqueue(batch: UpdateBatch): void {
    this.pending.push(batch);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    this.schedule(() => this.flush());
  }

  /** Applies every queued batch, in order. */
  flush(): void {
    this.flushScheduled = false;
    const batches = this.pending;
    this.pending = [];
    const touched = new Set<Subscription>();
    for (const b of batches) this.applyBatch(b, touched);
    // One version bump per subscription per frame, however many batches came in.
    for (const s of touched) s.logVersion++;
  }

  /** Applies one batch; `touched` collects subscriptions whose log changed. */
  applyBatch(batch: UpdateBatch, touched: Set<Subscription> = new Set()): Set<Subscription> {
    // The order the shell documents: added, removed, statuses, lifecycle, messages.
    const now = Date.now();
    for (const v of batch.added) this.upsert(v);
    for (const id of batch.removed) this.forget(id);
    for (const { id, status } of batch.statuses) {
      const sub = this.byId.get(id);
      if (!sub) continue;
      // Pauses, resumes and stale periods are stored beside the connection steps.
      if (sub.status.state !== status.state || sub.status.health !== status.health) this.timelineChanged(sub);
      sub.markers.status(sub.status.state, status.state, now);
      sub.setStatus(status, now);
    }
    if (batch.lifecycle.length > 0) this.applyLifecycle(batch.lifecycle);
    for (const m of batch.messages) {
      const sub = this.byId.get(m.subscriptionId);
      if (!sub) continue;
      // Received before the view was cleared, delivered late: cleared with the rest.
      if (sub.clearedAtMs !== null && m.receivedAtMs <= sub.clearedAtMs) continue;
      sub.markers.message(m);
      touched.add(sub);
    }
    // Markers wait for the messages received before them (see log-markers.ts); an empty batch
    // means the shell's backlog is empty.
    const last = batch.messages[batch.messages.length - 1];
    const caughtUpMs = last ? last.receivedAtMs : Number.POSITIVE_INFINITY;
    for (const sub of this.subs) if (sub.markers.waiting > 0 && sub.markers.flush(caughtUpMs)) touched.add(sub);
    if (batch.droppedMessages > 0) this.droppedMessages += batch.droppedMessages;
    return touched;
  }

  private applyLifecycle(events: readonly LifecycleView[]): void {
    for (const l of events) {
      const sub = this.byId.get(l.subscriptionId);
      if (!sub) continue;
      sub.markers.lifecycle(l);
      if (TIMELINE_STEPS.has(l.kind)) this.timelineChanged(sub);
    }
  }

  /**
   * The stored timeline has (or will have within the writer's ~50 ms) a new entry: read it
   * again shortly, once for a burst, for subscriptions whose detail was opened.
   */
  timelineChanged(sub: Subscription): void {
    if (!sub.detailLoaded || sub.timelineTimer !== null) return;
    sub.timelineTimer = setTimeout(() => {
      sub.timelineTimer = null;
      void this.loadTimeline(sub);
    }, TIMELINE_REREAD_MS);
  }

  /**
   * Adds a subscription, or replaces its view (an edit, or `added` for one we already have).
   * `keepStatus`: the view is a command's answer, whose status may be older than one the live
   * feed already brought (the stream opened before the answer arrived); a subscription we hold
   * keeps its status, and the feed brings every later one.
   */
  upsert(view: SubscriptionView, keepStatus = false): Subscription {
    const existing = this.byId.get(view.id);
    if (existing) {
      // An edit is a timeline entry.
      if (existing.view.form !== view.form) this.timelineChanged(existing);
      existing.view = view;
      if (!keepStatus) existing.setStatus(view.status, Date.now());
      return existing;
    }
    const sub = new Subscription(view, this, this.logCap);
    this.byId.set(view.id, sub);
    this.subs = [...this.subs, sub];
    return sub;
  }

  private forget(id: number): void {
    if (!this.byId.has(id)) return;
    const index = this.subs.findIndex((s) => s.id === id);
    this.byId.delete(id);
    this.subs = this.subs.filter((s) => s.id !== id);
    if (this.selectedId === id) {
      // Select the neighbour, so deleting several in a row needs no mouse trip.
      const next = this.subs[Math.min(index, this.subs.length - 1)];
      this.selectedId = next ? next.id : null;
    }
  }

  select(id: number | null): void {
    this.selectedId = id;
  }

  notify(text: string, tone: Notice['tone'] = 'error'): void {
    const key = this.noticeKey++;
    this.notices = [...this.notices, { key, text, tone }];
    setTimeout(() => this.dismiss(key), tone === 'error' ? 8000 : 4000);
  }

  dismiss(key: number): void {
    this.notices = this.notices.filter((n) => n.key !== key);
  }

  // ---- actions -------------------------------------------------------------------------------

  private async act(what: string, run: () => Promise<unknown>): Promise<boolean> {
    try {
      await run();
      return true;
    } catch (e) {
      this.notify(`${what} failed: ${api.toCommandError(e).message}`);
      return false;
    }
  }

  pause(id: number): Promise<boolean> {
    return this.act('Pause', () => api.pauseSubscription(id));
  }

  resume(id: number): Promise<boolean> {
    return this.act('Resume', () => api.resumeSubscription(id));
  }

  reconnect(id: number): Promise<boolean> {
    return this.act('Reconnect', () => api.reconnectNow(id));
  }

  async remove(id: number): Promise<boolean> {
    const ok = await this.act('Delete', () => api.removeSubscription(id));
    if (ok) this.forget(id);
    return ok;
  }

  /** Adds (id null) or updates a subscription; the shell's rejection comes back for the form. */
  async save(form: SubscriptionForm, id: number | null): Promise<SaveResult> {
    try {
      const view = id === null ? await api.addSubscription(form) : await api.updateSubscription(id, form);
      this.upsert(view, true);
      if (id === null) this.selectedId = view.id;
      return { ok: true, view };
    } catch (e) {
      return { ok: false, error: api.toCommandError(e) };
    }
  }

  /** First look at a subscription's detail: its stored timeline, stats and newest history. */
  async openDetail(sub: Subscription): Promise<void> {
    if (sub.detailLoaded) {
      void this.refreshStats(sub);
      return;
    }
    sub.detailLoaded = true;
    sub.detailLoad = Promise.all([this.loadTimeline(sub), this.refreshStats(sub), this.loadOlder(sub)]).then(
      () => undefined,
    );
    await sub.detailLoad;
  }

  /** Settles when the first view has its data: the selected subscription's first detail load. */
  firstViewLoaded(): Promise<void> {
    return this.selected?.detailLoad ?? Promise.resolve();
  }

  async loadTimeline(sub: Subscription): Promise<void> {
    try {
      sub.storedTimeline = capTimeline(await api.timeline(sub.id, startOfDay(Date.now())));
    } catch (e) {
      this.notify(`Timeline not loaded: ${api.toCommandError(e).message}`);
    }
  }

  async refreshStats(sub: Subscription): Promise<void> {
    try {
      sub.stats = await api.subscriptionStats(sub.id);
    } catch {
      // Stats are a figure among others: keep the last ones rather than nag every 10 s.
    }
  }

  /** Pages older rows in from storage, in front of what the log holds. */
  async loadOlder(sub: Subscription): Promise<void> {
    if (sub.history === 'loading' || !sub.hasMoreOlder) return;
    if (sub.log.full) {
      sub.hasMoreOlder = false;
      return;
    }
    sub.history = 'loading';
    sub.historyError = null;
    const generation = sub.viewGeneration;
    try {
      const page = await api.historyPage(sub.id, sub.log.oldestSeq(), HISTORY_PAGE);
      // The view was cleared (or restored) meanwhile: this page belongs to the old one.
      if (generation !== sub.viewGeneration) return;
      const merged = sub.log.mergeOlder(page);
      if (page.length < HISTORY_PAGE || merged.dropped > 0 || sub.log.full) sub.hasMoreOlder = false;
      sub.history = 'idle';
      sub.logVersion++;
    } catch (e) {
      if (generation !== sub.viewGeneration) return;
      sub.history = 'error';
      sub.historyError = api.toCommandError(e).message;
    }
  }

  /** Clears the log view of `sub` (storage keeps every row). */
  clearView(sub: Subscription): void {
    sub.clearView(Date.now());
    this.notify('View cleared: stored history is kept', 'info');
  }

  /** Shows the stored rows again after a clear. */
  async restoreView(sub: Subscription): Promise<void> {
    sub.restoreView();
    await this.loadOlder(sub);
  }

  /** Saves a copy of subscription `id` (its secrets copied in the keyring) and selects it. */
  async duplicate(id: number): Promise<SubscriptionView | null> {
    try {
      const view = await api.duplicateSubscription(id);
      this.upsert(view, true);
      this.selectedId = view.id;
      return view;
    } catch (e) {
      this.notify(`Duplicate failed: ${api.toCommandError(e).message}`);
      return null;
    }
  }

  async exportAll(withHistory: boolean): Promise<string | null> {
    try {
      return await api.exportSubscriptions(withHistory);
    } catch (e) {
      this.notify(`Export failed: ${api.toCommandError(e).message}`);
      return null;
    }
  }
}

export const app = new AppState();
