import type { TargetRef } from '../../api/report';
import { DEFAULT_HPA_BEHAVIOR, type HpaBehaviorInput, type HpaMetricInput } from '../../export/hpa';
import type { RangePoint } from '../../prometheus/query-api';
import type { AnalysisContext, ConsumerGroupFacts, HpaFacts, PoolFacts, Timeline, WorkloadFacts } from '../context';
import type { ServiceAnalysis } from '../services';

/**
 * HPA proposals (autoscaling/v2) that scale on the metric closest to user latency: requests per
 * second per pod for HTTP services, consumer lag for queue workers (when the queue brings them more
 * work than HTTP does, and their lag is spread over their partitions), and CPU only where latency
 * follows CPU. Targets come from the per-pod throughput the
 * workload sustained while its latency and errors were healthy; bounds from demand percentiles plus
 * headroom, capped by what the database behind a connection pool accepts; behaviour scales up fast and
 * down slowly. Workloads whose load barely varies are skipped: fixed replicas suit them (Crane's rule).
 */
export type HpaBasis = 'requests-per-second' | 'cpu' | 'consumer-lag';

export interface HpaProposal {
  target: TargetRef;
  basis: HpaBasis;
  minReplicas: number;
  maxReplicas: number;
  metric: HpaMetricInput;
  behavior: HpaBehaviorInput;
  /** The existing HPA this replaces, if any. */
  replaces: HpaFacts | null;
  rationale: string[];
}

export interface HpaSkip {
  target: TargetRef;
  reason: string;
}

/** Below this swing between the busiest and the quietest hour, autoscaling is not worth it (Crane: 1.5). */
export const MIN_LOAD_SWING = 1.5;
/** Stay this far below the per-pod throughput seen while healthy, for the time new pods take to start. */
const TARGET_HEADROOM = 0.85;
/** Room above the busiest moment of the window for growth and spikes. */
const PEAK_HEADROOM = 1.5;
export const RPS_METRIC = 'http_requests_per_second';
/** kafka_exporter's (danielqsj) per-partition lag, labelled `consumergroup`, `topic`, `partition`. */
export const LAG_METRIC = 'kafka_consumergroup_lag';
/**
 * A consumer should get help once its share of the lag is more than this many seconds of its own work:
 * a backlog it cannot clear within a minute is one users start to see (a late e-mail, a stale index).
 */
export const LAG_TARGET_SECONDS = 60;
/** Lag piled on few partitions (the worst partition's peak over the others' mean + 1), as consumer-lag judges it. */
const LAG_CONCENTRATION = 5;

export interface HpaDecisionInputs {
  workload: WorkloadFacts;
  service: ServiceAnalysis | undefined;
  hpa: HpaFacts | undefined;
  /** Connection pools owned by the workload, and the databases they may talk to. */
  pools: readonly PoolFacts[];
  databases: readonly PoolFacts[];
  /** Proposed CPU request per pod (cores), when right-sizing changes it: keeps a CPU HPA's scale point. */
  proposedCpuRequest: number | null;
  /** Replica changes per hour that count as flapping (then scale-down waits longer). */
  flappingChangesPerHour?: number;
  /** Kafka consumer groups the workload runs (see consumerGroupsOf). */
  consumerGroups?: readonly ConsumerGroupFacts[];
}

function sortedValues(points: readonly RangePoint[]): number[] {
  return points.map((p) => p.value).filter((v): v is number => v !== null && Number.isFinite(v)).sort((a, b) => a - b);
}

function pick(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? null;
}

/** Median of each hour's values: the swing between busy and quiet hours without single-step spikes. */
export function hourlyMedians(points: readonly RangePoint[]): number[] {
  const byHour = new Map<number, number[]>();
  for (const p of points) {
    if (p.value === null) continue;
    const hour = Math.floor(p.time / 3600);
    byHour.set(hour, [...(byHour.get(hour) ?? []), p.value]);
  }
  return [...byHour.values()].map((v) => pick([...v].sort((a, b) => a - b), 0.5) ?? 0);
}

