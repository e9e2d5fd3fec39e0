import type { ContainerFacts } from '../context';

/**
 * Right-sized requests and limits for one container, from a week (or more) of its usage pooled over
 * all the workload's pods. Three strategies, so users can compare on their own data:
 *  - `headroom` (default): CPU request from a pooled percentile (p95) plus a margin, raised when the
 *    container was throttled (its usage then understates its demand); memory from the true peak of
 *    every raw sample plus headroom, and above the limit that was in force when it was OOM-killed
 *    (after an OOM kill the observed peak is only a lower bound); no CPU limit by default.
 *  - `krr-simple`: krr's simple strategy — CPU request = the largest per-pod p95, no CPU limit;
 *    memory request = limit = peak × 1.15; floors 10m / 100 MiB; OOM kills ignored (krr's default).
 *  - `vpa-like`: the VPA recommender's target — CPU p90 × 1.15, memory p90 of the pods' daily peaks
 *    × 1.15, OOM bump max(+100 MiB, ×1.2), floors 25m / 250 MiB;
 *    limits scaled in proportion to the current limit/request ratio.
 */
export type Strategy = 'headroom' | 'krr-simple' | 'vpa-like';
export type CpuLimitPolicy = 'none' | 'ratio' | 'from-throttling';

export interface RightsizingOptions {
  strategy: Strategy;
  /** Percentile of pooled CPU usage the request covers (headroom strategy), e.g. 0.95. */
  cpuPercentile: number;
  /** Added on top of the CPU percentile. */
  cpuMargin: number;
  /** Added on top of the memory peak. */
  memoryHeadroom: number;
  cpuLimitPolicy: CpuLimitPolicy;
  /** CPU limit ÷ request when the policy is `ratio`. */
  cpuLimitRatio: number;
  minCpu: number;
  minMemory: number;
}

export const DEFAULT_RIGHTSIZING: RightsizingOptions = {
  strategy: 'headroom',
  cpuPercentile: 0.95,
  cpuMargin: 0.1,
  memoryHeadroom: 0.15,
  cpuLimitPolicy: 'none',
  cpuLimitRatio: 2,
  minCpu: 0.01,
  minMemory: 32 * 1024 ** 2,
};

export interface ResourcePair {
  request: number | null;
  limit: number | null;
}

export interface ResourceProposal {
  container: string;
  current: { cpu: ResourcePair; memory: ResourcePair };
  proposed: { cpu: ResourcePair; memory: ResourcePair };
  /** In [0, 1]: how much history and how many samples stand behind the numbers. */
  confidence: number;
  rationale: string[];
  /** Why no proposal could be made for a resource (no data). */
  gaps: string[];
}

const MI = 1024 ** 2;
/** A throttled container's usage is capped by its limit: beyond this share of periods, it hides demand. */
const THROTTLED_DEMAND_HIDDEN = 0.1;

const roundCpuUp = (cores: number): number => Math.ceil(cores * 200 - 1e-9) / 200;
const roundMemoryUp = (bytes: number): number => Math.ceil(bytes / MI - 1e-9) * MI;

function cores(v: number): string {
  return v < 1 ? `${Math.round(v * 1000)}m` : `${Number(v.toFixed(2))}`;
}

function mib(v: number): string {
  return `${Math.round(v / MI)}Mi`;
}

/** Confidence from pod-days of samples (a week makes weekly cycles visible) at the scrape interval. */
export function confidenceOf(samples: number, scrapeInterval: number): number {
  const podDays = (samples * scrapeInterval) / 86400;
  return Math.max(0, Math.min(1, podDays / 7));
}

function cpuRequest(c: ContainerFacts, o: RightsizingOptions, rationale: string[]): number | null {
  switch (o.strategy) {
    case 'krr-simple':
      if (c.cpu.maxPodP95 === null) return null;
      rationale.push(`CPU request = the largest per-pod p95 (${cores(c.cpu.maxPodP95)}), as krr's simple strategy does`);
      return Math.max(c.cpu.maxPodP95, 0.01);
    case 'vpa-like':
      if (c.cpu.p90 === null) return null;
      rationale.push(`CPU request = p90 (${cores(c.cpu.p90)}) × 1.15, as the VPA recommender's target`);
      return Math.max(c.cpu.p90 * 1.15, 0.025);
    case 'headroom': {
      const p = o.cpuPercentile;
      const used = p >= 0.99 ? c.cpu.p99 : p >= 0.95 ? c.cpu.p95 : p >= 0.9 ? c.cpu.p90 : c.cpu.p50;
      if (used === null) return null;
      let request = used * (1 + o.cpuMargin);
      rationale.push(`CPU request = pooled p${Math.round(p * 100)} of usage over ${c.cpu.pods} pods (${cores(used)}) + ${Math.round(o.cpuMargin * 100)} %`);
      if (c.cpu.startupMax !== null && c.cpu.startupMax > request) {
        // Start-up bursts (JIT, caches) are short and borrow idle CPU when there is no limit; sizing the
        // request for them would reserve cores the pod uses for a minute a day.
        rationale.push(`start-up bursts up to ${cores(c.cpu.startupMax)} (first minutes after a container starts) are left out of the percentile${o.cpuLimitPolicy === 'none' ? '; with no CPU limit they borrow idle CPU' : ''}`);
      }
      if (c.throttledRatio !== null && c.throttledRatio >= THROTTLED_DEMAND_HIDDEN && c.limits.cpu !== null) {
        // Usage cannot exceed the limit, so the percentile measured the limit, not the demand: ask for
        // at least the limit plus the share of periods the container spent waiting for CPU.
        const demand = c.limits.cpu * (1 + c.throttledRatio);
        if (demand > request) {
          request = demand;
          rationale.push(`throttled in ${Math.round(c.throttledRatio * 100)} % of CFS periods at a ${cores(c.limits.cpu)} limit: usage understates demand, so the request is at least the limit + ${Math.round(c.throttledRatio * 100)} % (${cores(demand)})`);
        }
      }
      return request;
    }
  }
}

