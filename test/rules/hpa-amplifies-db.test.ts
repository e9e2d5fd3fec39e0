import { describe, expect, it } from 'vitest';
import type { AnalysisContext, HpaFacts, PoolFacts } from '../../core/analysis/context';
import { runRules } from '../../core/analysis/engine';
import { hpaAmplifiesDb } from '../../rules/hpa-amplifies-db';
import { context, fleet, hpa, pool, timeline, workload } from './fixtures';

/**
 * The injected shape (HPA checkout/order up to 12 replicas × a HikariCP pool of 10 against PostgreSQL's
 * 100 − 3 usable connections) against HPAs whose workloads have no database pool (storefront/frontend),
 * ceilings that fit, and the cases where the database behind the pool is ambiguous or unknown.
 */
const orderHpa = (over: Partial<HpaFacts> = {}): HpaFacts => hpa({ namespace: 'checkout', name: 'order', minReplicas: 3, maxReplicas: 12, ...over });

function hikari(size: number | null = 10, namespace = 'checkout', name = 'order'): PoolFacts {
  return pool({ kind: 'hikaricp', workload: name, owner: { namespace, workload: name, workloadType: 'Deployment' }, size });
}

/** A PostgreSQL server with `used` connections in use all week (out of `usable`). */
function postgres(namespace = 'data', name = 'postgres', usable = 97, used: number | null = null): PoolFacts {
  return pool({
    kind: 'postgres',
    workload: name,
    name: `${name}:5432`,
    owner: { namespace, workload: name, workloadType: 'StatefulSet' },
    size: usable,
    timeline: { utilization: used === null ? null : timeline(() => used / usable, { query: 'pg_utilization_query' }), waiting: null, timeouts: null, wait: null },
  });
}

/** order runs three pods all week. */
const orderPods = workload({ namespace: 'checkout', name: 'order', timeline: { replicas: timeline(() => 3, { query: 'replicas_query' }) } });

interface Case {
  name: string;
  ctx: AnalysisContext;
  severity: 'warning' | 'info' | null;
  summary?: RegExp[];
  notEvaluated?: RegExp;
}