/** Spearman's rank correlation of paired values; null with fewer than ten pairs. */
export function rankCorrelation(pairs: ReadonlyArray<readonly [number, number]>): number | null {
  if (pairs.length < 10) return null;
  const ranks = (values: number[]): number[] => {
    const order = values.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
    const out = new Array<number>(values.length);
    order.forEach(([, i], rank) => (out[i] = rank));
    return out;
  };
  const a = ranks(pairs.map((p) => p[0]));
  const b = ranks(pairs.map((p) => p[1]));
  const mean = (pairs.length - 1) / 2;
  let num = 0;
  let da = 0;
  let db = 0;
  for (let i = 0; i < pairs.length; i++) {
    const x = (a[i] as number) - mean;
    const y = (b[i] as number) - mean;
    num += x * y;
    da += x * x;
    db += y * y;
  }
  return da > 0 && db > 0 ? num / Math.sqrt(da * db) : null;
}

function pointsByTime(points: readonly RangePoint[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const p of points) if (p.value !== null) out.set(p.time, p.value);
  return out;
}

/** Steps where latency and errors were healthy: p99 under twice its median, errors under the SLO's budget. */
function healthyTimes(service: ServiceAnalysis): Set<number> {
  const p99 = service.facts.timeline.p99;
  const median = pick(sortedValues(p99), 0.5);
  const errors = pointsByTime(service.facts.timeline.errorRatio);
  const budget = 1 - service.report.slo.objective;
  const out = new Set<number>();
  for (const p of p99) {
    if (p.value === null || median === null) continue;
    if (p.value <= Math.max(2 * median, 0.05) && (errors.get(p.time) ?? 0) <= budget) out.add(p.time);
  }
  return out;
}

function cpuTarget(hpa: HpaFacts | undefined): number | null {
  return hpa?.metrics.find((m) => m.name === 'cpu' && m.targetType === 'utilization')?.target ?? null;
}

/** Whether latency follows CPU: it degrades only where CPU runs near its target, and rises with it. */
function latencyFollowsCpu(service: ServiceAnalysis, cpu: Timeline | null, target: number): { follows: boolean; why: string } {
  if (!cpu) return { follows: false, why: 'no CPU utilisation timeline' };
  const cpuAt = pointsByTime(cpu.points);
  const p99 = service.facts.timeline.p99;
  const median = pick(sortedValues(p99), 0.5);
  const degraded = p99.filter((p) => p.value !== null && median !== null && p.value > Math.max(2 * median, 0.05));
  const pairs = p99.filter((p) => p.value !== null && cpuAt.has(p.time)).map((p) => [cpuAt.get(p.time) as number, p.value as number] as const);
  const correlation = rankCorrelation(pairs);
  if (degraded.length > 0) {
    const cpuWhenSlow = pick(sortedValues(degraded.map((p) => ({ time: p.time, value: cpuAt.get(p.time) ?? null }))), 0.5);
    if (cpuWhenSlow !== null && cpuWhenSlow < 0.6 * target) {
      return { follows: false, why: `while latency was degraded CPU sat at ${Math.round(cpuWhenSlow * 100)} % of requests, far below the ${Math.round(target * 100)} % target: it waits on something else` };
    }
  }
  if (correlation !== null && correlation >= 0.3) return { follows: true, why: `latency rises with CPU (rank correlation ${correlation.toFixed(2)})` };
  return { follows: false, why: correlation === null ? 'too little data to tie latency to CPU' : `latency does not follow CPU (rank correlation ${correlation.toFixed(2)})` };
}

/**
 * How many replicas the database behind the workload's pools can take, and why; null when unknown.
 * HikariCP keeps its pool full, so the workload's own connections are pods × pool size and the rest of
 * the database's peak belongs to others; database/sql opens on demand up to its maximum, so only the
 * worst case (every pod filling its pool) can be said.
 */
