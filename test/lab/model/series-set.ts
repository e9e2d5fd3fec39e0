import type { Random } from './random';

/**
 * The samples the lab's fake exporters "expose": one value array per series over the time grid
 * (NaN = not scraped at that step, e.g. the pod did not exist), grouped by metric family so the
 * OpenMetrics writer can emit each family once.
 */
export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'unknown';

export type Labels = Readonly<Record<string, string>>;

export interface Family {
  name: string;
  type: MetricType;
  help: string;
}

/** A scrape target: the labels Prometheus' service discovery attaches, and its scrape phase. */
export interface ScrapeTarget {
  labels: Labels;
  /** Seconds into each minute at which this target is scraped (1–59). */
  offset: number;
}

export interface Series {
  sampleName: string;
  labels: Labels;
  values: Float64Array;
  target: ScrapeTarget;
}

export interface FamilySeries {
  family: Family;
  series: Series[];
}

export class SeriesSet {
  readonly families = new Map<string, FamilySeries>();

  add(family: Family, sampleName: string, labels: Labels, values: Float64Array, target: ScrapeTarget): void {
    let entry = this.families.get(family.name);
    if (!entry) {
      entry = { family, series: [] };
      this.families.set(family.name, entry);
    } else if (entry.family.type !== family.type) {
      throw new Error(`metric family ${family.name} declared as ${entry.family.type} and ${family.type}`);
    }
    // Exporters attach their own labels first; target labels only fill what the series lacks,
    // as Prometheus does with honor_labels (kube-state-metrics' `container` label is the famous case).
    entry.series.push({ sampleName, labels: { ...target.labels, ...labels }, values, target });
  }

  seriesCount(): number {
    let n = 0;
    for (const f of this.families.values()) n += f.series.length;
    return n;
  }

  sampleCount(): number {
    let n = 0;
    for (const f of this.families.values()) {
      for (const s of f.series) for (const v of s.values) if (!Number.isNaN(v)) n++;
    }
    return n;
  }
}

export function scrapeTarget(labels: Labels, random: Random): ScrapeTarget {
  return { labels, offset: Math.round(random.between(1, 59) * 1000) / 1000 };
}
