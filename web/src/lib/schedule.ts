/**
 * Runs a flush on the next animation frame, so that a burst of messages costs one render
 * per frame. A hidden tab gets no animation frames, so a timer stands in (the unread
 * count in the title must keep counting): whichever comes first runs the flush.
 */
export function frameScheduler(fallbackMs = 250): (flush: () => void) => void {
  return (flush) => {
    let done = false;
    const run = () => {
      if (done) return;
      done = true;
      cancelAnimationFrame(frame);
      clearTimeout(timer);
      flush();
    };
    const frame = requestAnimationFrame(run);
    const timer = setTimeout(run, document.hidden ? 0 : fallbackMs);
  };
}
