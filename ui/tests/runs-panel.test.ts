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
    formatLabel: 'OpenAI Chat Completions',
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

describe('RunsPanel: Export runs', () => {
  let exported: { id: number; format: string; path: string }[] = [];
  let saveTitle: string | null = null;
  let answer: string | null = '/tmp/out/probe-runs.csv';
  let refuse: { kind: string; message: string; field: null } | null = null;

  beforeEach(() => {
    app.reset();
    exported = [];
    saveTitle = null;
    answer = '/tmp/out/probe-runs.csv';
    refuse = null;
    mockIPC((cmd, args) => {
      const a = args as Record<string, unknown>;
      if (cmd === 'list_runs') return { runs: ALL.slice(0, 3), hasMore: false, endedToday: 3, okToday: 3, successRateToday: 1, total: 3 };
      if (cmd === 'plugin:dialog|save') {
        saveTitle = (a.options as { title: string; defaultPath: string }).title + ' | ' + (a.options as { defaultPath: string }).defaultPath;
        return answer;
      }
      if (cmd === 'export_runs_file') {
        if (refuse) throw refuse;
        exported.push({ id: a.id as number, format: a.format as string, path: a.path as string });
        return { path: a.path, count: 3, revealed: 0 };
      }
      return null;
    });
  });

  it('asks the format, then where, and says what was written', async () => {
    const sub = app.upsert(viewOf(7, form({ name: 'LLM probe', method: 'POST' }), { state: 'stopped' }));
    render(RunsPanel, { props: { sub } });
    await waitFor(() => expect((screen.getByTestId('btn-export-runs') as HTMLButtonElement).disabled).toBe(false));
    expect(screen.queryByTestId('runs-export')).toBeNull();
    await fireEvent.click(screen.getByTestId('btn-export-runs'));
    await fireEvent.click(screen.getByTestId('runs-export-format-csv'));
    await fireEvent.click(screen.getByTestId('runs-export-run'));
    await waitFor(() => expect(screen.getByTestId('runs-export-result').textContent).toBe('Wrote 3 runs to /tmp/out/probe-runs.csv.'));
    expect(exported).toEqual([{ id: 7, format: 'csv', path: '/tmp/out/probe-runs.csv' }]);
    expect(saveTitle).toMatch(/^Export runs \| LLM-probe-runs-\d{4}-\d{2}-\d{2}\.csv$/);
  });

  it('stays open while the subscription changes (a run, a rename), the file named as it is now', async () => {
    const sub = app.upsert(viewOf(7, form({ name: 'LLM probe', method: 'POST' }), { state: 'stopped' }));
    render(RunsPanel, { props: { sub } });
    await waitFor(() => expect((screen.getByTestId('btn-export-runs') as HTMLButtonElement).disabled).toBe(false));
    await fireEvent.click(screen.getByTestId('btn-export-runs'));
    await fireEvent.click(screen.getByTestId('runs-export-format-csv'));
    app.upsert(viewOf(7, form({ name: 'Renamed probe', method: 'POST' }), { state: 'open' }));
    await new Promise((r) => setTimeout(r, 50));
    expect(screen.getByTestId('runs-export')).toBeTruthy();
    await fireEvent.click(screen.getByTestId('runs-export-run'));
    await screen.findByTestId('runs-export-result');
    expect(saveTitle).toMatch(/^Export runs \| Renamed-probe-runs-.*\.csv$/);
  });

  it('writes nothing when the save dialog is cancelled, and shows a refusal in its words', async () => {
    const sub = app.upsert(viewOf(7, form({ name: 'LLM probe', method: 'POST' }), { state: 'stopped' }));
    render(RunsPanel, { props: { sub } });
    await waitFor(() => expect((screen.getByTestId('btn-export-runs') as HTMLButtonElement).disabled).toBe(false));
    await fireEvent.click(screen.getByTestId('btn-export-runs'));
    answer = null;
    await fireEvent.click(screen.getByTestId('runs-export-run'));
    await waitFor(() => expect(saveTitle).not.toBeNull());
    await waitFor(() => expect((screen.getByTestId('runs-export-run') as HTMLButtonElement).disabled).toBe(false));
    expect(exported).toEqual([]);
    expect(screen.queryByTestId('runs-export-result')).toBeNull();

    answer = '/sys/runs.jsonl';
    refuse = { kind: 'permissionDenied', message: 'cannot write /sys/runs.jsonl: permission denied.', field: null };
    await fireEvent.click(screen.getByTestId('runs-export-run'));
    const error = await screen.findByTestId('runs-export-error');
    expect(error.textContent).toBe('cannot write /sys/runs.jsonl: permission denied.');
    expect(error.dataset.kind).toBe('permissionDenied');
  });

  it('is off while no run is stored', async () => {
    mockIPC((cmd) => (cmd === 'list_runs' ? { runs: [], hasMore: false, endedToday: 0, okToday: 0, successRateToday: null, total: 0 } : null));
    const sub = app.upsert(viewOf(7, form({ method: 'POST' }), { state: 'stopped' }));
    render(RunsPanel, { props: { sub } });
    await screen.findByText('No run stored yet.');
    expect((screen.getByTestId('btn-export-runs') as HTMLButtonElement).disabled).toBe(true);
  });
});

describe('RunsPanel: a run opened', () => {
  it('lists every figure of the run, the format by its name', async () => {
    const anthropic = run(1, {
      format: 'anthropic',
      formatLabel: 'Anthropic Messages',
      sentinel: 'message_stop',
      finishReason: 'end_turn',
      usage: { input_tokens: 4, output_tokens: 9 },
      text: 'You said: hello',
    });
    mockIPC((cmd) => (cmd === 'list_runs' ? { runs: [anthropic], hasMore: false, endedToday: 1, okToday: 1, successRateToday: 1, total: 1 } : null));
    app.reset();
    const sub = app.upsert(viewOf(1, form({ method: 'POST' }), { state: 'stopped' }));
    render(RunsPanel, { props: { sub } });
    await waitFor(() => expect(screen.getAllByTestId('run-row')).toHaveLength(1));
    await fireEvent.click(screen.getAllByTestId('run-row')[0]);
    const fig = (key: string) => screen.getByTestId(`run-fig-${key}`).textContent;
    expect([fig('status'), fig('ttfb'), fig('first-event'), fig('first-token'), fig('duration'), fig('events'), fig('bytes'), fig('end')]).toEqual([
      '200',
      '20 ms',
      '30 ms',
      '40 ms',
      '500 ms',
      '8',
      '900 B',
      'message_stop',
    ]);
    expect([fig('format'), fig('finish'), fig('usage')]).toEqual(['Anthropic Messages', 'end_turn', '4 in · 9 out']);
    expect(screen.getByTestId('run-text').textContent).toBe('You said: hello');
  });
});
