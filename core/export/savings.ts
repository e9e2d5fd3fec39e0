/**
 * What the proposed requests save: cores and GiB requested before and after, per workload and in total, and
 * the money at per-core and per-GiB hourly prices. Requests, not usage, are what a cluster pays for: they
 * decide how many nodes the scheduler needs.
 *
 * Per-pod changes are multiplied by a replica count, and which count matters:
 * - a workload without an HPA: `spec.replicas`;
 * - a workload with an HPA (now, or proposed): the average replicas over the analysis window when the
 *   caller has them, else the HPA's `minReplicas`, a floor, so the real change is likely larger;
 * - a DaemonSet: its pods in the fleet, else one per schedulable node.
 * Each workload says which it used. A workload whose count is unknown is shown per pod and left out of the
 * totals, with a note, rather than guessed.
 */
import { parseDocument } from 'yaml';
import type { Recommendation, TargetRef } from '../api/report';
import type { FleetSnapshot, Workload } from '../kubernetes/model';
import { type ManifestIssue, throwIfIssues } from './errors';
import { workloadKey } from './proposals';
import { isRecord } from './validate';

export interface Prices {
  /** Per core (vCPU) and hour. */
  cpuPerCoreHour: number;
  /** Per GiB (2^30 bytes) and hour. */
  memoryPerGiBHour: number;
  currency: string;
  /** Where the prices come from, shown next to the money. */
  source: string;
}

/**
 * Illustrative defaults, not a quote for any cloud: OpenCost's built-in custom pricing
 * (`configs/default.json`, described there as "Default prices based on GCP us-central1"), which match
 * Compute Engine N2 on-demand per-vCPU and per-GB hourly rates. Users should enter their own.
 */
export const DEFAULT_PRICES: Prices = {
  cpuPerCoreHour: 0.031611,
  memoryPerGiBHour: 0.004237,
  currency: 'USD',
  source: 'illustrative defaults (OpenCost default pricing, based on GCP us-central1 N2 on-demand)',
};

/** 365 days × 24 h / 12, the month cloud price lists use. */
export const HOURS_PER_MONTH = 730;

const BYTES_PER_GIB = 1024 ** 3;

export type ReplicaBasis = 'spec' | 'hpa-average' | 'hpa-min' | 'daemonset-pods' | 'nodes' | 'unknown';

export interface Change {
  before: number;
  after: number;
  /** before − after: positive saves, negative costs more. */
  saved: number;
}

export interface WorkloadSavings {
  target: TargetRef;
  /** Null when unknown: then `total` is null and the workload is not in the summary's total. */
  replicas: number | null;
  replicaBasis: ReplicaBasis;
  /** The basis in words, e.g. "HPA minReplicas (no average given): a floor, so the real change is likely larger". */
  replicaNote: string;
  perPod: { cpuCores: Change; memoryGiB: Change };
  total: { cpuCores: Change; memoryGiB: Change; monthlyCost: Change } | null;
  /** How requests that were not set were counted, and recommendations left out. */
  notes: string[];
}

export interface SavingsSummary {
  workloads: WorkloadSavings[];
  total: { cpuCores: Change; memoryGiB: Change; monthlyCost: Change };
  prices: Prices;
  hoursPerMonth: number;
  notes: string[];
}

export interface SavingsOptions {
  /** Defaults to DEFAULT_PRICES. */
  prices?: Prices;
  /** Average replicas over the analysis window, for workloads with an HPA; null or undefined when unknown. */
  averageReplicas?: (target: TargetRef) => number | null | undefined;
}

