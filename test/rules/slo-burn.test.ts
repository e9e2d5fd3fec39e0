import { describe, expect, it } from 'vitest';
import type { AnalysisContext } from '../../core/analysis/context';
import type { EventCounts } from '../../core/analysis/slo';
import type { ServiceAnalysis } from '../../core/analysis/services';
import type { BurnWindowId, SloStatus } from '../../core/api/report';
import { runRules } from '../../core/analysis/engine';
import { sloBurn } from '../../rules/slo-burn';
import { context, POINTS, service, timeline } from './fixtures';

/**
 * Core's multi-window alert turned into findings: payment pages (9 % of requests failing for the last
 * 80 minutes), the slower pairs, latency objectives, and a budget spent with no alert; against the
 * healthy controls (frontend, catalog's tiny error rate, low-traffic reporting), and the low-traffic
 * trap of the SRE workbook: one bad request in a quiet hour trips the fast pair.
 */
type Burns = Partial<Record<BurnWindowId, number | null>>;

const withCounts = (s: ServiceAnalysis, windows: Partial<Record<BurnWindowId, EventCounts>>, over: Partial<ServiceAnalysis['report']> = {}): ServiceAnalysis => ({
  ...s,
  facts: { ...s.facts, windows: { '5m': null, '30m': null, '1h': null, '2h': null, '6h': null, '1d': null, '3d': null, ...windows } },
  report: { ...s.report, ...over },
});

const svc = (name: string, slo: Omit<Partial<SloStatus>, 'burnRates'> & { burnRates?: Burns }, windows: Partial<Record<BurnWindowId, EventCounts>> = {}, over: Partial<ServiceAnalysis['report']> = {}): ServiceAnalysis =>
  withCounts(service({ namespace: 'checkout', name, slo: slo as Partial<SloStatus> }), windows, over);

const payment = withCounts(
  service({
    namespace: 'checkout',
    name: 'payment',
    errorRatio: timeline((i) => (i >= POINTS - 8 ? 0.09 : 0.0005)),
    slo: { alert: 'page', errorBudgetRemaining: -0.374, timeToExhaustion: 0, burnRates: { '5m': 90.1, '30m': 90.2, '1h': 90.2, '2h': 64.7, '6h': 32.6, '1d': 9.4, '3d': 3.3 } },
  }),
  { '1h': { total: 192_178, bad: 17_335 }, '5m': { total: 17_374, bad: 1_566 } },
  { notes: ['history covers 8.0 of the 30 days of the SLO period; the budget is computed over what exists'] },
);

interface Case {
  name: string;
  ctx: AnalysisContext;
  severity?: 'critical' | 'warning' | 'info';
  target?: string;
  summary?: RegExp[];
  notEvaluated?: RegExp;
}