function databaseCap(inputs: HpaDecisionInputs, typicalReplicas: number): { cap: number; why: string } | null {
  const pool = inputs.pools.find((p) => p.kind === 'hikaricp' || p.kind === 'go-sql');
  const perPod = pool?.size.value ?? null;
  if (!pool || perPod === null || perPod <= 0) return null;
  // The pool does not say which database it talks to; with one PostgreSQL in sight, it is that one.
  const databases = inputs.databases.filter((d) => d.kind === 'postgres' && d.size.value !== null);
  if (databases.length !== 1) return null;
  const db = databases[0] as PoolFacts;
  const usable = db.size.value as number;
  const name = `PostgreSQL ${db.owner.namespace}/${db.owner.workload}`;
  if (pool.kind === 'go-sql') {
    return { cap: Math.floor(usable / perPod), why: `${name} accepts ${usable} connections and each pod may open up to ${perPod} (go_sql max_open_connections)` };
  }
  const busy = pick(sortedValues(db.timeline.utilization?.points ?? []), 0.95);
  const others = busy === null ? 0 : Math.max(0, busy * usable - typicalReplicas * perPod);
  return { cap: Math.floor((usable - others) / perPod), why: `${name} accepts ${usable} connections; other clients hold about ${Math.round(others)} at busy times, and each pod keeps a pool of ${perPod}` };
}

