import { render, screen, fireEvent } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import type { TimelineEntry } from '../src/lib/bindings';
import Timeline from '../src/components/Timeline.svelte';
import { foldTimeline, rowLine } from '../src/lib/timeline';

const REFUSED =
  'error sending request for url (http://127.0.0.1:9/events): client error (Connect): tcp connect error: Connection refused (os error 111)';

// Entries as the shell words them (crates/app-api/src/timeline.rs).
function entry(atMs: number, kind: TimelineEntry['kind'], title: string, detail = '', extra: Partial<TimelineEntry> = {}): TimelineEntry {
  return {
    atMs,
    kind,
    from: null,
    to: null,
    reason: '',
    missed: null,
    title,
    detail,
    tone: 'neutral',
    error: null,
    attempt: null,
    delayMs: null,
    ...extra,
  };
}

const refused = (at: number) =>
  entry(at, 'error', 'error', 'The server refused the connection', {
    tone: 'bad',
    error: { plain: 'The server refused the connection', raw: REFUSED },
  });
const retry = (at: number, attempt: number, next: string) =>
  entry(at, 'retrying', 'retrying', `attempt ${attempt}, next in ${next}`, { tone: 'warn', attempt, delayMs: 1 });

describe('folding', () => {
  it('folds a run of backoff steps into "attempts 1–6, next in 30 s", keeping every step', () => {
    const items = [entry(0, 'started', 'connected', 'HTTP 200', { tone: 'good' })];
    const delays = ['1 s', '2 s', '4 s', '8 s', '16 s', '30 s'];
    delays.forEach((d, k) => items.push(refused(1000 * (k + 1)), retry(1000 * (k + 1) + 1, k + 1, d)));
    const rows = foldTimeline(items);
    expect(rows.map(rowLine)).toEqual(['retrying: attempts 1–6, next in 30 s', 'connected: HTTP 200']);
    expect(rows[0].kind).toBe('backoff');
    expect(rows[0].steps).toHaveLength(12);
    expect(rows[0].steps.filter((s) => s.kind === 'retrying').map((s) => s.attempt)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(rows[0].error).toEqual({ plain: 'The server refused the connection', raw: REFUSED });
    expect(rowLine(rows[0])).not.toContain('×');
  });

  it('lists a single retry as it is', () => {
    const rows = foldTimeline([refused(1), retry(2, 1, '870 ms')]);
    expect(rows.map(rowLine)).toEqual(['retrying: attempt 1, next in 870 ms', 'error: The server refused the connection']);
  });

  it('does not fold retries whose errors differ', () => {
    const other = entry(3, 'error', 'error', 'The server reset the connection', { tone: 'bad' });
    const rows = foldTimeline([refused(1), retry(2, 1, '1 s'), other, retry(4, 2, '2 s')]);
    expect(rows).toHaveLength(4);
  });

  it('folds a repeating cycle into one row with its steps', () => {
    const items: TimelineEntry[] = [];
    for (let k = 0; k < 4; k++) {
      items.push(entry(k * 10, 'started', 'connected', 'HTTP 200', { tone: 'good' }));
      items.push(entry(k * 10 + 1, 'finished', 'stream ended'));
      items.push(retry(k * 10 + 2, 1, '1 s'));
    }
    const rows = foldTimeline(items);
    expect(rows).toHaveLength(1);
    expect(rowLine(rows[0])).toBe('connected → stream ended → retrying: 4 times');
    expect(rows[0].steps).toHaveLength(12);
  });

  it('shows edits and stale periods as worded', () => {
    const rows = foldTimeline([
      entry(1, 'edited', 'edited', 'URL, headers'),
      entry(2, 'stale', 'stale', 'no data for 4 s (usually every 1 s)', { tone: 'warn' }),
      entry(3, 'fresh', 'data again', 'stale for 2 min', { tone: 'good' }),
    ]);
    expect(rows.map(rowLine)).toEqual(['data again: stale for 2 min', 'stale: no data for 4 s (usually every 1 s)', 'edited: URL, headers']);
  });
});

describe('Timeline', () => {
  it('shows an error in plain words with the raw chain behind Details', async () => {
    render(Timeline, { items: [refused(Date.now())] });
    const line = screen.getByTestId('timeline-line');
    expect(line.textContent).toBe('The server refused the connection');
    expect(screen.queryByTestId('error-raw')).toBeNull();
    await fireEvent.click(screen.getByTestId('error-details-toggle'));
    expect(screen.getByTestId('error-raw').textContent).toBe(REFUSED);
  });

  it('expands a folded run to every step', async () => {
    const now = Date.now();
    render(Timeline, { items: [refused(now), retry(now + 1, 1, '1 s'), refused(now + 2), retry(now + 3, 2, '2 s')] });
    expect(screen.getByTestId('timeline-line').textContent).toBe('retrying: attempts 1–2, next in 2 s');
    expect(screen.getByTestId('error-plain').textContent).toBe('The server refused the connection');
    await fireEvent.click(screen.getByTestId('timeline-steps-toggle'));
    const steps = screen.getAllByTestId('timeline-step').map((s) => s.querySelector('.step-line')?.textContent);
    expect(steps).toEqual([
      'error: The server refused the connection',
      'retrying: attempt 1, next in 1 s',
      'error: The server refused the connection',
      'retrying: attempt 2, next in 2 s',
    ]);
  });
});
