import type { Channel } from '@tauri-apps/api/core';
import { mockIPC } from '@tauri-apps/api/mocks';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { toCommandError } from '../src/lib/api';
import type { MessageView, UpdateBatch } from '../src/lib/bindings';
import { clock } from '../src/lib/clock.svelte';
import type { FrameScheduler } from '../src/lib/schedule';
import { AppState, HISTORY_PAGE } from '../src/lib/store/state.svelte';
import { batch, form, lifecycle, msg, status, view } from '../src/dev/builders';

/** A scheduler the test runs by hand, to see what happens within one frame. */
function manualScheduler(): { schedule: FrameScheduler; runs: () => number; frame: () => void } {
  let queued: (() => void)[] = [];
  let runs = 0;
  return {
    schedule: (run) => {
      queued.push(run);
    },
    runs: () => runs,
    frame: () => {
      const q = queued;
      queued = [];
      for (const r of q) {
        runs++;
        r();
      }
    },
  };
}

interface Backend {
  calls: { cmd: string; args: Record<string, unknown> }[];
  channel: () => Channel<UpdateBatch>;
}

function backend(handlers: Record<string, (args: Record<string, unknown>) => unknown> = {}): Backend {
  const calls: Backend['calls'] = [];
  let channel: Channel<UpdateBatch> | null = null;
  mockIPC((cmd, payload) => {
    const args = (payload ?? {}) as Record<string, unknown>;
    calls.push({ cmd, args });
    if (handlers[cmd]) return handlers[cmd](args);
    switch (cmd) {
      case 'list_subscriptions':
        return [view(1, 'One'), view(2, 'Two')];
      case 'connect_updates':
        channel = args.onUpdate as Channel<UpdateBatch>;
        return null;
      default:
        return null;
    }
  });
  return {
    calls,
    channel: () => {
      if (!channel) throw new Error('connect_updates was not called');
      return channel;
    },
  };
}

beforeEach(() => {
  clock.set(Date.now());
});

describe('start', () => {
  it('lists subscriptions, then connects the update channel', async () => {
    const be = backend();
    const app = new AppState(manualScheduler().schedule);
    await app.start();
    expect(be.calls.map((c) => c.cmd)).toEqual(['list_subscriptions', 'connect_updates']);
    expect(app.subs.map((s) => s.name)).toEqual(['One', 'Two']);
    expect(app.selectedId).toBe(1);
    expect(app.bridge).toBe('live');
    expect(app.loading).toBe(false);
  });

  it('reports a failed list as a load error', async () => {
    backend({
      list_subscriptions: () => {
        throw { kind: 'storage', message: 'database is locked', field: null };
      },
    });
    const app = new AppState(manualScheduler().schedule);
    await app.start();
    expect(app.loadError).toBe('database is locked');
    expect(app.subs).toEqual([]);
  });
});