export function proposeHpa(inputs: HpaDecisionInputs): HpaProposal | HpaSkip | null {
  const { workload, service, hpa } = inputs;
  const target: TargetRef = { namespace: workload.key.namespace, kind: workload.key.workloadType, name: workload.key.workload };
  if (workload.key.workloadType !== 'Deployment' && workload.key.workloadType !== 'StatefulSet') return null;
  const groups = inputs.consumerGroups ?? [];
  const lagNotes: string[] = [];
  if (groups.length > 0) {
    // A worker's users wait on its queue more than on its HTTP port when the queue brings it more work.
    const produced = groups.reduce((sum, g) => sum + (g.produceRate ?? 0), 0);
    const httpRps = service && !service.report.lowTraffic && service.facts.timeline.rps.length > 0 ? (service.report.rps ?? 0) : 0;
    if (produced >= httpRps) {
      const lagBased = proposeOnLag(inputs, target, groups);
      if (!('fallBack' in lagBased)) return lagBased;
      if (httpRps === 0) return { target, reason: lagBased.fallBack };
      lagNotes.push(lagBased.fallBack);
    }
  }
  if (!service || service.facts.timeline.rps.length === 0) return hpa ? { target, reason: 'no request-rate timeline to judge the HPA by' } : null;
  if (service.report.lowTraffic) return { target, reason: `too little traffic to autoscale on (${(service.report.rps ?? 0).toFixed(3)} requests/s)` };
  const rationale: string[] = [...lagNotes];
  const demand = service.facts.timeline.rps;
  const hours = hourlyMedians(demand).filter((v) => v > 0);
  const swing = hours.length > 0 ? Math.max(...hours) / Math.max(Math.min(...hours), 1e-9) : 0;
  if (hours.length === 0) return { target, reason: 'no traffic in the window' };
  if (swing < MIN_LOAD_SWING) return { target, reason: `load barely varies (busiest hour ${swing.toFixed(2)}× the quietest, under ${MIN_LOAD_SWING}×): fixed replicas suit it better than an autoscaler` };
  rationale.push(`load swings ${swing.toFixed(1)}× between the quietest and the busiest hour`);

  const replicasAt = pointsByTime(workload.timeline.replicas?.points ?? []);
  const perPod = demand.filter((p) => p.value !== null && (replicasAt.get(p.time) ?? 0) > 0).map((p) => ({ time: p.time, value: (p.value as number) / (replicasAt.get(p.time) as number) }));
  const peakDemand = pick(sortedValues(demand), 1) ?? 0;
  const lowDemand = pick(sortedValues(demand), 0.05) ?? 0;
  const peakReplicas = pick(sortedValues(workload.timeline.replicas?.points ?? []), 1) ?? 1;
  const behavior = behaviorFor(hpa, inputs.flappingChangesPerHour ?? 4, rationale);

  const target0 = cpuTarget(hpa) ?? 0.7;
  const cpuFollows = latencyFollowsCpu(service, workload.timeline.cpuUtilization, target0);
  const onCpu = hpa?.metrics.some((m) => m.name === 'cpu') ?? false;
  if (cpuFollows.follows && (onCpu || !hpa)) {
    rationale.push(`CPU fits: ${cpuFollows.why}`);
    const request = workload.containers[0]?.requests.cpu ?? null;
    let utilization = target0;
    if (inputs.proposedCpuRequest !== null && request !== null && request > 0) {
      // Keep the scale point (StormForge's idea): the same cores per pod trigger a scale-up as before.
      // Kubernetes takes whole percents.
      utilization = Math.round(Math.min(0.9, Math.max(0.3, (target0 * request) / inputs.proposedCpuRequest)) * 100 + 1e-9) / 100;
      rationale.push(`target ${Math.round(utilization * 100)} % keeps the scale point at ${Math.round(target0 * request * 1000)}m per pod with the proposed ${Math.round(inputs.proposedCpuRequest * 1000)}m request`);
    }
    const min = Math.max(2, hpa?.minReplicas ?? 2);
    // Replicas the busiest CPU of the week needs at the target, with 15 % to spare.
    const busiest = pick(sortedValues(workload.timeline.cpuUtilization?.points ?? []), 0.99);
    const needed = busiest === null ? 0 : Math.ceil(((peakReplicas * busiest) / utilization) * 1.15);
    const max = Math.max(min + 1, hpa?.maxReplicas ?? 0, needed, hpa ? 0 : Math.ceil(peakReplicas * PEAK_HEADROOM));
    if (hpa && needed > (hpa.maxReplicas ?? 0)) rationale.push(`maxReplicas ${max}: at its busiest the workload used ${Math.round((busiest ?? 0) * 100)} % CPU across ${peakReplicas} pods, which needs ${needed} at the target`);
    return { target, basis: 'cpu', minReplicas: min, maxReplicas: max, metric: { type: 'Resource', resource: 'cpu', target: { type: 'Utilization', averageUtilization: utilization } }, behavior, replaces: hpa ?? null, rationale };
  }

  rationale.push(onCpu ? `not CPU: ${cpuFollows.why}` : 'requests per second are the load users put on it');
  const healthy = healthyTimes(service);
  const healthyPerPod = sortedValues(perPod.filter((p) => healthy.has(p.time)));
  const basisValues = healthyPerPod.length >= 12 ? healthyPerPod : sortedValues(perPod);
  const sustained = pick(basisValues, 0.95);
  if (sustained === null || sustained <= 0) return { target, reason: 'no per-pod request rate could be measured (replicas or requests missing)' };
  const perPodTarget = Math.max(0.1, Number((sustained * TARGET_HEADROOM).toPrecision(3)));
  rationale.push(
    healthyPerPod.length >= 12
      ? `target ${perPodTarget} requests/s per pod: ${Math.round(TARGET_HEADROOM * 100)} % of the ${sustained.toFixed(1)} requests/s per pod it served while p99 and errors were healthy`
      : `target ${perPodTarget} requests/s per pod: ${Math.round(TARGET_HEADROOM * 100)} % of its p95 per-pod rate (too few healthy steps to be choosier)`,
  );
  let min = Math.max(2, Math.ceil(lowDemand / perPodTarget));
  let max = Math.max(min + 1, Math.ceil((peakDemand * PEAK_HEADROOM) / perPodTarget));
  rationale.push(`replicas ${min}–${max}: the quietest 5 % of the week needs ${Math.ceil(lowDemand / perPodTarget)} (at least 2 for availability); the peak of ${peakDemand.toFixed(0)} requests/s with ${Math.round((PEAK_HEADROOM - 1) * 100)} % headroom needs ${max}`);
  const cap = databaseCap(inputs, pick(sortedValues(workload.timeline.replicas?.points ?? []), 0.5) ?? 1);
  if (cap && cap.cap < max) {
    const needed = Math.ceil(peakDemand / perPodTarget);
    max = Math.max(min, cap.cap);
    min = Math.min(min, max);
    rationale.push(`maxReplicas capped at ${max}: ${cap.why}${cap.cap < needed ? `; the peak needs ${needed} pods, so the pool or the database must change first` : ''}`);
  }
  return { target, basis: 'requests-per-second', minReplicas: min, maxReplicas: Math.max(max, min), metric: { type: 'Pods', metricName: RPS_METRIC, averageValue: perPodTarget }, behavior, replaces: hpa ?? null, rationale };
}

