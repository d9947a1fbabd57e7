// The dev fake answers the notification and settings commands as the shell does, through the
// same api.ts functions the UI calls. Fake timers: the fake's streams run on a 50 ms interval
// and its clock, and the seeds are dated from Date.now().
import { invoke } from '@tauri-apps/api/core';
import { clearMocks } from '@tauri-apps/api/mocks';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import * as api from '../src/lib/api';
import type { NotificationView } from '../src/lib/bindings';
import { installDevBackend } from '../src/dev/fake-backend';

const KINDS = ['down', 'recovered', 'gave-up', 'fatal', 'message', 'summary', 'many-down', 'many-recovered'];
const DELIVERIES = ['shown', 'silenced', 'folded'];

beforeEach(() => {
  vi.useFakeTimers({ now: new Date('2026-03-02T09:00:00Z') });
  installDevBackend();
});

afterEach(() => {
  // Dropping the fake clock drops the fake's interval with it.
  vi.useRealTimers();
  clearMocks();
});

async function all(): Promise<NotificationView[]> {
  return api.listNotifications(null, api.NOTIFICATIONS_PAGE_MAX);
}

async function flakyId(): Promise<number> {
  const subs = await api.listSubscriptions();
  const s = subs.find((x) => x.name === 'Prices (flaky)');
  if (!s) throw new Error('no flaky stream in the fake');
  return s.id;
}

