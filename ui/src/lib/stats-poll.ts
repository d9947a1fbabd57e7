// The figures that come from storage (uptime today, messages stored) are fetched, not pushed.
// They are refreshed every few seconds while a subscription is shown, and soon after its state
// changes, so a subscription that just opened does not show 0 % uptime for the next 10 s.

/** Refresh period while shown. */
export const STATS_EVERY_MS = 2_000;
/** Delay after a state change, so the shell has stored the transition before we ask. */
export const STATS_SETTLE_MS = 250;

export class StatsPoll {
  private timer: ReturnType<typeof setInterval> | null = null;
  private soon: ReturnType<typeof setTimeout> | null = null;
  private inFlight = false;
  private again = false;

  constructor(
    private readonly fetch: () => Promise<void>,
    private readonly everyMs: number = STATS_EVERY_MS,
    private readonly settleMs: number = STATS_SETTLE_MS,
  ) {}

  start(): void {
    this.stop();
    this.timer = setInterval(() => void this.run(), this.everyMs);
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    if (this.soon !== null) clearTimeout(this.soon);
    this.timer = null;
    this.soon = null;
  }

  /** The state changed: refresh shortly (several changes close together make one refresh). */
  stateChanged(): void {
    if (this.soon !== null) clearTimeout(this.soon);
    this.soon = setTimeout(() => {
      this.soon = null;
      void this.run();
    }, this.settleMs);
  }

  /** One fetch at a time; a request made meanwhile runs once the current one is done. */
  async run(): Promise<void> {
    if (this.inFlight) {
      this.again = true;
      return;
    }
    this.inFlight = true;
    try {
      await this.fetch();
    } finally {
      this.inFlight = false;
    }
    if (this.again) {
      this.again = false;
      await this.run();
    }
  }
}
