import { STEPS, STEP_SECONDS, stepTime } from '../model/clock';
import type { Random } from '../model/random';
import { scrapeTarget, type Family, type Labels, type ScrapeTarget, type SeriesSet } from '../model/series-set';
import type { UsageBook } from '../model/usage';
import type { ContainerIncarnation, PodLife } from '../model/workload';

/**
 * cAdvisor as embedded in the kubelet (`/metrics/cadvisor`, scraped by kube-prometheus-stack's
 * kubelet ServiceMonitor). Per container incarnation a series with its runtime id; plus the
 * pod-level cgroup row and the pause container, both WITHOUT a `container` label — summing them
 * with the containers double counts.
 */
const CPU: Family = { name: 'container_cpu_usage_seconds', type: 'counter', help: 'Cumulative cpu time consumed in seconds.' };
const MEMORY: Family = { name: 'container_memory_working_set_bytes', type: 'gauge', help: 'Current working set in bytes.' };
const PERIODS: Family = { name: 'container_cpu_cfs_periods', type: 'counter', help: 'Number of elapsed enforcement period intervals.' };
const THROTTLED: Family = { name: 'container_cpu_cfs_throttled_periods', type: 'counter', help: 'Number of throttled period intervals.' };
const THROTTLED_SECONDS: Family = { name: 'container_cpu_cfs_throttled_seconds', type: 'counter', help: 'Total time duration the container has been throttled.' };
const START_TIME: Family = { name: 'container_start_time_seconds', type: 'gauge', help: 'Start time of the container since unix epoch in seconds.' };

/** CFS enforcement periods of 100 ms. */
const PERIODS_PER_SECOND = 10;

function qosClass(pod: PodLife): 'guaranteed' | 'burstable' | 'besteffort' {
  const cs = pod.workload.containers;
  const guaranteed = cs.every((c) => c.limits.cpu !== undefined && c.limits.memory !== undefined && c.requests.cpu === c.limits.cpu && c.requests.memory === c.limits.memory);
  if (guaranteed) return 'guaranteed';
  const none = cs.every((c) => c.requests.cpu === undefined && c.requests.memory === undefined && c.limits.cpu === undefined && c.limits.memory === undefined);
  return none ? 'besteffort' : 'burstable';
}

function podCgroup(pod: PodLife): string {
  const qos = qosClass(pod);
  return qos === 'guaranteed' ? `/kubepods/pod${pod.uid}` : `/kubepods/${qos}/pod${pod.uid}`;
}

function overSpan(start: number, end: number, value: (i: number) => number): Float64Array {
  const out = new Float64Array(STEPS).fill(Number.NaN);
  for (let i = start; i < Math.min(STEPS, end); i++) out[i] = value(i);
  return out;
}

function cumulativeOverSpan(start: number, end: number, perSecond: (i: number) => number): Float64Array {
  const out = new Float64Array(STEPS).fill(Number.NaN);
  let total = 0;
  for (let i = start; i < Math.min(STEPS, end); i++) {
    total += Math.max(0, perSecond(i)) * STEP_SECONDS;
    out[i] = total;
  }
  return out;
}

export function kubeletTarget(pod: PodLife, random: Random, cache: Map<string, ScrapeTarget>): ScrapeTarget {
  const existing = cache.get(pod.node.name);
  if (existing) return existing;
  const target = scrapeTarget(
    {
      endpoint: 'https-metrics',
      instance: `${pod.node.ip}:10250`,
      job: 'kubelet',
      metrics_path: '/metrics/cadvisor',
      node: pod.node.name,
      service: 'kube-prometheus-stack-kubelet',
    },
    random,
  );
  cache.set(pod.node.name, target);
  return target;
}

