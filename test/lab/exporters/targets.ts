import type { Random } from '../model/random';
import { scrapeTarget, type Labels, type ScrapeTarget } from '../model/series-set';
import type { PodLife } from '../model/workload';
import { podTargetLabels } from './common';

/**
 * One scrape target per scraped endpoint, shared by every exporter that reads from it, so series
 * from the same /metrics page carry the same labels and the same scrape timestamps.
 */
export class Targets {
  private readonly byKey = new Map<string, ScrapeTarget>();

  constructor(private readonly random: Random) {}

  pod(pod: PodLife, container: string, port: number, job: string, endpoint = 'http-metrics'): ScrapeTarget {
    return this.remember(`${pod.uid}:${port}`, () => podTargetLabels(pod, container, port, job, endpoint));
  }

  custom(key: string, labels: () => Labels): ScrapeTarget {
    return this.remember(key, labels);
  }

  private remember(key: string, labels: () => Labels): ScrapeTarget {
    let target = this.byKey.get(key);
    if (!target) {
      target = scrapeTarget(labels(), this.random);
      this.byKey.set(key, target);
    }
    return target;
  }
}