describe('dev fake backend: notifications and settings', () => {
  it('starts with a realistic list, newest first', async () => {
    const list = await all();
    expect(list.length).toBeGreaterThan(5);
    for (let i = 1; i < list.length; i++) {
      expect(list[i].id).toBeLessThan(list[i - 1].id);
      expect(list[i].atMs).toBeLessThanOrEqual(list[i - 1].atMs);
    }
    for (const n of list) {
      expect(KINDS).toContain(n.kind);
      expect(DELIVERIES).toContain(n.delivery);
      expect(n.title).not.toBe('');
      expect(n.atMs).toBeLessThanOrEqual(Date.now());
    }
    const ids = new Set((await api.listSubscriptions()).map((s) => s.id));
    // About many streams at once, and about one that was removed since.
    expect(list.some((n) => n.subscriptionId === null)).toBe(true);
    expect(list.some((n) => n.subscriptionId !== null && !ids.has(n.subscriptionId))).toBe(true);
    expect(list.some((n) => n.delivery === 'folded')).toBe(true);
    expect(list.some((n) => n.delivery === 'silenced')).toBe(true);
  });

  it('pages by id before `before`', async () => {
    const whole = await all();
    const first = await api.listNotifications(null, 4);
    expect(first).toEqual(whole.slice(0, 4));
    const second = await api.listNotifications(first[3].id, 4);
    expect(second).toEqual(whole.slice(4, 8));
    expect(await api.listNotifications(whole.at(-1)!.id, 4)).toEqual([]);
    expect(await invoke('list_notifications', { before: null, limit: 0 })).toEqual([]);
    await expect(invoke('list_notifications', { before: null, limit: -1 })).rejects.toMatch(/invalid args `limit`/);
    await expect(invoke('list_notifications', { before: 'x', limit: 5 })).rejects.toMatch(/invalid args `before`/);
  });

  it('keeps Do Not Disturb and start at login in memory', async () => {
    expect(await api.getSettings()).toEqual({ doNotDisturb: false, startAtLogin: false });
    expect(await api.setDoNotDisturb(true)).toEqual({ doNotDisturb: true, startAtLogin: false });
    expect(await api.setStartAtLogin(true)).toEqual({ doNotDisturb: true, startAtLogin: true });
    expect(await api.getSettings()).toEqual({ doNotDisturb: true, startAtLogin: true });
    expect(await api.setDoNotDisturb(false)).toEqual({ doNotDisturb: false, startAtLogin: true });
    expect(await api.setStartAtLogin(false)).toEqual({ doNotDisturb: false, startAtLogin: false });
    await expect(invoke('set_do_not_disturb', {})).rejects.toMatch(/invalid args `on`/);
    await expect(invoke('set_start_at_login', { on: 'yes' })).rejects.toMatch(/invalid args `on`/);
    // A reply is a copy: changing it does not change the fake's settings.
    const s = await api.getSettings();
    s.doNotDisturb = true;
    expect((await api.getSettings()).doNotDisturb).toBe(false);
  });

  it('lists and emits the flaky stream going down and recovering', async () => {
    const id = await flakyId();
    const seen: NotificationView[] = [];
    const stop = await api.onNotification((n) => seen.push(n));
    const newestSeed = (await all())[0].id;

    // Open at 0.6 s, dropped at 8.6 s, told down after 1 s more.
    await vi.advanceTimersByTimeAsync(9_700);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ id: newestSeed + 1, subscriptionId: id, kind: 'down', title: 'Prices (flaky) is down', delivery: 'shown' });
    expect(seen[0].body).toMatch(/^Not connected for 1 s · retry 1 · connection reset by peer\.$/);

    // Back open about 0.4 s later; "recovered" within the 3 s grace at the latest.
    await vi.advanceTimersByTimeAsync(4_000);
    expect(seen).toHaveLength(2);
    expect(seen[1]).toMatchObject({ id: newestSeed + 2, subscriptionId: id, kind: 'recovered', title: 'Prices (flaky) recovered', delivery: 'shown' });
    expect(seen[1].body).toMatch(/^Back after 1 s down\./);
    expect((await all()).slice(0, 2)).toEqual([seen[1], seen[0]]);
    stop();
  });

  it('folds repeats within a minute, sums them up after it, and silences with Do Not Disturb', async () => {
    const seen: NotificationView[] = [];
    const stop = await api.onNotification((n) => seen.push(n));
    await vi.advanceTimersByTimeAsync(14_000);
    expect(seen.map((n) => n.delivery)).toEqual(['shown', 'shown']);

    // The next outage, about 8 s later, is within the minute: listed, folded.
    await vi.advanceTimersByTimeAsync(10_000);
    expect(seen.slice(2).map((n) => [n.kind, n.delivery])).toContainEqual(['down', 'folded']);

    await api.setDoNotDisturb(true);
    await vi.advanceTimersByTimeAsync(60_000);
    const summaries = seen.filter((n) => n.kind === 'summary');
    expect(summaries.length).toBeGreaterThan(0);
    expect(summaries[0].title).toMatch(/^Prices \(flaky\): and \d+ more (outages|recoveries)$/);
    expect(summaries[0].delivery).toBe('silenced');
    stop();
  });

  it('clears the list, and ids start over', async () => {
    expect(await api.clearNotifications()).toBeNull();
    expect(await all()).toEqual([]);
    await vi.advanceTimersByTimeAsync(9_700);
    const list = await all();
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ id: 1, kind: 'down' });
  });

  it('sends a health verdict: the quiet stream goes stale, the flaky one down while out', async () => {
    // Every random draw passes: each stream sends whenever it may, so the timings below are exact.
    vi.spyOn(Math, 'random').mockReturnValue(0.05);
    const statusOf = async (name: string) => {
      const s = (await api.listSubscriptions()).find((x) => x.name === name);
      if (!s) throw new Error(`no ${name} in the fake`);
      return s.status;
    };
    // Opened at 0.6 s, the quiet stream has sent all it sends by 1 s.
    await vi.advanceTimersByTimeAsync(9_700);
    expect(await statusOf('Health (goes quiet)')).toMatchObject({ state: 'open', health: 'open' });
    // The flaky stream dropped at 8.6 s and is not open again yet: down after 1 s.
    expect((await statusOf('Prices (flaky)')).health).toBe('down');
    expect(['connecting', 'retrying']).toContain((await statusOf('Prices (flaky)')).state);
    expect(await statusOf('Archive')).toMatchObject({ state: 'paused', health: 'paused' });

    await vi.advanceTimersByTimeAsync(3_000);
    expect(await statusOf('Health (goes quiet)')).toMatchObject({ state: 'open', health: 'stale' });
    expect(await statusOf('Prices (flaky)')).toMatchObject({ state: 'open', health: 'open' });
    expect(await statusOf('Demo stream')).toMatchObject({ state: 'open', health: 'open' });
    expect(await statusOf('Orders (bursts every 6 s)')).toMatchObject({ state: 'open', health: 'open' });
  });

  it('tells nothing for a paused stream', async () => {
    const id = await flakyId();
    const before = (await all()).length;
    await api.pauseSubscription(id);
    await vi.advanceTimersByTimeAsync(30_000);
    expect((await all()).length).toBe(before);
  });
});
