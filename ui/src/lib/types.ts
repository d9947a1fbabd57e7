// Names the UI uses for parts of the generated contract. They are derived from the generated
// types (never re-declared) so a regenerated binding that renames an inner type still fits.
import type { CommandError, LifecycleView, StatusView, TimelineEntry, UpdateBatch } from './bindings';

export type ConnState = StatusView['state'];
/** The engine's verdict on a subscription: its state, or "stale" / "down" on top of it. */
export type Health = StatusView['health'];
export type LifecycleKind = LifecycleView['kind'];
export type CommandErrorKind = CommandError['kind'];
export type StatusUpdate = UpdateBatch['statuses'][number];
export type TimelineKind = TimelineEntry['kind'];

/**
 * What a subscription shows: the shell's state, or "stale" when the engine says it is open but
 * silent for longer than the stream's habits, or "waiting" when it is open with no message yet
 * since it (re)opened. "down" shows as the state (connecting, retrying).
 */
export type DisplayState = ConnState | 'stale' | 'waiting';
