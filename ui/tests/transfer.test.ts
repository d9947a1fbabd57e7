import { describe, expect, it } from 'vitest';
import {
  fileFilter,
  historyDoneText,
  historyFileName,
  importDoneText,
  rangeOf,
  runsDoneText,
  runsFileName,
  subscriptionsDoneText,
  toLocalInput,
} from '../src/lib/transfer';

const NOW = new Date(2026, 11, 3, 12, 30, 15).getTime();

describe('rangeOf', () => {
  it('reads the presets at the moment asked', () => {
    expect(rangeOf('hour', NOW, '', '')).toEqual({ sinceMs: NOW - 3_600_000, untilMs: null });
    expect(rangeOf('day', NOW, '', '')).toEqual({ sinceMs: NOW - 86_400_000, untilMs: null });
    expect(rangeOf('all', NOW, 'junk', 'junk')).toEqual({ sinceMs: null, untilMs: null });
  });

  it('takes the custom fields as local times, the end minute whole, an empty field open', () => {
    const from = new Date(2026, 11, 3, 9, 0).getTime();
    const to = new Date(2026, 11, 3, 10, 15).getTime();
    expect(rangeOf('custom', NOW, '2026-12-03T09:00', '2026-12-03T10:15')).toEqual({ sinceMs: from, untilMs: to + 59_999 });
    expect(rangeOf('custom', NOW, '', '2026-12-03T10:15')).toEqual({ sinceMs: null, untilMs: to + 59_999 });
    expect(rangeOf('custom', NOW, '2026-12-03T09:00', '')).toEqual({ sinceMs: from, untilMs: null });
  });

  it('refuses an end before the start and unreadable fields', () => {
    expect(rangeOf('custom', NOW, '2026-12-03T10:00', '2026-12-03T09:00')).toEqual({ error: 'The end is before the start.' });
    expect(rangeOf('custom', NOW, 'soon', '')).toEqual({ error: 'The start is not a date and time.' });
    expect(rangeOf('custom', NOW, '', 'later')).toEqual({ error: 'The end is not a date and time.' });
  });
});

describe('file names and result lines', () => {
  it('offers a name from the stream, the format and the day', () => {
    expect(historyFileName('Orders feed / EU', 'csv', NOW)).toBe('Orders-feed-EU-history-2026-12-03.csv');
    expect(historyFileName(null, 'jsonl', NOW)).toBe('all-streams-history-2026-12-03.jsonl');
    expect(historyFileName('<>', 'jsonl', NOW)).toBe('stream-history-2026-12-03.jsonl');
    expect(toLocalInput(NOW)).toBe('2026-12-03T12:30');
  });

  it('says what was written, and warns when secrets are in it', () => {
    expect(historyDoneText({ path: '/t/a.csv', count: 1204, revealed: 0 })).toBe('Wrote 1,204 messages to /t/a.csv.');
    expect(subscriptionsDoneText({ path: '/t/s.json', count: 1, revealed: 0 })).toBe('Wrote 1 subscription to /t/s.json.');
    expect(subscriptionsDoneText({ path: '/t/s.json', count: 3, revealed: 2 })).toContain('secret values of 2 subscriptions in plain text');
  });

  it('names what an import added, renamed ones with their old name', () => {
    expect(importDoneText({ added: [], warnings: [] })).toBe('The file holds no subscriptions: nothing was added.');
    expect(
      importDoneText({
        added: [
          { id: 1, name: 'A', fromName: 'A', messages: 3 },
          { id: 2, name: 'B (2)', fromName: 'B', messages: 0 },
        ],
        warnings: [],
      }),
    ).toBe('Added 2 subscriptions: A, B (2) (was B), with 3 stored messages.');
  });
});

describe('the runs file', () => {
  it('offers a name from the stream, the day and the format, and says what was written', () => {
    expect(runsFileName('LLM probe: Anthropic', 'csv', NOW)).toBe('LLM-probe-Anthropic-runs-2026-12-03.csv');
    expect(runsFileName('', 'jsonl', NOW)).toBe('stream-runs-2026-12-03.jsonl');
    expect(fileFilter('csv')).toEqual({ name: 'CSV', extensions: ['csv'] });
    expect(fileFilter('jsonl')).toEqual({ name: 'JSON lines', extensions: ['jsonl', 'ndjson'] });
    expect(runsDoneText({ path: '/tmp/r.csv', count: 1, revealed: 0 })).toBe('Wrote 1 run to /tmp/r.csv.');
    expect(runsDoneText({ path: '/tmp/r.csv', count: 1204, revealed: 0 })).toBe('Wrote 1,204 runs to /tmp/r.csv.');
  });
});