/** Sum of timelines point by point (the same steps); null when any is missing. */
function summed(timelines: ReadonlyArray<Timeline | null>): RangePoint[] | null {
  if (timelines.length === 0 || timelines.some((t) => t === null)) return null;
  const total = new Map<number, number>();
  for (const t of timelines as Timeline[]) for (const p of t.points) if (p.value !== null) total.set(p.time, (total.get(p.time) ?? 0) + p.value);
  return [...total].sort((a, b) => a[0] - b[0]).map(([time, value]) => ({ time, value }));
}

/** The partitions holding most of the group's peak lag, when it sits on few of them; null when it is spread. */
function concentratedPartitions(group: ConsumerGroupFacts): string[] | null {
  const peaks = group.partitions.map((p) => p.maxLag);
  if (peaks.length < 2) return null;
  const worst = Math.max(...peaks);
  // A lag under a minute of the topic's production is an in-flight trail, wherever it sits.
  if (worst < LAG_TARGET_SECONDS * (group.produceRate ?? 0) || worst <= 0) return null;
  const hot = group.partitions.filter((p) => {
    const others = group.partitions.filter((o) => o !== p);
    return p.maxLag / (others.reduce((sum, o) => sum + o.maxLag, 0) / others.length + 1) > LAG_CONCENTRATION;
  });
  return hot.length > 0 && hot.length <= peaks.length / 2 ? hot.map((p) => p.partition) : null;
}

/**
 * An External-metric HPA on the consumer group's lag: each pod should hold no more than a minute of its own
 * throughput. Consumers beyond the topic's partition count get no partition and sit idle, so maxReplicas
 * stops there. Returns `fallBack` (why not) when lag cannot or should not drive the scaling.
 */
