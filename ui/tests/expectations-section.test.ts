import { mockIPC } from '@tauri-apps/api/mocks';
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { beforeEach, describe, expect, it } from 'vitest';
import SubscriptionForm from '../src/components/SubscriptionForm.svelte';
import type { SubscriptionForm as Form } from '../src/lib/bindings';
import { errorKeyForField } from '../src/lib/form';
import { newExpectation, validateExpectations } from '../src/lib/expectations-form';
import { app } from '../src/lib/store/state.svelte';
import { view } from '../src/dev/builders';

const REMOTE = 'the schema for event type "tick" refers to "https://example.com/s.json": only references inside the schema (starting with #) are allowed, nothing is fetched';

let sent: Form[] = [];

beforeEach(() => {
  app.reset();
  sent = [];
  mockIPC((cmd, payload) => {
    if (cmd !== 'add_subscription') return null;
    const f = (payload as { form: Form }).form;
    sent.push(f);
    // The shell: a remote $ref is refused against its row's schema field.
    if (f.expectations?.some((e) => e.schema.includes('https://'))) throw { kind: 'invalid', message: REMOTE, field: 'expectations.0.schema' };
    return { ...view(7, f.name), url: f.url, form: f };
  });
});

async function fill(testid: string, value: string, index = 0): Promise<void> {
  const el = screen.getAllByTestId(testid)[index] as HTMLInputElement | HTMLTextAreaElement;
  await fireEvent.input(el, { target: { value } });
}

describe('expectations section', () => {
  it('checks JSON here and sends each row; empty type is every event', () => {
    const errors: Record<string, string> = {};
    const rows = [newExpectation('tick', '{"type":"object"}'), newExpectation('', '{nope'), newExpectation('x', '')];
    const out = validateExpectations(rows, errors);
    expect(out[0]).toEqual({ eventType: 'tick', schema: '{"type":"object"}' });
    expect(errors['expectations.1.schema']).toMatch(/not JSON/);
    expect(errors['expectations.2.schema']).toMatch(/events of type "x"/);
    expect(errorKeyForField('expectations.3.schema')).toBe('expectations.3.schema');
    expect(errorKeyForField('expectations[1]')).toBe('expectations.1.schema');
  });

  it('adds and removes rows, sends them, and shows the shell’s words under the schema', async () => {
    render(SubscriptionForm, { props: { onclose: () => {} } });
    expect(screen.getByTestId('form-expectations-toggle').textContent).toMatch(/no JSON Schema/);
    await fill('field-name', 'Ticks');
    await fill('field-url', 'http://127.0.0.1:8787/events');
    await fireEvent.click(screen.getByTestId('btn-add-expectation'));
    await fireEvent.click(screen.getByTestId('btn-add-expectation'));
    expect(screen.getAllByTestId('expectation-row')).toHaveLength(2);
    await fireEvent.click(screen.getAllByTestId('btn-remove-expectation')[1]);
    expect(screen.getAllByTestId('expectation-row')).toHaveLength(1);
    await fill('expectation-event-type', 'tick');
    await fill('expectation-schema', '{"$ref": "https://example.com/s.json"}');
    await fireEvent.submit(screen.getByTestId('subscription-form'));
    await waitFor(() => expect(screen.getByTestId('error-expectations.0.schema').textContent).toBe(REMOTE));
    expect(sent.at(-1)!.expectations).toEqual([{ eventType: 'tick', schema: '{"$ref": "https://example.com/s.json"}' }]);
    const schema = screen.getByTestId('expectation-schema');
    expect(schema.getAttribute('aria-invalid')).toBe('true');
    expect(schema.getAttribute('aria-describedby')).toContain('err-expectations.0.schema');

    await fill('expectation-schema', '{"required": ["n"]}');
    await fireEvent.submit(screen.getByTestId('subscription-form'));
    await waitFor(() => expect(sent).toHaveLength(2));
    expect(sent[1].expectations).toEqual([{ eventType: 'tick', schema: '{"required": ["n"]}' }]);
    expect(sent[1].notify?.schemaMismatch).toBe(true);
  });
});
