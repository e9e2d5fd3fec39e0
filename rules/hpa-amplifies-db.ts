import type { AnalysisContext, HpaFacts, PoolFacts, Timeline } from '../core/analysis/context';
import type { RuleFinding, RuleModule, RuleNotEvaluated, RuleResult } from '../core/analysis/rule';
import { aligned, evidence, hpaTarget, maxOf, quantile, workloadOf } from './lib/signals';

/**
 * An autoscaler whose ceiling the database cannot take. Every replica brings its own connection
 * pool, so scaling out multiplies connections: at `maxReplicas` the pods together may ask PostgreSQL
 * for more than it accepts, and the moment the HPA reacts to load is the moment new pods fail to
 * connect ("too many clients") — scale-out turns a slowdown into an outage. Which database a pool
 * talks to is not in the metrics, so the rule says which one it assumed and why.
 */

const CLIENT_KINDS: ReadonlySet<PoolFacts['kind']> = new Set(['hikaricp', 'go-sql']);

const KIND_TITLE: Record<string, string> = { hikaricp: 'HikariCP', 'go-sql': 'database/sql' };

interface Candidate {
  db: PoolFacts;
  /** Why this database: said in the summary. */
  because: string;
}

/**
 * Heuristic for the database behind the pools (metrics do not say): the only PostgreSQL server in the
 * fleet; else the only one in the workload's namespace; else every candidate, compared one by one.
 */
function candidates(context: AnalysisContext, namespace: string): { chosen: Candidate[]; ambiguous: boolean } {
  const servers = context.pools.filter((p) => p.kind === 'postgres' && p.size.value !== null && p.size.value > 0);
  if (servers.length === 1) return { chosen: [{ db: servers[0] as PoolFacts, because: 'the only PostgreSQL server in the fleet' }], ambiguous: false };
  const local = servers.filter((s) => s.owner.namespace === namespace);
  if (local.length === 1) return { chosen: [{ db: local[0] as PoolFacts, because: `the only PostgreSQL server in namespace ${namespace}` }], ambiguous: false };
  const pool = local.length > 1 ? local : servers;
  return { chosen: pool.map((db) => ({ db, because: 'one of several PostgreSQL servers; the metrics do not say which one it uses' })), ambiguous: true };
}

/**
 * Connections other clients hold, at least: the server's connections minus all this workload's pods
 * could hold (replicas × pool size) at each step, then the median. A lower bound, since a pod holds at
 * most its pool; the median, since the HPA peaks when it peaks, not when the others do.
 */
function othersHold(db: PoolFacts, usable: number, replicas: Timeline | null, perPod: number): { typical: number; query: string } | null {
  const util = db.timeline.utilization;
  const pairs = aligned(util, replicas);
  if (!util || pairs.length === 0) return null;
  const others = pairs.map((p) => Math.max(0, p.a * usable - p.b * perPod)).sort((a, b) => a - b);
  const typical = quantile(others, 0.5);
  return typical === null ? null : { typical: Math.floor(typical), query: util.query };
}

function maxReplicasQuery(h: HpaFacts): string {
  // kube-state-metrics v2; HpaFacts carries no query for its bounds.
  return `kube_horizontalpodautoscaler_spec_max_replicas{namespace="${h.namespace}", horizontalpodautoscaler="${h.name}"}`;
}

interface Verdict {
  candidate: Candidate;
  usable: number;
  others: { typical: number; query: string } | null;
  demand: number;
  total: number;
  overflows: boolean;
}

function judge(c: Candidate, demand: number, replicas: Timeline | null, perPod: number): Verdict {
  const usable = c.db.size.value as number;
  const others = othersHold(c.db, usable, replicas, perPod);
  const total = demand + (others?.typical ?? 0);
  return { candidate: c, usable, others, demand, total, overflows: total > usable };
}