export function emitCadvisor(set: SeriesSet, pods: readonly PodLife[], usage: UsageBook, random: Random): void {
  const targets = new Map<string, ScrapeTarget>();
  for (const pod of pods) {
    const target = kubeletTarget(pod, random, targets);
    const cgroup = podCgroup(pod);
    const base: Labels = { namespace: pod.workload.namespace, pod: pod.name };
    const podCpu = new Float64Array(STEPS);
    const podMemory = new Float64Array(STEPS);
    for (const container of pod.containers) {
      const used = usage.get(pod, container.spec.name);
      for (let i = pod.start; i < Math.min(STEPS, pod.end); i++) {
        podCpu[i] = (podCpu[i] ?? 0) + (used.cpu[i] ?? 0);
        podMemory[i] = (podMemory[i] ?? 0) + (used.memory[i] ?? 0);
      }
      for (const inc of container.incarnations) emitIncarnation(set, target, base, cgroup, container.spec.image, container.spec.name, inc, used, container.spec.limits.cpu);
    }
    // The pod cgroup outlives container restarts, so its counter does not reset with them.
    const podRow: Labels = { ...base, id: cgroup };
    const podStarted = stepTime(pod.start) - 30;
    set.add(START_TIME, 'container_start_time_seconds', podRow, overSpan(pod.start, pod.end, () => podStarted), target);
    set.add(CPU, 'container_cpu_usage_seconds_total', { ...podRow, cpu: 'total' }, cumulativeOverSpan(pod.start, pod.end, (i) => (podCpu[i] ?? 0) + 0.0004), target);
    set.add(MEMORY, 'container_memory_working_set_bytes', podRow, overSpan(pod.start, pod.end, (i) => Math.round((podMemory[i] ?? 0) + 2_400_000)), target);
    const pauseId = random.hex(64);
    const pause: Labels = { ...base, id: `${cgroup}/${pauseId}`, image: 'registry.k8s.io/pause:3.9', name: pauseId };
    set.add(CPU, 'container_cpu_usage_seconds_total', { ...pause, cpu: 'total' }, cumulativeOverSpan(pod.start, pod.end, () => 0.00002), target);
    set.add(MEMORY, 'container_memory_working_set_bytes', pause, overSpan(pod.start, pod.end, () => 450_560), target);
  }
}

function emitIncarnation(
  set: SeriesSet,
  target: ScrapeTarget,
  base: Labels,
  cgroup: string,
  image: string,
  container: string,
  inc: ContainerIncarnation,
  used: { cpu: Float64Array; memory: Float64Array; throttled?: Float64Array },
  cpuLimit: number | undefined,
): void {
  const labels: Labels = { ...base, container, id: `${cgroup}/${inc.id}`, image, name: inc.id };
  // cAdvisor reports when each container (each run after a restart) started; pods that predate the
  // lab's history started a day before it.
  const started = inc.start === 0 ? stepTime(0) - 86400 : stepTime(inc.start) - 20;
  set.add(START_TIME, 'container_start_time_seconds', labels, overSpan(inc.start, inc.end, () => started), target);
  set.add(CPU, 'container_cpu_usage_seconds_total', { ...labels, cpu: 'total' }, cumulativeOverSpan(inc.start, inc.end, (i) => used.cpu[i] ?? 0), target);
  set.add(MEMORY, 'container_memory_working_set_bytes', labels, overSpan(inc.start, inc.end, (i) => Math.round(used.memory[i] ?? 0)), target);
  if (cpuLimit === undefined) return;
  // A period only counts while the cgroup is runnable; a busy container is runnable in most of them.
  const activeShare = (i: number): number => Math.min(1, 0.35 + (used.cpu[i] ?? 0) / cpuLimit);
  const periods = (i: number): number => PERIODS_PER_SECOND * activeShare(i);
  const throttledShare = (i: number): number => used.throttled?.[i] ?? 0;
  set.add(PERIODS, 'container_cpu_cfs_periods_total', labels, floorCumulative(inc, periods), target);
  set.add(THROTTLED, 'container_cpu_cfs_throttled_periods_total', labels, floorCumulative(inc, (i) => periods(i) * throttledShare(i)), target);
  // Each throttled period waits out the rest of its 100 ms slot: roughly 40 ms on average.
  set.add(THROTTLED_SECONDS, 'container_cpu_cfs_throttled_seconds_total', labels, cumulativeOverSpan(inc.start, inc.end, (i) => periods(i) * throttledShare(i) * 0.04), target);
}

function floorCumulative(inc: ContainerIncarnation, perSecond: (i: number) => number): Float64Array {
  const out = cumulativeOverSpan(inc.start, inc.end, perSecond);
  for (let i = 0; i < out.length; i++) if (!Number.isNaN(out[i] as number)) out[i] = Math.floor(out[i] as number);
  return out;
}