/** The change in requested cores, GiB and money for the workloads with `resources` recommendations. */
export function savingsSummary(
  recommendations: readonly Recommendation[],
  fleet: FleetSnapshot | null,
  options: SavingsOptions = {},
): SavingsSummary {
  const prices = options.prices ?? DEFAULT_PRICES;
  throwIfIssues('Prices', priceIssues(prices));
  const byWorkload = new Map<string, Recommendation[]>();
  for (const recommendation of recommendations) {
    if (recommendation.kind !== 'resources') continue;
    const key = workloadKey(recommendation.target);
    byWorkload.set(key, [...(byWorkload.get(key) ?? []), recommendation]);
  }
  const monthly = (cores: number, gib: number): number =>
    (cores * prices.cpuPerCoreHour + gib * prices.memoryPerGiBHour) * HOURS_PER_MONTH;

  const workloads = [...byWorkload.values()].map((group): WorkloadSavings => {
    const target = (group[0] as Recommendation).target;
    const notes: string[] = [];
    const cpu = { before: 0, after: 0 };
    const memory = { before: 0, after: 0 };
    for (const recommendation of group) {
      const { current, proposed, container } = recommendation;
      const pairs = [current.cpu, current.memory, proposed.cpu, proposed.memory];
      const values = pairs.flatMap((pair) => [pair.request, pair.limit]);
      if (values.some((value) => value !== null && !Number.isFinite(value))) {
        notes.push(`Container ${container}: left out, its recommendation holds a number that is not finite.`);
        continue;
      }
      const cpuChange = requestedChange(current.cpu, proposed.cpu);
      const memoryChange = requestedChange(current.memory, proposed.memory);
      cpu.before += cpuChange.before;
      cpu.after += cpuChange.after;
      memory.before += memoryChange.before / BYTES_PER_GIB;
      memory.after += memoryChange.after / BYTES_PER_GIB;
      for (const [resource, change] of [['CPU', cpuChange], ['memory', memoryChange]] as const) {
        if (change.note) notes.push(`Container ${container}: ${resource} ${change.note}`);
      }
    }
    const replicas = replicaCount(target, recommendations, fleet, options.averageReplicas);
    const scaled = (pair: { before: number; after: number }, factor: number): Change =>
      change(pair.before * factor, pair.after * factor);
    const perPod = { cpuCores: scaled(cpu, 1), memoryGiB: scaled(memory, 1) };
    const total =
      replicas.count === null
        ? null
        : {
            cpuCores: scaled(cpu, replicas.count),
            memoryGiB: scaled(memory, replicas.count),
            monthlyCost: change(
              monthly(cpu.before * replicas.count, memory.before * replicas.count),
              monthly(cpu.after * replicas.count, memory.after * replicas.count),
            ),
          };
    return {
      target,
      replicas: replicas.count,
      replicaBasis: replicas.basis,
      replicaNote: replicas.note,
      perPod,
      total,
      notes,
    };
  });

  const sum = (pick: (totals: NonNullable<WorkloadSavings['total']>) => Change): Change => {
    const counted = workloads.flatMap((workload) => (workload.total ? [pick(workload.total)] : []));
    return change(
      counted.reduce((total, item) => total + item.before, 0),
      counted.reduce((total, item) => total + item.after, 0),
    );
  };
  const unknown = workloads.filter((workload) => workload.total === null);
  return {
    workloads,
    total: {
      cpuCores: sum((totals) => totals.cpuCores),
      memoryGiB: sum((totals) => totals.memoryGiB),
      monthlyCost: sum((totals) => totals.monthlyCost),
    },
    prices,
    hoursPerMonth: HOURS_PER_MONTH,
    notes: unknown.map(
      (workload) =>
        `${workloadKey(workload.target)} is not in the total: its replica count is unknown (${workload.replicaNote}).`,
    ),
  };
}

function change(before: number, after: number): Change {
  return { before, after, saved: before - after };
}

/**
 * What the scheduler reserves for one container before and after. A request that is not set counts as the
 * limit when there is one (Kubernetes defaults it so), else as 0; a proposed request of null keeps the
 * current one, and a proposed limit of null means none.
 */
function requestedChange(
  current: { request: number | null; limit: number | null },
  proposed: { request: number | null; limit: number | null },
): { before: number; after: number; note: string | null } {
  const before = current.request ?? current.limit ?? 0;
  const afterRequest = proposed.request ?? current.request;
  const after = afterRequest ?? proposed.limit ?? 0;
  const note =
    current.request !== null
      ? null
      : current.limit !== null
        ? 'request not set: counted as its limit, which Kubernetes uses as the request'
        : 'request not set: counted as 0 (a LimitRange default may apply in the cluster)';
  return { before, after, note };
}

