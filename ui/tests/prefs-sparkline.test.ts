import { describe, expect, it } from 'vitest';
import { sparkPath } from '../src/components/Sparkline.svelte';
import { defaultPrefs, SIDEBAR_MAX, sanitizePrefs } from '../src/lib/prefs.svelte';

describe('sanitizePrefs', () => {
  it('keeps good values and replaces bad ones with defaults', () => {
    const p = sanitizePrefs({
      theme: 'dark',
      sidebarWidth: 9999,
      columns: { event: 'wide', id: 80 },
      logFilters: { '3': { event: 'tick', search: 7 }, '4': null },
      showTimeline: 'yes',
    });
    expect(p.theme).toBe('dark');
    expect(p.sidebarWidth).toBe(SIDEBAR_MAX);
    expect(p.columns).toEqual({ event: defaultPrefs().columns.event, id: 80 });
    expect(p.logFilters).toEqual({ '3': { event: 'tick', search: '' } });
    expect(p.showTimeline).toBe(true);
  });

  it('gives the defaults for an empty store', () => {
    expect(sanitizePrefs({})).toEqual(defaultPrefs());
  });
});

describe('sparkPath', () => {
  it('scales values into the box, highest at the top', () => {
    expect(sparkPath([0, 5, 10], 100, 22, 10)).toBe('M0.0 21.0L50.0 11.0L100.0 1.0');
  });
  it('is empty without values', () => {
    expect(sparkPath([], 100, 20, 0)).toBe('');
  });
});
