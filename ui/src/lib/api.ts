// The only module that talks to the shell. Every command of docs/app-contract.md has one typed
// function here, so components never spell a command name or an argument object themselves.
import { Channel, invoke } from '@tauri-apps/api/core';
import { listen, type UnlistenFn } from '@tauri-apps/api/event';
import type {
  AppSettings,
  CommandError,
  CurlPaste,
  ExportDone,
  HistoryExportForm,
  HistoryFileFormat,
  ImportDone,
  NotificationView,
  MessageView,
  RequestView,
  RunsView,
  StatsView,
  SubscriptionForm,
  SubscriptionView,
  TimelineEntry,
  UpdateBatch,
} from './bindings';
import type { CommandErrorKind } from './types';

const ERROR_KINDS: readonly CommandErrorKind[] = [
  'invalid',
  'notFound',
  'storage',
  'secret',
  'keyringUnavailable',
  'diskFull',
  'permissionDenied',
  'file',
  'internal',
];

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

/** Saves a copy named "<name> (copy)" with the same settings and its own keyring items. */
export function duplicateSubscription(id: number): Promise<SubscriptionView> {
  return call('duplicate_subscription', { id });
}

/** The add form's fields for a pasted curl command (read in Rust; nothing is saved). A refusal
 *  names the option, on the field "curl". */
export function parseCurl(text: string): Promise<CurlPaste> {
  return call('parse_curl', { text });
}

/** What the next (re)connection sends: method, URL, headers and body, secrets masked. */
export function requestView(id: number): Promise<RequestView> {
  return call('request_view', { id });
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

/** The whole data of a row shown truncated: by seq, or (a live row) by its stamp, id and size. */
export function messageText(id: number, row: { seq: number | null; receivedAtMs: number; id: string; size: number }): Promise<string> {
  return call('message_text', { id, seq: row.seq, receivedAtMs: row.receivedAtMs, eventId: row.id, size: row.size });
}

/** Stored state transitions and gaps since `sinceMs`, oldest first. */
export function timeline(id: number, sinceMs: number | null): Promise<TimelineEntry[]> {
  return call('timeline', { id, sinceMs });
}

export function subscriptionStats(id: number): Promise<StatsView> {
  return call('subscription_stats', { id });
}

/** A finite stream's or probe's stored runs, newest first, older than run `before` (the newest
 *  when null), with today's success rate. */
export function listRuns(id: number, limit: number, before: number | null): Promise<RunsView> {
  return call('list_runs', { id, limit, before });
}

export function exportSubscriptions(withHistory: boolean): Promise<string> {
  return call('export_subscriptions', { withHistory });
}

/** Writes stored messages as JSON lines or CSV to `path` (chosen in the save dialog). */
export function exportHistoryFile(form: HistoryExportForm, path: string): Promise<ExportDone> {
  return call('export_history_file', { form, path });
}

/** Writes every stored run of probe or finite stream `id` as JSON lines or CSV to `path`
 *  (chosen in the save dialog). */
export function exportRunsFile(id: number, format: HistoryFileFormat, path: string): Promise<ExportDone> {
  return call('export_runs_file', { id, format, path });
}

/** Writes every subscription to `path`; secret values in plain text only `withSecrets`. */
export function exportSubscriptionsFile(withSecrets: boolean, path: string): Promise<ExportDone> {
  return call('export_subscriptions_file', { withSecrets, path });
}

/** Imports the export file at `path`, all or nothing; `rename` takes "NAME (2)" for a taken name. */
export function importSubscriptionsFile(path: string, rename: boolean): Promise<ImportDone> {
  return call('import_subscriptions_file', { path, rename });
}

/**
 * Starts this window's update bridge. The Channel must have its handler before it is sent:
 * batches that arrive before a handler is set are not replayed.
 */
export function connectUpdates(onUpdate: (batch: UpdateBatch) => void): Promise<null> {
  const channel = new Channel<UpdateBatch>(onUpdate);
  return call('connect_updates', { onUpdate: channel });
}

/** Tells the shell the first view is built: the window, created hidden, is shown (once). */
export function windowReady(): Promise<null> {
  return call('window_ready');
}

// ---- notifications and app settings ------------------------------------------------------------

/** The most notifications one `list_notifications` call returns (the shell caps `limit`). */
export const NOTIFICATIONS_PAGE_MAX = 500;

/** Listed notifications with an id below `before` (all when null), newest first. */
export function listNotifications(before: number | null, limit: number): Promise<NotificationView[]> {
  return call('list_notifications', { before, limit: Math.max(1, Math.min(NOTIFICATIONS_PAGE_MAX, Math.floor(limit))) });
}

/** Empties the in-app notification list. */
export function clearNotifications(): Promise<null> {
  return call('clear_notifications');
}

export function getSettings(): Promise<AppSettings> {
  return call('get_settings');
}

/** Do Not Disturb: notifications are still listed (as `silenced`) but not shown. */
export function setDoNotDisturb(on: boolean): Promise<AppSettings> {
  return call('set_do_not_disturb', { on });
}

/** Start the app (hidden, in the tray) at login. */
export function setStartAtLogin(on: boolean): Promise<AppSettings> {
  return call('set_start_at_login', { on });
}

// ---- events from the shell ---------------------------------------------------------------------

/** Emitted with a NotificationView each time the shell lists a notification. */
export const NOTIFICATION_EVENT = 'streamwatch://notification';
/** Emitted with a subscription id when the user picks a subscription in the tray menu. */
export const FOCUS_EVENT = 'streamwatch://focus';

export type Unlisten = () => void;

async function subscribe<T>(event: string, handler: (payload: T) => void): Promise<Unlisten> {
  let unlisten: UnlistenFn;
  try {
    unlisten = await listen<T>(event, (e) => handler(e.payload));
  } catch (e) {
    throw toCommandError(e);
  }
  // Unlistening twice, or after the window's event plugin went away, is harmless.
  let done = false;
  return () => {
    if (done) return;
    done = true;
    try {
      void Promise.resolve(unlisten()).catch(() => {});
    } catch {
      // see above
    }
  };
}

/** Calls `handler` with each new notification; resolves to the function that stops it. */
export function onNotification(handler: (n: NotificationView) => void): Promise<Unlisten> {
  return subscribe<NotificationView>(NOTIFICATION_EVENT, handler);
}

/** Calls `handler` with the subscription id the tray asked to show; resolves to the stop function. */
export function onFocusRequest(handler: (subscriptionId: number) => void): Promise<Unlisten> {
  return subscribe<unknown>(FOCUS_EVENT, (id) => {
    const n = typeof id === 'string' ? Number(id) : id;
    if (typeof n === 'number' && Number.isSafeInteger(n)) handler(n);
  });
}
