import { parseDocument } from 'yaml';
import { z } from 'zod';
import { parseDuration } from '../prometheus/promql';
import { burnWindowIds, type AlertState, type BurnWindowId, type SloStatus } from '../api/report';

/**
 * Service level objectives: what the user promises, read from a YAML file, and the error-budget
 * arithmetic of the SRE workbook (chapter 5) on count-weighted ratios — bad events over all events in
 * each window, never the mean of short-window ratios (which over-weights quiet minutes and turns NaN
 * at zero traffic, as Sloth's default does).
 */
export const BURN_WINDOW_SECONDS: Record<BurnWindowId, number> = {
  '5m': 300,
  '30m': 1800,
  '1h': 3600,
  '2h': 7200,
  '6h': 21600,
  '1d': 86400,
  '3d': 259200,
};

export const DEFAULT_OBJECTIVE = 0.999;
export const DEFAULT_PERIOD_SECONDS = 30 * 86400;

const durationText = z.string().refine((s) => parseDuration(s) !== null, { message: 'not a duration (use e.g. 30d, 4w, 720h)' });
const objective = z.number().gt(0).lt(1);

const latencyObjectiveSchema = z.object({
  /** Seconds; must be one of the service's histogram bucket bounds. */
  threshold: z.number().positive(),
  /** Share of requests that must be at or below the threshold. */
  objective,
});

const serviceSloSchema = z.object({
  namespace: z.string().min(1),
  name: z.string().min(1),
  availability: objective.optional(),
  latency: latencyObjectiveSchema.optional(),
  period: durationText.optional(),
});

export const sloFileSchema = z.object({
  defaults: z
    .object({ availability: objective.optional(), period: durationText.optional(), latency: latencyObjectiveSchema.optional() })
    .optional(),
  services: z.array(serviceSloSchema).default([]),
});

export type SloFile = z.infer<typeof sloFileSchema>;

export interface ServiceObjectives {
  availability: number;
  periodSeconds: number;
  latency: { threshold: number; objective: number } | null;
  /** Where the objectives came from: the file's entry, its defaults, or Headroom's default. */
  source: 'service' | 'defaults' | 'built-in';
}

export class SloFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SloFileError';
  }
}

/** Parses an SLO file; errors name the line (YAML) or the field path (schema) and what to write instead. */
export function parseSloFile(text: string, fileName = 'SLO file'): SloFile {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    const first = doc.errors[0];
    const line = first?.linePos?.[0]?.line;
    throw new SloFileError(`${fileName}${line ? ` line ${line}` : ''}: invalid YAML: ${first?.message.split('\n')[0] ?? 'unknown error'}`);
  }
  const parsed = sloFileSchema.safeParse(doc.toJS() ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue?.path.join('.') || '(top level)';
    throw new SloFileError(`${fileName}: ${path}: ${issue?.message ?? 'invalid'} — expected e.g. { services: [{ namespace: shop, name: api, availability: 0.999, latency: { threshold: 0.5, objective: 0.99 } }] }`);
  }
  return parsed.data;
}

export function objectivesFor(file: SloFile | null, namespace: string, name: string): ServiceObjectives {
  const entry = file?.services.find((s) => s.namespace === namespace && s.name === name);
  const defaults = file?.defaults;
  const period = entry?.period ?? defaults?.period;
  return {
    availability: entry?.availability ?? defaults?.availability ?? DEFAULT_OBJECTIVE,
    periodSeconds: period ? (parseDuration(period) as number) : DEFAULT_PERIOD_SECONDS,
    latency: entry?.latency ?? defaults?.latency ?? null,
    source: entry ? 'service' : defaults ? 'defaults' : 'built-in',
  };
}

/** Good and total events in one window. */
export interface EventCounts {
  total: number;
  bad: number;
}

export interface BurnComputation {
  status: SloStatus;
  notes: string[];
}

/** The multi-window, multi-burn-rate alert of the SRE workbook, as Sloth and Pyrra ship it for 30 days. */
export function alertState(burn: Record<BurnWindowId, number | null>): AlertState {
  const both = (long: BurnWindowId, short: BurnWindowId, factor: number): boolean =>
    (burn[long] ?? 0) >= factor && (burn[short] ?? 0) >= factor;
  if (both('1h', '5m', 14.4) || both('6h', '30m', 6)) return 'page';
  if (both('1d', '2h', 3) || both('3d', '6h', 1)) return 'ticket';
  return 'none';
}

/**
 * Burn rates per window (error ratio ÷ error budget), the alert state, the budget left over the
 * period and the time until it is gone at the current (1 h) burn. Windows without traffic burn
 * nothing (null, with a note) rather than NaN.
 */
export function computeSlo(
  objectiveRatio: number,
  periodSeconds: number,
  windows: Record<BurnWindowId, EventCounts | null>,
  period: EventCounts | null,
  historySeconds: number | null,
): BurnComputation {
  const budget = 1 - objectiveRatio;
  const notes: string[] = [];
  const burnRates = {} as Record<BurnWindowId, number | null>;
  const quiet: string[] = [];
  for (const id of burnWindowIds) {
    const w = windows[id];
    if (!w || w.total <= 0) {
      burnRates[id] = null;
      quiet.push(id);
      continue;
    }
    burnRates[id] = w.bad / w.total / budget;
  }
  if (quiet.length > 0) notes.push(`no traffic in the ${quiet.join(', ')} window${quiet.length > 1 ? 's' : ''}: no burn rate there`);
  const oneHour = windows['1h'];
  if (oneHour && oneHour.total > 0 && oneHour.total < 1 / (14.4 * budget)) {
    notes.push(`under ${Math.ceil(1 / (14.4 * budget))} requests in the last hour: a single error pages at this objective`);
  }
  let remaining: number | null = null;
  if (period && period.total > 0) remaining = 1 - period.bad / period.total / budget;
  else notes.push('no traffic in the SLO period: budget unknown');
  if (historySeconds !== null && historySeconds < periodSeconds * 0.95) {
    notes.push(`history covers ${(historySeconds / 86400).toFixed(1)} of the ${Math.round(periodSeconds / 86400)} days of the SLO period; the budget is computed over what exists`);
  }
  const current = burnRates['1h'];
  let timeToExhaustion: number | null = null;
  if (remaining !== null && current !== null && current > 0) {
    // At burn rate b the whole budget lasts period / b; what is left lasts remaining × period / b.
    timeToExhaustion = remaining > 0 ? (remaining * periodSeconds) / current : 0;
  }
  return {
    status: { objective: objectiveRatio, errorBudgetRemaining: remaining, burnRates, alert: alertState(burnRates), timeToExhaustion, period: periodSeconds },
    notes,
  };
}
