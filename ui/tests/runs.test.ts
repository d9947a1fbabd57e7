import { describe, expect, it } from 'vitest';
import type { RunView } from '../src/lib/bindings';
import { form, viewOf } from '../src/dev/builders';
import { endWords, firstLine, formatMs, hasRuns, isProbe, niceCeil, runChart, runFigures, runResult, successWords, usageWords } from '../src/lib/runs';

function run(p: Partial<RunView> = {}): RunView {
  return {
    id: 1,
    probe: true,
    startedAtMs: 1_000,
    endedAtMs: 2_000,
    ok: true,
    status: 200,
    ttfbMs: 20,
    firstEventMs: 30,
    firstTokenMs: 40,
    durationMs: 1_000,
    events: 12,
    bytes: 900,
    end: 'done-sentinel',
    sentinel: '[DONE]',
    format: 'openai-chat',
    formatLabel: 'OpenAI Chat Completions',
    text: 'Hello there.\nSecond line.',
    textTruncated: false,
    finishReason: 'stop',
    usage: { prompt_tokens: 5, completion_tokens: 7, total_tokens: 12 },
    failure: null,
    failurePlain: null,
    words: '[DONE] after 1.0 s, 12 events',
    ...p,
  };
}

describe('which subscriptions have runs', () => {
  it('a probe, a POST by default, and a GET told not to reconnect; not an endless GET', () => {
    expect(hasRuns(viewOf(1, form({ method: 'GET' })))).toBe(false);
    expect(hasRuns(viewOf(1, form({ method: 'POST' })))).toBe(true);
    expect(hasRuns(viewOf(1, form({ method: 'POST', reconnect: 'always' })))).toBe(false);
    expect(hasRuns(viewOf(1, form({ method: 'GET', reconnect: 'never' })))).toBe(true);
    const probe = viewOf(1, form({ method: 'GET', reconnect: 'always', probe: { ...form().probe!, everySecs: 300 } }));
    expect(isProbe(probe)).toBe(true);
    expect(hasRuns(probe)).toBe(true);
  });
});

describe('run rows in words', () => {
  it('formats times, results, ends, usage and the first line', () => {
    expect([formatMs(null), formatMs(850), formatMs(2_400), formatMs(65_000)]).toEqual(['—', '850 ms', '2.4 s', '1 min 5 s']);
    expect(runResult(run())).toBe('ok');
    expect(runResult(run({ ok: false, failure: 'connection refused' }))).toBe('failed');
    expect(runResult(run({ ok: null, endedAtMs: null }))).toBe('running');
    expect(runResult(run({ ok: null, endedAtMs: null, failure: 'cut by a shutdown' }))).toBe('failed');
    expect(endWords(run())).toBe('[DONE]');
    expect(endWords(run({ sentinel: null, end: 'clean-close' }))).toBe('clean close');
    expect(endWords(run({ sentinel: null, end: null }))).toBe('—');
    expect(usageWords(run().usage)).toBe('5 in · 7 out');
    expect(usageWords({ input_tokens: 3, output_tokens: 9 })).toBe('3 in · 9 out');
    expect(usageWords({ totalTokenCount: 4 })).toBe('4 tokens');
    expect(usageWords(null)).toBe('');
    expect(firstLine('\n  \nHello there.\nmore')).toBe('Hello there.');
    expect(firstLine('x'.repeat(100), 10)).toBe(`${'x'.repeat(9)}…`);
    expect(firstLine(null)).toBe('');
  });

  it('says the success rate of today', () => {
    expect(successWords({ endedToday: 0, okToday: 0, successRateToday: null })).toBe('no run ended today');
    expect(successWords({ endedToday: 3, okToday: 2, successRateToday: 2 / 3 })).toBe('66.6 % ok today (2 of 3)');
    expect(successWords({ endedToday: 4, okToday: 4, successRateToday: 1 })).toBe('100 % ok today (4 of 4)');
  });
});

describe('the runs chart', () => {
  it('rounds the scale up to a nice figure', () => {
    expect([niceCeil(0), niceCeil(7), niceCeil(1_000), niceCeil(1_001), niceCeil(2_600)]).toEqual([1, 10, 1_000, 2_000, 5_000]);
  });

  it('draws the oldest run on the left, breaks the line where a figure is missing and marks failures', () => {
    // Newest first, as listed.
    const runs = [
      run({ id: 3, firstTokenMs: 100, durationMs: 2_000 }),
      run({ id: 2, ok: false, failure: 'refused', firstTokenMs: null, durationMs: null }),
      run({ id: 1, firstTokenMs: 500, durationMs: 1_000 }),
    ];
    const c = runChart(runs, 200, 100);
    expect(c.maxMs).toBe(2_000);
    expect(c.points.map((p) => p.x)).toEqual([0, 100, 200]);
    // Run 1 (oldest, left): 500 of 2000 → y 75; run 3: 100 → y 95.
    expect(c.firstToken).toBe('M0 75M200 95');
    expect(c.duration).toBe('M0 50M200 0');
    expect(c.failed).toEqual([100]);
    // One run sits in the middle.
    expect(runChart([run()], 200, 100).points[0].x).toBe(100);
    expect(runChart([], 200, 100).firstToken).toBe('');
  });
});

describe('runFigures', () => {
  it('lists every figure of a run in request order, the format by its name', () => {
    const figures = runFigures(run({ format: 'anthropic', formatLabel: 'Anthropic Messages', sentinel: 'message_stop', finishReason: 'end_turn', usage: { input_tokens: 4, output_tokens: 9 }, bytes: 2048 }));
    expect(figures.map((f) => [f.key, f.label, f.value])).toEqual([
      ['status', 'Status', '200'],
      ['ttfb', 'Response headers', '20 ms'],
      ['first-event', 'First event', '30 ms'],
      ['first-token', 'First token', '40 ms'],
      ['duration', 'Duration', '1.0 s'],
      ['events', 'Events', '12'],
      ['bytes', 'Bytes', '2.0 KiB'],
      ['end', 'End', 'message_stop'],
      ['format', 'Format', 'Anthropic Messages'],
      ['finish', 'Finish reason', 'end_turn'],
      ['usage', 'Usage', '4 in · 9 out'],
    ]);
    // The usage as the server sent it, behind the words.
    expect(figures[10].title).toBe('{"input_tokens":4,"output_tokens":9}');
  });

  it('says "—" for what a run does not have, and unknown usage as its JSON', () => {
    const figures = runFigures(
      run({ status: null, ttfbMs: null, firstEventMs: null, firstTokenMs: null, durationMs: null, events: null, bytes: null, end: null, sentinel: null, format: null, formatLabel: null, finishReason: null, usage: null }),
    );
    expect(figures.every((f) => f.value === '—')).toBe(true);
    expect(figures[10].title).toBeUndefined();
    const odd = runFigures(run({ format: 'some-new-format', formatLabel: null, usage: { cost: 3 } }));
    expect(odd.find((f) => f.key === 'format')?.value).toBe('some-new-format');
    expect(odd.find((f) => f.key === 'usage')?.value).toBe('{"cost":3}');
  });
});
