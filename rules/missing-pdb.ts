import type { AnalysisContext } from '../core/analysis/context';
import type { RuleFinding, RuleModule, RuleNotEvaluated, RuleResult } from '../core/analysis/rule';
import type { Evidence } from '../core/api/report';
import type { FleetSnapshot, HpaInfo, PdbInfo, Workload } from '../core/kubernetes/model';
import type { LabelSelector, Labels } from '../core/kubernetes/selectors';
import { evidence } from './lib/signals';

/**
 * Without a PodDisruptionBudget, a node drain (cluster autoscaler scale-down, Karpenter consolidation,
 * a node-pool upgrade) evicts every pod of a workload it finds, at once, with no regard for how
 * many replicas remain. Which PDB covers which workload is resolved in the fleet snapshot by full
 * selector semantics (matchLabels AND matchExpressions), so one shared label — Polaris' OR bug
 * (#999) — never counts as cover.
 */

interface Floor {
  /** The fewest replicas it runs: the HPA's minReplicas when an HPA drives it, else spec.replicas. */
  replicas: number;
  hpa: HpaInfo | null;
  /** spec.replicas ≥ 2 but an HPA may take it down to one pod. */
  scalesToOne: boolean;
}

function floorOf(fleet: FleetSnapshot, w: Workload): Floor | null {
  const hpa = fleet.hpas.find((h) => h.namespace === w.namespace && h.target.kind === w.kind && h.target.name === w.name) ?? null;
  const replicas = w.replicas ?? 1;
  if (hpa && hpa.minReplicas >= 2) return { replicas: hpa.minReplicas, hpa, scalesToOne: false };
  if (replicas >= 2) return { replicas, hpa, scalesToOne: hpa !== null };
  return null;
}

