/**
 * The lab's time grid. Every simulated quantity is an array indexed by grid step; exporters turn a
 * step into a scrape timestamp with their own target offset, as real scrapes never line up.
 */
export const STEP_SECONDS = 60;
/** Thursday 2026-11-12 18:00 UTC: the evening ramp of the diurnal cycle, two hours before the peak. */
export const LAB_END = 1794506400;
export const HISTORY_DAYS = 8;
export const STEPS = (HISTORY_DAYS * 86400) / STEP_SECONDS;
export const LAB_START = LAB_END - STEPS * STEP_SECONDS;
/** The analysis window the tests use: the last seven days (the eighth feeds rate windows and 3d burns). */
export const ANALYSIS_WINDOW = { start: LAB_END - 7 * 86400, end: LAB_END } as const;

export function stepTime(step: number): number {
  return LAB_START + (step + 1) * STEP_SECONDS;
}

export function stepOf(unixSeconds: number): number {
  return Math.round((unixSeconds - LAB_START) / STEP_SECONDS) - 1;
}

/** Hours since midnight UTC, fractional. */
export function hourOfDay(step: number): number {
  const t = stepTime(step);
  return ((t % 86400) + 86400) % 86400 / 3600;
}

/** 0 = Sunday … 6 = Saturday (UTC). */
export function dayOfWeek(step: number): number {
  return new Date(stepTime(step) * 1000).getUTCDay();
}

export function series(fill = Number.NaN): Float64Array {
  return new Float64Array(STEPS).fill(fill);
}
