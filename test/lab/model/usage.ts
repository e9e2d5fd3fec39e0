import type { PodLife } from './workload';

/** What each container actually used, per step: the input of the cAdvisor exporter. */
export interface ContainerUsage {
  /** Cores actually consumed (after any CPU-limit throttling). */
  cpu: Float64Array;
  /** Working set in bytes. */
  memory: Float64Array;
  /** Share of CFS periods throttled, for containers with a CPU limit. */
  throttled?: Float64Array;
}

export class UsageBook {
  private readonly byContainer = new Map<string, ContainerUsage>();

  set(pod: PodLife, container: string, usage: ContainerUsage): void {
    this.byContainer.set(`${pod.uid}/${container}`, usage);
  }

  get(pod: PodLife, container: string): ContainerUsage {
    const usage = this.byContainer.get(`${pod.uid}/${container}`);
    if (!usage) throw new Error(`no usage simulated for ${pod.workload.namespace}/${pod.name}/${container}`);
    return usage;
  }
}
