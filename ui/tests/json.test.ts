import { describe, expect, it } from 'vitest';
import { detectJson, looksLikeJson, prettyJson } from '../src/lib/json';

describe('detectJson', () => {
  it('parses objects and arrays', () => {
    expect(detectJson('{"a":1,"b":[true,null]}')).toEqual({ ok: true, value: { a: 1, b: [true, null] } });
    expect(detectJson('  [1, 2]\n')).toEqual({ ok: true, value: [1, 2] });
  });

  it('leaves scalars, text and broken JSON as text', () => {
    expect(detectJson('42').ok).toBe(false);
    expect(detectJson('"str"').ok).toBe(false);
    expect(detectJson('null').ok).toBe(false);
    expect(detectJson('hello {world}').ok).toBe(false);
    expect(detectJson('{"a":').ok).toBe(false);
    expect(detectJson('').ok).toBe(false);
  });

  it('pretty-prints with two spaces', () => {
    expect(prettyJson({ a: [1] })).toBe('{\n  "a": [\n    1\n  ]\n}');
  });

  it('has a cheap look-alike test', () => {
    expect(looksLikeJson(' {"a":1} ')).toBe(true);
    expect(looksLikeJson('{nope')).toBe(false);
  });
});
