import type { Channel } from '@tauri-apps/api/core';
import { emit } from '@tauri-apps/api/event';
import { mockIPC } from '@tauri-apps/api/mocks';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { beforeEach, describe, expect, it } from 'vitest';
import App from '../src/App.svelte';
import { FOCUS_EVENT, NOTIFICATION_EVENT } from '../src/lib/api';
import type { AppSettings, NotificationView, SubscriptionForm, SubscriptionView, UpdateBatch } from '../src/lib/bindings';
import { NOTIFICATIONS_PAGE, notifications } from '../src/lib/notifications.svelte';
import { defaultPrefs, prefs } from '../src/lib/prefs.svelte';
import { app } from '../src/lib/store/state.svelte';
import { view } from '../src/dev/builders';

type Handler = (args: Record<string, unknown>) => unknown;

interface Shell {
  calls: { cmd: string; args: Record<string, unknown> }[];
  list: NotificationView[];
  settings: AppSettings;
}

const T0 = 1_700_000_000_000;

function note(id: number, p: Partial<NotificationView> = {}): NotificationView {
  return { id, atMs: T0 + id * 1000, subscriptionId: 1, kind: 'down', title: `Sub 1 is down (${id})`, body: 'connection refused', delivery: 'shown', ...p };
}

/** A shell with a notification list (any order; served newest first) and settings. */
function fakeShell(subs: SubscriptionView[], list: NotificationView[] = [], handlers: Record<string, Handler> = {}): Shell {
  const shell: Shell = { calls: [], list: [...list], settings: { doNotDisturb: false, startAtLogin: false } };
  mockIPC(
    (cmd, payload) => {
      const args = (payload ?? {}) as Record<string, unknown>;
      shell.calls.push({ cmd, args });
      if (handlers[cmd]) return handlers[cmd](args);
      switch (cmd) {
        case 'list_subscriptions':
          return subs;
        case 'connect_updates':
          void (args.onUpdate as Channel<UpdateBatch>);
          return null;
        case 'history_page':
        case 'timeline':
          return [];
        case 'subscription_stats':
          return { uptimeTodayPercent: 100, messagesStored: 0, gaps: 0, missedEvents: 0 };
        case 'list_notifications': {
          const before = args.before as number | null;
          return shell.list
            .filter((n) => before === null || n.id < before)
            .sort((a, b) => b.id - a.id)
            .slice(0, args.limit as number);
        }
        case 'clear_notifications':
          shell.list = [];
          return null;
        case 'get_settings':
          return shell.settings;
        case 'set_do_not_disturb':
          shell.settings = { ...shell.settings, doNotDisturb: args.on as boolean };
          return shell.settings;
        case 'set_start_at_login':
          shell.settings = { ...shell.settings, startAtLogin: args.on as boolean };
          return shell.settings;
        default:
          return null;
      }
    },
    { shouldMockEvents: true },
  );
  return shell;
}

function rows(): HTMLElement[] {
  return screen.queryAllByTestId('notification-item');
}

async function openPanel(): Promise<HTMLElement> {
  await fireEvent.click(screen.getByTestId('notifications-button'));
  return screen.findByTestId('notifications-panel');
}

async function started(): Promise<void> {
  await screen.findByTestId('detail');
  await waitFor(() => expect(notifications.load).toBe('idle'));
  await waitFor(() => expect(notifications.settings).not.toBeNull());
}

beforeEach(() => {
  app.reset();
  notifications.reset();
  prefs.values = defaultPrefs();
  localStorage.clear();
});

