// The form's "Expectations" section as the user edits it: rows of an event type (empty: all
// events) and a JSON Schema as text. Here only "is it JSON" is checked; the shell compiles the
// schema (and refuses remote $refs) and its words land under the same row's schema field.
import type { ExpectationForm } from './bindings';
/** Messages by field key (the form's FormErrors). */
type FormErrors = Partial<Record<string, string>>;

export interface ExpectationDraft {
  /** Stable key for the row list. */
  key: number;
  eventType: string;
  schema: string;
}

let nextKey = 0;

export function newExpectation(eventType = '', schema = ''): ExpectationDraft {
  nextKey += 1;
  return { key: nextKey, eventType, schema };
}

export function expectationDraftsFrom(rows: readonly ExpectationForm[] | undefined): ExpectationDraft[] {
  return (rows ?? []).map((r) => newExpectation(r.eventType, r.schema));
}

/** The error key of row `i`'s schema, as the shell names it. */
export function schemaKey(i: number): string {
  return `expectations.${i}.schema`;
}

/** Whether `key` is one of the section's error keys. */
export function isExpectationKey(key: string): boolean {
  return /^expectations\.\d+\.schema$/.test(key);
}

/** Checks the rows; each is sent, so the shell's row numbers are the form's. */
export function validateExpectations(rows: readonly ExpectationDraft[], errors: FormErrors): ExpectationForm[] {
  const out: ExpectationForm[] = [];
  rows.forEach((r, i) => {
    const eventType = r.eventType.trim();
    const schema = r.schema.trim();
    if (schema === '') {
      errors[schemaKey(i)] =
        eventType === '' ? 'Enter the JSON Schema that every event must match, or remove this row.' : `Enter the JSON Schema that events of type "${eventType}" must match.`;
      return;
    }
    try {
      const parsed: unknown = JSON.parse(schema);
      if (typeof parsed !== 'object' && typeof parsed !== 'boolean') {
        errors[schemaKey(i)] = 'A JSON Schema is an object (or true / false).';
      }
    } catch (e) {
      errors[schemaKey(i)] = `This schema is not JSON: ${e instanceof Error ? e.message : String(e)}.`;
    }
    if (/[\r\n]/.test(eventType)) errors[schemaKey(i)] = 'An event type has no line breaks.';
    out.push({ eventType, schema });
  });
  return out;
}
