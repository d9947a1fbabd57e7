import type { Channel } from '@tauri-apps/api/core';
import { mockIPC } from '@tauri-apps/api/mocks';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { beforeEach, describe, expect, it } from 'vitest';
import App from '../src/App.svelte';
import { HTTP_METHODS, type SubscriptionForm, type SubscriptionView, type UpdateBatch } from '../src/lib/bindings';
import { defaultPrefs, prefs } from '../src/lib/prefs.svelte';
import { app } from '../src/lib/store/state.svelte';
import { batch, form, msg, status, view } from '../src/dev/builders';

interface Fake {
  calls: { cmd: string; args: Record<string, unknown> }[];
  send: (b: UpdateBatch) => void;
}

function fakeShell(initial: SubscriptionView[], handlers: Record<string, (args: Record<string, unknown>) => unknown> = {}): Fake {
  const calls: Fake['calls'] = [];
  let channel: Channel<UpdateBatch> | null = null;
  mockIPC((cmd, payload) => {
    const args = (payload ?? {}) as Record<string, unknown>;
    calls.push({ cmd, args });
    if (handlers[cmd]) return handlers[cmd](args);
    switch (cmd) {
      case 'list_subscriptions':
        return initial;
      case 'connect_updates':
        channel = args.onUpdate as Channel<UpdateBatch>;
        return null;
      case 'history_page':
      case 'timeline':
        return [];
      case 'subscription_stats':
        return { uptimeTodayPercent: 98.5, messagesStored: 10, gaps: 0, missedEvents: 0 };
      default:
        return null;
    }
  });
  return {
    calls,
    send: (b) => {
      if (!channel) throw new Error('no channel yet');
      channel.onmessage(b);
    },
  };
}

function items(): HTMLElement[] {
  return screen.queryAllByTestId('sub-item');
}

beforeEach(() => {
  app.reset();
  prefs.values = defaultPrefs();
});