const cases: Case[] = [
  {
    name: '12 replicas × 10 connections > 97 usable on the only PostgreSQL (checkout/order)',
    ctx: context({ hpas: [orderHpa()], pools: [hikari(), postgres()] }),
    severity: 'warning',
    summary: [/At maxReplicas 12, checkout\/order's pods would open 12 × 10 = 120 connections \(HikariCP pool HikariPool-1 of 10 per pod\)/, /accepts 97/, /assuming checkout\/order connects straight to data\/postgres, the only PostgreSQL server in the fleet/, /fit up to 9 replicas, or 8 connections per pod/],
  },
  {
    name: 'with what other clients hold (68 in use, 30 of them order\'s three pods): 120 + 38 of 97',
    ctx: context({ hpas: [orderHpa()], pools: [hikari(), postgres('data', 'postgres', 97, 68)], workloads: [orderPods] }),
    severity: 'warning',
    summary: [/other clients typically hold at least 38 more, so 158 of 97/, /fit up to 5 replicas, or 4 connections per pod at 12 replicas/],
  },
  {
    name: 'the ceiling alone fits (8 × 10 = 80) but not with the 38 others hold',
    ctx: context({ hpas: [orderHpa({ maxReplicas: 8 })], pools: [hikari(), postgres('data', 'postgres', 97, 68)], workloads: [orderPods] }),
    severity: 'warning',
    summary: [/8 × 10 = 80/, /so 118 of 97/],
  },
  {
    name: 'replicas from the HPA when the workload has no replica timeline',
    ctx: context({ hpas: [orderHpa({ maxReplicas: 8, timeline: { current: timeline(() => 3), desired: null, cpuUtilization: null } })], pools: [hikari(), postgres('data', 'postgres', 97, 68)] }),
    severity: 'warning',
    summary: [/so 118 of 97/],
  },
  {
    name: 'two servers, one in the same namespace: that one',
    ctx: context({ hpas: [orderHpa()], pools: [hikari(), postgres('checkout', 'orders-db', 97), postgres('data', 'postgres', 500)] }),
    severity: 'warning',
    summary: [/checkout\/orders-db, the only PostgreSQL server in namespace checkout/],
  },
  {
    name: 'two servers elsewhere, both too small: warning, whichever it uses',
    ctx: context({ hpas: [orderHpa()], pools: [hikari(), postgres('db-a', 'pg-a', 97), postgres('db-b', 'pg-b', 50)] }),
    severity: 'warning',
    summary: [/whichever of db-a\/pg-a, db-b\/pg-b it uses/],
  },
  {
    name: 'two servers elsewhere, only one too small: info, assuming',
    ctx: context({ hpas: [orderHpa()], pools: [hikari(), postgres('db-a', 'pg-a', 97), postgres('db-b', 'pg-b', 500)] }),
    severity: 'info',
    summary: [/assuming checkout\/order connects straight to db-a\/pg-a/, /1 other candidate would fit it/],
  },
  {
    name: 'two pools per pod add up',
    ctx: context({ hpas: [orderHpa({ maxReplicas: 6 })], pools: [hikari(10), { ...hikari(8), name: 'HikariPool-2' }, postgres()] }),
    severity: 'warning',
    summary: [/6 × 18 = 108 connections \(2 pools \(HikariPool-1 10 \+ HikariPool-2 8 = 18\)/],
  },
  // Must not fire.
  {
    name: 'frontend control: an HPA whose workload has no connection pool',
    ctx: context({ hpas: [hpa({ namespace: 'storefront', name: 'frontend', minReplicas: 3, maxReplicas: 12 })], pools: [hikari(), postgres()] }),
    severity: null,
  },
  {
    name: 'a ceiling that fits with what others hold (4 × 10 + 38 ≤ 97)',
    ctx: context({ hpas: [orderHpa({ maxReplicas: 4 })], pools: [hikari(), postgres('data', 'postgres', 97, 68)], workloads: [orderPods] }),
    severity: null,
  },
  {
    name: 'exactly full is not over (9 × 10 + 7 = 97)',
    ctx: context({ hpas: [orderHpa({ maxReplicas: 9 })], pools: [hikari(), postgres('data', 'postgres', 97, 37)], workloads: [orderPods] }),
    severity: null,
  },
  {
    name: 'a pool of another workload in the namespace does not count',
    ctx: context({ hpas: [orderHpa()], pools: [hikari(10, 'checkout', 'payment'), postgres()] }),
    severity: null,
  },
  // Not evaluated.
  {
    name: 'database/sql without a bound (max_open 0)',
    ctx: context({ hpas: [orderHpa()], pools: [pool({ kind: 'go-sql', workload: 'order', name: 'orders', owner: { namespace: 'checkout', workload: 'order', workloadType: 'Deployment' }, size: 0 }), postgres()] }),
    severity: null,
    notEvaluated: /max_open_connections 0 \(unlimited\)/,
  },
  {
    name: 'no PostgreSQL server in the fleet',
    ctx: context({ hpas: [orderHpa()], pools: [hikari()] }),
    severity: null,
    notEvaluated: /no PostgreSQL max_connections/,
  },
  {
    name: 'pool size unknown',
    ctx: context({ hpas: [orderHpa()], pools: [hikari(null), postgres()] }),
    severity: null,
    notEvaluated: /the size of pool HikariPool-1 of checkout\/order/,
  },
  {
    name: 'maxReplicas unknown',
    ctx: context({ hpas: [{ ...orderHpa(), maxReplicas: null }], pools: [hikari(), postgres()] }),
    severity: null,
    notEvaluated: /maxReplicas of HPA checkout\/order/,
  },
  {
    name: 'no HPA series and no Kubernetes objects',
    ctx: context({ pools: [hikari(), postgres()], missingFeatures: ['hpa'] }),
    severity: null,
    notEvaluated: /kube_horizontalpodautoscaler_\* \(kube-state-metrics\) is missing/,
  },
];

describe('hpa-amplifies-db', () => {
  it.each(cases)('$name', ({ ctx, severity, summary, notEvaluated }) => {
    const result = runRules(ctx, [hpaAmplifiesDb]);
    if (severity === null) expect(result.findings).toEqual([]);
    else {
      expect(result.findings).toHaveLength(1);
      const f = result.findings[0];
      expect(f?.severity).toBe(severity);
      expect(f?.target).toEqual({ namespace: 'checkout', kind: 'HorizontalPodAutoscaler', name: 'order' });
      for (const re of summary ?? []) expect(f?.summary).toMatch(re);
      expect(f?.evidence.length).toBeGreaterThanOrEqual(3);
      for (const e of f?.evidence ?? []) expect(e.query.length).toBeGreaterThan(0);
      expect(f?.evidence.map((e) => e.query)).toEqual(expect.arrayContaining(['pool_size_query', expect.stringContaining('kube_horizontalpodautoscaler_spec_max_replicas{namespace="checkout", horizontalpodautoscaler="order"}')]));
    }
    if (notEvaluated) expect(result.notEvaluated.map((n) => n.missing.join(' '))).toContainEqual(expect.stringMatching(notEvaluated));
    else expect(result.notEvaluated).toEqual([]);
  });

  it('reads HPAs from the Kubernetes objects when kube-state-metrics has none', () => {
    const result = runRules(context({ hpas: [orderHpa()], pools: [hikari(), postgres()], missingFeatures: ['hpa'], fleet: fleet({}) }), [hpaAmplifiesDb]);
    expect(result.findings).toHaveLength(1);
  });

  it('is not evaluated without connection-pool metrics', () => {
    const result = runRules(context({ hpas: [orderHpa()], missingFeatures: ['connection-pools'] }), [hpaAmplifiesDb]);
    expect(result.notEvaluated).toEqual([{ rule: 'hpa-amplifies-db', target: null, missing: ['connection-pools metrics are missing'] }]);
  });
});