function cpuLimit(c: ContainerFacts, request: number, o: RightsizingOptions, rationale: string[]): number | null {
  if (o.strategy === 'krr-simple') return null;
  if (o.strategy === 'vpa-like') {
    if (c.limits.cpu === null || c.requests.cpu === null || c.requests.cpu <= 0) return null;
    rationale.push('CPU limit scaled with the request, keeping the current limit/request ratio (VPA)');
    return request * (c.limits.cpu / c.requests.cpu);
  }
  switch (o.cpuLimitPolicy) {
    case 'none':
      if (c.limits.cpu !== null) rationale.push('no CPU limit: a limit throttles bursts even when the node has idle CPU');
      return null;
    case 'ratio':
      return request * o.cpuLimitRatio;
    case 'from-throttling': {
      const peak = c.cpu.p99 ?? c.cpu.max;
      if (peak === null) return null;
      // Room for the observed p99 burst and for start-up, never below the request.
      return Math.max(request, peak * 1.2, c.cpu.startupMax ?? 0, (c.limits.cpu ?? 0) * (c.throttledRatio !== null && c.throttledRatio >= THROTTLED_DEMAND_HIDDEN ? 1 + c.throttledRatio : 1));
    }
  }
}

function memoryTarget(c: ContainerFacts, o: RightsizingOptions, rationale: string[]): number | null {
  if (c.memoryMax === null) return null;
  const headroom = o.strategy === 'headroom' ? o.memoryHeadroom : 0.15;
  let target: number;
  if (o.strategy === 'vpa-like' && c.memoryDailyPeakP90 !== null) {
    target = c.memoryDailyPeakP90 * (1 + headroom);
    rationale.push(`memory = p90 of the pods' daily working-set peaks (${mib(c.memoryDailyPeakP90)}) + 15 %, as the VPA recommender does`);
  } else {
    target = c.memoryMax * (1 + headroom);
    rationale.push(`memory = true peak of the working set over every raw sample (${mib(c.memoryMax)}) + ${Math.round(headroom * 100)} %`);
  }
  if (c.memoryStartupMax !== null && c.memoryStartupMax >= c.memoryMax * 0.95) {
    rationale.push(`the peak comes at start-up (${mib(c.memoryStartupMax)} in a container's first minutes): the limit must hold it even if steady use is lower`);
  }
  // krr ignores OOM kills unless asked (--use-oomkill-data is off by default).
  if (c.oomKills > 0 && o.strategy !== 'krr-simple') {
    // An OOM kill means the peak went past the limit in force and was never scraped.
    const floor = c.limits.memory ?? c.memoryMax;
    const bumped = Math.max(floor + 100 * MI, floor * 1.2);
    if (bumped > target) {
      target = bumped;
      rationale.push(`${c.oomKills} OOM kill${c.oomKills > 1 ? 's' : ''}: the real peak exceeded the ${mib(floor)} limit and was never scraped, so memory goes to max(limit + 100Mi, limit × 1.2) = ${mib(bumped)}`);
    }
  }
  return target;
}

export function rightsize(c: ContainerFacts, options: RightsizingOptions = DEFAULT_RIGHTSIZING, scrapeInterval = 60): ResourceProposal {
  const rationale: string[] = [];
  const gaps: string[] = [];
  const floors = floorsOf(options);
  const current = { cpu: { request: c.requests.cpu, limit: c.limits.cpu }, memory: { request: c.requests.memory, limit: c.limits.memory } };
  let cpu: ResourcePair = { ...current.cpu };
  const request = cpuRequest(c, options, rationale);
  if (request === null) gaps.push('no CPU usage samples in the window');
  else {
    const r = roundCpuUp(Math.max(request, floors.cpu));
    if (request < floors.cpu) rationale.push(`CPU raised to the ${cores(floors.cpu)} floor`);
    const limit = cpuLimit(c, r, options, rationale);
    cpu = { request: r, limit: limit === null ? null : roundCpuUp(limit) };
  }
  let memory: ResourcePair = { ...current.memory };
  const target = memoryTarget(c, options, rationale);
  if (target === null) gaps.push('no memory samples in the window');
  else {
    const m = roundMemoryUp(Math.max(target, floors.memory));
    if (target < floors.memory) rationale.push(`memory raised to the ${mib(floors.memory)} floor`);
    let limit = m;
    if (options.strategy === 'vpa-like' && c.limits.memory !== null && c.requests.memory) limit = roundMemoryUp(m * (c.limits.memory / c.requests.memory));
    else rationale.push('memory limit = request: the container is never killed for using what it asked for');
    memory = { request: m, limit };
  }
  return { container: c.name, current, proposed: { cpu, memory }, confidence: confidenceOf(c.cpu.samples, scrapeInterval), rationale, gaps };
}

function floorsOf(options: RightsizingOptions): { cpu: number; memory: number } {
  switch (options.strategy) {
    case 'krr-simple':
      return { cpu: 0.01, memory: 100 * MI };
    case 'vpa-like':
      return { cpu: 0.025, memory: 250 * MI };
    case 'headroom':
      return { cpu: options.minCpu, memory: options.minMemory };
  }
}
