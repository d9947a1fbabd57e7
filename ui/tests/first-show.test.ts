import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FIRST_VIEW_WAIT_MS, revealWhenReady } from '../src/lib/first-show';

function record(fail = false): string[] {
  const calls: string[] = [];
  mockIPC((cmd) => {
    calls.push(cmd);
    if (fail) throw new Error('no shell');
    return null;
  });
  return calls;
}

describe('revealWhenReady', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => {
    vi.useRealTimers();
    clearMocks();
  });

  it('shows the window once the first view has its data and has rendered', async () => {
    const calls = record();
    let loaded!: () => void;
    const rendered = vi.fn(async () => {});
    const done = revealWhenReady(new Promise<void>((r) => (loaded = r)), FIRST_VIEW_WAIT_MS, rendered);
    await vi.advanceTimersByTimeAsync(FIRST_VIEW_WAIT_MS / 2);
    expect(calls).toEqual([]);
    loaded();
    await done;
    expect(rendered).toHaveBeenCalledOnce();
    expect(calls).toEqual(['window_ready']);
  });

  it('does not wait longer than the limit for data that is slow to come', async () => {
    const calls = record();
    const done = revealWhenReady(new Promise<void>(() => {}));
    await vi.advanceTimersByTimeAsync(FIRST_VIEW_WAIT_MS - 1);
    expect(calls).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    await done;
    expect(calls).toEqual(['window_ready']);
  });

  it('shows the window when loading failed, and never rejects without a shell', async () => {
    const calls = record(true);
    await expect(revealWhenReady(Promise.reject(new Error('history failed')))).resolves.toBeUndefined();
    expect(calls).toEqual(['window_ready']);
  });
});
