import { mockIPC } from '@tauri-apps/api/mocks';
import { render, screen } from '@testing-library/svelte';
import { beforeEach, describe, expect, it } from 'vitest';
import Detail from '../src/components/Detail.svelte';
import { demoNote } from '../src/lib/demo-note';
import { defaultPrefs, prefs } from '../src/lib/prefs.svelte';
import { app } from '../src/lib/store/state.svelte';
import { view } from '../src/dev/builders';

beforeEach(() => {
  app.reset();
  prefs.values = defaultPrefs();
  mockIPC((cmd) => {
    switch (cmd) {
      case 'subscription_stats':
        return { uptimeTodayPercent: 100, messagesStored: 0, gaps: 0, missedEvents: 0 };
      case 'history_page':
      case 'timeline':
        return [];
      default:
        return null;
    }
  });
});

describe('demoNote', () => {
  it('says how often the demo drops, from its knobs', () => {
    expect(demoNote({ dropsEvery: 25 })).toBe(
      'This demo server drops the connection every 25 messages on purpose, so you can see reconnects.',
    );
    expect(demoNote({ dropsEvery: 7 })).toContain('every 7 messages on purpose');
    expect(demoNote({ dropsEvery: 1 })).toContain('after every message on purpose');
  });

  it('names the demo server without a number when it does not drop, and says nothing for other streams', () => {
    expect(demoNote({ dropsEvery: null })).toBe('This stream comes from Streamwatch’s built-in demo server.');
    expect(demoNote(undefined)).toBeNull();
  });
});

describe('the demo stream’s detail', () => {
  it('shows the note under its URL', () => {
    const sub = app.upsert({ ...view(1, 'Demo stream', { state: 'retrying', attempt: 1 }), demo: { dropsEvery: 25 } });
    render(Detail, { props: { sub, onedit: () => {} } });
    expect(screen.getByTestId('demo-note').textContent).toBe(
      'This demo server drops the connection every 25 messages on purpose, so you can see reconnects.',
    );
  });

  it('shows no note for any other stream', () => {
    const sub = app.upsert(view(2, 'Orders', { state: 'open' }));
    render(Detail, { props: { sub, onedit: () => {} } });
    expect(screen.queryByTestId('demo-note')).toBeNull();
  });
});
