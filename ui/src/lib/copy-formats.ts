// What the log's copy actions put on the clipboard, and what their buttons say. Copying is an
// action, not a way of looking at the row: each button names what it copies ("Copy as SSE")
// and answers "Copied" for a moment.

/** The fields a copy reads from a log row. */
export interface CopyRow {
  readonly receivedAtMs: number;
  readonly seq: number | null;
  readonly event: string;
  readonly id: string;
  readonly data: string;
}

/** The row in the event-stream format, as a server would send it (ends with a blank line). */
export function asSse(row: CopyRow): string {
  const lines: string[] = [];
  if (row.id) lines.push(`id: ${row.id}`);
  if (row.event && row.event !== 'message') lines.push(`event: ${row.event}`);
  for (const l of row.data.split('\n')) lines.push(`data: ${l}`);
  return `${lines.join('\n')}\n\n`;
}

/** The row with its metadata as JSON. */
export function asJsonRow(row: CopyRow): string {
  return JSON.stringify(
    { receivedAt: new Date(row.receivedAtMs).toISOString(), seq: row.seq, event: row.event, id: row.id, data: row.data },
    null,
    2,
  );
}

/** The copy actions the inspector offers. */
export type CopyKind = 'data' | 'pretty' | 'sse' | 'row';

/** Each action's button label, tooltip and the notice after it worked. */
export const COPY_ACTIONS: Record<CopyKind, { label: string; title: string; done: string }> = {
  data: { label: 'Copy data', title: 'Copy the data as received', done: 'Data copied' },
  pretty: { label: 'Copy pretty JSON', title: 'Copy the data as indented JSON', done: 'Pretty JSON copied' },
  sse: { label: 'Copy as SSE', title: 'Copy the event in the event-stream format (id:, event:, data:)', done: 'Event copied' },
  row: { label: 'Copy as JSON row', title: 'Copy the row with its time, seq, type and id as JSON', done: 'Row copied' },
};

/** How long a button says "Copied". */
export const COPIED_MS = 1500;