function proposeOnLag(inputs: HpaDecisionInputs, target: TargetRef, groups: readonly ConsumerGroupFacts[]): HpaProposal | { fallBack: string } {
  const names = groups.map((g) => `${g.group} on ${g.topic}`).join(', ');
  for (const g of groups) {
    const hot = concentratedPartitions(g);
    if (hot) return { fallBack: `not consumer lag: ${g.group}'s lag piles on partition${hot.length > 1 ? 's' : ''} ${hot.join(', ')} of ${g.topic}, which one consumer each reads; more consumers cannot drain it (spread the keys, or speed up the slow ones)` };
  }
  const production = summed(groups.map((g) => g.production));
  const lag = summed(groups.map((g) => g.lag));
  if (!production || !lag) return { fallBack: `no production or lag over time for ${names} (kafka_topic_partition_current_offset, kafka_consumergroup_lag) to size consumers by` };
  const hours = hourlyMedians(production).filter((v) => v > 0);
  if (hours.length === 0) return { fallBack: `nothing was produced for ${names} in the window` };
  const swing = Math.max(...hours) / Math.max(Math.min(...hours), 1e-9);
  if (swing < MIN_LOAD_SWING) return { fallBack: `production for ${names} barely varies (busiest hour ${swing.toFixed(2)}× the quietest, under ${MIN_LOAD_SWING}×): fixed replicas suit it better than an autoscaler` };
  const partitions = Math.max(...groups.map((g) => g.partitions.length));
  if (partitions < 2) return { fallBack: `${names}: one partition, which one consumer reads; a second would sit idle` };

  const rationale = [`consumer lag: ${names} brings it more work than its HTTP port; production swings ${swing.toFixed(1)}× between the quietest and the busiest hour`];
  const replicasAt = pointsByTime(inputs.workload.timeline.replicas?.points ?? []);
  const lagAt = pointsByTime(lag);
  // Per-pod throughput while the group kept up (lag under a minute of production): what each pod surely manages.
  const perPod = production
    .filter((p) => (replicasAt.get(p.time) ?? 0) > 0 && lagAt.has(p.time))
    .map((p) => ({ time: p.time, value: (p.value as number) / (replicasAt.get(p.time) as number), keptUp: (lagAt.get(p.time) as number) <= LAG_TARGET_SECONDS * (p.value as number) }));
  const keptUp = sortedValues(perPod.filter((p) => p.keptUp));
  const basisValues = keptUp.length >= 12 ? keptUp : sortedValues(perPod);
  const sustained = pick(basisValues, 0.95);
  if (sustained === null || sustained <= 0) return { fallBack: `no per-pod consumption rate for ${names} could be measured (replicas or production missing)` };
  const perPodRate = sustained * TARGET_HEADROOM;
  // The lag each pod carries while keeping up must stay under the target, or the HPA would sit at max.
  const standing = pick(sortedValues(perPod.filter((p) => p.keptUp).map((p) => ({ time: p.time, value: (lagAt.get(p.time) as number) / (replicasAt.get(p.time) as number) }))), 0.95) ?? 0;
  const lagTarget = Math.max(1, Math.ceil(perPodRate * LAG_TARGET_SECONDS), Math.ceil(standing * PEAK_HEADROOM));
  rationale.push(
    `target ${lagTarget} messages of lag per pod: a minute of the ${count(perPodRate)} messages/s each pod handles (${Math.round(TARGET_HEADROOM * 100)} % of the ${count(sustained)}/s per pod seen ${keptUp.length >= 12 ? 'while the group kept up' : 'at its p95'})${lagTarget > Math.ceil(perPodRate * LAG_TARGET_SECONDS) ? `, raised above the ${count(standing)} messages each pod holds in flight while keeping up` : ''}`,
  );
  const low = pick(sortedValues(production), 0.05) ?? 0;
  const peak = pick(sortedValues(production), 1) ?? 0;
  const needed = Math.ceil((peak * PEAK_HEADROOM) / perPodRate);
  const min = Math.min(partitions, Math.max(2, Math.ceil(low / perPodRate)));
  const max = Math.min(partitions, Math.max(min + 1, needed));
  rationale.push(`replicas ${min}–${max}: the quietest 5 % of production needs ${Math.ceil(low / perPodRate)} consumers (at least 2, so a restart does not stop consumption); the peak of ${count(peak)} messages/s with ${Math.round((PEAK_HEADROOM - 1) * 100)} % headroom needs ${needed}`);
  if (needed > partitions) rationale.push(`maxReplicas capped at ${partitions}, the partition count: a consumer beyond it gets no partition and sits idle; add partitions to scale further`);
  const [only] = groups;
  const selector = { matchLabels: { namespace: only?.namespace ?? '', consumergroup: only?.group ?? '', ...(groups.length === 1 ? { topic: only?.topic ?? '' } : {}) } };
  const behavior = behaviorFor(inputs.hpa, inputs.flappingChangesPerHour ?? 4, rationale);
  return {
    target,
    basis: 'consumer-lag',
    minReplicas: min,
    maxReplicas: max,
    metric: { type: 'External', metricName: LAG_METRIC, selector, target: { type: 'AverageValue', averageValue: lagTarget } },
    behavior,
    replaces: inputs.hpa ?? null,
    rationale,
  };
}

