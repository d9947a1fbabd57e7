import { mockIPC } from '@tauri-apps/api/mocks';
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import Detail from '../src/components/Detail.svelte';
import { defaultPrefs, prefs } from '../src/lib/prefs.svelte';
import { STATS_EVERY_MS, STATS_SETTLE_MS } from '../src/lib/stats-poll';
import { app } from '../src/lib/store/state.svelte';
import { status, view } from '../src/dev/builders';

const CHAIN =
  'error sending request for url (http://127.0.0.1:9/events): client error (Connect): tcp connect error: Connection refused (os error 111)';

let statsCalls = 0;
let uptime = 0;

beforeEach(() => {
  app.reset();
  prefs.values = defaultPrefs();
  statsCalls = 0;
  uptime = 0;
  mockIPC((cmd) => {
    switch (cmd) {
      case 'subscription_stats':
        statsCalls++;
        return { uptimeTodayPercent: uptime, messagesStored: statsCalls * 10, gaps: 0, missedEvents: 0 };
      case 'history_page':
      case 'timeline':
        return [];
      default:
        return null;
    }
  });
});

afterEach(() => vi.useRealTimers());

describe('Detail', () => {
  it('shows the last error in plain words first, the raw chain behind Details', async () => {
    const plain = 'The server refused the connection';
    const sub = app.upsert(view(1, 'One', { state: 'retrying', attempt: 1, lastError: CHAIN, lastErrorPlain: plain }));
    render(Detail, { props: { sub, onedit: () => {} } });
    expect(screen.getByTestId('error-plain').textContent).toBe(plain);
    expect(screen.queryByTestId('error-raw')).toBeNull();
    await fireEvent.click(screen.getByTestId('error-details-toggle'));
    expect(screen.getByTestId('error-raw').textContent).toBe(CHAIN);
    await fireEvent.click(screen.getByTestId('error-details-toggle'));
    expect(screen.queryByTestId('error-raw')).toBeNull();
  });

  it('shows an error the shell did not word (an older shell) as it came, with no Details', () => {
    const sub = app.upsert(view(1, 'One', { state: 'retrying', attempt: 1, lastError: CHAIN }));
    render(Detail, { props: { sub, onedit: () => {} } });
    expect(screen.getByTestId('error-plain').textContent).toBe(CHAIN);
    expect(screen.queryByTestId('error-details-toggle')).toBeNull();
  });

  it('says since when a retrying stream is down, and for how long', () => {
    const since = Date.now() - 125_000;
    const hhmm = `${String(new Date(since).getHours()).padStart(2, '0')}:${String(new Date(since).getMinutes()).padStart(2, '0')}`;
    const sub = app.upsert(view(1, 'One', { state: 'retrying', attempt: 2, downSinceMs: since, lastError: CHAIN }));
    render(Detail, { props: { sub, onedit: () => {} } });
    expect(screen.getByTestId('detail-down-since').textContent).toMatch(new RegExp(`^down since ${hhmm} \\(for 2 min \\d+ s\\)$`));
  });

  it('offers Resume, not Pause, for a stream that stopped on a fatal error (the notification names it)', async () => {
    const calls: { cmd: string; args: unknown }[] = [];
    mockIPC((cmd, args) => {
      calls.push({ cmd, args });
      return cmd === 'history_page' || cmd === 'timeline' ? [] : null;
    });
    const sub = app.upsert(view(3, 'Three', { state: 'failed', lastError: 'the server answered 401 Unauthorized' }));
    render(Detail, { props: { sub, onedit: () => {} } });
    expect(screen.queryByTestId('btn-pause')).toBeNull();
    const resume = screen.getByTestId('btn-resume');
    expect(resume.textContent?.trim()).toBe('Resume');
    await fireEvent.click(resume);
    await waitFor(() => expect(calls.some((c) => c.cmd === 'resume_subscription')).toBe(true));
  });

  it('offers Pause for a stream that is retrying', () => {
    const sub = app.upsert(view(4, 'Four', { state: 'retrying', attempt: 1 }));
    render(Detail, { props: { sub, onedit: () => {} } });
    expect(screen.getByTestId('btn-pause')).toBeTruthy();
    expect(screen.queryByTestId('btn-resume')).toBeNull();
  });

  it('shows an open stream without data since it reconnected as waiting', () => {
    const sub = app.upsert(view(2, 'Two', { state: 'open', health: 'waiting', reconnects: 1, connectedSinceMs: Date.now() }));
    render(Detail, { props: { sub, onedit: () => {} } });
    expect(screen.getByTestId('detail-state').dataset.state).toBe('waiting');
    expect(screen.getByTestId('detail-attempt').textContent).toBe('reconnected, no data yet');
    expect(screen.queryByTestId('detail-down-since')).toBeNull();
  });

  it('refreshes uptime and stored counts promptly: soon after the state changes, and every few seconds', async () => {
    vi.useFakeTimers();
    const sub = app.upsert(view(1, 'One', { state: 'connecting' }));
    render(Detail, { props: { sub, onedit: () => {} } });
    await vi.advanceTimersByTimeAsync(10);
    expect(statsCalls).toBe(1); // on opening
    expect(screen.getByTestId('fig-uptime').textContent).toBe('0 %');

    // It opens: the figure follows within a moment, not 10 s later.
    uptime = 95;
    sub.setStatus(status({ state: 'open', connectedSinceMs: Date.now() }), Date.now());
    await vi.advanceTimersByTimeAsync(STATS_SETTLE_MS + 10);
    expect(statsCalls).toBe(2);
    await waitFor(() => expect(screen.getByTestId('fig-uptime').textContent).toBe('95.0 %'));

    await vi.advanceTimersByTimeAsync(STATS_EVERY_MS * 2);
    expect(statsCalls).toBeGreaterThanOrEqual(4);
  });
});
