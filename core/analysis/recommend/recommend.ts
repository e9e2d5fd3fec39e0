import type { Finding, Recommendation, TargetRef } from '../../api/report';
import { hpaManifest } from '../../export/hpa';
import { pdbManifest } from '../../export/pdb';
import { prometheusAdapterLagRule } from '../../export/lag-scaling';
import { kedaScaledObject, prometheusAdapterRule, type RequestCounter } from '../../export/request-rate-scaling';
import { resourcesPatch } from '../../export/resources';
import { toYaml } from '../../export/yaml';
import type { Workload, WorkloadKind } from '../../kubernetes/model';
import type { AnalysisContext, WorkloadFacts } from '../context';
import type { RecommendationLink } from '../rule';
import { hpaProposalsFor, isSkip, LAG_METRIC, RPS_METRIC, type HpaProposal, type HpaSkip } from './hpa';
import { DEFAULT_RIGHTSIZING, rightsize, type ResourceProposal, type RightsizingOptions } from './rightsizing';

/**
 * From an analysis to the report's `recommendations`: right-sized resources per container, HPAs on the
 * metric closest to user latency, PDBs for multi-replica workloads without one — each with validated
 * YAML (a strategic-merge patch, or the new object) and the reasoning behind every number. Findings
 * that point to a fix get the index of its recommendation.
 */
export interface RecommendOptions {
  rightsizing: RightsizingOptions;
  scrapeInterval: number;
  /** Changes smaller than this share of the current value are noise, not recommendations. */
  minChange: number;
  /**
   * Write autoscaling on requests per second or lag as KEDA ScaledObjects querying this Prometheus (as the
   * KEDA operator reaches it), instead of HPAs fed by prometheus-adapter. CPU-based HPAs stay HPAs.
   */
  keda: { serverAddress: string } | null;
}

export const DEFAULT_RECOMMEND: RecommendOptions = { rightsizing: DEFAULT_RIGHTSIZING, scrapeInterval: 60, minChange: 0.1, keda: null };

export interface RecommendationSet {
  recommendations: Recommendation[];
  resources: Array<{ target: TargetRef; proposal: ResourceProposal }>;
  hpas: HpaProposal[];
  /** Workloads not given an HPA proposal, and why. */
  hpaSkips: HpaSkip[];
}

const APPS_KINDS: readonly WorkloadKind[] = ['Deployment', 'StatefulSet', 'DaemonSet'];

function isAppsKind(kind: string): kind is WorkloadKind {
  return (APPS_KINDS as readonly string[]).includes(kind);
}

function targetOf(w: WorkloadFacts): TargetRef {
  return { namespace: w.key.namespace, kind: w.key.workloadType, name: w.key.workload };
}

const key = (t: TargetRef): string => `${t.namespace}/${t.kind}/${t.name}`;

function changed(current: number | null, proposed: number | null, minChange: number): boolean {
  if (current === proposed) return false;
  if (current === null || proposed === null) return true;
  return Math.abs(proposed - current) / Math.max(current, 1e-12) >= minChange;
}

function meaningful(p: ResourceProposal, minChange: number): boolean {
  return (
    changed(p.current.cpu.request, p.proposed.cpu.request, minChange) ||
    changed(p.current.cpu.limit, p.proposed.cpu.limit, minChange) ||
    changed(p.current.memory.request, p.proposed.memory.request, minChange) ||
    changed(p.current.memory.limit, p.proposed.memory.limit, minChange)
  );
}

function resourcesRecommendation(w: WorkloadFacts, p: ResourceProposal): Recommendation {
  const target = targetOf(w);
  let manifest = '';
  if (isAppsKind(target.kind)) {
    const sidecar = w.spec?.containers.find((c) => c.name === p.container)?.sidecar ?? false;
    manifest = toYaml([
      resourcesPatch({
        target: { namespace: target.namespace, kind: target.kind, name: target.name },
        containers: [{ name: p.container, sidecar, requests: { cpu: p.proposed.cpu.request, memory: p.proposed.memory.request }, limits: { cpu: p.proposed.cpu.limit, memory: p.proposed.memory.limit } }],
      }),
    ]);
  }
  return { kind: 'resources', target, container: p.container, current: p.current, proposed: p.proposed, manifest, confidence: p.confidence, rationale: p.rationale };
}

