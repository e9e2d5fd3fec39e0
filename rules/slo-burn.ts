import type { AnalysisContext, Timeline } from '../core/analysis/context';
import type { RuleFinding, RuleModule, RuleNotEvaluated, RuleResult } from '../core/analysis/rule';
import type { ServiceAnalysis } from '../core/analysis/services';
import type { BurnWindowId, Evidence, Severity, SloStatus } from '../core/api/report';
import { evidence, lastOf, percent, span } from './lib/signals';

/**
 * The error budget burning: Core computes the SRE workbook's multi-window, multi-burn-rate alert per
 * service (count-weighted ratios, both windows of a pair above the same burn rate); this rule turns a
 * page into a critical finding and a ticket into a warning, says which pair tripped with the request
 * counts behind it, and notes a budget already spent over the period even when nothing burns now.
 */

/**
 * The pairs Core's `alertState` checks, in its order (SRE workbook table 5-8 plus the 1d/2h ticket Sloth
 * ships): here only to name the pair that tripped — the alert itself is Core's.
 */
export const BURN_PAIRS: ReadonlyArray<{ long: BurnWindowId; short: BurnWindowId; factor: number; alert: 'page' | 'ticket' }> = [
  { long: '1h', short: '5m', factor: 14.4, alert: 'page' },
  { long: '6h', short: '30m', factor: 6, alert: 'page' },
  { long: '1d', short: '2h', factor: 3, alert: 'ticket' },
  { long: '3d', short: '6h', factor: 1, alert: 'ticket' },
];

const SEVERITY_ORDER: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };
const LOWER: Record<Severity, Severity> = { critical: 'warning', warning: 'info', info: 'info' };

interface Verdict {
  severity: Severity;
  summary: string;
  evidence: Evidence[];
  remediation: string;
}

/** Error ratios to three significant digits: 9.02 %, 16 %, 0.1 % (`percent` pads small ones with zeros). */
function share(ratio: number | null): string {
  return ratio === null ? 'n/a' : `${Number((ratio * 100).toPrecision(3))} %`;
}

function burn(value: number | null): string {
  return value === null ? 'n/a' : `${Number(value.toPrecision(3))}×`;
}

function budgetLine(slo: SloStatus): string {
  const period = `Budget for ${span(slo.period ?? null)}`;
  const left = slo.errorBudgetRemaining;
  if (left === null) return `${period}: unknown (no traffic in the period).`;
  if (left <= 0) return `${period}: ${percent(1 - left)} spent, exhausted.`;
  const tte = slo.timeToExhaustion ?? null;
  return `${period}: ${percent(1 - left)} spent, ${percent(left)} left${tte !== null ? `, gone in ${span(tte)} at the 1h burn` : ''}.`;
}

/**
 * One objective (availability, or latency when configured): page → critical, ticket → warning, a
 * budget already spent without a burn alert → info (Sloth's error_budget_exhausted alert).
 */
