import { describe, expect, it } from 'vitest';
import { draftFromForm, emptyDraft, errorKeyForField, newHeader, validateDraft, type FormDraft } from '../src/lib/form';
import { form } from './fixtures';

function draft(p: Partial<FormDraft> = {}): FormDraft {
  return { ...emptyDraft(), name: 'Orders', url: 'https://example.com/events', ...p };
}

function errorsOf(d: FormDraft): Record<string, string | undefined> {
  const v = validateDraft(d);
  if (v.ok) throw new Error('expected errors');
  return v.errors;
}

describe('validateDraft', () => {
  it('accepts a minimal form and fills defaults', () => {
    const v = validateDraft(draft());
    expect(v).toEqual({
      ok: true,
      form: {
        name: 'Orders',
        url: 'https://example.com/events',
        method: 'GET',
        headers: [],
        body: null,
        lastEventId: null,
        retryInitialMs: 1000,
        retryMaxMs: 30000,
        maxRetries: null,
        idleTimeoutSecs: null,
        paused: false,
      },
    });
  });

  it('requires a name and an http(s) URL', () => {
    expect(errorsOf(draft({ name: '  ' })).name).toMatch(/name/);
    expect(errorsOf(draft({ url: '' })).url).toMatch(/URL/);
    expect(errorsOf(draft({ url: 'not a url' })).url).toMatch(/not a valid URL/);
    expect(errorsOf(draft({ url: 'ftp://example.com/x' })).url).toMatch(/http:\/\/ and https:\/\//);
  });

  it('checks the method and header names as HTTP tokens', () => {
    expect(errorsOf(draft({ method: 'GET X' })).method).toBeDefined();
    const d = draft({ headers: [{ ...newHeader(), name: 'Bad Name', value: 'v' }] });
    expect(errorsOf(d)['headers.0.name']).toMatch(/Letters/);
  });

  it('rejects line breaks in header values and event ids', () => {
    const d = draft({ headers: [{ ...newHeader(), name: 'X-A', value: 'a\r\nInjected: 1' }], lastEventId: 'a\nb' });
    const e = errorsOf(d);
    expect(e['headers.0.value']).toMatch(/line breaks/);
    expect(e.lastEventId).toMatch(/line breaks/);
  });

  it('drops blank header rows', () => {
    const v = validateDraft(draft({ headers: [newHeader()] }));
    expect(v.ok && v.form.headers).toEqual([]);
  });

  it('keeps a stored secret when its value is left empty, and asks for a new secret value', () => {
    const keep = validateDraft(draft({ headers: [{ ...newHeader(), name: 'Authorization', secret: true, hasStoredValue: true }] }));
    expect(keep.ok && keep.form.headers).toEqual([{ name: 'Authorization', value: '', secret: true, hasStoredValue: true }]);
    const replace = validateDraft(draft({ headers: [{ ...newHeader(), name: 'Authorization', value: 'Bearer new', secret: true, hasStoredValue: true }] }));
    expect(replace.ok && replace.form.headers[0].value).toBe('Bearer new');
    const missing = errorsOf(draft({ headers: [{ ...newHeader(), name: 'Authorization', secret: true }] }));
    expect(missing['headers.0.value']).toMatch(/secret value/);
  });

  it('checks the retry settings', () => {
    expect(errorsOf(draft({ retryInitialMs: 'abc' })).retryInitialMs).toBeDefined();
    expect(errorsOf(draft({ retryInitialMs: '-5' })).retryInitialMs).toBeDefined();
    expect(errorsOf(draft({ retryMaxMs: '0' })).retryMaxMs).toBeDefined();
    expect(errorsOf(draft({ retryInitialMs: '5000', retryMaxMs: '100' })).retryMaxMs).toMatch(/at least the initial/);
    expect(errorsOf(draft({ maxRetries: '1.5' })).maxRetries).toBeDefined();
    expect(errorsOf(draft({ idleTimeoutSecs: 'x' })).idleTimeoutSecs).toBeDefined();
  });

  it('turns optional numbers into numbers or null, and an idle timeout of 0 into off', () => {
    const v = validateDraft(draft({ maxRetries: ' 5 ', idleTimeoutSecs: '0', retryInitialMs: '250', body: '{"a":1}', lastEventId: '41', method: 'post' }));
    expect(v.ok).toBe(true);
    if (!v.ok) return;
    expect(v.form.maxRetries).toBe(5);
    expect(v.form.idleTimeoutSecs).toBeNull();
    expect(v.form.retryInitialMs).toBe(250);
    expect(v.form.body).toBe('{"a":1}');
    expect(v.form.lastEventId).toBe('41');
    expect(v.form.method).toBe('POST');
  });

  it('round-trips a SubscriptionForm through the draft', () => {
    const f = form({
      name: 'X',
      url: 'https://x.test/sse',
      headers: [{ name: 'Authorization', value: '', secret: true, hasStoredValue: true }],
      maxRetries: 3,
      idleTimeoutSecs: 30,
      body: 'b',
      lastEventId: '9',
      paused: true,
    });
    const v = validateDraft(draftFromForm(f));
    expect(v).toEqual({ ok: true, form: f });
  });
});

describe('errorKeyForField', () => {
  it('maps the shell’s field names to form fields', () => {
    expect(errorKeyForField(null)).toBeNull();
    expect(errorKeyForField('url')).toBe('url');
    expect(errorKeyForField('retry_max_ms')).toBe('retryMaxMs');
    expect(errorKeyForField('headers')).toBe('headers');
    expect(errorKeyForField('headers[2]')).toBe('headers.2.name');
    expect(errorKeyForField('headers.1.value')).toBe('headers.1.value');
    expect(errorKeyForField('somethingElse')).toBeNull();
  });
});