const NO_RESOURCES = { cpu: { request: null, limit: null }, memory: { request: null, limit: null } };

/** The request counter the service was measured by, with the equality matchers that pick its series. */
function requestCounterOf(p: HpaProposal, context: AnalysisContext): RequestCounter | null {
  const service = context.services.find((s) => s.report.namespace === p.target.namespace && s.report.name === p.target.name);
  const family = service?.facts.family.family;
  if (!family) return null;
  return { series: `${family.histogram}_count`, matchers: Object.fromEntries(family.matchers.filter((m) => m.op === '=').map((m) => [m.label, m.value])) };
}

/** kafka_exporter's lag summed over what the External metric's selector picks: the same number the HPA would see. */
function lagQuery(p: HpaProposal): string | null {
  if (p.metric.type !== 'External') return null;
  const labels = Object.entries(p.metric.selector?.matchLabels ?? {}).map(([name, value]) => `${name}=${JSON.stringify(value)}`);
  return `sum(${p.metric.metricName}{${labels.join(',')}})`;
}

function hpaRecommendation(p: HpaProposal, context: AnalysisContext, options: RecommendOptions): Recommendation | null {
  if (!isAppsKind(p.target.kind)) return null;
  const target = { namespace: p.target.namespace, kind: p.target.kind, name: p.target.name };
  const summary = p.basis === 'requests-per-second' ? 'scales on requests per second per pod, the load users put on it' : p.basis === 'cpu' ? 'scales on CPU, which its latency follows' : 'scales on consumer lag, the backlog its users wait on';
  const rationale = [...p.rationale];
  const recommendation = (manifest: unknown): Recommendation => ({ kind: 'hpa', target: p.target, container: '', current: NO_RESOURCES, proposed: NO_RESOURCES, manifest: toYaml([manifest]), confidence: 1, rationale });
  const counter = p.basis === 'requests-per-second' ? requestCounterOf(p, context) : null;

  if (options.keda && p.basis !== 'cpu') {
    const perReplica = p.metric.type === 'Pods' ? p.metric.averageValue : p.metric.type === 'External' && p.metric.target.type === 'AverageValue' ? p.metric.target.averageValue : null;
    const query = p.basis === 'consumer-lag' ? lagQuery(p) : null;
    const load = counter ? { counter } : query ? { query } : null;
    if (load && perReplica !== null) {
      if (p.replaces) rationale.push(`KEDA creates and owns the HPA for this workload: delete the HPA ${p.replaces.namespace}/${p.replaces.name} when applying this ScaledObject, or the two fight over the replica count`);
      return recommendation(
        kedaScaledObject({
          target,
          load,
          serverAddress: options.keda.serverAddress,
          targetPerReplica: perReplica,
          minReplicas: p.minReplicas,
          maxReplicas: p.maxReplicas,
          behavior: p.behavior,
          generatedFrom: `hpa/${key(p.target)}`,
          rationale: summary,
        }),
      );
    }
  }

  const hpa = hpaManifest({
    target,
    name: p.replaces?.name ?? p.target.name,
    minReplicas: p.minReplicas,
    maxReplicas: p.maxReplicas,
    metrics: [p.metric],
    behavior: p.behavior,
    generatedFrom: `hpa/${key(p.target)}`,
    rationale: summary,
  });
  // The HPA needs its metric served by prometheus-adapter: say exactly which rule, from the family measured.
  if (counter) {
    const rule = prometheusAdapterRule({ counter, metricName: RPS_METRIC });
    rationale.push(`needs prometheus-adapter to serve ${RPS_METRIC}; its rule:\n${toYaml([{ rules: [rule] }]).trimEnd()}`);
  }
  if (p.basis === 'consumer-lag') {
    const rule = prometheusAdapterLagRule({ series: LAG_METRIC, labels: ['consumergroup', 'topic'] });
    rationale.push(`needs prometheus-adapter to serve ${LAG_METRIC} as an external metric; its rule:\n${toYaml([{ externalRules: [rule] }]).trimEnd()}`);
  }
  return recommendation(hpa);
}

