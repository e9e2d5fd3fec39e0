import type { AnalysisContext, ContainerFacts, HpaFacts, WorkloadFacts } from '../core/analysis/context';
import type { Evidence } from '../core/api/report';
import type { RuleFinding, RuleModule, RuleNotEvaluated, RuleResult } from '../core/analysis/rule';
import { bytes, cores, evidence, hpaFor, percent, span, values, workloadTarget } from './lib/signals';

/**
 * Requests reserve node capacity whether or not it is used: a container that requests far more than
 * it uses keeps nodes running for nothing. The thresholds are diagnostics.md's RES-OVER-REQUEST
 * (krr's severity steps for the slack), judged on the whole window so an idle moment never counts.
 */

/** CPU: p95 below this share of the request (a request over 3.3× the p95 demand)… */
export const CPU_USED_SHARE = 0.3;
/** …and at least this many cores of slack per pod (krr's WARNING step). */
export const CPU_MIN_SLACK = 0.25;
/** Memory: the true peak below this share of the request (memory is sized on peaks, so 2× is wide)… */
export const MEMORY_USED_SHARE = 0.5;
/** …and at least this much slack per pod (krr's 250 MiB WARNING step, rounded to a power of two). */
export const MEMORY_MIN_SLACK = 256 * 1024 ** 2;
/** krr's memory buffer: a right-sized memory request is the peak plus 15 %. */
export const MEMORY_BUFFER = 0.15;
/** VPA's confidence reaches one day at 1,440 samples (one a minute): less history decides nothing. */
export const MIN_SAMPLES = 1440;
/**
 * Warning when the reclaimable capacity over all replicas reaches one core or 4 GiB: the 1:4
 * core-to-GiB shape of general-purpose instances, each about $23 (a core) or $12 (4 GiB) a month at
 * OpenCost's default prices below — worth a change request; smaller slack stays informational.
 */
export const WARN_CORES = 1;
export const WARN_BYTES = 4 * 1024 ** 3;
/** OpenCost's default list prices (configs/default.json, based on GCP us-central1), USD per hour. */
export const PRICE_PER_CORE_HOUR = 0.031611;
export const PRICE_PER_GIB_HOUR = 0.004237;
const HOURS_PER_MONTH = 730;

interface ContainerWaste {
  name: string;
  cpu: { request: number; used: number; reclaimable: number } | null;
  memory: { request: number; peak: number; reclaimable: number } | null;
  evidence: Evidence[];
}

function scalesOn(hpa: HpaFacts | undefined, resource: 'cpu' | 'memory'): HpaFacts | undefined {
  return hpa?.metrics.some((m) => m.name === resource && m.targetType === 'utilization') ? hpa : undefined;
}

/** Pods running on average over the window: the replicas timeline, else the spec, else the pods seen. */
function averagePods(w: WorkloadFacts): { pods: number; source: string } {
  const running = values(w.timeline.replicas);
  if (running.length > 0) return { pods: running.reduce((a, b) => a + b, 0) / running.length, source: 'pods running on average' };
  if (w.spec?.replicas) return { pods: w.spec.replicas, source: 'replicas in the spec' };
  return { pods: w.podsSeen, source: 'pods seen in the window (rollouts count twice)' };
}

/**
 * CPU is judged on the larger of the pooled p95 and the busiest pod's p95 (krr's figure): all pods
 * share one template, so the request must fit the hottest of them.
 */
function containerWaste(w: WorkloadFacts, c: ContainerFacts, judgeCpu: boolean, judgeMemory: boolean): ContainerWaste {
  const spec = w.spec?.containers.find((s) => s.name === c.name);
  const cpuRequest = c.requests.cpu ?? spec?.requests.cpu ?? null;
  const memoryRequest = c.requests.memory ?? spec?.requests.memory ?? null;
  const cpuUsed = c.cpu.p95 === null ? null : Math.max(c.cpu.p95, c.cpu.maxPodP95 ?? 0);
  const out: ContainerWaste = { name: c.name, cpu: null, memory: null, evidence: [] };
  if (judgeCpu && cpuRequest !== null && cpuUsed !== null && cpuUsed < cpuRequest * CPU_USED_SHARE && cpuRequest - cpuUsed >= CPU_MIN_SLACK) {
    out.cpu = { request: cpuRequest, used: cpuUsed, reclaimable: cpuRequest - cpuUsed };
    out.evidence.push(
      evidence(`CPU request (${c.name})`, c.queries.cpu, cpuRequest, 'cores'),
      evidence(`CPU usage p95, busiest pod (${c.name})`, c.queries.cpu, cpuUsed, 'cores', w.timeline.cpuUtilization),
    );
  }
  // After an OOM kill the true peak is unknown (the last sample is below it): never call that memory waste.
  const peak = c.oomKills > 0 ? null : c.memoryMax;
  if (judgeMemory && memoryRequest !== null && peak !== null && peak < memoryRequest * MEMORY_USED_SHARE) {
    const reclaimable = memoryRequest - peak * (1 + MEMORY_BUFFER);
    if (reclaimable >= MEMORY_MIN_SLACK) {
      out.memory = { request: memoryRequest, peak, reclaimable };
      out.evidence.push(
        evidence(`memory request (${c.name})`, c.queries.memory, memoryRequest, 'bytes'),
        evidence(`working set peak, every raw sample (${c.name})`, c.queries.memory, peak, 'bytes'),
      );
    }
  }
  return out;
}

