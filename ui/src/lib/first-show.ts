// The window is created hidden and shown when the page says its first view is built (see the
// shell's first_show.rs: shown earlier, WebKitGTK's first paint can stall half a second). The
// first view waits briefly for the selected subscription's rows and figures, so the first frame
// a user sees is the real one, not a page that fills in a moment later.
import { tick } from 'svelte';
import * as api from './api';

/** Longest the first view waits for its data before the window is shown anyway. */
export const FIRST_VIEW_WAIT_MS = 400;

/**
 * Waits for `loaded` (at most `waitMs`), lets the view render, then tells the shell to show the
 * window. Never rejects: a failed load is shown as it is, and outside Tauri there is no window.
 */
export async function revealWhenReady(
  loaded: Promise<unknown>,
  waitMs: number = FIRST_VIEW_WAIT_MS,
  rendered: () => Promise<void> = tick,
): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, waitMs);
  });
  await Promise.race([loaded.then(
    () => undefined,
    () => undefined,
  ), timeout]);
  clearTimeout(timer);
  await rendered();
  try {
    await api.windowReady();
  } catch {
    // No shell (the dev server in a browser): nothing to show.
  }
}
