import { dayOfWeek, hourOfDay, LAB_END, series, STEPS, stepOf } from '../model/clock';
import { traffic } from '../model/traffic';

/**
 * The load that drives everything else. Storefront and checkout follow shoppers (evening peak,
 * busier weekends); notifications come in batches; the catalog cache's hot keys expire together.
 */
export interface Demand {
  /** Shape of storefront traffic: 1 at a weekday peak. */
  storefront: Float64Array;
  checkout: Float64Array;
  /** 1 at the first minute of a catalog cache stampede, decaying over four minutes; 0 otherwise. */
  stampede: Float64Array;
  /** Notification batches: 1 while a batch is being sent. */
  notificationBatch: Float64Array;
  /** Relative load on PostgreSQL, ~1 at the weekday peak. */
  database: Float64Array;
  /** Payment provider outage at the end of the window: 1 while it lasts. */
  paymentOutage: Float64Array;
}

/** The hot catalog keys share a six-hour TTL, so they expire together at these hours (UTC). */
export const STAMPEDE_HOURS = [2, 8, 14, 20];
const STAMPEDE_PROFILE = [1, 0.9, 0.6, 0.3];
/** The payment provider starts failing 80 minutes before the lab ends. */
export const PAYMENT_OUTAGE_START = stepOf(LAB_END - 80 * 60);

export function makeDemand(): Demand {
  const storefront = traffic({ peak: 1, troughRatio: 0.12, weekendFactor: 1.25, seed: 'storefront' });
  // People browse more at weekends but buy about as much as on a weekday evening.
  const checkout = traffic({ peak: 1, troughRatio: 0.1, weekendFactor: 0.95, seed: 'checkout' });
  const stampede = series(0);
  const notificationBatch = series(0);
  const database = series(0);
  const paymentOutage = series(0);
  for (let i = 0; i < STEPS; i++) {
    const hour = hourOfDay(i);
    const whole = Math.floor(hour + 1e-9);
    const minute = Math.round((hour - whole) * 60);
    if (STAMPEDE_HOURS.includes(whole) && minute < STAMPEDE_PROFILE.length) stampede[i] = STAMPEDE_PROFILE[minute] as number;
    // Marketing sends batches every 20 minutes during weekday office hours, eight minutes long.
    const weekday = dayOfWeek(i) >= 1 && dayOfWeek(i) <= 5;
    notificationBatch[i] = weekday && whole >= 8 && whole < 18 && minute % 20 < 8 ? 1 : 0;
    database[i] = 0.55 * (checkout[i] ?? 0) + 0.35 * (storefront[i] ?? 0) + 0.35 * (stampede[i] ?? 0);
    paymentOutage[i] = i >= PAYMENT_OUTAGE_START ? 1 : 0;
  }
  return { storefront, checkout, stampede, notificationBatch, database, paymentOutage };
}