function renderSelector(selector: LabelSelector | null): string {
  if (!selector) return 'no selector (it selects nothing)';
  const labels = Object.entries(selector.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  const expressions = (selector.matchExpressions ?? []).map((e) => `${e.key} ${e.operator}${e.values && e.values.length > 0 ? ` (${e.values.join(', ')})` : ''}`);
  const all = [...labels, ...expressions];
  return all.length > 0 ? all.join(', ') : 'everything';
}

/** The selector's matchLabels the pods do not carry, as "key=wanted (pods: key=actual)". */
function mismatches(selector: LabelSelector | null, pods: Labels): string[] {
  return Object.entries(selector?.matchLabels ?? {})
    .filter(([k, v]) => pods[k] !== v)
    .map(([k, v]) => `${k}=${v} (pods: ${pods[k] === undefined ? `no ${k} label` : `${k}=${pods[k]}`})`);
}

/** A PDB that selects none of the namespace's workloads but looks meant for this one: same name, or a shared label. */
function nearMiss(pdb: PdbInfo, w: Workload): boolean {
  if (pdb.name === w.name) return true;
  return Object.entries(pdb.selector?.matchLabels ?? {}).some(([k, v]) => w.podTemplateLabels[k] === v);
}

function typoNote(fleet: FleetSnapshot, w: Workload): { text: string; pdb: PdbInfo | null } {
  const inNamespace = fleet.workloads.filter((o) => o.namespace === w.namespace);
  const orphans = fleet.pdbs.filter((p) => p.namespace === w.namespace && !inNamespace.some((o) => o.pdbs.includes(p.name)));
  const meant = orphans.find((p) => nearMiss(p, w));
  if (meant) {
    const wrong = mismatches(meant.selector, w.podTemplateLabels);
    const detail = wrong.length > 0 ? `: it wants ${wrong.join(', ')}` : ` (selector: ${renderSelector(meant.selector)})`;
    return { text: ` PDB ${w.namespace}/${meant.name} looks meant for it but selects none of the namespace's workloads${detail} — a selector typo.`, pdb: meant };
  }
  if (orphans.length > 0) {
    return { text: ` The namespace's PDB${orphans.length > 1 ? 's' : ''} ${orphans.map((p) => `${p.name} (${renderSelector(p.selector)})`).join(', ')} select${orphans.length > 1 ? '' : 's'} no workload: if one was meant for this workload, fix its selector.`, pdb: null };
  }
  return { text: '', pdb: null };
}

/** A PDB that lets one pod go at a time and never blocks a drain: the safe default for every shape. */
function proposal(w: Workload): string {
  const selector = Object.entries(w.selector.matchLabels ?? {}).map(([k, v]) => `${k}: ${v}`).join(', ');
  return `a PodDisruptionBudget with maxUnavailable: 1 and unhealthyPodEvictionPolicy: AlwaysAllow, selecting the pods by the ${w.kind}'s own selector${selector ? ` (${selector})` : ''}`;
}

function ksmReplicas(w: Workload): string {
  const label = w.kind === 'StatefulSet' ? 'statefulset' : 'deployment';
  const metric = w.kind === 'StatefulSet' ? 'kube_statefulset_replicas' : 'kube_deployment_spec_replicas';
  return `${metric}{namespace="${w.namespace}", ${label}="${w.name}"}`;
}

function evaluateWorkload(fleet: FleetSnapshot, w: Workload, out: RuleResult): void {
  if (w.kind === 'DaemonSet' || w.pdbs.length > 0) return;
  const floor = floorOf(fleet, w);
  if (!floor) return;
  const target = { namespace: w.namespace, kind: w.kind, name: w.name };
  const typo = typoNote(fleet, w);
  const pdbsInNamespace = fleet.pdbs.filter((p) => p.namespace === w.namespace).length;
  const scale = floor.hpa
    ? floor.scalesToOne
      ? `${w.replicas} replicas in its spec, but HPA ${floor.hpa.name} may take it down to ${floor.hpa.minReplicas}`
      : `at least ${floor.replicas} replicas (HPA ${floor.hpa.name} minReplicas)`
    : `${floor.replicas} replicas`;
  const ev: Evidence[] = [evidence(`replicas in the spec of ${w.kind} ${w.namespace}/${w.name}`, ksmReplicas(w), w.replicas, 'count')];
  if (floor.hpa) {
    ev.push(evidence(`minReplicas of HPA ${floor.hpa.name}`, `kube_horizontalpodautoscaler_spec_min_replicas{namespace="${w.namespace}", horizontalpodautoscaler="${floor.hpa.name}"}`, floor.hpa.minReplicas, 'count'));
  }
  ev.push(evidence(`PodDisruptionBudgets in namespace ${w.namespace}`, `count(kube_poddisruptionbudget_status_expected_pods{namespace="${w.namespace}"})`, pdbsInNamespace, 'count'));
  if (typo.pdb) {
    ev.push(evidence(`pods PDB ${typo.pdb.name} expects`, `kube_poddisruptionbudget_status_expected_pods{namespace="${w.namespace}", poddisruptionbudget="${typo.pdb.name}"}`, typo.pdb.expectedPods ?? 0, 'count'));
  }
  const finding: RuleFinding = {
    severity: floor.scalesToOne ? 'info' : 'warning',
    target,
    summary:
      `${w.kind} ${w.namespace}/${w.name} runs ${scale} and no PodDisruptionBudget selects its pods (${Object.entries(w.podTemplateLabels).map(([k, v]) => `${k}=${v}`).join(', ') || 'no labels'}): ` +
      `a node drain or autoscaler scale-down may evict them all at once.${typo.text}`,
    evidence: ev,
    remediation:
      `${typo.pdb ? `Fix the selector of PDB ${typo.pdb.name} to match the pods, or replace it with` : 'Add'} ${proposal(w)}. ` +
      'Avoid minAvailable equal to the replica count (or maxUnavailable: 0): that blocks every drain.' +
      (floor.hpa ? ` With HPA ${floor.hpa.name}, keep minAvailable below its minReplicas (${floor.hpa.minReplicas}), or use maxUnavailable.` : '') +
      ' The pdb recommendation has the manifest.',
    recommendation: { kind: 'pdb', target },
  };
  out.findings.push(finding);
}

export const missingPdb: RuleModule = {
  meta: {
    id: 'missing-pdb',
    title: 'Multi-replica workload without a PodDisruptionBudget',
    defaultSeverity: 'warning',
    category: 'reliability',
    requires: [],
    needsKubernetes: true,
    description: 'A Deployment or StatefulSet with two or more replicas has no PodDisruptionBudget whose selector matches its pods.',
    docs: 'docs/rules/missing-pdb.md',
  },
  evaluate(context: AnalysisContext): RuleResult {
    const out: { findings: RuleFinding[]; notEvaluated: RuleNotEvaluated[] } = { findings: [], notEvaluated: [] };
    const fleet = context.fleet;
    if (!fleet) return out;
    if (fleet.unreadable.includes('poddisruptionbudgets')) {
      out.notEvaluated.push({ target: null, missing: [`PodDisruptionBudgets could not be read from ${fleet.location}: which workloads have one is unknown`] });
      return out;
    }
    if (fleet.unreadable.includes('horizontalpodautoscalers')) {
      out.notEvaluated.push({ target: null, missing: [`HorizontalPodAutoscalers could not be read from ${fleet.location}: workloads were judged by spec.replicas alone, so one whose HPA keeps two or more pods but whose spec says 1 is missed`] });
    }
    for (const w of fleet.workloads) evaluateWorkload(fleet, w, out);
    return out;
  },
};
