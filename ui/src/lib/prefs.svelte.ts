// UI preferences (theme, sidebar width, log filters, column widths) in tauri-plugin-store's
// prefs.json. Outside Tauri (tests, `vite dev` in a browser) they live in memory only.
import { isTauri } from '@tauri-apps/api/core';
import type { Store } from '@tauri-apps/plugin-store';

export type Theme = 'system' | 'light' | 'dark';

export interface LogFilterPref {
  event: string | null;
  search: string;
}

export interface ColumnWidths {
  event: number;
  id: number;
}

export interface Prefs {
  theme: Theme;
  sidebarWidth: number;
  /** Per subscription id. */
  logFilters: Record<string, LogFilterPref>;
  columns: ColumnWidths;
  showTimeline: boolean;
}

export const SIDEBAR_MIN = 200;
export const SIDEBAR_MAX = 480;
export const COLUMN_MIN = 40;
export const COLUMN_MAX = 400;

export function defaultPrefs(): Prefs {
  return {
    theme: 'system',
    sidebarWidth: 272,
    logFilters: {},
    columns: { event: 96, id: 72 },
    showTimeline: true,
  };
}

function clamp(n: unknown, min: number, max: number, fallback: number): number {
  return typeof n === 'number' && Number.isFinite(n) ? Math.min(max, Math.max(min, Math.round(n))) : fallback;
}

/** Values from disk are checked one by one: a hand-edited or older prefs.json must not break the UI. */
export function sanitizePrefs(raw: Partial<Record<keyof Prefs, unknown>>): Prefs {
  const d = defaultPrefs();
  const theme = raw.theme === 'light' || raw.theme === 'dark' || raw.theme === 'system' ? raw.theme : d.theme;
  const cols = (typeof raw.columns === 'object' && raw.columns !== null ? raw.columns : {}) as Partial<Record<string, unknown>>;
  const filters: Record<string, LogFilterPref> = {};
  if (typeof raw.logFilters === 'object' && raw.logFilters !== null) {
    for (const [k, v] of Object.entries(raw.logFilters as Record<string, unknown>)) {
      if (typeof v !== 'object' || v === null) continue;
      const f = v as Partial<Record<string, unknown>>;
      filters[k] = {
        event: typeof f.event === 'string' ? f.event : null,
        search: typeof f.search === 'string' ? f.search : '',
      };
    }
  }
  return {
    theme,
    sidebarWidth: clamp(raw.sidebarWidth, SIDEBAR_MIN, SIDEBAR_MAX, d.sidebarWidth),
    logFilters: filters,
    columns: {
      event: clamp(cols.event, COLUMN_MIN, COLUMN_MAX, d.columns.event),
      id: clamp(cols.id, COLUMN_MIN, COLUMN_MAX, d.columns.id),
    },
    showTimeline: typeof raw.showTimeline === 'boolean' ? raw.showTimeline : d.showTimeline,
  };
}

const KEYS: readonly (keyof Prefs)[] = ['theme', 'sidebarWidth', 'logFilters', 'columns', 'showTimeline'];

export class PrefsStore {
  values: Prefs = $state(defaultPrefs());
  private store: Store | null = null;

  async load(): Promise<void> {
    if (!isTauri()) return;
    try {
      const { getStore } = await import('@tauri-apps/plugin-store');
      // The shell opens this store (src-tauri/src/prefs.rs, with a debounced auto-save): the
      // page may not `load` a path of its choosing, so it can only get the one it was given.
      this.store = (await getStore('prefs.json')) ?? null;
      if (!this.store) throw new Error('the preferences store is not open');
      const raw: Partial<Record<keyof Prefs, unknown>> = {};
      for (const k of KEYS) raw[k] = await this.store.get<unknown>(k);
      this.values = sanitizePrefs(raw);
    } catch (e) {
      // Preferences are a comfort: without the store the app still works, with defaults.
      console.warn('prefs unavailable', e);
      this.store = null;
    }
  }

  set<K extends keyof Prefs>(key: K, value: Prefs[K]): void {
    this.values[key] = value;
    const store = this.store;
    if (store) {
      // $state.snapshot: the store serialises its argument, and a Svelte proxy is not plain data.
      store.set(key, $state.snapshot(this.values[key])).catch((e: unknown) => console.warn('prefs not saved', e));
    }
  }

  logFilter(id: number): LogFilterPref {
    return this.values.logFilters[String(id)] ?? { event: null, search: '' };
  }

  setLogFilter(id: number, f: LogFilterPref): void {
    const cur = this.logFilter(id);
    if (cur.event === f.event && cur.search === f.search) return;
    this.set('logFilters', { ...this.values.logFilters, [String(id)]: f });
  }
}

export const prefs = new PrefsStore();
