import { mockIPC } from '@tauri-apps/api/mocks';
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { tick } from 'svelte';
import { beforeEach, describe, expect, it } from 'vitest';
import RequestPanel from '../src/components/RequestPanel.svelte';
import Sidebar from '../src/components/Sidebar.svelte';
import type { RequestView } from '../src/lib/bindings';
import { asJsonRow, asSse, COPY_ACTIONS } from '../src/lib/copy-formats';
import { countsLine, logCountText } from '../src/lib/counts';
import { defaultPrefs, prefs } from '../src/lib/prefs.svelte';
import { immediateScheduler } from '../src/lib/schedule';
import { app, AppState } from '../src/lib/store/state.svelte';
import { filterCount, filterStreams, wantsFilterFocus } from '../src/lib/stream-filter';
import { batch, form, msg, view, viewOf } from '../src/dev/builders';

beforeEach(() => {
  mockIPC(() => []);
  prefs.values = defaultPrefs();
});

describe('the stream filter', () => {
  const subs = [
    viewOf(1, form({ name: 'Orders', url: 'http://a.test/orders?token=••••' })),
    viewOf(2, form({ name: 'Prices EU', url: 'http://b.test/prices' })),
    viewOf(3, form({ name: 'Health', url: 'http://c.test/ORDERS-health' })),
  ].map((v) => ({ name: v.name, view: v }));

  it('matches the name or the shown URL, in any case', () => {
    expect(filterStreams(subs, 'orders').map((s) => s.name)).toEqual(['Orders', 'Health']);
    expect(filterStreams(subs, ' PRICES ').map((s) => s.name)).toEqual(['Prices EU']);
    expect(filterStreams(subs, 'b.test').map((s) => s.name)).toEqual(['Prices EU']);
    expect(filterStreams(subs, '')).toHaveLength(3);
    expect(filterStreams(subs, 'nothing')).toEqual([]);
  });

  it('says "N of M" only while something is typed', () => {
    expect(filterCount(2, 3, 'ord')).toBe('2 of 3');
    expect(filterCount(3, 3, '  ')).toBe('');
  });

  it('takes the focus on Ctrl+F and Cmd+F only', () => {
    const key = (k: string, mods: Partial<KeyboardEvent> = {}) => ({ key: k, ctrlKey: false, metaKey: false, altKey: false, shiftKey: false, ...mods });
    expect(wantsFilterFocus(key('f', { ctrlKey: true }))).toBe(true);
    expect(wantsFilterFocus(key('F', { metaKey: true }))).toBe(true);
    expect(wantsFilterFocus(key('f'))).toBe(false);
    expect(wantsFilterFocus(key('f', { ctrlKey: true, shiftKey: true }))).toBe(false);
  });

  it('filters the sidebar, counts, and clears on Escape', async () => {
    app.reset();
    app.loading = false;
    for (const v of [view(1, 'Orders'), view(2, 'Prices'), view(3, 'Orders EU')]) app.upsert(v);
    render(Sidebar, { props: { onadd: () => {} } });
    const input = screen.getByTestId<HTMLInputElement>('sub-filter');
    await fireEvent.keyDown(window, { key: 'f', ctrlKey: true });
    expect(document.activeElement).toBe(input);
    await fireEvent.input(input, { target: { value: 'orders' } });
    expect(screen.getAllByTestId('sub-item').map((el) => el.dataset.name)).toEqual(['Orders', 'Orders EU']);
    expect(screen.getByTestId('sub-filter-count').textContent).toBe('2 of 3');
    await fireEvent.input(input, { target: { value: 'zzz' } });
    expect(screen.queryAllByTestId('sub-item')).toHaveLength(0);
    expect(screen.getByTestId('sub-filter-empty').textContent).toContain('zzz');
    await fireEvent.keyDown(input, { key: 'Escape' });
    expect(input.value).toBe('');
    expect(screen.getAllByTestId('sub-item')).toHaveLength(3);
    expect(screen.queryByTestId('sub-filter-count')).toBeNull();
  });
});

