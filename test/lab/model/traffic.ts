import { dayOfWeek, hourOfDay, series, STEPS } from './clock';
import { Random } from './random';

/**
 * Demand over the week: a diurnal wave peaking in the (European) evening, a weekly swing, and
 * slow multiplicative noise so that no two days are identical.
 */
export interface TrafficProfile {
  /** Demand at the daily peak on a weekday, in the workload's unit (requests/s, messages/s…). */
  peak: number;
  /** Night-time demand as a fraction of the peak. */
  troughRatio: number;
  peakHour?: number;
  /** Multiplier applied on Saturday and Sunday. */
  weekendFactor?: number;
  /** Standard deviation of the slow multiplicative noise. */
  noise?: number;
  seed: string;
}

const DEFAULT_PEAK_HOUR = 20;

export function diurnal(step: number, troughRatio: number, peakHour = DEFAULT_PEAK_HOUR): number {
  const phase = (2 * Math.PI * (hourOfDay(step) - peakHour)) / 24;
  const wave = (1 + Math.cos(phase)) / 2;
  return troughRatio + (1 - troughRatio) * Math.pow(wave, 1.6);
}

/** Weekend factor blended over three hours around midnight so the curve has no cliff. */
export function weekly(step: number, weekendFactor: number): number {
  const weight = (d: number): number => (d === 0 || d === 6 ? 1 : 0);
  const hour = hourOfDay(step);
  const today = weight(dayOfWeek(step));
  let blend = today;
  if (hour < 1.5) {
    const yesterday = weight((dayOfWeek(step) + 6) % 7);
    const k = (hour + 1.5) / 3;
    blend = yesterday + (today - yesterday) * k;
  } else if (hour > 22.5) {
    const tomorrow = weight((dayOfWeek(step) + 1) % 7);
    const k = (hour - 22.5) / 3;
    blend = today + (tomorrow - today) * k;
  }
  return 1 + (weekendFactor - 1) * blend;
}

/** AR(1) noise around 1, smooth over tens of minutes like real traffic drift. */
export function slowNoise(seed: string, sigma: number): Float64Array {
  const random = new Random(seed);
  const out = series(1);
  const keep = 0.97;
  const innovation = sigma * Math.sqrt(1 - keep * keep);
  let x = 0;
  for (let i = 0; i < STEPS; i++) {
    x = keep * x + innovation * random.normal();
    out[i] = Math.max(0.2, 1 + x);
  }
  return out;
}

export function traffic(profile: TrafficProfile): Float64Array {
  const noise = slowNoise(profile.seed, profile.noise ?? 0.04);
  const out = series(0);
  for (let i = 0; i < STEPS; i++) {
    out[i] =
      profile.peak *
      diurnal(i, profile.troughRatio, profile.peakHour) *
      weekly(i, profile.weekendFactor ?? 1.15) *
      (noise[i] ?? 1);
  }
  return out;
}