describe('applying batches', () => {
  async function started() {
    const be = backend();
    const sched = manualScheduler();
    const app = new AppState(sched.schedule, 1000);
    await app.start();
    return { be, sched, app };
  }

  it('applies statuses, messages, lifecycle, added and removed from the channel', async () => {
    const { be, sched, app } = await started();
    be.channel().onmessage(
      batch({
        added: [view(3, 'Three')],
        statuses: [{ id: 1, status: status({ state: 'retrying', attempt: 2, messages: 2 }) }],
        messages: [msg(1, 1), msg(1, 2), msg(3, 1)],
        lifecycle: [lifecycle(1, 'retrying', { attempt: 2, delayMs: 800, atMs: Date.now() })],
        removed: [2],
      }),
    );
    expect(app.get(1)!.status.state).toBe('open'); // nothing until the frame
    sched.frame();
    const one = app.get(1)!;
    expect(one.status.state).toBe('retrying');
    expect(one.log.length).toBe(2);
    expect(app.get(3)!.log.length).toBe(1);
    expect(app.get(2)).toBeUndefined();
    expect(app.subs.map((s) => s.id)).toEqual([1, 3]);
  });

  it('reads the stored timeline again after a timeline step, a pause or an edit, once per burst', async () => {
    vi.useFakeTimers();
    try {
      const { be, sched, app } = await started();
      const one = app.get(1)!;
      await app.openDetail(one);
      const reads = () => be.calls.filter((c) => c.cmd === 'timeline').length;
      expect(reads()).toBe(1);
      be.channel().onmessage(batch({ statuses: [{ id: 1, status: status({ state: 'paused' }) }] }));
      sched.frame();
      be.channel().onmessage(batch({ lifecycle: [lifecycle(1, 'retrying', { attempt: 1, delayMs: 500 })] }));
      sched.frame();
      expect(reads()).toBe(1);
      await vi.advanceTimersByTimeAsync(300);
      expect(reads()).toBe(2);
      // Messages and comments are not timeline steps.
      be.channel().onmessage(batch({ messages: [msg(1, 9)], lifecycle: [lifecycle(1, 'comment')] }));
      sched.frame();
      await vi.advanceTimersByTimeAsync(300);
      expect(reads()).toBe(2);
      app.upsert({ ...one.view, form: { ...one.view.form, url: 'http://127.0.0.1:2/' } });
      await vi.advanceTimersByTimeAsync(300);
      expect(reads()).toBe(3);
    } finally {
      vi.useRealTimers();
    }
  });

  it('coalesces every batch of a frame into one flush and one log version bump', async () => {
    const { be, sched, app } = await started();
    const one = app.get(1)!;
    const v0 = one.logVersion;
    for (let i = 1; i <= 5; i++) {
      be.channel().onmessage(batch({ statuses: [{ id: 1, status: status({ messages: i, lastId: String(i) }) }], messages: [msg(1, i)] }));
    }
    sched.frame();
    expect(sched.runs()).toBe(1);
    expect(one.logVersion).toBe(v0 + 1);
    expect(one.status.lastId).toBe('5');
    expect(one.log.length).toBe(5);
    expect([...Array(5).keys()].map((i) => one.log.atIndex(i)!.id)).toEqual(['1', '2', '3', '4', '5']);
  });

  it('ignores messages for unknown subscriptions and counts dropped rows', async () => {
    const { be, sched, app } = await started();
    be.channel().onmessage(batch({ messages: [msg(99, 1)], droppedMessages: 7 }));
    be.channel().onmessage(batch({ droppedMessages: 3 }));
    sched.frame();
    expect(app.droppedMessages).toBe(10);
  });

  it('caps each log', async () => {
    const { be, sched, app } = await started();
    const many: MessageView[] = Array.from({ length: 1500 }, (_, i) => msg(1, i));
    be.channel().onmessage(batch({ messages: many }));
    sched.frame();
    const log = app.get(1)!.log;
    expect(log.length).toBe(1000);
    expect(log.atIndex(0)!.id).toBe('500');
  });

  it('selects a neighbour when the selected subscription is removed', async () => {
    const { be, sched, app } = await started();
    app.select(1);
    be.channel().onmessage(batch({ removed: [1] }));
    sched.frame();
    expect(app.selectedId).toBe(2);
    be.channel().onmessage(batch({ removed: [2] }));
    sched.frame();
    expect(app.selectedId).toBeNull();
  });

  it('an added subscription that already exists is updated, not doubled', async () => {
    const { be, sched, app } = await started();
    be.channel().onmessage(batch({ added: [view(1, 'Renamed')] }));
    sched.frame();
    expect(app.subs.length).toBe(2);
    expect(app.get(1)!.name).toBe('Renamed');
  });

  it('derives the rate from status updates, and shows the engine’s health verdict', async () => {
    const { be, sched, app } = await started();
    const t = Math.floor(Date.now() / 1000) * 1000;
    for (let i = 1; i <= 20; i++) {
      be.channel().onmessage(batch({ statuses: [{ id: 1, status: status({ messages: i * 5, lastMessageAtMs: t + i * 1000, connectedSinceMs: t }) }] }));
      sched.frame();
    }
    const one = app.get(1)!;
    clock.set(t + 21_000);
    expect(one.msgRate).toBeCloseTo(5);
    // Paused shows no rate (the messages before the pause are not one).
    be.channel().onmessage(batch({ statuses: [{ id: 1, status: status({ state: 'paused', messages: 100, lastMessageAtMs: t + 20_000 }) }] }));
    sched.frame();
    expect(one.msgRate).toBe(0);
    be.channel().onmessage(batch({ statuses: [{ id: 1, status: status({ messages: 100, lastMessageAtMs: t + 20_000, connectedSinceMs: t }) }] }));
    sched.frame();
    expect(one.displayState).toBe('open');
    // Silence alone does not make a stream stale here: the engine's verdict does.
    clock.set(t + 20_000 + 600_000);
    expect(one.displayState).toBe('open');
    expect(one.silenceMs).toBe(600_000);
    be.channel().onmessage(batch({ statuses: [{ id: 1, status: status({ health: 'stale', messages: 100, lastMessageAtMs: t + 20_000, connectedSinceMs: t }) }] }));
    sched.frame();
    expect(one.displayState).toBe('stale');
    // "Down" is told by notifications; the sidebar keeps showing what the stream is doing.
    be.channel().onmessage(batch({ statuses: [{ id: 1, status: status({ state: 'retrying', health: 'down', attempt: 4 }) }] }));
    sched.frame();
    expect(one.displayState).toBe('retrying');
    expect(one.silenceMs).toBeNull();
  });
});