function evaluateHpa(context: AnalysisContext, h: HpaFacts, out: RuleResult): void {
  const target = hpaTarget(h);
  if (!h.target) {
    out.notEvaluated.push({ target, missing: [`the scale target of HPA ${h.namespace}/${h.name} (kube_horizontalpodautoscaler_info or the HPA object)`] });
    return;
  }
  const scaled = h.target;
  const pools = context.pools.filter((p) => CLIENT_KINDS.has(p.kind) && p.owner.namespace === h.namespace && p.owner.workload === scaled.name && p.owner.workloadType === scaled.kind);
  // No client pool metrics: nothing says this workload talks to a database at all.
  if (pools.length === 0) return;
  const label = `${h.namespace}/${scaled.name}`;
  if (h.maxReplicas === null) {
    out.notEvaluated.push({ target, missing: [`maxReplicas of HPA ${h.namespace}/${h.name}`] });
    return;
  }
  const unlimited = pools.filter((p) => p.kind === 'go-sql' && p.size.value === 0);
  if (unlimited.length > 0) {
    out.notEvaluated.push({ target, missing: [`a bound on ${label}'s connections: database/sql pool ${unlimited.map((p) => p.name).join(', ')} has max_open_connections 0 (unlimited) — set SetMaxOpenConns so the total at maxReplicas can be checked`] });
    return;
  }
  const unknown = pools.filter((p) => p.size.value === null || p.size.value <= 0);
  if (unknown.length > 0) {
    out.notEvaluated.push({ target, missing: [`the size of pool ${unknown.map((p) => p.name).join(', ')} of ${label}`] });
    return;
  }
  const { chosen, ambiguous } = candidates(context, h.namespace);
  if (chosen.length === 0) {
    out.notEvaluated.push({
      target,
      missing: [`what the database accepts: no PostgreSQL max_connections (postgres_exporter pg_settings_max_connections) in the fleet, and pgbouncer's max_client_conn is not collected`],
    });
    return;
  }

  const perPod = pools.reduce((sum, p) => sum + (p.size.value as number), 0);
  const maxReplicas = h.maxReplicas;
  const demand = maxReplicas * perPod;
  const replicas = workloadOf(context, h.namespace, scaled.name)?.timeline.replicas ?? h.timeline.current;
  const verdicts = chosen.map((c) => judge(c, demand, replicas, perPod));
  const over = verdicts.filter((v) => v.overflows);
  if (over.length === 0) return;
  // Several candidates: warn only when every one of them overflows; otherwise it hinges on an assumption.
  const severity: RuleFinding['severity'] = ambiguous && over.length < verdicts.length ? 'info' : 'warning';
  const v = [...over].sort((a, b) => b.total / b.usable - a.total / a.usable)[0] as Verdict;
  const db = v.candidate.db;
  const dbLabel = `${db.owner.namespace}/${db.owner.workload}`;

  const poolWords = pools.length === 1
    ? `${KIND_TITLE[(pools[0] as PoolFacts).kind]} pool ${(pools[0] as PoolFacts).name} of ${perPod}`
    : `${pools.length} pools (${pools.map((p) => `${p.name} ${p.size.value}`).join(' + ')} = ${perPod})`;
  const assumption = ambiguous
    ? over.length === verdicts.length
      ? `whichever of ${verdicts.map((x) => `${x.candidate.db.owner.namespace}/${x.candidate.db.owner.workload}`).join(', ')} it uses (${v.candidate.because})`
      : `assuming ${label} connects straight to ${dbLabel} (${v.candidate.because}; ${verdicts.length - over.length} other candidate${verdicts.length - over.length === 1 ? '' : 's'} would fit it)`
    : `assuming ${label} connects straight to ${dbLabel}, ${v.candidate.because}${pools.length > 1 ? ', with all its pools' : ''}`;
  const room = v.usable - (v.others?.typical ?? 0);
  const safeReplicas = Math.floor(room / perPod);
  const safePool = Math.floor(room / maxReplicas);
  const parts = [
    `At maxReplicas ${maxReplicas}, ${label}'s pods would open ${maxReplicas} × ${perPod} = ${demand} connections (${poolWords} per pod)`,
    `PostgreSQL ${db.name} (${dbLabel}) accepts ${v.usable} (max_connections − superuser_reserved_connections) — ${assumption}`,
  ];
  if (v.others) parts.push(`other clients typically hold at least ${v.others.typical} more, so ${v.total} of ${v.usable}`);
  parts.push(
    room > 0
      ? `the pools fit up to ${safeReplicas} replica${safeReplicas === 1 ? '' : 's'}, or ${safePool} connection${safePool === 1 ? '' : 's'} per pod at ${maxReplicas} replicas`
      : 'other clients already leave no room',
  );
  if (h.minReplicas !== null && h.minReplicas * perPod + (v.others?.typical ?? 0) > v.usable) parts.push(`even minReplicas ${h.minReplicas} does not fit`);

  const ev = [
    evidence(`maxReplicas of HPA ${h.name}`, maxReplicasQuery(h), maxReplicas, 'replicas', h.timeline.current),
    ...pools.map((p) => evidence(`${KIND_TITLE[p.kind]} pool ${p.name}: connections per pod`, p.size.query, p.size.value, 'connections')),
    evidence(`PostgreSQL ${db.name}: usable connections`, db.size.query, v.usable, 'connections'),
  ];
  if (db.timeline.utilization) ev.push(evidence(`PostgreSQL ${db.name}: connections in use ÷ usable (peak)`, db.timeline.utilization.query, maxOf(db.timeline.utilization), 'ratio', db.timeline.utilization));

  const fix = room > 0
    ? `Cap the total: maxReplicas ${safeReplicas} at today's pool size, or a pool of ${safePool} per pod at maxReplicas ${maxReplicas} (size the pool by the database, not by the thread count)`
    : 'Free connections on the server first';
  out.findings.push({
    severity,
    target,
    summary: `${parts.join('; ')}.`,
    evidence: ev,
    remediation:
      `${fix}; or put a transaction-mode pooler (pgbouncer) between ${label} and PostgreSQL so pods share a few server connections. ` +
      'Raising max_connections costs memory per backend and only moves the limit. Check the answer again whenever maxReplicas or a pool size changes.',
  });
}

export const hpaAmplifiesDb: RuleModule = {
  meta: {
    id: 'hpa-amplifies-db',
    title: 'Autoscaling would exhaust the database',
    defaultSeverity: 'warning',
    category: 'autoscaling',
    requires: ['connection-pools'],
    description: 'At maxReplicas, the connection pools of an autoscaled workload together exceed the connections its PostgreSQL server accepts.',
    docs: 'docs/rules/hpa-amplifies-db.md',
  },
  evaluate(context: AnalysisContext): RuleResult {
    const out: { findings: RuleFinding[]; notEvaluated: RuleNotEvaluated[] } = { findings: [], notEvaluated: [] };
    if (context.hpas.length === 0 && context.missing.has('hpa') && !context.fleet) {
      out.notEvaluated.push({ target: null, missing: ['HorizontalPodAutoscalers: kube_horizontalpodautoscaler_* (kube-state-metrics) is missing and no cluster or manifest folder is connected'] });
      return out;
    }
    for (const h of context.hpas) evaluateHpa(context, h, out);
    return out;
  },
};
