import { mockIPC } from '@tauri-apps/api/mocks';
import { render, screen } from '@testing-library/svelte';
import { beforeEach, describe, expect, it } from 'vitest';
import StatusBar from '../src/components/StatusBar.svelte';
import { defaultPrefs, prefs } from '../src/lib/prefs.svelte';
import { app } from '../src/lib/store/state.svelte';
import { view } from '../src/dev/builders';

beforeEach(() => {
  app.reset();
  prefs.values = defaultPrefs();
  mockIPC(() => null);
});

describe('StatusBar', () => {
  it('counts the streams that are down, and says nothing when none is', async () => {
    app.upsert(view(1, 'Up', { state: 'open' }));
    app.upsert(view(2, 'Blip', { state: 'retrying', health: 'retrying', attempt: 1 }));
    render(StatusBar);
    expect(screen.queryByTestId('down-count')).toBeNull();
    app.upsert(view(3, 'Gone', { state: 'retrying', health: 'down', attempt: 4 }));
    app.upsert(view(4, 'Dead', { state: 'failed' }));
    expect((await screen.findByTestId('down-count')).textContent).toBe('2 down');
  });
});
