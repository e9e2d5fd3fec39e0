import { describe, expect, it } from 'vitest';
import type { AnalysisContext, HpaFacts } from '../../core/analysis/context';
import type { HpaInfo } from '../../core/kubernetes/model';
import { hpaFlapping, reversalsIn } from '../../rules/hpa-flapping';
import { context, daily, END, hpa, POINTS, service, STEP, timeline } from './fixtures';

/**
 * The notifications shape (2 → 4 → 2 with every 20-minute batch through office hours) against what
 * an HPA should do: follow the daily wave (few changes, one direction at a time), jitter by one pod,
 * and one bad hour (a rollout or an incident) that does not recur.
 */
const HOURS = 168;
const hourOf = (t: number): number => (((t % 86400) + 86400) % 86400) / 3600;
const weekday = (t: number): boolean => {
  const day = (Math.floor(t / 86400) + 4) % 7;
  return day >= 1 && day <= 5;
};
const office = (t: number): boolean => weekday(t) && hourOf(t) >= 8 && hourOf(t) < 18;
/** Time of the i-th point of a timeline of `n` points at `step` ending at END. */
const at = (i: number, n: number, step: number): number => END - (n - 1 - i) * step;
/** Hourly facts: `inHour(end)` gives [changes, amplitude] for the hour ending at `end`. */
const hourly = (inHour: (end: number) => [number, number]): HpaFacts['hourly'] => ({
  changes: timeline((i) => inHour(at(i, HOURS, 3600))[0], { step: 3600, points: HOURS, query: 'changes_query' }),
  amplitude: timeline((i) => inHour(at(i, HOURS, 3600))[1], { step: 3600, points: HOURS, query: 'amplitude_query' }),
});
/** Hours ending within office hours (the hour ending at 08:00 covers 07:00–08:00 and is quiet). */
const officeHour = (end: number): boolean => office(end - 1);

const notificationsHpa = (over: { current?: (i: number) => number; hourly?: HpaFacts['hourly']; spec?: HpaInfo | null; minReplicas?: number; maxReplicas?: number } = {}): HpaFacts =>
  hpa({
    namespace: 'fulfilment',
    name: 'notifications',
    minReplicas: over.minReplicas ?? 2,
    maxReplicas: over.maxReplicas ?? 8,
    metrics: [{ name: 'cpu', targetType: 'utilization', target: 0.5 }],
    timeline: {
      current: timeline(over.current ?? ((i) => (office(at(i, POINTS, STEP)) ? (i % 2 === 0 ? 4 : 2) : 2)), { query: 'replicas_query' }),
      desired: null,
      cpuUtilization: null,
    },
    hourly: over.hourly ?? hourly((end) => (officeHour(end) ? [5, 2] : [0, 0])),
    spec: over.spec ?? null,
  });

const withWindow = (seconds: number): HpaInfo =>
  ({ behavior: { scaleUp: null, scaleDown: { stabilizationWindowSeconds: seconds, selectPolicy: null, policies: [] } } }) as unknown as HpaInfo;

interface Case {
  name: string;
  ctx: AnalysisContext;
  fires: boolean;
  summary?: RegExp[];
  remediation?: RegExp;
  notEvaluated?: RegExp;
}