/** "1.9 cores and 3.08 GiB", leaving out a resource with nothing to reclaim. */
function amounts(cpu: number, memory: number): string {
  return [cpu > 0 ? cores(cpu) : null, memory > 0 ? bytes(memory) : null].filter((x): x is string => x !== null).join(' and ');
}

function describe(x: ContainerWaste): string {
  const parts: string[] = [];
  if (x.cpu) parts.push(`CPU request ${cores(x.cpu.request)} vs p95 ${cores(x.cpu.used)} used (${percent(x.cpu.used / x.cpu.request)})`);
  if (x.memory) parts.push(`memory request ${bytes(x.memory.request)} vs peak ${bytes(x.memory.peak)} (${percent(x.memory.peak / x.memory.request)})`);
  return `${x.name}: ${parts.join(', ')}`;
}

function evaluateWorkload(context: AnalysisContext, w: WorkloadFacts, out: RuleResult): void {
  const target = workloadTarget(w);
  const label = `${w.key.namespace}/${w.key.workload}`;
  const hpa = hpaFor(context, w.key.namespace, w.key.workloadType, w.key.workload);
  const cpuHpa = scalesOn(hpa, 'cpu');
  const memoryHpa = scalesOn(hpa, 'memory');
  const skipped: string[] = [];
  for (const [resource, h] of [['CPU', cpuHpa], ['memory', memoryHpa]] as const) {
    if (!h) continue;
    const why =
      `${resource} requests of ${label} not judged: HPA ${h.name} scales on ${resource} utilisation, so the request sets its scaling point ` +
      '(a smaller request makes it scale out sooner, not save; krr skips these for the same feedback loop)';
    skipped.push(why);
    out.notEvaluated.push({ target, missing: [why] });
  }

  const wastes: ContainerWaste[] = [];
  for (const c of w.containers) {
    if (c.cpu.samples < MIN_SAMPLES) {
      out.notEvaluated.push({ target, missing: [`container ${c.name} of ${label}: ${c.cpu.samples} CPU samples, fewer than ${MIN_SAMPLES} (a day at one a minute)`] });
      continue;
    }
    const x = containerWaste(w, c, !cpuHpa, !memoryHpa);
    if (x.cpu || x.memory) wastes.push(x);
  }
  if (wastes.length === 0) return;

  const { pods, source } = averagePods(w);
  const perPodCores = wastes.reduce((s, x) => s + (x.cpu?.reclaimable ?? 0), 0);
  const perPodBytes = wastes.reduce((s, x) => s + (x.memory?.reclaimable ?? 0), 0);
  const totalCores = perPodCores * pods;
  const totalBytes = perPodBytes * pods;
  const monthly = (totalCores * PRICE_PER_CORE_HOUR + (totalBytes / 1024 ** 3) * PRICE_PER_GIB_HOUR) * HOURS_PER_MONTH;
  const noHpaData = context.missing.has('hpa') && !context.fleet;
  const summary =
    `${label} requests far more than it uses over ${span(context.window.end - context.window.start)} — ${wastes.map(describe).join('; ')}. ` +
    `Reclaimable: ${amounts(totalCores, totalBytes)} over ${Number(pods.toFixed(1))} ${source} ` +
    `(${amounts(perPodCores, perPodBytes)} per pod${perPodBytes > 0 ? `; memory keeps the peak + ${percent(MEMORY_BUFFER)}` : ''}), about $${Math.round(monthly)} a month at OpenCost's default list prices.` +
    (skipped.length > 0 ? ` ${skipped.join('. ')}.` : '') +
    (noHpaData ? ' No HPA data (neither kube-state-metrics HPA series nor Kubernetes objects): if an HPA scales it on CPU, the CPU request is its scaling point, not waste.' : '');

  const finding: RuleFinding = {
    severity: totalCores >= WARN_CORES || totalBytes >= WARN_BYTES ? 'warning' : 'info',
    target,
    summary,
    evidence: [
      ...wastes.flatMap((x) => x.evidence),
      ...(w.timeline.replicas ? [evidence('pods running', w.timeline.replicas.query, pods, 'count', w.timeline.replicas)] : []),
    ],
    remediation:
      `Lower the requests to what the workload uses: CPU near its p95 demand, memory at its peak plus ${percent(MEMORY_BUFFER)}; keep no CPU limit. ` +
      'Check first that the window holds its busiest days (month-end, batch runs, start-up of JVMs), then apply the resources recommendation for each container.',
    recommendation: { kind: 'resources', target, container: (wastes[0] as ContainerWaste).name },
  };
  out.findings.push(finding);
}

export const overprovisioned: RuleModule = {
  meta: {
    id: 'overprovisioned',
    title: 'Requests far above usage',
    defaultSeverity: 'info',
    category: 'resources',
    requires: ['container-cpu', 'container-memory'],
    description: 'A workload requests far more CPU or memory than it uses over the window: capacity reserved for nothing.',
    docs: 'docs/rules/overprovisioned.md',
  },
  evaluate(context: AnalysisContext): RuleResult {
    const out: { findings: RuleFinding[]; notEvaluated: RuleNotEvaluated[] } = { findings: [], notEvaluated: [] };
    for (const w of context.workloads) evaluateWorkload(context, w, out);
    return out;
  },
};
