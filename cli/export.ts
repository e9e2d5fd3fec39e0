/**
 * What `recommend --out` writes, built from core/export: the validated manifests (one file per workload, or
 * a kustomize overlay), and SUMMARY.md with the savings and, when the current objects are known, the diffs.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { AnalysisOutcome } from '../core/api/operations';
import type { Recommendation, TargetRef } from '../core/api/report';
import { diffAgainstCurrent } from '../core/export/diff';
import { kustomizePatches, perWorkloadFiles } from '../core/export/files';
import { proposalsByWorkload } from '../core/export/proposals';
import { savingsSummary, type Prices, type SavingsSummary } from '../core/export/savings';
import type { FleetSnapshot, Origin } from '../core/kubernetes/model';
import { targetName } from './format/recommendations';
import { summaryMarkdown } from './format/summary';
import type { OutputFile } from './output-dir';

export interface ExportOptions {
  layout: 'per-workload' | 'kustomize';
  /** For the kustomize layout: what `resources:` lists before the new objects. */
  bases: readonly string[];
  prices: Prices;
  /** The manifest folder the objects came from, for file names in the diffs. */
  manifestsDir: string | null;
  source: { metrics: string; objects: string };
}

export const SUMMARY_FILE = 'SUMMARY.md';

export function exportFiles(outcome: Pick<AnalysisOutcome, 'report' | 'fleet' | 'analysis'>, options: ExportOptions): { files: OutputFile[]; savings: SavingsSummary } {
  const { report, fleet } = outcome;
  const recommendations = report.recommendations;
  // The workloads as written in their manifest files, when they came from a folder: the files then hold the
  // full objects with their new resources, and kustomize patches keep the containers' order exactly.
  const currentObjects = fleet ? currentWorkloadObjects(recommendations, fleet) : [];
  const manifests =
    options.layout === 'kustomize'
      ? kustomizePatches(recommendations, fleet, { bases: options.bases, currentObjects })
      : perWorkloadFiles(recommendations, fleet, currentObjects);
  const savings = savingsSummary(recommendations, fleet, {
    prices: options.prices,
    averageReplicas: (target) => averageReplicas(outcome.analysis.context.workloads, target),
  });
  const diffs = fleet ? diffsByWorkload(recommendations, fleet, options.manifestsDir) : new Map<string, string>();
  const summary = summaryMarkdown({
    report,
    savings,
    files: [SUMMARY_FILE, ...manifests.map((file) => file.path)],
    diffs,
    source: options.source,
    layout: options.layout,
  });
  return { files: [{ path: SUMMARY_FILE, content: summary }, ...manifests], savings };
}

type WorkloadFacts = AnalysisOutcome['analysis']['context']['workloads'][number];

/** Pods running on average over the window, from the replicas timeline; null when unknown. */
export function averageReplicas(workloads: readonly WorkloadFacts[], target: TargetRef): number | null {
  const facts = workloads.find((w) => w.key.namespace === target.namespace && w.key.workloadType === target.kind && w.key.workload === target.name);
  const values = (facts?.timeline.replicas?.points ?? []).map((point) => point.value).filter((value): value is number => value !== null);
  return values.length === 0 ? null : values.reduce((sum, value) => sum + value, 0) / values.length;
}

/**
 * Per workload: its resources against the fleet's current spec, and any HPA or PDB that replaces a current
 * one against that object as written in its manifest file. New objects are not diffed: their files are
 * all new.
 */
function diffsByWorkload(recommendations: readonly Recommendation[], fleet: FleetSnapshot, manifestsDir: string | null): Map<string, string> {
  const relativeTo = manifestsDir === null ? undefined : resolve(manifestsDir);
  const diffs = new Map<string, string>();
  for (const proposal of proposalsByWorkload(recommendations, fleet)) {
    const parts: string[] = [];
    if (proposal.patch && proposal.workload) parts.push(diffAgainstCurrent(proposal.workload, proposal.patch, { relativeTo }));
    for (const { object, replaces } of proposal.objects) {
      if (!replaces) continue;
      const namespace = object.metadata?.namespace ?? proposal.target.namespace;
      const name = object.metadata?.name ?? '';
      const list = object.kind === 'HorizontalPodAutoscaler' ? fleet.hpas : fleet.pdbs;
      const origin = list.find((item) => item.namespace === namespace && item.name === name)?.origin ?? null;
      const current = origin ? objectAt(origin, object.kind, namespace, name) : null;
      if (current) parts.push(diffAgainstCurrent(current, object, { currentOrigin: origin, relativeTo }));
    }
    const diff = parts.filter((part) => part !== '').join('');
    if (diff !== '') diffs.set(targetName(proposal.target), diff);
  }
  return diffs;
}

/** The manifests of the recommendations' workloads that were read from files. */
function currentWorkloadObjects(recommendations: readonly Recommendation[], fleet: FleetSnapshot): Array<Record<string, unknown>> {
  const targets = new Map(recommendations.map((r) => [targetName(r.target), r.target]));
  return [...targets.values()].flatMap((target) => {
    const origin = fleet.workloads.find((w) => w.namespace === target.namespace && w.kind === target.kind && w.name === target.name)?.origin;
    const object = origin ? objectAt(origin, target.kind, target.namespace, target.name) : null;
    return object ? [object] : [];
  });
}

/** The object as written in its manifest file (List items included); null when the file no longer holds it. */
function objectAt(origin: Origin, kind: string, namespace: string, name: string): Record<string, unknown> | null {
  let text: string;
  try {
    text = readFileSync(origin.file, 'utf8');
  } catch {
    return null;
  }
  const objects = parseAllDocuments(text).flatMap((document) => {
    if (document.errors.length > 0) return [];
    const value: unknown = document.toJS();
    if (!isRecord(value)) return [];
    return value.kind === 'List' && Array.isArray(value.items) ? value.items.filter(isRecord) : [value];
  });
  return (
    objects.find((object) => {
      const metadata = isRecord(object.metadata) ? object.metadata : {};
      return object.kind === kind && metadata.name === name && (metadata.namespace ?? 'default') === namespace;
    }) ?? null
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