interface Replicas {
  count: number | null;
  basis: ReplicaBasis;
  note: string;
}

function replicaCount(
  target: TargetRef,
  recommendations: readonly Recommendation[],
  fleet: FleetSnapshot | null,
  averageReplicas: SavingsOptions['averageReplicas'],
): Replicas {
  const key = workloadKey(target);
  const workload = fleet?.workloads.find((candidate) => workloadKey(candidate) === key) ?? null;
  if (target.kind === 'DaemonSet') return daemonSetReplicas(target, fleet);

  const proposedHpa = recommendations.find((r) => r.kind === 'hpa' && workloadKey(r.target) === key);
  if ((workload?.hpas.length ?? 0) > 0 || proposedHpa) {
    const average = averageReplicas?.(target);
    if (typeof average === 'number' && Number.isFinite(average) && average > 0) {
      return { count: average, basis: 'hpa-average', note: 'average replicas over the analysis window (HPA-managed)' };
    }
    const minReplicas = existingHpaMinimum(workload, fleet) ?? proposedHpaMinimum(proposedHpa);
    if (minReplicas !== null) {
      return {
        count: minReplicas,
        basis: 'hpa-min',
        note: 'HPA minReplicas (no average given): a floor, so the real change is likely larger',
      };
    }
  }
  if (workload?.replicas !== null && workload?.replicas !== undefined) {
    return { count: workload.replicas, basis: 'spec', note: 'spec.replicas' };
  }
  return {
    count: null,
    basis: 'unknown',
    note: workload ? 'its HPA could not be read' : 'the workload is not in the fleet',
  };
}

function daemonSetReplicas(target: TargetRef, fleet: FleetSnapshot | null): Replicas {
  const pods = fleet?.pods.filter(
    (pod) => pod.namespace === target.namespace && pod.owner?.kind === 'DaemonSet' && pod.owner.name === target.name,
  );
  if (pods && pods.length > 0) {
    return { count: pods.length, basis: 'daemonset-pods', note: 'pods of the DaemonSet in the fleet' };
  }
  const nodes = fleet?.nodes.filter((node) => !node.unschedulable && node.ready !== false) ?? [];
  if (nodes.length > 0) {
    return {
      count: nodes.length,
      basis: 'nodes',
      note: 'one per schedulable node; node selectors and taints may make it fewer',
    };
  }
  return { count: null, basis: 'unknown', note: 'neither its pods nor the nodes were read' };
}

function existingHpaMinimum(workload: Workload | null, fleet: FleetSnapshot | null): number | null {
  if (!workload) return null;
  const hpa = fleet?.hpas.find(
    (candidate) => candidate.namespace === workload.namespace && workload.hpas.includes(candidate.name),
  );
  return hpa?.minReplicas ?? null;
}

function proposedHpaMinimum(recommendation: Recommendation | undefined): number | null {
  if (!recommendation) return null;
  const document = parseDocument(recommendation.manifest);
  if (document.errors.length > 0) return null;
  const object: unknown = document.toJS();
  const spec = isRecord(object) && isRecord(object.spec) ? object.spec : null;
  if (!spec) return null;
  // minReplicas defaults to 1, as the API server sets it.
  const minReplicas = spec.minReplicas ?? 1;
  return typeof minReplicas === 'number' && Number.isInteger(minReplicas) && minReplicas > 0 ? minReplicas : null;
}

function priceIssues(prices: Prices): ManifestIssue[] {
  return (['cpuPerCoreHour', 'memoryPerGiBHour'] as const).flatMap((field) =>
    Number.isFinite(prices[field]) && prices[field] >= 0
      ? []
      : [{ field: `prices.${field}`, value: prices[field], message: 'must be a finite price of zero or more' }],
  );
}