describe('notifications panel', () => {
  it('lists notifications newest first, as text, with silenced and folded markers', async () => {
    fakeShell(
      [view(1, 'Alpha')],
      [
        note(1, { title: '<b>bold</b>', body: '<img src=x onerror=alert(1)>' }),
        note(2, { delivery: 'silenced', kind: 'recovered' }),
        note(3, { delivery: 'folded', kind: 'message', subscriptionId: null }),
      ],
    );
    render(App);
    await started();
    const panel = await openPanel();
    expect(panel.getAttribute('role')).toBe('dialog');
    expect(rows().map((r) => r.dataset.id)).toEqual(['3', '2', '1']);
    expect(rows().map((r) => r.dataset.delivery)).toEqual(['folded', 'silenced', 'shown']);
    expect(within(rows()[0]).getByTestId('notification-folded')).toBeTruthy();
    expect(within(rows()[1]).getByTestId('notification-silenced')).toBeTruthy();
    expect(within(rows()[2]).queryByTestId('notification-silenced')).toBeNull();
    // Text, never HTML.
    expect(within(rows()[2]).getByTestId('notification-title').textContent).toBe('<b>bold</b>');
    expect(within(rows()[2]).getByTestId('notification-body').textContent).toBe('<img src=x onerror=alert(1)>');
    expect(panel.querySelector('img, b')).toBeNull();
    // A subscription's name is shown with its notification.
    expect(rows()[2].textContent).toContain('Alpha');
  });

  it('counts live notifications as unread until the panel is opened', async () => {
    fakeShell([view(1, 'Alpha')], [note(1)]);
    render(App);
    await started();
    // What was listed before this UI first ran is not news.
    expect(screen.queryByTestId('notifications-unread')).toBeNull();

    await emit(NOTIFICATION_EVENT, note(2));
    await emit(NOTIFICATION_EVENT, note(3, { delivery: 'silenced' }));
    await emit(NOTIFICATION_EVENT, note(3)); // the same one twice counts once
    await waitFor(() => expect(screen.getByTestId('notifications-unread').textContent).toBe('2'));
    expect(screen.getByTestId('notifications-button').getAttribute('aria-label')).toMatch(/2 unread/);

    await openPanel();
    expect(screen.queryByTestId('notifications-unread')).toBeNull();
    expect(rows().map((r) => r.dataset.id)).toEqual(['3', '2', '1']);
    expect(rows()[0].classList.contains('new')).toBe(true);
    expect(rows()[2].classList.contains('new')).toBe(false);

    // While open, new ones show up in the list and are read at once.
    await emit(NOTIFICATION_EVENT, note(4, { title: 'live one' }));
    await waitFor(() => expect(rows()[0].dataset.id).toBe('4'));
    expect(screen.queryByTestId('notifications-unread')).toBeNull();

    // Escape closes and gives the focus back to the bell.
    await fireEvent.keyDown(screen.getByTestId('notifications-panel'), { key: 'Escape' });
    expect(screen.queryByTestId('notifications-panel')).toBeNull();
    expect(document.activeElement).toBe(screen.getByTestId('notifications-button'));
    await emit(NOTIFICATION_EVENT, note(5));
    await waitFor(() => expect(screen.getByTestId('notifications-unread').textContent).toBe('1'));
  });

  it('keeps what was seen across restarts of the UI', async () => {
    localStorage.setItem('streamwatch.notifications.seen', JSON.stringify({ atMs: note(2).atMs, id: 2 }));
    fakeShell([view(1, 'Alpha')], [note(1), note(2), note(3), note(4)]);
    render(App);
    await started();
    expect(screen.getByTestId('notifications-unread').textContent).toBe('2');
  });

  it('pages older notifications in with "Load older"', async () => {
    const list = Array.from({ length: NOTIFICATIONS_PAGE + 5 }, (_, i) => note(i + 1));
    const shell = fakeShell([view(1, 'Alpha')], list);
    render(App);
    await started();
    await openPanel();
    expect(rows().length).toBe(NOTIFICATIONS_PAGE);
    expect(rows()[0].dataset.id).toBe(String(NOTIFICATIONS_PAGE + 5));
    await fireEvent.click(screen.getByTestId('notifications-load-older'));
    await waitFor(() => expect(rows().length).toBe(NOTIFICATIONS_PAGE + 5));
    expect(rows().at(-1)!.dataset.id).toBe('1');
    const pages = shell.calls.filter((c) => c.cmd === 'list_notifications');
    expect(pages.at(-1)!.args).toEqual({ before: 6, limit: NOTIFICATIONS_PAGE });
    // The last page was short: nothing older.
    expect(screen.queryByTestId('notifications-load-older')).toBeNull();
  });

  it('selects the subscription of a clicked notification and closes', async () => {
    fakeShell([view(1, 'Alpha'), view(2, 'Beta')], [note(1, { subscriptionId: 2, title: 'Beta is down' }), note(2, { subscriptionId: null, kind: 'many-down' })]);
    render(App);
    await started();
    expect(screen.getByTestId('detail-name').textContent).toBe('Alpha');
    await openPanel();
    // No subscription: nothing to pick.
    expect(within(rows()[0]).queryByRole('button')).toBeNull();
    await fireEvent.click(within(rows()[1]).getByRole('button'));
    await waitFor(() => expect(screen.getByTestId('detail-name').textContent).toBe('Beta'));
    expect(screen.queryByTestId('notifications-panel')).toBeNull();
  });

  it('toggles Do Not Disturb and start at login, and shows a failure', async () => {
    const shell = fakeShell([view(1, 'Alpha')], [], {
      set_start_at_login: () => {
        throw { kind: 'internal', message: 'start at login is not available here', field: null };
      },
    });
    shell.settings = { doNotDisturb: false, startAtLogin: false };
    render(App);
    await started();
    await openPanel();
    const dnd = screen.getByTestId('dnd-toggle') as HTMLInputElement;
    await waitFor(() => expect(dnd.disabled).toBe(false));
    expect(dnd.checked).toBe(false);
    await fireEvent.click(dnd);
    await waitFor(() => expect(shell.settings.doNotDisturb).toBe(true));
    await waitFor(() => expect(dnd.checked).toBe(true));
    expect(shell.calls.find((c) => c.cmd === 'set_do_not_disturb')!.args).toEqual({ on: true });
    // The bell says so.
    expect(screen.getByTestId('notifications-button').getAttribute('aria-label')).toMatch(/Do Not Disturb is on/);

    const auto = screen.getByTestId('autostart-toggle') as HTMLInputElement;
    await fireEvent.click(auto);
    await waitFor(() => expect(screen.getByTestId('settings-error').textContent).toBe('Start at login not changed: start at login is not available here'));
    // The switch shows the shell's value again.
    expect(auto.checked).toBe(false);
  });

  it('reads the settings again when opened (the tray can change Do Not Disturb)', async () => {
    const shell = fakeShell([view(1, 'Alpha')]);
    render(App);
    await started();
    shell.settings = { doNotDisturb: true, startAtLogin: true };
    await openPanel();
    await waitFor(() => expect((screen.getByTestId('dnd-toggle') as HTMLInputElement).checked).toBe(true));
    expect((screen.getByTestId('autostart-toggle') as HTMLInputElement).checked).toBe(true);
  });

  it('clears after a confirmation', async () => {
    const shell = fakeShell([view(1, 'Alpha')], [note(1), note(2)]);
    render(App);
    await started();
    await openPanel();
    await fireEvent.click(screen.getByTestId('notifications-clear'));
    await fireEvent.click(screen.getByTestId('btn-cancel-confirm'));
    expect(rows().length).toBe(2);
    expect(shell.calls.some((c) => c.cmd === 'clear_notifications')).toBe(false);
    // Cancelling the confirmation leaves the panel open.
    expect(screen.getByTestId('notifications-panel')).toBeTruthy();

    await fireEvent.click(screen.getByTestId('notifications-clear'));
    await fireEvent.click(screen.getByTestId('btn-confirm-clear'));
    await waitFor(() => expect(screen.getByTestId('notifications-empty')).toBeTruthy());
    expect(shell.calls.filter((c) => c.cmd === 'clear_notifications').length).toBe(1);
    // The shell starts its ids over after a clear: the next one is still new.
    await fireEvent.keyDown(screen.getByTestId('notifications-panel'), { key: 'Escape' });
    await emit(NOTIFICATION_EVENT, note(1, { atMs: Date.now() }));
    await waitFor(() => expect(screen.getByTestId('notifications-unread').textContent).toBe('1'));
  });

  it('shows a list that did not load, and retries', async () => {
    let fail = true;
    const shell = fakeShell([view(1, 'Alpha')], [note(1)], {
      list_notifications: () => {
        if (fail) throw { kind: 'storage', message: 'database is locked', field: null };
        return [note(1)];
      },
    });
    render(App);
    await screen.findByTestId('detail');
    await waitFor(() => expect(notifications.load).toBe('error'));
    await openPanel();
    await waitFor(() => expect(screen.getByTestId('notifications-error').textContent).toContain('database is locked'));
    fail = false;
    await fireEvent.click(within(screen.getByTestId('notifications-error')).getByRole('button'));
    await waitFor(() => expect(rows().length).toBe(1));
    expect(shell.calls.filter((c) => c.cmd === 'list_notifications').length).toBeGreaterThanOrEqual(2);
  });
});

