import { describe, expect, it } from 'vitest';
import {
  defaultNotifyDraft,
  draftFromForm,
  emptyDraft,
  errorKeyForField,
  methodChoices,
  newHeader,
  newRule,
  notifyErrorTarget,
  REDIRECT_CHOICES,
  reconnectChoices,
  regexHint,
  validateDraft,
  type FormDraft,
  type RuleDraft,
} from '../src/lib/form';
import { HTTP_METHODS } from '../src/lib/bindings';
import { form } from '../src/dev/builders';

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
        secretParams: [],
        method: 'GET',
        headers: [],
        body: null,
        lastEventId: null,
        retryInitialMs: 1000,
        retryMaxMs: 30000,
        maxRetries: null,
        idleTimeoutSecs: null,
        staleAfterSecs: null,
        paused: false,
        notify: { downAfterSecs: 10, recovered: true, gaveUp: true, fatal: true, reset: true, stale: true, schemaMismatch: true, messages: [] },
        redirects: 'any',
        idsNotSequential: false,
        reconnect: 'by-method',
        endEvent: '',
        network: { proxy: '', caCertificates: '', clientCertificate: '', clientKey: '', hasStoredKey: false },
        expectations: [],
        probe: { everySecs: null, notifyFailed: true, notifyNoSentinel: false, firstTokenLimitMs: null, totalLimitMs: null, expectContains: '', expectRegex: '', expectJsonPointer: '', expectJsonEquals: '' },
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
    expect(errorsOf(draft({ staleAfterSecs: '0' })).staleAfterSecs).toBeDefined();
    expect(validateDraft(draft({ staleAfterSecs: '90', idleTimeoutSecs: '' }))).toMatchObject({
      ok: true,
      form: { staleAfterSecs: 90, idleTimeoutSecs: null },
    });
  });

  it('turns optional numbers into numbers or null; an idle timeout of 0 is off, empty automatic', () => {
    const v = validateDraft(draft({ maxRetries: ' 5 ', idleTimeoutSecs: '0', retryInitialMs: '250', body: '{"a":1}', lastEventId: '41', method: 'post' }));
    expect(v.ok).toBe(true);
    if (!v.ok) return;
    expect(v.form.maxRetries).toBe(5);
    expect(v.form.idleTimeoutSecs).toBe(0);
    expect(v.form.staleAfterSecs).toBeNull();
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
      redirects: 'same-origin',
      idsNotSequential: true,
      notify: {
        downAfterSecs: 0,
        recovered: false,
        gaveUp: true,
        fatal: false,
        reset: false,
        stale: false,
        schemaMismatch: false,
        messages: [{ event: 'alert', contains: ' x ', regex: '(?i)err', jsonPointer: '/level', jsonEquals: '"error"' }],
      },
    });
    const v = validateDraft(draftFromForm(f));
    expect(v).toEqual({ ok: true, form: f });
  });
});

describe('redirects', () => {
  it('defaults to any, and a form from an older shell without the field shows any', () => {
    expect(emptyDraft().redirects).toBe('any');
    expect(draftFromForm({ ...form(), redirects: undefined }).redirects).toBe('any');
  });

  it('offers each mode once, each with words saying what it does', () => {
    expect(REDIRECT_CHOICES.map((c) => c.value)).toEqual(['any', 'same-origin', 'never']);
    for (const c of REDIRECT_CHOICES) expect(c.label.length).toBeGreaterThan(10);
  });
});

describe('ids not sequential', () => {
  it('is off for a new subscription and for a form from an older shell without the field', () => {
    expect(emptyDraft().idsNotSequential).toBe(false);
    expect(draftFromForm({ ...form(), idsNotSequential: undefined }).idsNotSequential).toBe(false);
  });

  it('is sent as set', () => {
    const on = validateDraft(draft({ idsNotSequential: true }));
    expect(on.ok && on.form.idsNotSequential).toBe(true);
    const off = validateDraft(draft());
    expect(off.ok && off.form.idsNotSequential).toBe(false);
  });
});

describe('reconnect', () => {
  it('is the method’s default for a new subscription and for a form from an older shell', () => {
    expect(emptyDraft().reconnect).toBe('by-method');
    expect(draftFromForm({ ...form(), reconnect: undefined, endEvent: undefined })).toMatchObject({ reconnect: 'by-method', endEvent: '' });
  });

  it('names the default for the method being typed', () => {
    expect(reconnectChoices('GET')[0].label).toBe('Default for GET: always');
    expect(reconnectChoices('post')[0].label).toBe('Default for POST: after errors only');
    expect(reconnectChoices('POST').map((c) => c.value)).toEqual(['by-method', 'always', 'error', 'never']);
  });

  it('sends the choice and the end event as set, trimmed', () => {
    const v = validateDraft(draft({ method: 'POST', reconnect: 'never', endEvent: ' bye ' }));
    expect(v.ok && [v.form.reconnect, v.form.endEvent]).toEqual(['never', 'bye']);
    expect(errorKeyForField('end_event')).toBe('endEvent');
  });
});

