import { describe, expect, it } from 'vitest';
import type { AnalysisContext } from '../../core/analysis/context';
import { runRules } from '../../core/analysis/engine';
import type { FleetSnapshot, HpaInfo, PdbInfo, Workload } from '../../core/kubernetes/model';
import { missingPdb } from '../../rules/missing-pdb';
import { context, fleet } from './fixtures';

/**
 * Multi-replica workloads with no PDB that really selects their pods (shipping: none; inventory: a
 * PDB on `tier=backend` while the pods are `tier=api`), against the complaints about PDB checks:
 * Polaris' one-shared-label OR bug (#999), StatefulSets left out (#1029), kube-score's HPA with
 * unset replicas (#536), single replicas (#376); and PDBs that could not be read.
 */
const labels = (name: string, tier: string): Record<string, string> => ({ app: name, 'app.kubernetes.io/name': name, tier });

const shipping: Partial<Workload> = { namespace: 'fulfilment', name: 'shipping', replicas: 3, podTemplateLabels: labels('shipping', 'worker'), selector: { matchLabels: { app: 'shipping' } } };
const inventory: Partial<Workload> = { namespace: 'storefront', name: 'inventory', replicas: 2, podTemplateLabels: labels('inventory', 'api'), selector: { matchLabels: { app: 'inventory' } }, hpas: ['inventory'] };
const frontend: Partial<Workload> = { namespace: 'storefront', name: 'frontend', replicas: 3, podTemplateLabels: labels('frontend', 'web'), pdbs: ['frontend'] };

const pdb = (namespace: string, name: string, matchLabels: Record<string, string>): PdbInfo => ({
  namespace,
  name,
  uid: null,
  selector: { matchLabels },
  minAvailable: { type: 'count', value: 1 },
  maxUnavailable: null,
  disruptionsAllowed: null,
  currentHealthy: null,
  desiredHealthy: null,
  expectedPods: null,
  origin: null,
});

const hpaOf = (namespace: string, name: string, minReplicas: number): HpaInfo => ({
  namespace,
  name,
  uid: null,
  target: { kind: 'Deployment', name, apiVersion: 'apps/v1' },
  minReplicas,
  maxReplicas: 4,
  metrics: [{ type: 'Resource', resource: 'cpu', target: { type: 'Utilization', averageUtilization: 0.6 } }],
  behavior: { scaleUp: null, scaleDown: null },
  currentReplicas: null,
  desiredReplicas: null,
  apiVersion: 'autoscaling/v2',
  origin: null,
});

const withUnreadable = (f: FleetSnapshot, unreadable: FleetSnapshot['unreadable']): FleetSnapshot => ({ ...f, unreadable });

interface Case {
  name: string;
  ctx: AnalysisContext;
  expected: Array<{ name: string; kind?: string; severity: 'warning' | 'info' }>;
  summary?: RegExp;
  notEvaluated?: RegExp;
}

