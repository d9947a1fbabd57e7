import { mockIPC } from '@tauri-apps/api/mocks';
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { flushSync, tick } from 'svelte';
import { beforeEach, describe, expect, it } from 'vitest';
import LiveLog from '../src/components/LiveLog.svelte';
import type { MessageView } from '../src/lib/bindings';
import { immediateScheduler } from '../src/lib/schedule';
import { defaultPrefs, prefs } from '../src/lib/prefs.svelte';
import { AppState, type Subscription } from '../src/lib/store/state.svelte';
import { batch, lifecycle, msg, view } from '../src/dev/builders';

const XSS = '<img src=x onerror=alert(1)>';

function setup(messages: MessageView[]): { state: AppState; sub: Subscription } {
  const state = new AppState(immediateScheduler);
  const sub = state.upsert(view(1, 'One'));
  sub.hasMoreOlder = false; // no storage behind these tests
  state.applyBatch(batch({ messages }));
  sub.logVersion++;
  return { state, sub };
}

function rows(): HTMLElement[] {
  return screen.queryAllByTestId('log-row');
}

beforeEach(() => {
  mockIPC(() => []);
  // Filters persist per subscription id: each test starts without one.
  prefs.values = defaultPrefs();
});

describe('LiveLog', () => {
  it('badges events the server re-sent after a reconnect', async () => {
    const { sub } = setup([msg(1, 1), msg(1, 2, { replayed: true })]);
    render(LiveLog, { props: { sub } });
    await tick();
    const badges = screen.queryAllByTestId('log-replayed');
    expect(badges).toHaveLength(1);
    expect(badges[0].closest('[data-testid="log-row"]')?.textContent).toContain('2');
  });

  it('badges events that do not match their schema, live and stored, with the words for everyone', async () => {
    const words = '/n: "2" is not of type "integer"';
    const { sub } = setup([msg(1, 1), msg(1, 2, { mismatch: words })]);
    sub.log.mergeOlder([msg(1, 0, { seq: 0, mismatch: 'not JSON: EOF' })]);
    sub.logVersion++;
    render(LiveLog, { props: { sub } });
    await tick();
    const badges = screen.queryAllByTestId('log-mismatch');
    expect(badges).toHaveLength(2);
    const live = badges.find((b) => b.closest('[data-testid="log-row"]')?.getAttribute('data-uid') && b.title.includes(words))!;
    expect(live.title).toBe(`Does not match its schema: ${words}`);
    expect(live.querySelector('.sr-only')?.textContent).toBe(`Does not match its schema: ${words}.`);
    expect(badges.some((b) => b.title.endsWith('not JSON: EOF'))).toBe(true);
    await fireEvent.click(live.closest('[data-testid="log-row"]')!);
    expect(screen.getByTestId('log-inspector-mismatch').textContent).toBe(`does not match its schema: ${words}`);
  });

  it('shows a gap as a marker row among the messages, not counted as one', async () => {
    const { state, sub } = setup([msg(1, 40)]);
    const atMs = msg(1, 53).receivedAtMs;
    state.applyBatch(
      batch({
        lifecycle: [lifecycle(1, 'gap', { atMs, missed: 12, detail: 'ids jumped from 40 to 53: 12 event(s) missed' })],
        messages: [msg(1, 53)],
      }),
    );
    sub.logVersion++;
    render(LiveLog, { props: { sub } });
    await tick();
    const markers = screen.queryAllByTestId('log-marker');
    expect(markers.map((m) => m.textContent)).toEqual([expect.stringContaining('⚠ 12 events missed (ids 40→53)')]);
    expect(rows()).toHaveLength(2);
    expect(screen.getByTestId('log-count').textContent?.trim()).toBe('2 shown');
  });

  it('badges replayed events in history rows too', async () => {
    const { sub } = setup([]);
    sub.log.mergeOlder([msg(1, 2, { seq: 2 }), msg(1, 1, { seq: 1, replayed: true })]);
    sub.logVersion++;
    render(LiveLog, { props: { sub } });
    await tick();
    const badges = screen.queryAllByTestId('log-replayed');
    expect(badges).toHaveLength(1);
    expect(badges[0].closest('[data-testid="log-row"]')?.textContent).toContain('{"n":1}');
  });

  it('renders server data as text, never as HTML', async () => {
    const { sub } = setup([msg(1, 1, { data: XSS, event: '<b>ev</b>', id: '<i>1</i>' })]);
    const { container } = render(LiveLog, { props: { sub } });
    await tick();
    const row = rows()[0];
    expect(row).toBeDefined();
    expect(row.textContent).toContain(XSS);
    expect(row.textContent).toContain('<b>ev</b>');
    expect(row.querySelector('img, b, i')).toBeNull();

    // The inspector shows the full data: still text.
    await fireEvent.click(row);
    const inspector = screen.getByTestId('log-inspector');
    expect(inspector.textContent).toContain(XSS);
    expect(container.querySelector('img')).toBeNull();
  });

  it('renders HTML inside JSON values as text in the tree view', async () => {
    const { sub } = setup([msg(1, 1, { data: JSON.stringify({ html: XSS, nested: { list: [1, '<script>x</script>'] } }) })]);
    const { container } = render(LiveLog, { props: { sub } });
    await tick();
    await fireEvent.click(rows()[0]);
    const inspector = screen.getByTestId('log-inspector');
    expect(inspector.textContent).toContain(JSON.stringify(XSS));
    expect(inspector.textContent).toContain('html');
    expect(container.querySelector('img, script')).toBeNull();
    // Collapsible: the nested object can be closed.
    const toggles = inspector.querySelectorAll<HTMLButtonElement>('.jv-toggle');
    expect(toggles.length).toBeGreaterThan(1);
    await fireEvent.click(toggles[1]);
    expect(inspector.textContent).toContain('1 key');
  });

  it('keeps the DOM small with 100,000 rows', async () => {
    const many = Array.from({ length: 100_000 }, (_, i) => msg(1, i, { data: `row ${i}` }));
    const { sub } = setup(many);
    const t0 = performance.now();
    render(LiveLog, { props: { sub } });
    await tick();
    const rendered = rows().length;
    expect(rendered).toBeGreaterThan(10);
    expect(rendered).toBeLessThan(100);
    expect(screen.getByTestId('log-count').textContent).toContain('100,000 shown');
    expect(performance.now() - t0).toBeLessThan(3000);
  });

  it('while following, renders the newest rows at once and reuses the row nodes as rows stream in', async () => {
    const { state, sub } = setup(Array.from({ length: 5_000 }, (_, i) => msg(1, i, { data: `row ${i}` })));
    render(LiveLog, { props: { sub } });
    await tick();
    const before = rows();
    expect(before.some((r) => r.textContent?.includes('row 4999'))).toBe(true);
    state.applyBatch(batch({ messages: Array.from({ length: 500 }, (_, i) => msg(1, 5_000 + i, { data: `row ${5_000 + i}` })) }));
    sub.logVersion++;
    flushSync();
    await tick();
    const after = rows();
    expect(after.some((r) => r.textContent?.includes('row 5499'))).toBe(true);
    // The same DOM nodes, now showing other rows: a flood does not rebuild the list every batch.
    expect(after.length).toBe(before.length);
    expect(after.filter((r) => before.includes(r)).length).toBe(after.length);
  });

  it('filters by event type and searches text', async () => {
    const { sub } = setup([
      msg(1, 1, { event: 'tick', data: 'alpha' }),
      msg(1, 2, { event: 'order', data: 'Beta order' }),
      msg(1, 3, { event: 'tick', data: 'gamma' }),
    ]);
    render(LiveLog, { props: { sub } });
    await tick();
    expect(rows().length).toBe(3);

    const select = screen.getByTestId('log-filter-event') as HTMLSelectElement;
    const orderOption = [...select.options].find((o) => o.textContent === 'order')!;
    select.selectedIndex = orderOption.index;
    await fireEvent.change(select);
    await tick();
    await waitFor(() => expect(rows().length).toBe(1));
    expect(rows()[0].textContent).toContain('Beta order');
    expect(screen.getByTestId('log-count').textContent).toContain('1 of 3 shown');

    select.selectedIndex = 0;
    await fireEvent.change(select);
    await fireEvent.input(screen.getByTestId('log-search'), { target: { value: 'GAMMA' } });
    await waitFor(() => expect(rows().length).toBe(1), { timeout: 1000 });
    expect(rows()[0].textContent).toContain('gamma');
  });

  it('stops following when scrolled up and offers to jump to the latest', async () => {
    const { state, sub } = setup(Array.from({ length: 200 }, (_, i) => msg(1, i)));
    render(LiveLog, { props: { sub } });
    await tick();
    expect(screen.queryByTestId('btn-jump-latest')).toBeNull();

    // jsdom does no layout: give the viewport a size and scroll it up by hand.
    const viewport = screen.getByTestId('log-list');
    Object.defineProperty(viewport, 'scrollHeight', { configurable: true, value: 200 * 24 });
    Object.defineProperty(viewport, 'clientHeight', { configurable: true, value: 480 });
    viewport.scrollTop = 200 * 24 - 480;
    await fireEvent.scroll(viewport);
    viewport.scrollTop = 1000;
    await fireEvent.scroll(viewport);
    expect(screen.getByTestId('btn-jump-latest').textContent).toContain('Jump to latest');

    state.applyBatch(batch({ messages: [msg(1, 1000), msg(1, 1001), msg(1, 1002)] }));
    sub.logVersion++;
    flushSync();
    await waitFor(() => expect(screen.getByTestId('btn-jump-latest').textContent).toContain('(3 new)'));

    await fireEvent.click(screen.getByTestId('btn-jump-latest'));
    expect(screen.queryByTestId('btn-jump-latest')).toBeNull();
  });

  it('keeps following when a scroll event lands after rows were added, before the list caught up', async () => {
    const { sub } = setup(Array.from({ length: 200 }, (_, i) => msg(1, i)));
    render(LiveLog, { props: { sub } });
    await tick();
    const viewport = screen.getByTestId('log-list');
    Object.defineProperty(viewport, 'clientHeight', { configurable: true, value: 480 });
    Object.defineProperty(viewport, 'scrollHeight', { configurable: true, value: 200 * 24 });
    viewport.scrollTop = 200 * 24 - 480;
    await fireEvent.scroll(viewport);
    // Rows arrive (the content grows); a scroll event comes before the list scrolls to them:
    // the view is no longer at the bottom, but it did not move.
    Object.defineProperty(viewport, 'scrollHeight', { configurable: true, value: 230 * 24 });
    await fireEvent.scroll(viewport);
    expect(screen.queryByTestId('btn-jump-latest')).toBeNull();
    // A person scrolling up does stop it.
    viewport.scrollTop = 1000;
    await fireEvent.scroll(viewport);
    expect(screen.getByTestId('btn-jump-latest')).not.toBeNull();
  });

  it('says what it is waiting for when empty', async () => {
    const { sub } = setup([]);
    render(LiveLog, { props: { sub } });
    await tick();
    expect(screen.getByTestId('log-empty').textContent).toBe('Waiting for messages…');
  });
});

describe('LiveLog truncated rows', () => {
  it('shows a truncated row with its size and fetches the whole text on request', async () => {
    const calls: Record<string, unknown>[] = [];
    const whole = `start${'x'.repeat(100)}`;
    mockIPC((cmd, args) => {
      if (cmd === 'message_text') {
        calls.push(args as Record<string, unknown>);
        return whole;
      }
      return [];
    });
    const { sub } = setup([msg(1, 1, { data: 'start', size: 16 * 1024 * 1024, truncated: true, id: '41' })]);
    render(LiveLog, { props: { sub } });
    await tick();
    const button = screen.getByTestId('btn-show-all');
    expect(button.textContent).toBe('… (16 MiB, show all)');
    await fireEvent.click(button);
    await waitFor(() => expect(screen.getByTestId('log-raw').textContent).toBe(whole));
    expect(calls).toEqual([{ id: 1, seq: null, receivedAtMs: 1_000_001, eventId: '41', size: 16 * 1024 * 1024 }]);
    expect(screen.queryByTestId('btn-show-all')).toBeNull();
  });
});
