import { describe, expect, it } from 'vitest';
import { emptyProbeDraft, probeDraftFrom, probeErrorKey, probeIsSet, PROBE_KEYS, splitEvery, validateProbe } from '../src/lib/probe-form';
import { errorKeyForField } from '../src/lib/form';

describe('the probe section', () => {
  it('is off by default and round-trips a saved probe in the largest exact unit', () => {
    const off = validateProbe(emptyProbeDraft(), {});
    expect(off.everySecs).toBeNull();
    expect(off.notifyFailed).toBe(true);
    expect(probeIsSet(emptyProbeDraft())).toBe(false);
    expect([splitEvery(300), splitEvery(90), splitEvery(7200)]).toEqual([
      { every: '5', unit: 'min' },
      { every: '90', unit: 's' },
      { every: '2', unit: 'h' },
    ]);
    const saved = {
      everySecs: 300,
      notifyFailed: false,
      notifyNoSentinel: true,
      firstTokenLimitMs: 800,
      totalLimitMs: null,
      expectContains: 'Paris',
      expectRegex: '(?i)paris',
      expectJsonPointer: '/status',
      expectJsonEquals: '"done"',
    };
    const draft = probeDraftFrom(saved);
    expect(draft.every).toBe('5');
    expect(draft.unit).toBe('min');
    expect(probeIsSet(draft)).toBe(true);
    const errors = {};
    expect(validateProbe(draft, errors)).toEqual(saved);
    expect(errors).toEqual({});
  });

  it('refuses an interval under 10 s or over 7 days, bad limits and a pointer without a value', () => {
    const errors: Record<string, string> = {};
    validateProbe({ ...emptyProbeDraft(), every: '5', unit: 's', firstTokenLimitMs: '0', totalLimitMs: 'x', expectJsonPointer: '/a' }, errors);
    expect(errors[PROBE_KEYS.every]).toMatch(/10 seconds/);
    expect(errors[PROBE_KEYS.firstToken]).toBeDefined();
    expect(errors[PROBE_KEYS.total]).toBeDefined();
    expect(errors[PROBE_KEYS.equals]).toBeDefined();
    const week: Record<string, string> = {};
    validateProbe({ ...emptyProbeDraft(), every: '169', unit: 'h' }, week);
    expect(week[PROBE_KEYS.every]).toBeDefined();
    const ok: Record<string, string> = {};
    expect(validateProbe({ ...emptyProbeDraft(), every: '10', unit: 's' }, ok).everySecs).toBe(10);
    expect(ok).toEqual({});
  });

  it('puts the shell refusals under the probe field they name', () => {
    expect(probeErrorKey('probeEvery')).toBe(PROBE_KEYS.every);
    expect(errorKeyForField('probe_every_ms')).toBe(PROBE_KEYS.every);
    expect(errorKeyForField('probe.expectRegex')).toBe(PROBE_KEYS.regex);
    expect(errorKeyForField('probe.totalLimitMs')).toBe(PROBE_KEYS.total);
    expect(errorKeyForField('probe')).toBe(PROBE_KEYS.rules);
    expect(errorKeyForField('probe.nonsense')).toBeNull();
  });
});