const cases: Case[] = [
  {
    name: 'notifications: 2 ↔ 4 every 20 minutes through office hours',
    ctx: context({ hpas: [notificationsHpa()] }),
    fires: true,
    summary: [/flapped in 50 of 168 hours/, /swung by 2 \(2 ↔ 4\)/, /5 changes per hour/, /5 direction reversals/, /cycle of about 24 min/, /unknown \(no HPA object read\)/],
    remediation: /stabilizationWindowSeconds to 1500/,
  },
  {
    name: 'the 10-minute timeline aliases the swings away: hourly changes still show them',
    ctx: context({ hpas: [notificationsHpa({ current: () => 2, hourly: hourly((end) => (officeHour(end) ? [6, 2] : [0, 0])) })] }),
    fires: true,
    summary: [/swung by 2 with 6 changes per hour/, /2 direction reversals/, /a cycle of about 60 min/],
    remediation: /stabilizationWindowSeconds to 3600/,
  },
  {
    name: 'the default scale-down window (300 s) is named',
    ctx: context({ hpas: [notificationsHpa({ spec: { behavior: { scaleUp: null, scaleDown: null } } as unknown as HpaInfo })] }),
    fires: true,
    summary: [/Scale-down stabilisation is 5 min \(the default\)/],
  },
  {
    name: 'a scale-down window longer than the cycle already: the swings start on the way up',
    ctx: context({ hpas: [notificationsHpa({ spec: withWindow(1800) })] }),
    fires: true,
    summary: [/Scale-down stabilisation is 30 min\./],
    remediation: /scale-up policy/,
  },
  // Must not fire.
  {
    name: 'frontend: follows the daily wave, one direction at a time',
    ctx: context({ hpas: [notificationsHpa({ current: daily(3, 8, 6), hourly: hourly((end) => (Math.abs(hourOf(end) - 17) < 1 || Math.abs(hourOf(end) - 23) < 1 ? [2, 2] : [0, 0])) })] }),
    fires: false,
  },
  {
    name: 'jitter of one pod, however often',
    ctx: context({ hpas: [notificationsHpa({ current: (i) => (i % 2 === 0 ? 5 : 6), hourly: hourly(() => [6, 1]) })] }),
    fires: false,
  },
  {
    name: 'a swing of two pods on forty: within the controller\'s own tolerance',
    ctx: context({ hpas: [notificationsHpa({ minReplicas: 10, maxReplicas: 60, current: (i) => (i % 2 === 0 ? 40 : 42), hourly: hourly(() => [6, 2]) })] }),
    fires: false,
  },
  {
    name: 'one burst of scaling up and down in the hour (a peak, not flapping)',
    ctx: context({ hpas: [notificationsHpa({ current: (i) => (i % 6 === 2 || i % 6 === 3 ? 6 : 3), hourly: hourly(() => [2, 3]) })] }),
    fires: false,
  },
  {
    name: 'flaps for two hours in a week (a rollout), never again',
    ctx: context({ hpas: [notificationsHpa({ current: (i) => (i >= 500 && i < 512 ? (i % 2 === 0 ? 4 : 2) : 2), hourly: hourly((end) => (end > at(500, POINTS, STEP) && end <= at(500, POINTS, STEP) + 7200 ? [5, 2] : [0, 0])) })] }),
    fires: false,
  },
  {
    name: 'never moves (order)',
    ctx: context({ hpas: [notificationsHpa({ current: () => 3, hourly: hourly(() => [0, 0]) })] }),
    fires: false,
  },
  // Not evaluated.
  {
    name: 'no replica history (an HPA known from manifests only)',
    ctx: context({ hpas: [{ ...notificationsHpa(), hourly: { changes: null, amplitude: null } }] }),
    fires: false,
    notEvaluated: /replica history/,
  },
];

describe('hpa-flapping', () => {
  it.each(cases)('$name', ({ ctx, fires, summary, remediation, notEvaluated }) => {
    const result = hpaFlapping.evaluate(ctx);
    expect(result.findings).toHaveLength(fires ? 1 : 0);
    if (notEvaluated) expect(result.notEvaluated.flatMap((n) => n.missing).join('\n')).toMatch(notEvaluated);
    else expect(result.notEvaluated).toEqual([]);
    const f = result.findings[0];
    if (!f) return;
    expect(f.severity).toBe('warning');
    expect(f.target).toEqual({ namespace: 'fulfilment', kind: 'HorizontalPodAutoscaler', name: 'notifications' });
    expect(f.recommendation).toEqual({ kind: 'hpa', target: { namespace: 'fulfilment', kind: 'Deployment', name: 'notifications' } });
    for (const re of summary ?? []) expect(f.summary).toMatch(re);
    if (remediation) expect(f.remediation).toMatch(remediation);
    expect(f.evidence.map((e) => e.query)).toEqual(['changes_query', 'amplitude_query', 'replicas_query']);
  });

  it('is symptomatic when p99 degrades within the flapping hours', () => {
    const p99 = timeline((i) => (office(at(i, POINTS, STEP)) && i % 2 === 1 ? 0.8 : 0.1));
    const quiet = hpaFlapping.evaluate(context({ hpas: [notificationsHpa()] })).findings[0];
    const hurt = hpaFlapping.evaluate(context({ hpas: [notificationsHpa()], services: [service({ namespace: 'fulfilment', name: 'notifications', p99 })] })).findings[0];
    expect(quiet?.symptomatic).toBe(false);
    expect(hurt?.symptomatic).toBe(true);
    expect(hurt?.summary).toMatch(/p99 was degraded for 2[0-9](\.[0-9])? h within those hours/);
  });

  it.each([
    { values: [2, 4, 2, 4, 2], reversals: 3 },
    { values: [2, 2, 4, 4, 2, 2], reversals: 1 },
    { values: [3, 4, 5, 6, 7], reversals: 0 },
    { values: [7, 6, 6, 5, 6, 5], reversals: 2 },
    { values: [4], reversals: 0 },
  ])('counts direction reversals in $values', ({ values, reversals }) => {
    expect(reversalsIn(values)).toBe(reversals);
  });
});
