// The in-app notification list and the app-wide settings next to it (Do Not Disturb, start at
// login). The shell keeps the list; this holds the pages loaded so far, newest first, plus the
// ones that arrive live through the `streamwatch://notification` event.
//
// "Unread" = listed after the newest one the user has seen with the panel open. That one's time
// and id are kept in localStorage, so a restart does not make old notifications new again. Time
// first: the shell's ids start over after the list is cleared.
import * as api from './api';
import type { AppSettings, NotificationView } from './bindings';

export const NOTIFICATIONS_PAGE = 50;
/** Live notifications kept beyond the loaded pages (a flood must not grow the list forever). */
export const NOTIFICATIONS_KEEP = 2000;
const SEEN_KEY = 'streamwatch.notifications.seen';

type LoadState = 'idle' | 'loading' | 'error';

/** The newest notification seen: later ones are unread. */
export interface SeenMark {
  atMs: number;
  id: number;
}

const NONE: SeenMark = { atMs: 0, id: 0 };

function after(n: SeenMark, mark: SeenMark): boolean {
  return n.atMs > mark.atMs || (n.atMs === mark.atMs && n.id > mark.id);
}

function readSeen(): SeenMark | null {
  try {
    const v = globalThis.localStorage?.getItem(SEEN_KEY);
    if (v == null) return null;
    const o = JSON.parse(v) as Partial<SeenMark>;
    return typeof o.atMs === 'number' && typeof o.id === 'number' ? { atMs: o.atMs, id: o.id } : null;
  } catch {
    return null;
  }
}

function writeSeen(mark: SeenMark): void {
  try {
    globalThis.localStorage?.setItem(SEEN_KEY, JSON.stringify(mark));
  } catch {
    // Private mode or no storage: unread counts just start over next time.
  }
}

export class NotificationsState {
  /** Newest first, unique by id. */
  items: NotificationView[] = $state.raw([]);
  open = $state(false);
  load: LoadState = $state('idle');
  loadError: string | null = $state(null);
  hasMore = $state(true);
  /** Notifications after this one are unread. */
  seen: SeenMark = $state.raw(NONE);
  /** The mark as it was when the panel opened: what came after it is shown as new. */
  newSince: SeenMark = $state.raw(NONE);
  settings: AppSettings | null = $state(null);
  settingsError: string | null = $state(null);
  settingsBusy = $state(false);
  clearing = $state(false);
  clearError: string | null = $state(null);

  private stops: api.Unlisten[] = [];
  private generation = 0;

  get unread(): number {
    let n = 0;
    for (const item of this.items) if (after(item, this.seen)) n++;
    return n;
  }

  /** Listens for new notifications, then loads the newest page and the settings. */
  async start(): Promise<void> {
    const generation = ++this.generation;
    // Listen first, then load: one that is listed in between arrives twice, and merging by id
    // keeps it once; the other way round it could be missed.
    try {
      const stop = await api.onNotification((n) => this.receive(n));
      if (generation !== this.generation) stop();
      else this.stops.push(stop);
    } catch {
      // Without live events the list still loads; opening the panel reloads it.
    }
    if (generation !== this.generation) return;
    const stored = readSeen();
    if (stored && after(stored, this.seen)) this.seen = stored;
    await Promise.all([this.reload(), this.loadSettings()]);
    if (generation !== this.generation) return;
    // First run of this UI: what is already listed is not news.
    if (stored === null) this.markSeen();
  }

  /** Stops listening and forgets everything (a test, or the app going away). */
  stop(): void {
    this.generation++;
    for (const s of this.stops.splice(0)) s();
  }

  reset(): void {
    this.stop();
    this.items = [];
    this.open = false;
    this.load = 'idle';
    this.loadError = null;
    this.hasMore = true;
    this.seen = NONE;
    this.newSince = NONE;
    this.settings = null;
    this.settingsError = null;
    this.settingsBusy = false;
    this.clearing = false;
    this.clearError = null;
  }

