// The detail view names each of a stream's message counts, so that they cannot seem to
// contradict: received (the status), stored (after retention) and shown (rows in the log).
// After "Clear view" the log shows only what came since: "shown" says so, and stored is
// untouched (the clear is of this window's view, never of storage).
import { formatCount } from './format';

/**
 * The line under "Received": "444 stored · 430 shown"; stored is "…" until the figures load;
 * "444 stored · 12 since clear" once the view was cleared.
 */
export function countsLine(stored: number | null, shown: number, cleared = false): string {
  return `${stored === null ? '…' : formatCount(stored)} stored · ${formatCount(shown)} ${cleared ? 'since clear' : 'shown'}`;
}

/** The log's count: "12 shown", "3 of 12 shown" under a filter, "… since clear" after one. */
export function logCountText(matching: number, all: number, filtered: boolean, cleared: boolean): string {
  const shown = filtered ? `${formatCount(matching)} of ${formatCount(all)} shown` : `${formatCount(matching)} shown`;
  return cleared ? `${shown} since clear` : shown;
}