/** Counts as people read them: 1,520 or 27.6. */
function count(value: number): string {
  return Math.abs(value) >= 100 ? Math.round(value).toLocaleString('en-US') : String(Number(value.toPrecision(3)));
}

/**
 * The consumer groups a workload runs. Nothing in kafka_exporter's series names the consuming pods, so the
 * link is by name, as most teams set it: the group id is the application's name, perhaps with a
 * `-consumer(s)`, `-group` or `-cg` suffix. A group whose name fits workloads in several namespaces goes to
 * the one in the group's own namespace, or to none.
 */
export function consumerGroupsOf(workloads: readonly WorkloadFacts[], groups: readonly ConsumerGroupFacts[]): Map<WorkloadFacts, ConsumerGroupFacts[]> {
  const out = new Map<WorkloadFacts, ConsumerGroupFacts[]>();
  for (const group of groups) {
    const name = group.group.replace(/[-_.](consumers?|group|cg)$/i, '');
    const candidates = workloads.filter((w) => w.key.workload === name && (w.key.workloadType === 'Deployment' || w.key.workloadType === 'StatefulSet'));
    const owner = candidates.length === 1 ? candidates[0] : candidates.find((w) => w.key.namespace === group.namespace);
    if (owner) out.set(owner, [...(out.get(owner) ?? []), group]);
  }
  return out;
}

/** Scale up fast, down slowly; slower still where replicas have been flapping. */
function behaviorFor(hpa: HpaFacts | undefined, flappingChangesPerHour: number, rationale: string[]): HpaBehaviorInput {
  const changes = sortedValues(hpa?.hourly.changes?.points ?? []);
  const flappingHours = changes.filter((c) => c >= flappingChangesPerHour).length;
  if (flappingHours === 0) return DEFAULT_HPA_BEHAVIOR;
  // Two changes make one cycle: wait out a whole cycle (at least 10 minutes, at most 30) before scaling down.
  const typical = pick(changes.filter((c) => c >= flappingChangesPerHour), 0.5) ?? flappingChangesPerHour;
  const window = Math.min(1800, Math.max(600, Math.round(7200 / typical / 60) * 60));
  rationale.push(`replicas changed ${flappingChangesPerHour} or more times an hour in ${flappingHours} hours (typically ${typical}): scale-down waits ${window / 60} minutes, one load cycle, before removing pods`);
  return { ...DEFAULT_HPA_BEHAVIOR, scaleDown: { ...DEFAULT_HPA_BEHAVIOR.scaleDown, stabilizationWindowSeconds: window, policies: DEFAULT_HPA_BEHAVIOR.scaleDown?.policies ?? [] } };
}

export function hpaProposalsFor(context: AnalysisContext, proposedCpuRequests: ReadonlyMap<string, number>): Array<HpaProposal | HpaSkip> {
  const out: Array<HpaProposal | HpaSkip> = [];
  const databases = context.pools.filter((p) => p.kind === 'postgres');
  const consumers = consumerGroupsOf(context.workloads, context.consumerGroups);
  for (const workload of context.workloads) {
    const { namespace, workload: name, workloadType: kind } = workload.key;
    const proposal = proposeHpa({
      workload,
      service: context.services.find((s) => s.report.namespace === namespace && s.report.name === name),
      hpa: context.hpas.find((h) => h.namespace === namespace && h.target?.kind === kind && h.target.name === name),
      pools: context.pools.filter((p) => p.owner.namespace === namespace && p.owner.workload === name),
      databases,
      proposedCpuRequest: proposedCpuRequests.get(`${namespace}/${kind}/${name}`) ?? null,
      consumerGroups: consumers.get(workload) ?? [],
    });
    if (proposal) out.push(proposal);
  }
  return out;
}

export function isSkip(p: HpaProposal | HpaSkip): p is HpaSkip {
  return 'reason' in p;
}