describe('tray focus', () => {
  it('selects the subscription the tray asks for', async () => {
    fakeShell([view(1, 'Alpha'), view(2, 'Beta'), view(3, 'Gamma')]);
    render(App);
    await started();
    expect(screen.getByTestId('detail-name').textContent).toBe('Alpha');
    await emit(FOCUS_EVENT, 3);
    await waitFor(() => expect(screen.getByTestId('detail-name').textContent).toBe('Gamma'));
    expect(app.selectedId).toBe(3);
  });
});

describe('form: notification rules', () => {
  function saved(f: SubscriptionForm): SubscriptionView {
    return { ...view(9, f.name), url: f.url, form: f };
  }

  it('adds with the defaults and message rules, checks them, and shows the shell’s verdict', async () => {
    let attempts = 0;
    const shell = fakeShell([], [], {
      add_subscription: (args) => {
        attempts++;
        if (attempts === 1) throw { kind: 'invalid', message: 'message rule 2: invalid regular expression: unclosed group', field: 'notify' };
        return saved(args.form as SubscriptionForm);
      },
    });
    render(App);
    await fireEvent.click(await screen.findByTestId('btn-add'));
    expect((screen.getByTestId('form-notify-down-after') as HTMLInputElement).value).toBe('10');
    for (const id of ['form-notify-recovered', 'form-notify-gave-up', 'form-notify-fatal', 'form-notify-reset'])
      expect((screen.getByTestId(id) as HTMLInputElement).checked).toBe(true);
    expect(screen.getByTestId('form-notify-reset').closest('label')?.textContent).toBe('Ids went backwards (server restarted?)');
    expect(screen.queryByTestId('form-notify-rule-event-0')).toBeNull();

    await fireEvent.input(screen.getByTestId('field-name'), { target: { value: 'Orders' } });
    await fireEvent.input(screen.getByTestId('field-url'), { target: { value: 'https://example.com/events' } });
    await fireEvent.input(screen.getByTestId('form-notify-down-after'), { target: { value: '30' } });
    await fireEvent.click(screen.getByTestId('form-notify-gave-up'));
    await fireEvent.click(screen.getByTestId('form-notify-reset'));
    await fireEvent.click(screen.getByTestId('form-notify-add-rule'));
    await fireEvent.click(screen.getByTestId('form-notify-add-rule'));
    expect(document.activeElement).toBe(screen.getByTestId('form-notify-rule-event-1'));

    // Client-side checks: an empty rule, a pointer without a slash.
    await fireEvent.input(screen.getByTestId('form-notify-rule-event-0'), { target: { value: 'alert' } });
    await fireEvent.input(screen.getByTestId('form-notify-rule-pointer-0'), { target: { value: 'level' } });
    await fireEvent.click(screen.getByTestId('btn-save'));
    expect(attempts).toBe(0);
    expect(screen.getByTestId('error-notify.messages.0.jsonPointer').textContent).toMatch(/starts with \//);
    expect(screen.getByTestId('error-notify.messages.1').textContent).toMatch(/at least one condition/);
    expect(screen.getByTestId('form-notify-rule-pointer-0').getAttribute('aria-invalid')).toBe('true');

    await fireEvent.input(screen.getByTestId('form-notify-rule-pointer-0'), { target: { value: '/level' } });
    await waitFor(() => expect(screen.getByTestId('error-notify.messages.0.jsonEquals').textContent).toMatch(/value/));
    await fireEvent.input(screen.getByTestId('form-notify-rule-equals-0'), { target: { value: '"error"' } });
    await fireEvent.input(screen.getByTestId('form-notify-rule-regex-1'), { target: { value: '(unclosed' } });
    // A JS hint, not a blocker.
    await waitFor(() => expect(screen.getByTestId('form-notify-rule-regex-hint-1').textContent).toMatch(/may not be a valid/));
    await waitFor(() => expect(screen.queryByTestId('error-notify.messages.1')).toBeNull());

    await fireEvent.click(screen.getByTestId('btn-save'));
    await waitFor(() => expect(screen.getByTestId('form-notify-error').textContent).toBe('message rule 2: invalid regular expression: unclosed group'));
    expect(screen.getByTestId('form-error').textContent).toMatch(/highlighted/);
    // The rule it names is highlighted.
    expect(screen.getByTestId('form-notify-rule-regex-1').getAttribute('aria-invalid')).toBe('true');
    expect(screen.getByTestId('form-notify-rule-regex-0').getAttribute('aria-invalid')).toBeNull();

    await fireEvent.input(screen.getByTestId('form-notify-rule-regex-1'), { target: { value: '(closed)' } });
    await fireEvent.input(screen.getByTestId('form-notify-rule-contains-1'), { target: { value: 'timeout' } });
    await fireEvent.click(screen.getByTestId('btn-save'));
    await waitFor(() => expect(screen.queryByTestId('subscription-form')).toBeNull());
    const sent = shell.calls.filter((c) => c.cmd === 'add_subscription').at(-1)!.args.form as SubscriptionForm;
    expect(sent.notify).toEqual({
      downAfterSecs: 30,
      recovered: true,
      gaveUp: false,
      fatal: true,
      reset: false,
      stale: true,
      schemaMismatch: true,
      messages: [
        { event: 'alert', contains: '', regex: '', jsonPointer: '/level', jsonEquals: '"error"' },
        { event: '', contains: 'timeout', regex: '(closed)', jsonPointer: '', jsonEquals: '' },
      ],
    });
  });

  it('edits saved rules: shown as the shell returns them, removed, sent back', async () => {
    const v = view(1, 'Alpha');
    v.form = {
      ...v.form,
      notify: {
        downAfterSecs: 0,
        recovered: false,
        gaveUp: true,
        fatal: false,
        reset: false,
        stale: false,
        messages: [
          { event: 'alert', contains: '', regex: '', jsonPointer: '', jsonEquals: '' },
          { event: '', contains: '', regex: '', jsonPointer: '/level', jsonEquals: 'error' },
        ],
      },
    };
    const shell = fakeShell([v], [], { update_subscription: (args) => ({ ...v, form: args.form as SubscriptionForm }) });
    render(App);
    await fireEvent.click(await screen.findByTestId('btn-edit'));
    expect((screen.getByTestId('form-notify-down-after') as HTMLInputElement).value).toBe('0');
    expect((screen.getByTestId('form-notify-recovered') as HTMLInputElement).checked).toBe(false);
    expect((screen.getByTestId('form-notify-reset') as HTMLInputElement).checked).toBe(false);
    expect((screen.getByTestId('form-notify-stale') as HTMLInputElement).checked).toBe(false);
    expect((screen.getByTestId('form-notify-rule-event-0') as HTMLInputElement).value).toBe('alert');
    expect((screen.getByTestId('form-notify-rule-equals-1') as HTMLInputElement).value).toBe('error');
    await fireEvent.click(screen.getByTestId('form-notify-remove-rule-0'));
    expect((screen.getByTestId('form-notify-rule-pointer-0') as HTMLInputElement).value).toBe('/level');
    await fireEvent.click(screen.getByTestId('btn-save'));
    await waitFor(() => expect(screen.queryByTestId('subscription-form')).toBeNull());
    const sent = shell.calls.find((c) => c.cmd === 'update_subscription')!.args.form as SubscriptionForm;
    expect(sent.notify).toEqual({
      downAfterSecs: 0,
      recovered: false,
      gaveUp: true,
      fatal: false,
      reset: false,
      stale: false,
      schemaMismatch: true,
      messages: [{ event: '', contains: '', regex: '', jsonPointer: '/level', jsonEquals: 'error' }],
    });
  });
});