const cases: Case[] = [
  { name: 'shipping: three replicas, no PDB at all', ctx: context({ fleet: fleet({ workloads: [shipping] }) }), expected: [{ name: 'shipping', severity: 'warning' }], summary: /Deployment fulfilment\/shipping runs 3 replicas and no PodDisruptionBudget selects its pods/ },
  {
    name: 'inventory: HPA min 2, its PDB selects tier=backend but the pods are tier=api',
    ctx: context({ fleet: fleet({ workloads: [inventory, frontend], hpas: [hpaOf('storefront', 'inventory', 2)], pdbs: [pdb('storefront', 'inventory', { app: 'inventory', tier: 'backend' }), pdb('storefront', 'frontend', { app: 'frontend' })] }) }),
    expected: [{ name: 'inventory', severity: 'warning' }],
    summary: /runs at least 2 replicas \(HPA inventory minReplicas\).*PDB storefront\/inventory looks meant for it but selects none of the namespace's workloads: it wants tier=backend \(pods: tier=api\) — a selector typo\./,
  },
  {
    name: 'one shared label is not cover (Polaris #999): fires, and names the stray PDB',
    ctx: context({ fleet: fleet({ workloads: [{ ...shipping, podTemplateLabels: { app: 'shipping', team: 'logistics' } }], pdbs: [pdb('fulfilment', 'logistics', { team: 'logistics', app: 'billing' })] }) }),
    expected: [{ name: 'shipping', severity: 'warning' }],
    summary: /PDB fulfilment\/logistics looks meant for it .*app=billing \(pods: app=shipping\)/,
  },
  {
    name: 'an unrelated PDB that selects nothing is mentioned as such',
    ctx: context({ fleet: fleet({ workloads: [shipping], pdbs: [pdb('fulfilment', 'old-billing', { app: 'billing' })] }) }),
    expected: [{ name: 'shipping', severity: 'warning' }],
    summary: /The namespace's PDB old-billing \(app=billing\) selects no workload/,
  },
  { name: 'StatefulSet with three replicas (Polaris #1029)', ctx: context({ fleet: fleet({ workloads: [{ ...shipping, kind: 'StatefulSet', name: 'kafka' }] }) }), expected: [{ name: 'kafka', kind: 'StatefulSet', severity: 'warning' }] },
  {
    name: 'replicas unset (defaulted to 1) but an HPA keeps three (kube-score #536)',
    ctx: context({ fleet: fleet({ workloads: [{ ...shipping, replicas: 1 }], hpas: [hpaOf('fulfilment', 'shipping', 3)] }) }),
    expected: [{ name: 'shipping', severity: 'warning' }],
  },
  {
    name: 'three replicas in the spec, but an HPA may take it to one: info',
    ctx: context({ fleet: fleet({ workloads: [shipping], hpas: [hpaOf('fulfilment', 'shipping', 1)] }) }),
    expected: [{ name: 'shipping', severity: 'info' }],
    summary: /3 replicas in its spec, but HPA shipping may take it down to 1/,
  },
  // Must not fire.
  { name: 'covered by a PDB whose selector matches (frontend, pgbouncer)', ctx: context({ fleet: fleet({ workloads: [frontend], pdbs: [pdb('storefront', 'frontend', { app: 'frontend' })] }) }), expected: [] },
  { name: 'a single replica (a PDB would only block drains, kube-score #376)', ctx: context({ fleet: fleet({ workloads: [{ ...shipping, replicas: 1 }] }) }), expected: [] },
  { name: 'single replica with an HPA whose minimum is 1', ctx: context({ fleet: fleet({ workloads: [{ ...shipping, replicas: 1 }], hpas: [hpaOf('fulfilment', 'shipping', 1)] }) }), expected: [] },
  { name: 'a DaemonSet (one pod per node; drains handle it)', ctx: context({ fleet: fleet({ workloads: [{ ...shipping, kind: 'DaemonSet', name: 'node-exporter', replicas: null }] }) }), expected: [] },
  // Not evaluated.
  {
    name: 'PodDisruptionBudgets could not be read: never claims one is missing',
    ctx: context({ fleet: withUnreadable(fleet({ workloads: [shipping] }), ['poddisruptionbudgets']) }),
    expected: [],
    notEvaluated: /PodDisruptionBudgets could not be read from test/,
  },
  {
    name: 'HPAs could not be read: judged by spec.replicas, and says so',
    ctx: context({ fleet: withUnreadable(fleet({ workloads: [shipping] }), ['horizontalpodautoscalers']) }),
    expected: [{ name: 'shipping', severity: 'warning' }],
    notEvaluated: /HorizontalPodAutoscalers could not be read/,
  },
  { name: 'no Kubernetes objects at all', ctx: context({}), expected: [], notEvaluated: /connect a cluster/ },
];

describe('missing-pdb', () => {
  it.each(cases)('$name', ({ ctx, expected, summary, notEvaluated }) => {
    const result = runRules(ctx, [missingPdb]);
    expect(result.findings.map((f) => ({ name: f.target.name, kind: f.target.kind, severity: f.severity }))).toEqual(
      expected.map((e) => ({ name: e.name, kind: e.kind ?? 'Deployment', severity: e.severity })),
    );
    if (summary) expect(result.findings[0]?.summary).toMatch(summary);
    if (notEvaluated) expect(result.notEvaluated.map((n) => n.missing.join(' ')).join('\n')).toMatch(notEvaluated);
  });

  it('shows its evidence as kube-state-metrics queries and links a pdb recommendation', () => {
    const ctx = context({ fleet: fleet({ workloads: [inventory], hpas: [hpaOf('storefront', 'inventory', 2)], pdbs: [pdb('storefront', 'inventory', { app: 'inventory', tier: 'backend' })] }) });
    const f = missingPdb.evaluate(ctx).findings[0];
    expect(f?.evidence.map((e) => [e.query, e.value])).toEqual([
      ['kube_deployment_spec_replicas{namespace="storefront", deployment="inventory"}', 2],
      ['kube_horizontalpodautoscaler_spec_min_replicas{namespace="storefront", horizontalpodautoscaler="inventory"}', 2],
      ['count(kube_poddisruptionbudget_status_expected_pods{namespace="storefront"})', 1],
      ['kube_poddisruptionbudget_status_expected_pods{namespace="storefront", poddisruptionbudget="inventory"}', 0],
    ]);
    expect(f?.remediation).toMatch(/^Fix the selector of PDB inventory to match the pods, or replace it with a PodDisruptionBudget with maxUnavailable: 1/);
    expect(f?.remediation).toMatch(/keep minAvailable below its minReplicas \(2\)/);
    expect(f?.recommendation).toEqual({ kind: 'pdb', target: { namespace: 'storefront', kind: 'Deployment', name: 'inventory' } });
  });
});