function verdict(s: ServiceAnalysis, slo: SloStatus, what: 'availability' | 'latency'): Verdict | null {
  const label = `${s.report.namespace}/${s.report.name}`;
  const budget = 1 - slo.objective;
  // Objectives keep their nines (99.95 %, not 100 %).
  const objective = `${Number((slo.objective * 100).toFixed(4))} % ${what} SLO`;
  const bad = what === 'availability' ? 'failed (5xx)' : 'were slower than the latency threshold';
  const counts = s.facts.windows;
  const items: Evidence[] = [];
  // The workload's error ratio over the window the number comes from, as PromQL a user can paste; a burn
  // rate is that ratio over the budget, the budget left is 1 − the period's burn. Latency objectives are
  // measured on buckets, not on these counters: their numbers cite no query.
  const queryFor = (name: string): string => {
    if (what === 'latency') return '';
    const window = name.includes('remaining') ? 'period' : ((['5m', '30m', '1h', '2h', '6h', '1d', '3d'] as const).find((w) => name.includes(` ${w}`)) ?? '1h');
    const ratio = s.burnQueries[window];
    if (!ratio) return '';
    if (name.includes('burn rate') || name.includes('time to exhaustion')) return `(${ratio}) / ${budget}`;
    if (name.includes('remaining')) return `1 - (${ratio}) / ${budget}`;
    return ratio;
  };
  const add = (name: string, value: number | null, unit: string): void => {
    items.push(evidence(name, queryFor(name), value, unit));
  };
  // The chart: the error ratio (errors ÷ requests per step) for availability, the p99 for latency.
  const t = s.facts.timeline;
  const chart: Timeline | null =
    what === 'availability'
      ? t.errorRatio.length > 0 ? { points: t.errorRatio, step: t.step, query: t.queries.rps } : null
      : t.p99.length > 0 ? { points: t.p99, step: t.step, query: t.queries.p99 } : null;
  if (chart) items.push(evidence(what === 'availability' ? 'error ratio over time (5xx ÷ requests)' : 'p99 over time', chart.query, lastOf(chart), what === 'availability' ? 'ratio' : 's', chart));

  const history = s.report.notes?.find((n) => n.startsWith('history covers')) ?? null;
  const historyNote = history ? ` (${history}.)` : '';
  const lowTraffic = s.report.lowTraffic ? ` Low traffic (${(s.report.rps ?? 0).toFixed(3)} requests/s over the window): the ratios rest on few requests.` : '';
  if (slo.alert === 'none') {
    const left = slo.errorBudgetRemaining;
    if (left === null || left > 0) return null;
    add(`${what} error budget remaining over ${span(slo.period ?? null)}`, left, 'ratio');
    add(`${what} burn rate over 1h`, slo.burnRates['1h'], '×');
    add(`${what} burn rate over 3d`, slo.burnRates['3d'], '×');
    return {
      severity: 'info',
      summary:
        `${label} has spent its ${objective} budget: ${percent(1 - left)} of it over the period (bad ratio ${share((1 - left) * budget)} against ${share(budget)} allowed), ` +
        `though nothing burns fast enough to alert now (1h ${burn(slo.burnRates['1h'])}, 3d ${burn(slo.burnRates['3d'])}).${lowTraffic}${historyNote}`,
      evidence: items,
      remediation:
        'The objective is already missed for this period. Follow the error-budget policy: favour reliability work over risky releases until the budget recovers, ' +
        'and look at when the budget went (the error-ratio chart) for the cause. If the objective is stricter than users need, revisit it rather than ignore it.',
    };
  }

  const pair = BURN_PAIRS.find((p) => p.alert === slo.alert && (slo.burnRates[p.long] ?? 0) >= p.factor && (slo.burnRates[p.short] ?? 0) >= p.factor);
  let severity: Severity = slo.alert === 'page' ? 'critical' : 'warning';
  let tripped: string;
  let few = '';
  if (pair) {
    const long = slo.burnRates[pair.long];
    const short = slo.burnRates[pair.short];
    const total = counts[pair.long]?.total ?? null;
    const failed = what === 'availability' ? (counts[pair.long]?.bad ?? null) : long !== null && total !== null ? long * budget * total : null;
    const requests = total !== null && failed !== null ? ` — ${Math.round(failed).toLocaleString('en-US')} of ${Math.round(total).toLocaleString('en-US')} requests ${bad} over ${pair.long}` : '';
    tripped =
      `burn ${burn(long)} over ${pair.long} and ${burn(short)} over ${pair.short} (${slo.alert} at ≥ ${pair.factor}×): ` +
      `${share(long === null ? null : long * budget)} of requests ${bad} over ${pair.long} and ${share(short === null ? null : short * budget)} over ${pair.short}, against ${share(budget)} allowed${requests}.`;
    // SRE workbook, low-traffic services: when a single bad request is enough to trip the pair, the
    // alert cannot tell an incident from one unlucky request.
    if (total !== null && total < 1 / (pair.factor * budget)) {
      severity = LOWER[severity];
      few = ` Only ${Math.round(total)} requests over ${pair.long}: a single bad one trips this pair, so the rates rest on few requests.`;
    }
    add(`${what} burn rate over ${pair.long}`, long, '×');
    add(`${what} burn rate over ${pair.short}`, short, '×');
    add(`${what} bad ratio over ${pair.long}`, long === null ? null : long * budget, 'ratio');
  } else {
    tripped = `burn rates ${BURN_PAIRS.map((p) => `${p.long} ${burn(slo.burnRates[p.long])} / ${p.short} ${burn(slo.burnRates[p.short])}`).join(', ')}.`;
  }
  if (!few) few = lowTraffic;
  add(`${what} error budget remaining`, slo.errorBudgetRemaining, 'ratio');
  add(`${what} time to exhaustion at the 1h burn`, slo.timeToExhaustion ?? null, 's');
  return {
    severity,
    summary: `${label} ${slo.alert === 'page' ? 'pages' : 'opens a ticket'} on its ${objective}: ${tripped} ${budgetLine(slo)}${few}${historyNote}`,
    evidence: items,
    remediation:
      slo.alert === 'page'
        ? 'Act now: find what changed — a deploy, a dependency, a route or status that dominates the errors — and roll back or fail over; ' +
          "Headroom's other findings on this workload may name the cause. At this burn the budget is gone in the time shown."
        : 'Not urgent, but the budget will not last the period at this pace: find the slow burn (a route, a dependency, a batch window) in the error-ratio chart and fix it this week.',
  };
}

export const sloBurn: RuleModule = {
  meta: {
    id: 'slo-burn',
    title: 'Error budget burning',
    defaultSeverity: 'critical',
    category: 'reliability',
    requires: ['red'],
    description: 'A service burns its error budget fast enough for the multi-window, multi-burn-rate alert to page or open a ticket, or has already spent it.',
    docs: 'docs/rules/slo-burn.md',
  },
  evaluate(context: AnalysisContext): RuleResult {
    const out: { findings: RuleFinding[]; notEvaluated: RuleNotEvaluated[] } = { findings: [], notEvaluated: [] };
    for (const s of context.services) {
      const target = { namespace: s.report.namespace, kind: s.report.kind, name: s.report.name };
      const verdicts: Verdict[] = [];
      if (s.facts.errors === null) {
        if (!s.latencySlo) {
          out.notEvaluated.push({ target, missing: [`error ratio of ${s.report.namespace}/${s.report.name}: its ${s.report.instrumentation ?? 'HTTP'} series carry no status label, and it has no latency objective`] });
        }
      } else {
        const v = verdict(s, s.report.slo, 'availability');
        if (v) verdicts.push(v);
      }
      if (s.latencySlo) {
        const v = verdict(s, s.latencySlo.status, 'latency');
        if (v) verdicts.push(v);
      }
      if (verdicts.length === 0) continue;
      verdicts.sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity]);
      out.findings.push({
        severity: (verdicts[0] as Verdict).severity,
        target,
        summary: verdicts.map((v) => v.summary).join(' '),
        evidence: verdicts.flatMap((v) => v.evidence),
        remediation: [...new Set(verdicts.map((v) => v.remediation))].join(' '),
        symptomatic: true,
      });
    }
    return out;
  },
};
