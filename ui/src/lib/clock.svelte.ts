// One shared clock for everything that shows time passing (countdowns, "4 s ago", how long a
// stale stream has been silent, rates). A single timer ticking twice a second beats one timer
// per row, and keeps every figure on screen consistent with the others.

export class Clock {
  now = $state(Date.now());
  private timer: ReturnType<typeof setInterval> | null = null;

  start(periodMs = 500): void {
    if (this.timer !== null) return;
    this.now = Date.now();
    this.timer = setInterval(() => {
      this.now = Date.now();
    }, periodMs);
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /** For tests: move the clock by hand. */
  set(ms: number): void {
    this.now = ms;
  }
}

export const clock = new Clock();
