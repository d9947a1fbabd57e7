import { mockIPC } from '@tauri-apps/api/mocks';
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { beforeEach, describe, expect, it } from 'vitest';
import RunsPanel from '../src/components/RunsPanel.svelte';
import type { RunView } from '../src/lib/bindings';
import { form, viewOf } from '../src/dev/builders';
import { formatClock } from '../src/lib/format';
import { app } from '../src/lib/store/state.svelte';

function run(id: number, p: Partial<RunView> = {}): RunView {
  return {
    id,
    probe: true,
    startedAtMs: Date.now() - 1000 * id,
    endedAtMs: Date.now() - 1000 * id + 500,
    ok: true,
    status: 200,
    ttfbMs: 20,
    firstEventMs: 30,
    firstTokenMs: 40,
    durationMs: 500,
    events: 8,
    bytes: 900,
    end: 'done-sentinel',
    sentinel: '[DONE]',
    format: 'openai-chat',
    text: `answer ${id}\n<b>not bold</b>`,
    textTruncated: false,
    finishReason: 'stop',
    usage: null,
    failure: null,
    failurePlain: null,
    words: '[DONE] after 0.5 s, 8 events',
    ...p,
  };
}

let calls: { limit: number; before: number | null }[] = [];
// 60 runs, newest (id 60) first.
const ALL = Array.from({ length: 60 }, (_, i) => run(60 - i, i === 0 ? { ok: false, failure: 'tcp connect error: Connection refused', failurePlain: 'The server refused the connection', text: null } : {}));

beforeEach(() => {
  app.reset();
  calls = [];
  mockIPC((cmd, args) => {
    if (cmd !== 'list_runs') return null;
    const a = args as { limit: number; before: number | null };
    calls.push({ limit: a.limit, before: a.before });
    const older = a.before === null ? ALL : ALL.filter((r) => r.id < (a.before as number));
    return { runs: older.slice(0, a.limit), hasMore: older.length > a.limit, endedToday: 60, okToday: 59, successRateToday: 59 / 60, total: 60 };
  });
});

describe('RunsPanel', () => {
  it('reads the runs once, says the rate and the next run, and pages back', async () => {
    const next = Date.now() + 60_000;
    const sub = app.upsert(viewOf(1, form({ method: 'POST', probe: { ...form().probe!, everySecs: 300 } }), { state: 'stopped', nextRunAtMs: next }));
    render(RunsPanel, { props: { sub } });
    await waitFor(() => expect(screen.getAllByTestId('run-row')).toHaveLength(50));
    // One read, not one per render: the panel must not re-read in a loop.
    await new Promise((r) => setTimeout(r, 200));
    expect(calls).toEqual([{ limit: 50, before: null }]);
    expect(screen.getByTestId('runs-success').textContent).toBe('98.3 % ok today (59 of 60)');
    expect(screen.getByTestId('runs-next').textContent).toBe(`next run at ${formatClock(next)}`);
    const failed = screen.getAllByTestId('run-row')[0];
    expect(failed.dataset.result).toBe('failed');
    expect(failed.querySelector('[data-testid="run-answer"]')?.textContent).toBe('The server refused the connection');
    await fireEvent.click(screen.getByTestId('btn-older-runs'));
    await waitFor(() => expect(screen.getAllByTestId('run-row')).toHaveLength(60));
    expect(calls[1]).toEqual({ limit: 50, before: 11 });
    expect(screen.queryByTestId('btn-older-runs')).toBeNull();
  });

  it('opens a run: the whole answer as text, never HTML; a failure in plain words', async () => {
    const sub = app.upsert(viewOf(1, form({ method: 'POST' }), { state: 'stopped' }));
    render(RunsPanel, { props: { sub } });
    await waitFor(() => expect(screen.getAllByTestId('run-row').length).toBeGreaterThan(1));
    await fireEvent.click(screen.getAllByTestId('run-row')[1]);
    const text = screen.getByTestId('run-text');
    expect(text.textContent).toBe('answer 59\n<b>not bold</b>');
    expect(text.querySelector('b')).toBeNull();
    await fireEvent.click(screen.getAllByTestId('run-row')[0]);
    expect(screen.getByTestId('run-failure').textContent).toContain('Failed: The server refused the connection');
    expect(screen.queryByTestId('runs-next')).toBeNull();
  });
});
