/**
 * One clock for every bench process: microseconds of CLOCK_MONOTONIC (process.hrtime),
 * which is system-wide on Linux, so a time stamped by a sender process can be compared
 * with the time a receiver process reads. performance.now() is cheaper than hrtime and runs
 * on the same clock, so it is calibrated against hrtime once.
 */
const offsetUs = Number(process.hrtime.bigint() / 1000n) - performance.now() * 1000;

/** Monotonic microseconds, comparable between processes on this machine. */
export function nowUs() {
  return performance.now() * 1000 + offsetUs;
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