  /** A notification from the live event. */
  receive(n: NotificationView): void {
    if (!n || typeof n.id !== 'number') return;
    if (this.items.some((i) => i.id === n.id)) return;
    const merged = [n, ...this.items];
    // The shell lists in id order; an event may overtake a page, so sort rather than trust it.
    if (this.items.length > 0 && n.id < this.items[0].id) merged.sort((a, b) => b.id - a.id);
    this.items = merged.length > NOTIFICATIONS_KEEP ? merged.slice(0, NOTIFICATIONS_KEEP) : merged;
    if (this.open) this.markSeen();
  }

  private merge(page: readonly NotificationView[]): void {
    const byId = new Map<number, NotificationView>();
    for (const i of this.items) byId.set(i.id, i);
    for (const i of page) byId.set(i.id, i);
    this.items = [...byId.values()].sort((a, b) => b.id - a.id);
  }

  /** Loads the newest page again (what was loaded stays, merged by id). */
  async reload(): Promise<void> {
    await this.fetch(null);
  }

  /** Loads the page before the oldest one shown. */
  async loadOlder(): Promise<void> {
    if (!this.hasMore || this.load === 'loading') return;
    const oldest = this.items.at(-1);
    await this.fetch(oldest ? oldest.id : null);
  }

  private async fetch(before: number | null): Promise<void> {
    const generation = this.generation;
    this.load = 'loading';
    this.loadError = null;
    try {
      const page = await api.listNotifications(before, NOTIFICATIONS_PAGE);
      if (generation !== this.generation) return;
      if (!Array.isArray(page)) throw new Error('the notification list did not load');
      this.merge(page);
      // A first page shorter than a page means there is nothing older; a reload of the newest
      // page says nothing about older ones already loaded.
      if (before !== null || this.items.length <= page.length) this.hasMore = page.length >= NOTIFICATIONS_PAGE;
      this.load = 'idle';
    } catch (e) {
      if (generation !== this.generation) return;
      this.load = 'error';
      this.loadError = api.toCommandError(e).message;
    }
  }

  async loadSettings(): Promise<void> {
    try {
      const s = await api.getSettings();
      if (!s || typeof s.doNotDisturb !== 'boolean') throw new Error('the settings did not load');
      this.settings = s;
      this.settingsError = null;
    } catch (e) {
      this.settingsError = `Settings not loaded: ${api.toCommandError(e).message}`;
    }
  }

  setDoNotDisturb(on: boolean): Promise<void> {
    return this.changeSetting('Do Not Disturb', () => api.setDoNotDisturb(on));
  }

  setStartAtLogin(on: boolean): Promise<void> {
    return this.changeSetting('Start at login', () => api.setStartAtLogin(on));
  }

  private async changeSetting(what: string, run: () => Promise<AppSettings>): Promise<void> {
    if (this.settingsBusy) return;
    this.settingsBusy = true;
    this.settingsError = null;
    try {
      this.settings = await run();
    } catch (e) {
      // The toggles show the shell's settings, so a failed change shows the old value again.
      this.settingsError = `${what} not changed: ${api.toCommandError(e).message}`;
    } finally {
      this.settingsBusy = false;
    }
  }

  /** Empties the list in the shell, then here. */
  async clear(): Promise<boolean> {
    if (this.clearing) return false;
    this.clearing = true;
    this.clearError = null;
    try {
      await api.clearNotifications();
      this.markSeen();
      this.items = [];
      this.hasMore = false;
      return true;
    } catch (e) {
      this.clearError = `Not cleared: ${api.toCommandError(e).message}`;
      return false;
    } finally {
      this.clearing = false;
    }
  }

  /** Everything listed so far is read. */
  markSeen(): void {
    let newest = this.seen;
    for (const item of this.items) if (after(item, newest)) newest = item;
    if (newest !== this.seen) {
      this.seen = { atMs: newest.atMs, id: newest.id };
      writeSeen(this.seen);
    }
  }

  /** Whether `n` came in since the panel was opened (shown highlighted). */
  isNew(n: NotificationView): boolean {
    return after(n, this.newSince);
  }

  show(): void {
    if (this.open) return;
    this.newSince = this.seen;
    this.open = true;
    this.markSeen();
    // The tray can toggle Do Not Disturb too: read the settings again when the panel opens.
    void this.loadSettings();
    if (this.load === 'error' || this.items.length === 0) void this.reload();
  }

  hide(): void {
    this.open = false;
  }
}

export const notifications = new NotificationsState();
