import type { AnalysisContext, HpaFacts, Timeline } from '../core/analysis/context';
import type { RuleModule, RuleResult } from '../core/analysis/rule';
import type { RangePoint } from '../core/prometheus/query-api';
import { HPA_TOLERANCE, scaleTarget } from './lib/hpa';
import { degradedTimes, evidence, hpaTarget, quantile, seconds, serviceOf, serviceTimeline } from './lib/signals';

/**
 * Replicas that go up and down and up again within the hour: the HPA removes pods it needs again
 * minutes later, so every cycle pays pod start-up (image pull, JVM warm-up, cold caches) and the
 * service runs short while new pods become ready. An HPA that follows a daily wave moves replicas
 * the same way for hours (few changes, all in one direction); one that flaps undoes its own moves.
 * No checker ships this (diagnostics §6, HPA-FLAP: many changes plus direction reversals counted
 * engine-side); the fix is `behavior`: a scale-down stabilisation window longer than the cycle.
 */

/**
 * Direction reversals needed in one hour: up, down and up again (or the reverse) holds a scale-down
 * the HPA undid — or a scale-up it gave back — within the hour. One reversal is a single peak, which
 * is load, not flapping.
 */
export const MIN_REVERSALS = 2;
/** A swing of one pod is jitter whatever its rhythm; flapping moves at least two. */
export const MIN_SWING = 2;
/** Hours that must flap, so one incident or rollout hour does not decide: the pattern must recur. */
export const MIN_HOURS = 3;
/** The shortest stabilisation window worth proposing: twice the Kubernetes default of 300 s. */
export const MIN_WINDOW_SECONDS = 600;
/** The API server rejects longer stabilisation windows. */
export const MAX_WINDOW_SECONDS = 3600;
/** Degraded p99 within flapping hours that makes the flapping a symptom users feel. */
export const MIN_SYMPTOM_SECONDS = 15 * 60;

interface Hour {
  end: number;
  changes: number;
  swing: number;
  reversals: number;
  low: number | null;
  high: number | null;
}

/** Sign changes between successive moves of a replica series (equal neighbours are not moves). */
export function reversalsIn(values: readonly number[]): number {
  let last = 0;
  let count = 0;
  for (let i = 1; i < values.length; i++) {
    const d = Math.sign((values[i] as number) - (values[i - 1] as number));
    if (d === 0) continue;
    if (last !== 0 && d !== last) count++;
    last = d;
  }
  return count;
}

/**
 * The hour's reversals: those the replica timeline shows, or — when its step is too coarse to see
 * them all — the fewest that `changes` moves within a range of `swing` need: a run in one direction
 * covers at most the whole range, and each move is at least one pod, so ⌈changes ÷ swing⌉ runs.
 */
function hourOf(end: number, changes: number, swing: number, current: Timeline | null): Hour {
  const inHour = (current?.points ?? []).filter((p): p is RangePoint & { value: number } => p.time >= end - 3600 && p.time <= end && p.value !== null).map((p) => p.value);
  const fewest = swing > 0 ? Math.max(0, Math.ceil(changes / swing) - 1) : 0;
  return {
    end,
    changes,
    swing,
    reversals: Math.max(reversalsIn(inHour), fewest),
    low: inHour.length > 0 ? Math.min(...inHour) : null,
    high: inHour.length > 0 ? Math.max(...inHour) : null,
  };
}

/** Flapping: a swing of at least two pods and beyond the controller's own 10 % tolerance, reversed twice. */
function flaps(hour: Hour): boolean {
  return hour.swing >= MIN_SWING && hour.swing >= HPA_TOLERANCE * (hour.high ?? 0) && hour.reversals >= MIN_REVERSALS;
}