describe('actions', () => {
  it('sends each action with the contract’s argument names', async () => {
    const be = backend();
    const app = new AppState(manualScheduler().schedule);
    await app.start();
    await app.pause(1);
    await app.resume(1);
    await app.reconnect(2);
    await app.remove(2);
    expect(be.calls.slice(2)).toEqual([
      { cmd: 'pause_subscription', args: { id: 1 } },
      { cmd: 'resume_subscription', args: { id: 1 } },
      { cmd: 'reconnect_now', args: { id: 2 } },
      { cmd: 'remove_subscription', args: { id: 2 } },
    ]);
    expect(app.get(2)).toBeUndefined();
  });

  it('shows a failed action as a notice', async () => {
    vi.useFakeTimers();
    try {
      backend({
        pause_subscription: () => {
          throw { kind: 'notFound', message: 'no subscription 1', field: null };
        },
      });
      const app = new AppState(manualScheduler().schedule);
      expect(await app.pause(1)).toBe(false);
      expect(app.notices.map((n) => n.text)).toEqual(['Pause failed: no subscription 1']);
      vi.advanceTimersByTime(9000);
      expect(app.notices).toEqual([]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('adds a subscription and selects it; returns the shell’s rejection', async () => {
    const be = backend({
      add_subscription: (args) => {
        const f = args.form as ReturnType<typeof form>;
        if (f.url.includes('bad')) throw { kind: 'invalid', message: 'host not found', field: 'url' };
        return { ...view(7, f.name), form: f };
      },
    });
    const app = new AppState(manualScheduler().schedule);
    await app.start();
    const ok = await app.save(form({ name: 'New' }), null);
    expect(ok.ok).toBe(true);
    expect(app.selectedId).toBe(7);
    expect(be.calls.find((c) => c.cmd === 'add_subscription')!.args).toEqual({ form: form({ name: 'New' }) });
    const bad = await app.save(form({ url: 'http://bad/' }), null);
    expect(bad).toEqual({ ok: false, error: { kind: 'invalid', message: 'host not found', field: 'url' } });
  });

  it('an answer that arrives after the live feed does not take the status back', async () => {
    let answer!: (v: unknown) => void;
    const be = backend({
      add_subscription: (args) =>
        new Promise((resolve) => {
          answer = () => resolve({ ...view(7, 'New', { state: 'connecting' }), form: args.form });
        }),
    });
    const sched = manualScheduler();
    const app = new AppState(sched.schedule);
    await app.start();
    const saving = app.save(form({ name: 'New' }), null);
    await vi.waitFor(() => expect(be.calls.some((c) => c.cmd === 'add_subscription')).toBe(true));
    // The bridge announces it, already open, before the command's answer comes back.
    be.channel().onmessage(
      batch({ added: [view(7, 'New', { state: 'connecting' })], statuses: [{ id: 7, status: status({ state: 'open' }) }] }),
    );
    sched.frame();
    expect(app.get(7)!.status.state).toBe('open');
    answer(null);
    expect((await saving).ok).toBe(true);
    expect(app.get(7)!.status.state).toBe('open');
    expect(app.get(7)!.name).toBe('New');
  });

  it('updates with the id and the form', async () => {
    const be = backend({ update_subscription: (args) => ({ ...view(1, 'Edited'), form: args.form }) });
    const app = new AppState(manualScheduler().schedule);
    await app.start();
    await app.save(form({ name: 'Edited' }), 1);
    expect(be.calls.at(-1)).toEqual({ cmd: 'update_subscription', args: { id: 1, form: form({ name: 'Edited' }) } });
    expect(app.get(1)!.name).toBe('Edited');
  });
});

describe('history', () => {
  it('pages older rows with the oldest seq as the cursor, and stops at a short page', async () => {
    const pages: (number | null)[] = [];
    backend({
      history_page: (args) => {
        pages.push(args.beforeSeq as number | null);
        expect(args.limit).toBe(HISTORY_PAGE);
        const before = (args.beforeSeq as number | null) ?? 1001;
        const n = before > 600 ? HISTORY_PAGE : 10;
        return Array.from({ length: n }, (_, i) => msg(1, before - 1 - i, { seq: before - 1 - i }));
      },
    });
    const app = new AppState(manualScheduler().schedule);
    await app.start();
    const one = app.get(1)!;
    await app.loadOlder(one);
    await app.loadOlder(one);
    expect(pages).toEqual([null, 501]);
    expect(one.log.length).toBe(510);
    expect(one.hasMoreOlder).toBe(false);
    await app.loadOlder(one);
    expect(pages.length).toBe(2);
  });

  it('keeps the error of a failed page', async () => {
    backend({
      history_page: () => {
        throw 'command history_page not allowed';
      },
    });
    const app = new AppState(manualScheduler().schedule);
    await app.start();
    const one = app.get(1)!;
    await app.loadOlder(one);
    expect(one.history).toBe('error');
    expect(one.historyError).toBe('command history_page not allowed');
  });
});

describe('toCommandError', () => {
  it('normalises whatever invoke rejects with', () => {
    expect(toCommandError({ kind: 'invalid', message: 'bad', field: 'url' })).toEqual({ kind: 'invalid', message: 'bad', field: 'url' });
    expect(toCommandError('plain string')).toEqual({ kind: 'internal', message: 'plain string', field: null });
    expect(toCommandError(new Error('boom'))).toEqual({ kind: 'internal', message: 'boom', field: null });
    expect(toCommandError({ weird: true })).toEqual({ kind: 'internal', message: 'Unknown error', field: null });
  });
});
