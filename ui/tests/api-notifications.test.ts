import { mockIPC } from '@tauri-apps/api/mocks';
import { emit } from '@tauri-apps/api/event';
import { describe, expect, it, vi } from 'vitest';
import * as api from '../src/lib/api';
import type { NotificationView } from '../src/lib/bindings';

function record(reply: (cmd: string, args: Record<string, unknown>) => unknown = () => null) {
  const calls: { cmd: string; args: Record<string, unknown> }[] = [];
  mockIPC(
    (cmd, payload) => {
      const args = (payload ?? {}) as Record<string, unknown>;
      calls.push({ cmd, args });
      return reply(cmd, args);
    },
    { shouldMockEvents: true },
  );
  return calls;
}

const note = (id: number): NotificationView => ({
  id,
  atMs: 1_700_000_000_000 + id,
  subscriptionId: 1,
  kind: 'down',
  title: `t${id}`,
  body: '',
  delivery: 'shown',
});

describe('api: notifications and settings', () => {
  it('calls each command with the contract’s arguments', async () => {
    const calls = record((cmd) => {
      if (cmd === 'list_notifications') return [note(2), note(1)];
      if (cmd.startsWith('get_') || cmd.startsWith('set_')) return { doNotDisturb: true, startAtLogin: false };
      return null;
    });
    expect(await api.listNotifications(null, 50)).toEqual([note(2), note(1)]);
    await api.listNotifications(7, 10_000);
    expect(await api.clearNotifications()).toBeNull();
    expect(await api.getSettings()).toEqual({ doNotDisturb: true, startAtLogin: false });
    await api.setDoNotDisturb(true);
    await api.setStartAtLogin(false);
    expect(calls).toEqual([
      { cmd: 'list_notifications', args: { before: null, limit: 50 } },
      // The shell caps a page at 500; asking for more is clamped here too.
      { cmd: 'list_notifications', args: { before: 7, limit: 500 } },
      { cmd: 'clear_notifications', args: {} },
      { cmd: 'get_settings', args: {} },
      { cmd: 'set_do_not_disturb', args: { on: true } },
      { cmd: 'set_start_at_login', args: { on: false } },
    ]);
  });

  it('rejects with a CommandError', async () => {
    record(() => {
      throw { kind: 'internal', message: 'start at login is not available here', field: null };
    });
    await expect(api.setStartAtLogin(true)).rejects.toEqual({ kind: 'internal', message: 'start at login is not available here', field: null });
  });

  it('delivers the notification event’s payload until unlistened', async () => {
    record();
    const seen = vi.fn();
    const stop = await api.onNotification(seen);
    await emit(api.NOTIFICATION_EVENT, note(3));
    expect(seen).toHaveBeenCalledWith(note(3));
    stop();
    stop(); // twice is harmless
    await new Promise((r) => setTimeout(r, 0));
    await emit(api.NOTIFICATION_EVENT, note(4));
    expect(seen).toHaveBeenCalledTimes(1);
  });

  it('delivers the focus event’s subscription id, ignoring anything else', async () => {
    record();
    const seen = vi.fn();
    const stop = await api.onFocusRequest(seen);
    await emit(api.FOCUS_EVENT, 42);
    await emit(api.FOCUS_EVENT, 'nonsense');
    await emit(api.FOCUS_EVENT, null);
    expect(seen.mock.calls).toEqual([[42]]);
    stop();
  });
});
