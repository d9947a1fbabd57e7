import { mockIPC } from '@tauri-apps/api/mocks';
import { render, screen, waitFor } from '@testing-library/svelte';
import { tick } from 'svelte';
import { beforeEach, describe, expect, it } from 'vitest';
import Figures from '../src/components/Figures.svelte';
import LiveLog from '../src/components/LiveLog.svelte';
import { countsLine } from '../src/lib/counts';
import { defaultPrefs, prefs } from '../src/lib/prefs.svelte';
import { immediateScheduler } from '../src/lib/schedule';
import { AppState } from '../src/lib/store/state.svelte';
import { batch, lifecycle, msg, status, view } from '../src/dev/builders';

beforeEach(() => {
  mockIPC(() => []);
  prefs.values = defaultPrefs();
});

describe("a stream's three counts", () => {
  it('are each named: received, stored, shown', () => {
    expect(countsLine(444, 430)).toBe('444 stored · 430 shown');
    expect(countsLine(null, 3)).toBe('… stored · 3 shown');
  });

  it('agree between the figures and the log, which leave marker rows out', async () => {
    const state = new AppState(immediateScheduler);
    const sub = state.upsert(view(1, 'One', { messages: 463 }));
    sub.hasMoreOlder = false;
    state.applyBatch(
      batch({
        messages: [msg(1, 1), msg(1, 5)],
        lifecycle: [lifecycle(1, 'gap', { atMs: msg(1, 5).receivedAtMs, missed: 3, detail: 'ids jumped from 1 to 5: 3 event(s) missed' })],
      }),
    );
    sub.setStatus(status({ messages: 463 }), Date.now());
    sub.stats = { uptimeTodayPercent: 100, messagesStored: 444, gaps: 1, missedEvents: 3 };
    sub.logVersion++;
    render(Figures, { props: { sub } });
    render(LiveLog, { props: { sub } });
    await tick();
    expect(screen.getByTestId('fig-messages').textContent).toBe('463');
    expect(screen.getByTestId('fig-counts').textContent).toBe('444 stored · 2 shown');
    expect(screen.getByTestId('log-count').textContent?.trim()).toBe('2 shown');
    expect(screen.getAllByText('Received')).toHaveLength(1);

    state.applyBatch(batch({ messages: [msg(1, 6)] }));
    sub.logVersion++;
    await waitFor(() => expect(screen.getByTestId('fig-counts').textContent).toBe('444 stored · 3 shown'));
  });
});
