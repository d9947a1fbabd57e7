// The only module that talks to the shell. Every command of docs/app-contract.md has one typed
// function here, so components never spell a command name or an argument object themselves.
import { Channel, invoke } from '@tauri-apps/api/core';
import type {
  CommandError,
  MessageView,
  StatsView,
  SubscriptionForm,
  SubscriptionView,
  TimelineEntry,
  UpdateBatch,
} from './bindings';
import type { CommandErrorKind } from './types';

const ERROR_KINDS: readonly CommandErrorKind[] = ['invalid', 'notFound', 'storage', 'secret', 'internal'];

function isCommandError(e: unknown): e is CommandError {
  if (typeof e !== 'object' || e === null) return false;
  const o = e as Record<string, unknown>;
  return (
    typeof o.message === 'string' &&
    typeof o.kind === 'string' &&
    (ERROR_KINDS as readonly string[]).includes(o.kind)
  );
}

/**
 * Whatever an invoke rejected with, as a CommandError. The shell rejects with a CommandError,
 * but Tauri itself rejects with a plain string (unknown command, missing permission), and a
 * bug may throw an Error: all of them must reach the user as a message, not as "[object Object]".
 */
export function toCommandError(e: unknown): CommandError {
  if (isCommandError(e)) return { kind: e.kind, message: e.message, field: e.field ?? null };
  if (typeof e === 'string') return { kind: 'internal', message: e, field: null };
  if (e instanceof Error) return { kind: 'internal', message: e.message, field: null };
  return { kind: 'internal', message: 'Unknown error', field: null };
}

async function call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(cmd, args);
  } catch (e) {
    throw toCommandError(e);
  }
}

export function listSubscriptions(): Promise<SubscriptionView[]> {
  return call('list_subscriptions');
}

export function addSubscription(form: SubscriptionForm): Promise<SubscriptionView> {
  return call('add_subscription', { form });
}

export function updateSubscription(id: number, form: SubscriptionForm): Promise<SubscriptionView> {
  return call('update_subscription', { id, form });
}

export function removeSubscription(id: number): Promise<null> {
  return call('remove_subscription', { id });
}

export function pauseSubscription(id: number): Promise<null> {
  return call('pause_subscription', { id });
}

export function resumeSubscription(id: number): Promise<null> {
  return call('resume_subscription', { id });
}

export function reconnectNow(id: number): Promise<null> {
  return call('reconnect_now', { id });
}

/** Stored messages older than `beforeSeq` (all when null), newest first. */
export function historyPage(id: number, beforeSeq: number | null, limit: number): Promise<MessageView[]> {
  return call('history_page', { id, beforeSeq, limit });
}

/** Stored state transitions and gaps since `sinceMs`, oldest first. */
export function timeline(id: number, sinceMs: number | null): Promise<TimelineEntry[]> {
  return call('timeline', { id, sinceMs });
}

export function subscriptionStats(id: number): Promise<StatsView> {
  return call('subscription_stats', { id });
}

export function exportSubscriptions(withHistory: boolean): Promise<string> {
  return call('export_subscriptions', { withHistory });
}

/**
 * Starts this window's update bridge. The Channel must have its handler before it is sent:
 * batches that arrive before a handler is set are not replayed.
 */
export function connectUpdates(onUpdate: (batch: UpdateBatch) => void): Promise<null> {
  const channel = new Channel<UpdateBatch>(onUpdate);
  return call('connect_updates', { onUpdate: channel });
}
