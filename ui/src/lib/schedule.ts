// Batches from the shell arrive up to 20 times a second; DOM work is done at most once per frame.

export type FrameScheduler = (run: () => void) => void;

/**
 * Runs `run` on the next animation frame, or after `fallbackMs` if no frame comes: a hidden or
 * minimised window gets no frames, and batches must not pile up in memory meanwhile.
 */
export function animationFrameScheduler(fallbackMs = 250): FrameScheduler {
  return (run) => {
    let done = false;
    const once = () => {
      if (done) return;
      done = true;
      run();
    };
    if (typeof requestAnimationFrame === 'function') requestAnimationFrame(once);
    setTimeout(once, fallbackMs);
  };
}

/** Runs at once: for tests that want every batch applied synchronously. */
export const immediateScheduler: FrameScheduler = (run) => run();
