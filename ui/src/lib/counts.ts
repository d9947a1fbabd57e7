// The detail view names each of a stream's message counts, so that they cannot seem to
// contradict: received (the status), stored (after retention) and shown (rows in the log).
import { formatCount } from './format';

/** The line under "Received": "444 stored · 430 shown"; stored is "…" until the figures load. */
export function countsLine(stored: number | null, shown: number): string {
  return `${stored === null ? '…' : formatCount(stored)} stored · ${formatCount(shown)} shown`;
}
