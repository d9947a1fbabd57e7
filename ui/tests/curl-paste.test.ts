import { mockIPC } from '@tauri-apps/api/mocks';
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { beforeEach, describe, expect, it } from 'vitest';
import SubscriptionForm from '../src/components/SubscriptionForm.svelte';
import type { CurlPaste, SubscriptionForm as Form } from '../src/lib/bindings';
import { applyCurlPaste, filledLine } from '../src/lib/curl-paste';
import { emptyDraft, newHeader } from '../src/lib/form';
import { app } from '../src/lib/store/state.svelte';
import { view } from '../src/dev/builders';

/** What the shell answers for a Chrome copy of a POST with a bearer token. */
const PASTE: CurlPaste = {
  url: 'http://127.0.0.1:8787/events',
  method: 'POST',
  headers: [
    { name: 'authorization', value: 'Bearer s3cr3t', secret: true, hasStoredValue: false },
    { name: 'content-type', value: 'application/json', secret: false, hasStoredValue: false },
  ],
  body: '{"topic":"ticks"}',
  filled: ['URL', 'method POST', '2 headers (1 secret)', 'body'],
  notes: ['-k ignored: certificates are always checked.'],
};

let asked: string[] = [];
let saved: Form[] = [];

beforeEach(() => {
  app.reset();
  asked = [];
  saved = [];
  mockIPC((cmd, payload) => {
    if (cmd === 'parse_curl') {
      const text = (payload as { text: string }).text;
      asked.push(text);
      if (text.includes('--foo')) throw { kind: 'invalid', message: 'unknown curl option --foo', field: 'curl' };
      return PASTE;
    }
    if (cmd === 'add_subscription') {
      const f = (payload as { form: Form }).form;
      saved.push(f);
      return { ...view(3, f.name), url: f.url, form: f };
    }
    return null;
  });
});

describe('applyCurlPaste', () => {
  it('replaces the request and keeps the name and every other setting', () => {
    const before = { ...emptyDraft(), name: 'Orders', headers: [{ ...newHeader(), name: 'X-Old', value: '1' }], retryMaxMs: '5000' };
    const after = applyCurlPaste(before, PASTE);
    expect(after.name).toBe('Orders');
    expect(after.retryMaxMs).toBe('5000');
    expect(after.url).toBe(PASTE.url);
    expect(after.method).toBe('POST');
    expect(after.body).toBe('{"topic":"ticks"}');
    expect(after.headers.map((h) => [h.name, h.value, h.secret, h.hasStoredValue])).toEqual([
      ['authorization', 'Bearer s3cr3t', true, false],
      ['content-type', 'application/json', false, false],
    ]);
    expect(new Set(after.headers.map((h) => h.key)).size).toBe(2);
    expect(applyCurlPaste(before, { ...PASTE, body: null }).body).toBe('');
    expect(filledLine(PASTE)).toBe('Filled: URL, method POST, 2 headers (1 secret), body.');
  });
});

describe('Paste cURL in the add form', () => {
  it('fills the form from the shell, the secret header masked, and saves it', async () => {
    render(SubscriptionForm, { props: { onclose: () => {} } });
    await fireEvent.click(screen.getByTestId('btn-paste-curl'));
    await fireEvent.input(screen.getByTestId('curl-text'), { target: { value: "curl 'http://127.0.0.1:8787/events' -k" } });
    await fireEvent.click(screen.getByTestId('btn-curl-fill'));
    await waitFor(() => expect(screen.getByTestId('curl-filled').textContent).toContain('Filled: URL, method POST, 2 headers (1 secret), body.'));
    expect(asked).toEqual(["curl 'http://127.0.0.1:8787/events' -k"]);
    expect(screen.queryByTestId('curl-box')).toBeNull();
    expect(screen.getAllByTestId('curl-ignored').map((li) => li.textContent)).toEqual(PASTE.notes);
    expect((screen.getByTestId('field-url') as HTMLInputElement).value).toBe(PASTE.url);
    expect((screen.getByTestId('field-method') as HTMLSelectElement).value).toBe('POST');
    expect((screen.getByTestId('field-body') as HTMLTextAreaElement).value).toBe('{"topic":"ticks"}');
    const values = screen.getAllByTestId('header-value') as HTMLInputElement[];
    expect(values[0].type).toBe('password');
    expect(values[1].type).toBe('text');
    const secrets = screen.getAllByTestId('header-secret') as HTMLInputElement[];
    expect(secrets.map((c) => c.checked)).toEqual([true, false]);

    await fireEvent.input(screen.getByTestId('field-name'), { target: { value: 'Pasted' } });
    await fireEvent.click(screen.getByTestId('btn-save'));
    await waitFor(() => expect(saved).toHaveLength(1));
    expect(saved[0]).toMatchObject({ name: 'Pasted', url: PASTE.url, method: 'POST', body: '{"topic":"ticks"}' });
    expect(saved[0].headers[0]).toEqual({ name: 'authorization', value: 'Bearer s3cr3t', secret: true, hasStoredValue: false });
  });

  it('shows a refusal at the box and changes nothing', async () => {
    render(SubscriptionForm, { props: { onclose: () => {} } });
    await fireEvent.input(screen.getByTestId('field-url'), { target: { value: 'https://kept.test/s' } });
    await fireEvent.click(screen.getByTestId('btn-paste-curl'));
    await fireEvent.input(screen.getByTestId('curl-text'), { target: { value: 'curl --foo https://e.x/' } });
    await fireEvent.click(screen.getByTestId('btn-curl-fill'));
    const error = await screen.findByTestId('error-curl');
    expect(error.textContent).toBe('unknown curl option --foo');
    const box = screen.getByTestId('curl-text');
    expect(box.getAttribute('aria-invalid')).toBe('true');
    expect(box.getAttribute('aria-describedby')).toBe(error.id);
    expect((screen.getByTestId('field-url') as HTMLInputElement).value).toBe('https://kept.test/s');
    expect(screen.queryByTestId('curl-note')).toBeNull();

    // An empty box is not sent.
    await fireEvent.input(box, { target: { value: '  ' } });
    await fireEvent.click(screen.getByTestId('btn-curl-fill'));
    expect(screen.getByTestId('error-curl').textContent).toBe('Paste a curl command first.');
    expect(asked).toHaveLength(1);
  });

  it('is offered only when adding', async () => {
    const sub = app.upsert(view(5, 'Existing'));
    render(SubscriptionForm, { props: { sub, onclose: () => {} } });
    expect(screen.queryByTestId('btn-paste-curl')).toBeNull();
  });
});
