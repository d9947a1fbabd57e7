// The sidebar's stream filter: a case-insensitive substring of the name or the URL as shown
// (credentials already masked by the shell, so typing a secret never finds a stream by it).

/** What the filter looks at in each stream. */
export interface Filterable {
  readonly name: string;
  readonly view: { readonly url: string };
}

/** The streams whose name or shown URL holds `query` (trimmed, any case); all for "". */
export function filterStreams<T extends Filterable>(subs: readonly T[], query: string): T[] {
  const q = query.trim().toLocaleLowerCase();
  if (q === '') return [...subs];
  return subs.filter((s) => s.name.toLocaleLowerCase().includes(q) || s.view.url.toLocaleLowerCase().includes(q));
}

/** "3 of 12" while a filter is typed, "" otherwise. */
export function filterCount(shown: number, total: number, query: string): string {
  return query.trim() === '' ? '' : `${shown} of ${total}`;
}

/**
 * Whether a key press moves focus to the filter: Ctrl/Cmd+F, from anywhere. ("/" already goes
 * to the log's search when no text field has the focus; see App.svelte.)
 */
export function wantsFilterFocus(e: Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'altKey' | 'shiftKey'>): boolean {
  return (e.ctrlKey || e.metaKey) && !e.altKey && !e.shiftKey && e.key.toLowerCase() === 'f';
}
