// The note shown with the built-in demo stream: a new user's first stream drops on purpose, and
// without a word about it the reconnects look like a fault. The number comes from the demo's own
// URL (the backend reads its drop knob), so the note stays true if that changes.
import type { DemoView } from './bindings';

/** What to say about a subscription's demo flag, or null when it is not the demo. */
export function demoNote(demo: DemoView | undefined): string | null {
  if (!demo) return null;
  const every = demo.dropsEvery;
  if (every === null || every <= 0) return 'This stream comes from Streamwatch’s built-in demo server.';
  const what = every === 1 ? 'after every message' : `every ${every} messages`;
  return `This demo server drops the connection ${what} on purpose, so you can see reconnects.`;
}