describe('methodChoices', () => {
  it('offers the engine’s methods, and keeps an extension method the subscription already uses', () => {
    expect(methodChoices('GET')).toEqual([...HTTP_METHODS]);
    expect(methodChoices('HEAD')).toEqual([...HTTP_METHODS]);
    expect(methodChoices('PROPFIND')).toEqual([...HTTP_METHODS, 'PROPFIND']);
    // An extension method is still a valid token to save.
    expect(validateDraft(draft({ method: 'PROPFIND' })).ok).toBe(true);
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
    expect(errorKeyForField('redirects')).toBe('redirects');
    expect(errorKeyForField('somethingElse')).toBeNull();
  });
});

describe('notification settings', () => {
  const rule = (p: Partial<RuleDraft> = {}) => newRule(p);
  const withRules = (...messages: RuleDraft[]) => draft({ notify: { ...defaultNotifyDraft(), messages } });

  it('defaults for a new subscription: down after 10 s, recovered, gave up, fatal, no rules', () => {
    expect(emptyDraft().notify).toEqual({ downAfterSecs: '10', recovered: true, gaveUp: true, fatal: true, reset: true, stale: true, schemaMismatch: true, messages: [] });
  });

  it('sends the stale toggle as set', () => {
    const v = validateDraft(draft({ notify: { ...defaultNotifyDraft(), stale: false } }));
    expect(v.ok && v.form.notify?.stale).toBe(false);
  });

  it('sends the reset toggle as set', () => {
    const v = validateDraft(draft({ notify: { ...defaultNotifyDraft(), reset: false } }));
    expect(v.ok && v.form.notify?.reset).toBe(false);
  });

  it('shows the defaults when a form comes without notify (an older shell)', () => {
    const d = draftFromForm(form());
    expect(d.notify).toEqual(defaultNotifyDraft());
  });

  it('checks the down threshold: whole seconds, 0 to 86400', () => {
    const at = (v: string) => draft({ notify: { ...defaultNotifyDraft(), downAfterSecs: v } });
    expect(errorsOf(at('x'))['notify.downAfterSecs']).toMatch(/whole number/);
    expect(errorsOf(at('86401'))['notify.downAfterSecs']).toBeDefined();
    expect(errorsOf(at('-1'))['notify.downAfterSecs']).toBeDefined();
    const zero = validateDraft(at(' 0 '));
    expect(zero.ok && zero.form.notify?.downAfterSecs).toBe(0);
  });

  it('requires a condition in each rule', () => {
    expect(errorsOf(withRules(rule()))['notify.messages.0']).toMatch(/at least one condition/);
    expect(errorsOf(withRules(rule({ event: 'a' }), rule({ event: '  ' })))['notify.messages.1']).toBeDefined();
    // Spaces are text to look for: the shell keeps `contains` as typed.
    expect(validateDraft(withRules(rule({ contains: ' ' }))).ok).toBe(true);
  });

  it('pairs a JSON pointer starting with / with a value', () => {
    expect(errorsOf(withRules(rule({ jsonPointer: 'level', jsonEquals: '1' })))['notify.messages.0.jsonPointer']).toMatch(/starts with \//);
    expect(errorsOf(withRules(rule({ jsonEquals: '"error"' })))['notify.messages.0.jsonPointer']).toMatch(/pointer/);
    expect(errorsOf(withRules(rule({ jsonPointer: '/level' })))['notify.messages.0.jsonEquals']).toMatch(/value/);
    const ok = validateDraft(withRules(rule({ jsonPointer: ' /level ', jsonEquals: ' "error" ' })));
    expect(ok.ok && ok.form.notify?.messages).toEqual([{ event: '', contains: '', regex: '', jsonPointer: '/level', jsonEquals: '"error"' }]);
  });

  it('checks regexes in JS only as a hint: the shell decides', () => {
    expect(regexHint('')).toBeNull();
    expect(regexHint('a+b')).toBeNull();
    expect(regexHint('(?i)timeout')).toBeNull();
    expect(regexHint('(unclosed')).toMatch(/may not be a valid regular expression/);
    // Not an error: the rule is sent, and the shell's verdict comes back as a "notify" error.
    expect(validateDraft(withRules(rule({ regex: '(unclosed' }))).ok).toBe(true);
    expect(errorsOf(withRules(rule({ regex: 'a'.repeat(1001) })))['notify.messages.0.regex']).toMatch(/1000/);
  });

  it('reads which rule a shell error names', () => {
    expect(notifyErrorTarget('message rule 2: invalid regular expression: unclosed group')).toEqual({ rule: 1 });
    expect(notifyErrorTarget('message rule 1 has no condition: set an event type')).toEqual({ rule: 0 });
    expect(notifyErrorTarget('"down after" must be at most 86400 seconds (0 turns it off)')).toBe('downAfter');
    expect(notifyErrorTarget('notification rules are not valid: x')).toBeNull();
    expect(errorKeyForField('notify')).toBe('notify');
  });
});