describe('App', () => {
  it('shows what to do when there is no subscription', async () => {
    fakeShell([]);
    render(App);
    const empty = await screen.findByTestId('empty-state');
    expect(empty.textContent).toMatch(/Press \+ to watch/);
    expect(screen.getByTestId('aggregate').textContent).toBe('no streams');
  });

  it('lists subscriptions with state and name, and the aggregate', async () => {
    const now = Date.now();
    fakeShell([
      view(1, 'Alpha', { state: 'open', connectedSinceMs: now, lastMessageAtMs: now }),
      view(2, 'Beta', { state: 'retrying', attempt: 3, nextRetryAtMs: now + 3500 }),
      view(3, 'Gamma', { state: 'failed', lastError: 'HTTP 404' }),
    ]);
    render(App);
    await waitFor(() => expect(items().length).toBe(3));
    expect(items().map((i) => [i.dataset.name, i.dataset.state])).toEqual([
      ['Alpha', 'open'],
      ['Beta', 'retrying'],
      ['Gamma', 'failed'],
    ]);
    expect(within(items()[1]).getByTestId('sub-state-word').textContent).toMatch(/^retrying 3 · next in [34] s$/);
    expect(screen.getByTestId('aggregate').textContent).toBe('1 open · 1 retrying · 1 failed');
    // The first subscription opens in the detail.
    expect(screen.getByTestId('detail-name').textContent).toBe('Alpha');
    expect(screen.getByTestId('detail-state').textContent).toBe('open');
  });

  it('shows the engine’s verdict: "stale" as stale, "down" as what the stream is doing', async () => {
    const now = Date.now();
    const shell = fakeShell([
      view(1, 'Quiet', { state: 'open', health: 'stale', connectedSinceMs: now - 600_000, lastMessageAtMs: now - 125_000 }),
      view(2, 'Out', { state: 'retrying', health: 'down', attempt: 3, nextRetryAtMs: now + 3500 }),
    ]);
    render(App);
    await waitFor(() => expect(items().length).toBe(2));
    expect(items().map((i) => [i.dataset.name, i.dataset.state, i.dataset.displayState])).toEqual([
      ['Quiet', 'open', 'stale'],
      ['Out', 'retrying', 'retrying'],
    ]);
    expect(items()[0].classList.contains('state-stale')).toBe(true);
    expect(within(items()[0]).getByTestId('sub-state-word').textContent).toBe('stale');
    expect(within(items()[1]).getByTestId('sub-state-word').textContent).toMatch(/^retrying 3 · next in [34] s$/);
    expect(screen.getByTestId('aggregate').textContent).toBe('0 open · 1 retrying · 0 failed · 1 stale');
    expect(screen.getByTestId('detail-state').dataset.state).toBe('stale');
    expect(screen.getByTestId('detail-state').textContent).toBe('stale');
    expect(screen.getByTestId('detail-attempt').textContent).toMatch(/^no message for 2 min [56] s$/);

    // A message arrives: the engine's next status says open, and so does the UI.
    await waitFor(() => expect(app.bridge).toBe('live'));
    shell.send(batch({ statuses: [{ id: 1, status: status({ connectedSinceMs: now - 600_000, lastMessageAtMs: Date.now(), messages: 1 }) }] }));
    await waitFor(() => expect(items()[0].dataset.displayState).toBe('open'));
    expect(screen.getByTestId('detail-state').dataset.state).toBe('open');
    expect(screen.queryByTestId('detail-attempt')).toBeNull();
  });

  it('follows live updates: state, attempt text, log rows', async () => {
    const shell = fakeShell([view(1, 'Alpha', { state: 'connecting' })]);
    render(App);
    await screen.findByTestId('detail');
    await waitFor(() => expect(app.bridge).toBe('live'));
    const now = Date.now();
    shell.send(batch({ statuses: [{ id: 1, status: status({ state: 'open', connectedSinceMs: now, messages: 1, lastMessageAtMs: now, lastId: '1' }) }], messages: [msg(1, 1, { data: 'hello <b>world</b>' })] }));
    await waitFor(() => expect(items()[0].dataset.state).toBe('open'));
    await waitFor(() => expect(screen.getAllByTestId('log-row').length).toBe(1));
    expect(screen.getByTestId('log-row').textContent).toContain('hello <b>world</b>');

    shell.send(batch({ statuses: [{ id: 1, status: status({ state: 'retrying', attempt: 2, nextRetryAtMs: Date.now() + 5000, lastError: 'connection reset' }) }] }));
    await waitFor(() => expect(screen.getByTestId('detail-state').textContent).toBe('retrying'));
    expect(screen.getByTestId('detail-attempt').textContent).toMatch(/^attempt 2 · next in [4-6] s$/);
    expect(screen.getByTestId('detail-error').textContent).toContain('connection reset');
    expect(screen.getByTestId('btn-reconnect')).toBeTruthy();
  });

  it('moves through the sidebar with the keyboard', async () => {
    fakeShell([view(1, 'Alpha'), view(2, 'Beta'), view(3, 'Gamma')]);
    render(App);
    const list = await screen.findByTestId('sub-list');
    await fireEvent.keyDown(list, { key: 'ArrowDown' });
    await fireEvent.keyDown(list, { key: 'ArrowDown' });
    await fireEvent.keyDown(list, { key: 'Enter' });
    await waitFor(() => expect(screen.getByTestId('detail-name').textContent).toBe('Gamma'));
    await fireEvent.keyDown(list, { key: 'ArrowUp' });
    await fireEvent.keyDown(list, { key: 'Enter' });
    await waitFor(() => expect(screen.getByTestId('detail-name').textContent).toBe('Beta'));
  });

  it('pauses and resumes through the shell', async () => {
    const shell = fakeShell([view(1, 'Alpha')]);
    render(App);
    await fireEvent.click(await screen.findByTestId('btn-pause'));
    expect(shell.calls.at(-1)).toEqual({ cmd: 'pause_subscription', args: { id: 1 } });
    shell.send(batch({ statuses: [{ id: 1, status: status({ state: 'paused' }) }] }));
    await fireEvent.click(await screen.findByTestId('btn-resume'));
    expect(shell.calls.at(-1)).toEqual({ cmd: 'resume_subscription', args: { id: 1 } });
  });

  it('deletes only after confirming', async () => {
    const shell = fakeShell([view(1, 'Alpha'), view(2, 'Beta')]);
    render(App);
    await fireEvent.click(await screen.findByTestId('btn-delete'));
    expect(screen.getByTestId('confirm-dialog').textContent).toContain('Alpha');
    await fireEvent.click(screen.getByTestId('btn-cancel-confirm'));
    expect(screen.queryByTestId('confirm-dialog')).toBeNull();
    expect(shell.calls.some((c) => c.cmd === 'remove_subscription')).toBe(false);

    await fireEvent.click(screen.getByTestId('btn-delete'));
    await fireEvent.click(screen.getByTestId('btn-confirm-delete'));
    await waitFor(() => expect(items().map((i) => i.dataset.name)).toEqual(['Beta']));
    expect(shell.calls.find((c) => c.cmd === 'remove_subscription')!.args).toEqual({ id: 1 });
    expect(screen.getByTestId('detail-name').textContent).toBe('Beta');
  });

  it('adds a subscription: local validation, then the shell’s field error, then success', async () => {
    let attempts = 0;
    const shell = fakeShell([], {
      add_subscription: (args) => {
        attempts++;
        const f = args.form as SubscriptionForm;
        if (attempts === 1) throw { kind: 'invalid', message: 'host does not resolve', field: 'url' };
        return { ...view(5, f.name), url: f.url, form: f };
      },
    });
    render(App);
    await fireEvent.click(await screen.findByTestId('btn-add'));
    const method = screen.getByTestId('field-method') as HTMLSelectElement;
    expect([...method.options].map((o) => o.value)).toEqual([...HTTP_METHODS]);
    await fireEvent.click(screen.getByTestId('btn-save'));
    expect(screen.getByTestId('error-name').textContent).toMatch(/name/);
    expect(screen.getByTestId('error-url').textContent).toMatch(/URL/);
    expect(attempts).toBe(0);

    await fireEvent.input(screen.getByTestId('field-name'), { target: { value: 'Orders' } });
    await fireEvent.input(screen.getByTestId('field-url'), { target: { value: 'ftp://x' } });
    await waitFor(() => expect(screen.queryByTestId('error-name')).toBeNull());
    expect(screen.getByTestId('error-url').textContent).toMatch(/http/);

    await fireEvent.input(screen.getByTestId('field-url'), { target: { value: 'https://nowhere.test/events' } });
    await fireEvent.click(screen.getByTestId('btn-add-header'));
    await fireEvent.input(screen.getByTestId('header-name'), { target: { value: 'Authorization' } });
    await fireEvent.click(screen.getByTestId('header-secret'));
    await fireEvent.input(screen.getByTestId('header-value'), { target: { value: 'Bearer t0ken' } });
    await fireEvent.input(screen.getByTestId('field-max-retries'), { target: { value: '5' } });
    const redirects = screen.getByTestId('field-redirects') as HTMLSelectElement;
    expect(redirects.value).toBe('any');
    expect([...redirects.options].map((o) => o.value)).toEqual(['any', 'same-origin', 'never']);
    expect(screen.getByText('When the server redirects elsewhere')).toBeTruthy();
    await fireEvent.change(redirects, { target: { value: 'same-origin' } });
    await fireEvent.click(screen.getByTestId('btn-save'));
    await waitFor(() => expect(screen.getByTestId('error-url').textContent).toBe('host does not resolve'));

    await fireEvent.click(screen.getByTestId('btn-save'));
    await waitFor(() => expect(screen.queryByTestId('subscription-form')).toBeNull());
    const sent = shell.calls.filter((c) => c.cmd === 'add_subscription').at(-1)!.args.form as SubscriptionForm;
    expect(sent).toEqual(
      form({
        name: 'Orders',
        url: 'https://nowhere.test/events',
        headers: [{ name: 'Authorization', value: 'Bearer t0ken', secret: true, hasStoredValue: false }],
        maxRetries: 5,
        notify: { downAfterSecs: 10, recovered: true, gaveUp: true, fatal: true, reset: true, stale: true, schemaMismatch: true, messages: [] },
        redirects: 'same-origin',
      }),
    );
    await waitFor(() => expect(items().map((i) => i.dataset.name)).toEqual(['Orders']));
    expect(screen.getByTestId('detail-name').textContent).toBe('Orders');
  });

  it('edits with a stored secret shown as "stored" and kept unless replaced', async () => {
    const v = view(1, 'Alpha');
    v.form = form({ name: 'Alpha', headers: [{ name: 'Authorization', value: '', secret: true, hasStoredValue: true }] });
    const shell = fakeShell([v], { update_subscription: (args) => ({ ...v, form: args.form as SubscriptionForm }) });
    render(App);
    await fireEvent.click(await screen.findByTestId('btn-edit'));
    expect(screen.getByTestId('header-stored').textContent).toBe('stored');
    expect(screen.queryByTestId('header-value')).toBeNull();
    await fireEvent.click(screen.getByTestId('btn-save'));
    await waitFor(() => expect(screen.queryByTestId('subscription-form')).toBeNull());
    const sent = shell.calls.find((c) => c.cmd === 'update_subscription')!.args;
    expect(sent.id).toBe(1);
    expect((sent.form as SubscriptionForm).headers).toEqual([{ name: 'Authorization', value: '', secret: true, hasStoredValue: true }]);

    await fireEvent.click(screen.getByTestId('btn-edit'));
    await fireEvent.click(screen.getByTestId('btn-replace-secret'));
    await fireEvent.input(screen.getByTestId('header-value'), { target: { value: 'new-secret' } });
    await fireEvent.click(screen.getByTestId('btn-save'));
    await waitFor(() => expect(screen.queryByTestId('subscription-form')).toBeNull());
    const second = shell.calls.filter((c) => c.cmd === 'update_subscription').at(-1)!.args.form as SubscriptionForm;
    expect(second.headers[0]).toEqual({ name: 'Authorization', value: 'new-secret', secret: true, hasStoredValue: true });
  });

  it('shows a shell error without a field at the top of the form', async () => {
    fakeShell([], {
      add_subscription: () => {
        throw { kind: 'storage', message: 'disk full', field: null };
      },
    });
    render(App);
    await fireEvent.click(await screen.findByTestId('btn-add'));
    await fireEvent.input(screen.getByTestId('field-name'), { target: { value: 'X' } });
    await fireEvent.input(screen.getByTestId('field-url'), { target: { value: 'http://127.0.0.1:1/' } });
    await fireEvent.click(screen.getByTestId('btn-save'));
    await waitFor(() => expect(screen.getByTestId('form-error').textContent).toBe('disk full'));
  });
});
