import { mockIPC } from '@tauri-apps/api/mocks';
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { beforeEach, describe, expect, it } from 'vitest';
import SubscriptionForm from '../src/components/SubscriptionForm.svelte';
import type { SubscriptionForm as Form } from '../src/lib/bindings';
import { app } from '../src/lib/store/state.svelte';
import { view } from '../src/dev/builders';

const UNAVAILABLE = {
  kind: 'keyringUnavailable',
  message: 'no OS keyring is available, so the secret was NOT saved (nor read) … (cause: org.freedesktop.DBus.Error.ServiceUnknown)',
  field: null,
};

let sent: Form[] = [];
let closed = 0;

beforeEach(() => {
  app.reset();
  sent = [];
  closed = 0;
  mockIPC((cmd, payload) => {
    if (cmd !== 'add_subscription') return null;
    const f = (payload as { form: Form }).form;
    sent.push(f);
    // The shell: refused while the keyring is out, unless the user chose to save without it.
    if (!f.withoutKeyring) throw UNAVAILABLE;
    return { ...view(7, f.name), url: f.url, form: f };
  });
});

async function fillWithSecret(): Promise<void> {
  render(SubscriptionForm, { props: { onclose: () => closed++ } });
  await fireEvent.input(screen.getByTestId('field-name'), { target: { value: 'Billing' } });
  await fireEvent.input(screen.getByTestId('field-url'), { target: { value: 'https://billing.test/events' } });
  await fireEvent.click(screen.getByTestId('btn-add-header'));
  await fireEvent.input(screen.getByTestId('header-name'), { target: { value: 'Authorization' } });
  await fireEvent.click(screen.getByTestId('header-secret'));
  await fireEvent.input(screen.getByTestId('header-value'), { target: { value: 'Bearer t0ken' } });
}

describe('Saving without the keyring', () => {
  it('offers the choice when the keyring is unavailable, saying what it means, and saves only when chosen', async () => {
    await fillWithSecret();
    await fireEvent.click(screen.getByTestId('btn-save'));
    const choice = await screen.findByTestId('keyring-choice');
    expect(choice.textContent).toContain('No OS keyring is available');
    expect(choice.textContent).toContain('kept in memory only');
    expect(choice.textContent).toContain('never on disk');
    expect(choice.textContent).toContain('asks for them again');
    expect(screen.queryByTestId('form-error')).toBeNull();
    expect(closed).toBe(0);
    expect(sent).toHaveLength(1);
    expect(sent[0].withoutKeyring).toBeUndefined();

    await fireEvent.click(screen.getByTestId('btn-save-without-keyring'));
    await waitFor(() => expect(closed).toBe(1));
    expect(sent).toHaveLength(2);
    expect(sent[1].withoutKeyring).toBe(true);
    expect(sent[1].headers[0]).toMatchObject({ name: 'Authorization', value: 'Bearer t0ken', secret: true });
  });

  it('shows another keyring error as an error, with no choice', async () => {
    mockIPC(() => {
      throw { kind: 'secret', message: 'the OS keyring is locked or refused access', field: null };
    });
    await fillWithSecret();
    await fireEvent.click(screen.getByTestId('btn-save'));
    await waitFor(() => expect(screen.getByTestId('form-error').textContent).toContain('locked'));
    expect(screen.queryByTestId('keyring-choice')).toBeNull();
  });
});