function evaluateHpa(context: AnalysisContext, h: HpaFacts, out: RuleResult): void {
  const ref = hpaTarget(h);
  const { changes, amplitude } = h.hourly;
  if (!changes || !amplitude || changes.points.length === 0) {
    out.notEvaluated.push({ target: ref, missing: ['replica history: kube_horizontalpodautoscaler_status_current_replicas has no series for this HPA'] });
    return;
  }
  const swingAt = new Map(amplitude.points.map((p) => [p.time, p.value]));
  const hours = changes.points
    .filter((p): p is RangePoint & { value: number } => p.value !== null)
    .map((p) => hourOf(p.time, p.value, swingAt.get(p.time) ?? 0, h.timeline.current));
  const flapping = hours.filter(flaps);
  if (flapping.length < MIN_HOURS) return;

  const sorted = (xs: number[]): number[] => [...xs].sort((a, b) => a - b);
  const swing = quantile(sorted(flapping.map((x) => x.swing)), 0.5) as number;
  const perHour = sorted(flapping.map((x) => x.changes));
  const reversals = quantile(sorted(flapping.map((x) => x.reversals)), 0.5) as number;
  const low = quantile(sorted(flapping.map((x) => x.low).filter((v): v is number => v !== null)), 0.5);
  const high = quantile(sorted(flapping.map((x) => x.high).filter((v): v is number => v !== null)), 0.5);
  // Two reversals per cycle: the cycle, and so the window that rides it out.
  const period = 7200 / reversals;
  const window = Math.min(MAX_WINDOW_SECONDS, Math.max(MIN_WINDOW_SECONDS, Math.ceil(period / 300) * 300));
  const spec = h.spec?.behavior.scaleDown ?? null;
  const currentWindow = h.spec ? (spec?.stabilizationWindowSeconds ?? 300) : null;

  const scaled = scaleTarget(h);
  const service = scaled ? serviceOf(context, scaled.namespace, scaled.name) : undefined;
  const p99 = serviceTimeline(service, 'p99');
  const degradedSeconds = [...degradedTimes(p99)].filter((t) => flapping.some((x) => t > x.end - 3600 && t <= x.end)).length * (p99?.step ?? 0);

  // The timeline's step may be too coarse to catch the extremes; then the range is left unsaid.
  const seen = low !== null && high !== null && high - low >= swing ? { low, high } : null;
  const between = seen ? ` (${seen.low} ↔ ${seen.high})` : '';
  const summary =
    `HPA ${h.namespace}/${h.name} flapped in ${flapping.length} of ${hours.length} hours: replicas swung by ${swing}${between} with ` +
    `${quantile(perHour, 0.5)} changes per hour (up to ${perHour[perHour.length - 1]}) and ${reversals} direction reversals, a cycle of about ${seconds(period)}; ` +
    `pods it removed were needed again within the hour. ` +
    (currentWindow === null ? 'Its scale-down behaviour is unknown (no HPA object read).' : `Scale-down stabilisation is ${seconds(currentWindow)}${(spec?.stabilizationWindowSeconds ?? null) === null ? ' (the default)' : ''}.`) +
    (degradedSeconds >= MIN_SYMPTOM_SECONDS ? ` p99 was degraded for ${seconds(degradedSeconds)} within those hours.` : '');

  const ev = [
    evidence('replica changes per hour (median of flapping hours)', changes.query, quantile(perHour, 0.5), 'changes', changes),
    evidence('max − min replicas per hour (median of flapping hours)', amplitude.query, swing, 'replicas', amplitude),
  ];
  if (h.timeline.current) ev.push(evidence('current replicas (typical high of a flapping hour)', h.timeline.current.query, seen?.high ?? null, 'replicas', h.timeline.current));

  const upToo = currentWindow !== null && currentWindow >= window;
  out.findings.push({
    severity: 'warning',
    target: ref,
    summary,
    evidence: ev,
    symptomatic: degradedSeconds >= MIN_SYMPTOM_SECONDS,
    remediation:
      (upToo
        ? 'Its scale-down window already covers the cycle, so the swings start on the way up: add a scale-up policy that adds pods gradually (e.g. 1 pod or 50 % per 60 s) and a short behavior.scaleUp.stabilizationWindowSeconds, or smooth the metric. '
        : `Set behavior.scaleDown.stabilizationWindowSeconds to ${window} (longer than the ~${seconds(period)} cycle) so the HPA keeps the pods through the lulls, ` +
          'with a scale-down policy that removes at most 1 pod (or 50 %) per 60 s. ') +
      `If the load itself comes in bursts (batches, cron), scale on the queue or backlog instead of CPU, or raise minReplicas to the ${seen ? `${seen.high} ` : ''}pods a burst needs. ` +
      'The hpa recommendation has a manifest.',
    ...(scaled ? { recommendation: { kind: 'hpa' as const, target: scaled } } : {}),
  });
}

export const hpaFlapping: RuleModule = {
  meta: {
    id: 'hpa-flapping',
    title: 'HPA replicas flap up and down',
    defaultSeverity: 'warning',
    category: 'autoscaling',
    requires: ['hpa'],
    description: 'An HPA moves replicas up and down and up again within the hour, hour after hour, instead of following the load smoothly.',
    docs: 'docs/rules/hpa-flapping.md',
  },
  evaluate(context: AnalysisContext): RuleResult {
    const out: RuleResult = { findings: [], notEvaluated: [] };
    for (const h of context.hpas) evaluateHpa(context, h, out);
    return out;
  },
};