/** Multi-replica Deployments and StatefulSets whose pods no PDB really selects. */
function pdbRecommendations(context: AnalysisContext): Recommendation[] {
  const fleet = context.fleet;
  if (!fleet || fleet.unreadable.includes('poddisruptionbudgets')) return [];
  const out: Recommendation[] = [];
  for (const w of fleet.workloads) {
    if (w.kind === 'DaemonSet' || w.pdbs.length > 0) continue;
    const hpaMin = fleet.hpas.find((h) => h.namespace === w.namespace && h.target.kind === w.kind && h.target.name === w.name)?.minReplicas ?? null;
    const floor = hpaMin ?? w.replicas ?? 1;
    if (floor < 2) continue;
    out.push(pdbRecommendation(w, floor));
  }
  return out;
}

function pdbRecommendation(w: Workload, replicas: number): Recommendation {
  const pdb = pdbManifest({
    workload: w,
    maxUnavailable: { type: 'count', value: 1 },
    generatedFrom: `pdb/${w.namespace}/${w.kind}/${w.name}`,
    rationale: `${replicas}+ replicas and no PodDisruptionBudget: a node drain could take them all at once`,
  });
  return {
    kind: 'pdb',
    target: { namespace: w.namespace, kind: w.kind, name: w.name },
    container: '',
    current: NO_RESOURCES,
    proposed: NO_RESOURCES,
    manifest: toYaml([pdb]),
    confidence: 1,
    rationale: ['maxUnavailable 1: drains and upgrades take one pod at a time, and the budget follows the replica count the HPA sets', 'the selector is the workload\'s own, every label of it, so it matches exactly its pods'],
  };
}

export function recommend(context: AnalysisContext, options: RecommendOptions = DEFAULT_RECOMMEND): RecommendationSet {
  const recommendations: Recommendation[] = [];
  const resources: RecommendationSet['resources'] = [];
  const proposedCpu = new Map<string, number>();
  for (const w of context.workloads) {
    for (const c of w.containers) {
      const proposal = rightsize(c, options.rightsizing, options.scrapeInterval);
      if (proposal.gaps.length === 2) continue;
      if (c === w.containers[0] && proposal.proposed.cpu.request !== null) proposedCpu.set(key(targetOf(w)), proposal.proposed.cpu.request);
      resources.push({ target: targetOf(w), proposal });
      if (meaningful(proposal, options.minChange)) recommendations.push(resourcesRecommendation(w, proposal));
    }
  }
  const hpaResults = hpaProposalsFor(context, proposedCpu);
  const hpas = hpaResults.filter((p): p is HpaProposal => !isSkip(p));
  for (const p of hpas) {
    const rec = hpaRecommendation(p, context, options);
    if (rec) recommendations.push(rec);
  }
  recommendations.push(...pdbRecommendations(context));
  return { recommendations, resources, hpas, hpaSkips: hpaResults.filter(isSkip) };
}

/** Points each finding that names a fix at the index of that recommendation. */
export function linkFindings(findings: Finding[], links: ReadonlyMap<number, RecommendationLink>, recommendations: readonly Recommendation[]): void {
  for (const [index, link] of links) {
    const finding = findings[index];
    if (!finding) continue;
    const at = recommendations.findIndex((r) => r.kind === link.kind && key(r.target) === key(link.target) && (!link.container || r.container === link.container));
    // A resources link without a container points at the workload's first resources recommendation.
    finding.recommendation = at >= 0 ? at : null;
  }
}