describe('copy actions', () => {
  const row = { receivedAtMs: Date.UTC(2026, 0, 2, 3, 4, 5), seq: 9, event: 'tick', id: '41', data: '{"n":41}\nsecond' };

  it('copy the event-stream form and the row as JSON', () => {
    expect(asSse(row)).toBe('id: 41\nevent: tick\ndata: {"n":41}\ndata: second\n\n');
    expect(asSse({ ...row, id: '', event: 'message' })).toBe('data: {"n":41}\ndata: second\n\n');
    expect(JSON.parse(asJsonRow(row))).toEqual({ receivedAt: '2026-01-02T03:04:05.000Z', seq: 9, event: 'tick', id: '41', data: row.data });
  });

  it('are each labelled as a copy', () => {
    for (const a of Object.values(COPY_ACTIONS)) expect(a.label).toMatch(/^Copy /);
  });
});

describe('clear view', () => {
  it('empties the log only, drops late rows from before it, and keeps storage out until restored', async () => {
    const pages: unknown[] = [];
    mockIPC((cmd, args) => {
      if (cmd === 'history_page') {
        pages.push(args);
        return [{ ...msg(1, 2), seq: 2 }, { ...msg(1, 1), seq: 1 }];
      }
      return null;
    });
    const state = new AppState(immediateScheduler);
    const sub = state.upsert(view(1, 'One'));
    state.applyBatch(batch({ messages: [msg(1, 1), msg(1, 2)] }));
    expect(sub.log.messages).toBe(2);

    sub.clearView(msg(1, 3).receivedAtMs);
    expect(sub.log.messages).toBe(0);
    expect(sub.hasMoreOlder).toBe(false);
    // Received before the clear but delivered after it: cleared too; a later one is shown.
    state.applyBatch(batch({ messages: [msg(1, 3), msg(1, 4)] }));
    expect(sub.log.messages).toBe(1);
    await state.loadOlder(sub);
    expect(pages).toHaveLength(0);

    expect(countsLine(444, sub.log.messages, sub.clearedAtMs !== null)).toBe('444 stored · 1 since clear');
    expect(logCountText(1, 1, false, true)).toBe('1 shown since clear');
    expect(logCountText(1, 3, true, false)).toBe('1 of 3 shown');

    await state.restoreView(sub);
    expect(pages).toHaveLength(1);
    expect(sub.clearedAtMs).toBeNull();
    expect(sub.log.messages).toBe(3);
  });
});

describe('the request panel', () => {
  it('shows what the shell sends, secrets as ••••', async () => {
    const request: RequestView = {
      method: 'POST',
      url: 'http://••••@h.test/s?token=••••',
      headers: [
        { name: 'Accept', value: 'text/event-stream', secret: false, automatic: true },
        { name: 'Authorization', value: '••••', secret: true, automatic: false },
        { name: 'Last-Event-ID', value: '41', secret: false, automatic: true },
      ],
      body: '{"q":1}',
      lastEventId: '41',
      redirects: 'any',
      proxy: 'socks5://••••@127.0.0.1:1080/',
    };
    const asked: unknown[] = [];
    mockIPC((cmd, args) => {
      if (cmd === 'request_view') {
        asked.push(args);
        return request;
      }
      return null;
    });
    const state = new AppState(immediateScheduler);
    const sub = state.upsert(view(7, 'Seven'));
    render(RequestPanel, { props: { sub } });
    await waitFor(() => expect(screen.getByTestId('request-url').textContent).toBe(request.url));
    expect(asked).toEqual([{ id: 7 }]);
    expect(screen.getByTestId('request-method').textContent).toBe('POST');
    const auth = screen.getAllByTestId('request-header').find((el) => el.dataset.name === 'Authorization')!;
    expect(auth.textContent).toContain('••••');
    expect(auth.dataset.secret).toBe('true');
    expect(screen.getByTestId('request-body').textContent).toBe('{"q":1}');
    expect(screen.getByTestId('request-last-event-id').dataset.value).toBe('41');
    expect(screen.getByTestId('request-proxy').textContent).toBe('via proxy socks5://••••@127.0.0.1:1080/');
    await tick();
  });
});
