// JSON detection for message data. Only objects and arrays get the tree view: a bare number or
// string is clearer as text.

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export type JsonDetection = { ok: true; value: JsonValue[] | { [key: string]: JsonValue } } | { ok: false };

/** Above this, parsing on every selection would stall the UI; such data is shown as text. */
export const JSON_PARSE_LIMIT = 2 * 1024 * 1024;

export function detectJson(data: string): JsonDetection {
  if (data.length > JSON_PARSE_LIMIT) return { ok: false };
  const t = data.trimStart();
  const c = t.charAt(0);
  if (c !== '{' && c !== '[') return { ok: false };
  try {
    const value = JSON.parse(data) as JsonValue;
    if (value !== null && typeof value === 'object') return { ok: true, value };
  } catch {
    // Not JSON after all: shown as text.
  }
  return { ok: false };
}

/** Cheap test for the row badge: looks like an object or array (not a full parse). */
export function looksLikeJson(data: string): boolean {
  const t = data.trim();
  return (t.startsWith('{') && t.endsWith('}')) || (t.startsWith('[') && t.endsWith(']'));
}

export function prettyJson(value: JsonValue): string {
  return JSON.stringify(value, null, 2);
}