const fires: Case[] = [
  {
    name: 'payment pages on 1h/5m: critical',
    ctx: context({ services: [payment] }),
    severity: 'critical',
    target: 'checkout/Deployment/payment',
    summary: [/pages on its 99\.9 % availability SLO/, /burn 90\.2× over 1h and 90\.1× over 5m \(page at ≥ 14\.4×\)/, /9\.02 % of requests failed \(5xx\) over 1h/, /against 0\.1 % allowed/, /17,335 of 192,178 requests/, /137 % spent, exhausted/, /history covers 8\.0 of the 30 days/],
  },
  {
    name: 'a slower page on 6h/30m',
    ctx: context({ services: [svc('cart', { alert: 'page', errorBudgetRemaining: 0.6, timeToExhaustion: 5 * 86400, burnRates: { '5m': 3, '30m': 7, '1h': 5, '6h': 8 } }, { '6h': { total: 600_000, bad: 4_800 } })] }),
    severity: 'critical',
    target: 'checkout/Deployment/cart',
    summary: [/burn 8× over 6h and 7× over 30m \(page at ≥ 6×\)/, /4,800 of 600,000/, /40 % spent, 60 % left, gone in 5 days at the 1h burn/],
  },
  {
    name: 'a ticket on 1d/2h: warning',
    ctx: context({ services: [svc('tax', { alert: 'ticket', errorBudgetRemaining: 0.7, timeToExhaustion: 9 * 86400, burnRates: { '1h': 2.5, '2h': 3.5, '1d': 4 } })] }),
    severity: 'warning',
    target: 'checkout/Deployment/tax',
    summary: [/opens a ticket/, /burn 4× over 1d and 3\.5× over 2h \(ticket at ≥ 3×\)/, /0\.4 % of requests failed/],
  },
  {
    name: 'an objective of 99.95 % keeps its nines',
    ctx: context({ services: [svc('ledger', { objective: 0.9995, alert: 'ticket', errorBudgetRemaining: 0.7, burnRates: { '1d': 4, '2h': 3.5 } })] }),
    severity: 'warning',
    target: 'checkout/Deployment/ledger',
    summary: [/its 99\.95 % availability SLO/, /0\.2 % of requests failed \(5xx\) over 1d/, /against 0\.05 % allowed/],
  },
  {
    name: 'a ticket on 3d/6h: warning',
    ctx: context({ services: [svc('tax', { alert: 'ticket', errorBudgetRemaining: 0.8, burnRates: { '6h': 1.3, '3d': 1.2 } })] }),
    severity: 'warning',
    target: 'checkout/Deployment/tax',
    summary: [/burn 1\.2× over 3d and 1\.3× over 6h \(ticket at ≥ 1×\)/],
  },
  {
    name: 'a page resting on 40 requests (one error trips it): lowered to warning',
    ctx: context({ services: [svc('admin', { alert: 'page', errorBudgetRemaining: 0.9, burnRates: { '5m': 1000, '1h': 25 } }, { '1h': { total: 40, bad: 1 } })] }),
    severity: 'warning',
    target: 'checkout/Deployment/admin',
    summary: [/Only 40 requests over 1h: a single bad one trips this pair/],
  },
  {
    name: 'a page on a low-traffic service with enough requests in the hour: critical, with the caveat',
    ctx: context({ services: [svc('reporting', { alert: 'page', errorBudgetRemaining: 0.5, burnRates: { '5m': 40, '1h': 20 } }, { '1h': { total: 180, bad: 4 } }, { lowTraffic: true, rps: 0.05 })] }),
    severity: 'critical',
    target: 'checkout/Deployment/reporting',
    summary: [/Low traffic \(0\.050 requests\/s/],
  },
  {
    name: 'budget spent over the period, nothing burning now (checkout/order): info',
    ctx: context({ services: [svc('order', { alert: 'none', errorBudgetRemaining: -2.01, burnRates: { '1h': 0, '1d': 1.76, '3d': 1.04 } })] }),
    severity: 'info',
    target: 'checkout/Deployment/order',
    summary: [/has spent its 99\.9 % availability SLO budget: 301 % of it/, /bad ratio 0\.301 % against 0\.1 % allowed/, /1h 0×, 3d 1\.04×/],
  },
  {
    name: 'a latency objective pages while availability is fine',
    ctx: context({ services: [{ ...svc('search', {}), latencySlo: { status: { objective: 0.99, errorBudgetRemaining: 0.2, burnRates: { '5m': 20, '30m': 18, '1h': 16, '2h': 10, '6h': 5, '1d': 2, '3d': 1 }, alert: 'page', timeToExhaustion: 3600 * 3, period: 30 * 86400 }, notes: [] } }] }),
    severity: 'critical',
    target: 'checkout/Deployment/search',
    summary: [/pages on its 99 % latency SLO/, /16 % of requests were slower than the latency threshold over 1h and 20 % over 5m, against 1 % allowed/],
  },
  {
    name: 'an availability ticket and a latency page: one critical finding with both',
    ctx: context({
      services: [
        {
          ...svc('search', { alert: 'ticket', errorBudgetRemaining: 0.7, burnRates: { '1d': 4, '2h': 3.5 } }),
          latencySlo: { status: { objective: 0.99, errorBudgetRemaining: 0.2, burnRates: { '5m': 20, '30m': 18, '1h': 16, '2h': 10, '6h': 5, '1d': 2, '3d': 1 }, alert: 'page', timeToExhaustion: 3600 * 3, period: 30 * 86400 }, notes: [] },
        },
      ],
    }),
    severity: 'critical',
    target: 'checkout/Deployment/search',
    summary: [/latency SLO/, /availability SLO/],
  },
  {
    name: 'the target keeps the workload kind',
    ctx: context({ services: [withCounts(service({ namespace: 'data', name: 'ledger', kind: 'StatefulSet', slo: { alert: 'page', burnRates: { '5m': 20, '30m': 0, '1h': 20, '2h': 0, '6h': 0, '1d': 0, '3d': 0 } } }), {})] }),
    severity: 'critical',
    target: 'data/StatefulSet/ledger',
  },
];

const silent: Case[] = [
  { name: 'frontend: no errors', ctx: context({ services: [service({ namespace: 'storefront', name: 'frontend' })] }) },
  { name: 'catalog: a tiny error rate, 76 % of the budget left', ctx: context({ services: [svc('catalog', { alert: 'none', errorBudgetRemaining: 0.76, timeToExhaustion: 8_203_762, burnRates: { '5m': 0.24, '30m': 0.24, '1h': 0.24, '2h': 0.24, '6h': 0.24, '1d': 0.24, '3d': 0.24 } })] }) },
  { name: 'reporting: low traffic, no errors', ctx: context({ services: [svc('reporting', { alert: 'none', errorBudgetRemaining: 1 }, {}, { lowTraffic: true, rps: 0.025 })] }) },
  { name: 'no traffic in the period: budget unknown', ctx: context({ services: [svc('idle', { alert: 'none', errorBudgetRemaining: null, burnRates: { '5m': null, '30m': null, '1h': null, '2h': null, '6h': null, '1d': null, '3d': null } })] }) },
  { name: 'high short burn alone (5m) does not page', ctx: context({ services: [svc('blip', { alert: 'none', errorBudgetRemaining: 0.95, burnRates: { '5m': 50, '1h': 3 } })] }) },
];

const notEvaluated: Case[] = [
  { name: 'no status label and no latency objective', ctx: context({ services: [{ ...payment, facts: { ...payment.facts, errors: null } }] }), notEvaluated: /checkout\/payment: its promhttp series carry no status label/ },
  { name: 'no HTTP metrics at all', ctx: context({ missingFeatures: ['red'] }), notEvaluated: /red metrics are missing/ },
];

const key = (t: { namespace: string; kind: string; name: string }): string => `${t.namespace}/${t.kind}/${t.name}`;

describe('slo-burn', () => {
  it.each(fires)('fires: $name', ({ ctx, severity, target, summary }) => {
    const { findings } = runRules(ctx, [sloBurn]);
    expect(findings.map((f) => key(f.target))).toEqual([target]);
    const f = findings[0];
    expect(f?.severity).toBe(severity);
    for (const re of summary ?? []) expect(f?.summary).toMatch(re);
    expect(f?.evidence.length).toBeGreaterThanOrEqual(2);
    expect(f?.remediation.length).toBeGreaterThan(40);
  });

  it('charts the error ratio with the range query behind it', () => {
    const { findings } = runRules(context({ services: [payment] }), [sloBurn]);
    const chart = findings[0]?.evidence.find((e) => e.series);
    expect(chart?.query).toBe('rps_query');
    expect(chart?.value).toBe(0.09);
    expect(chart?.series?.query).toBe('rps_query');
  });

  it.each(silent)('stays silent: $name', ({ ctx }) => {
    const { findings, notEvaluated: missing } = runRules(ctx, [sloBurn]);
    expect(findings).toEqual([]);
    expect(missing).toEqual([]);
  });

  it.each(notEvaluated)('not evaluated: $name', ({ ctx, notEvaluated: re }) => {
    const { findings, notEvaluated: missing } = runRules(ctx, [sloBurn]);
    expect(findings).toEqual([]);
    expect(missing.flatMap((n) => n.missing).join('\n')).toMatch(re as RegExp);
  });
});
