import { join } from 'node:path';
import { STEPS, STEP_SECONDS } from './model/clock';
import { SeriesSet, type Labels, type ScrapeTarget } from './model/series-set';
import { emitMusicCorp } from './musiccorp/emit';
import { simulateMusicCorp } from './musiccorp/simulate';
import { backfill, cachedBuild, labCacheKey, log } from './build';
import { writeOpenMetrics } from './write';

/**
 * MusicCorp copied `copies` times into renamed namespaces (`storefront-c2`, …), with only the last
 * `hours` of history: a fleet `copies`× larger whose series are the lab's own. It exists to show that
 * Headroom asks the store the same number of questions however large the fleet is; short history
 * keeps its backfill to seconds, and the number of questions does not depend on history length.
 */
const NAMESPACE_LABELS = ['namespace', 'k8s_namespace_name', 'exported_namespace', 'destination_workload_namespace'];

function renamed(labels: Labels, copy: number): Labels {
  if (copy === 0) return labels;
  const out: Record<string, string> = { ...labels };
  for (const label of NAMESPACE_LABELS) if (out[label]) out[label] = `${out[label]}-c${copy + 1}`;
  // OpenTelemetry's job is service.namespace/service.name.
  if (out.job?.includes('/')) out.job = out.job.replace(/^([^/]+)\//, `$1-c${copy + 1}/`);
  return out;
}

export async function ensureScaledLabBuilt(copies: number, hours: number): Promise<{ tsdbDir: string }> {
  const key = await labCacheKey();
  const dir = await cachedBuild(`${key}-scaled-${copies}x-${hours}h`, async (work) => {
    log(`building MusicCorp ×${copies} with ${hours} h of history`);
    const { set } = emitMusicCorp(simulateMusicCorp());
    const keepFrom = STEPS - Math.round((hours * 3600) / STEP_SECONDS);
    const scaled = new SeriesSet();
    // Series already carry their target's labels; keep one target object per original so scrape
    // timestamps are formatted once per target, not once per series.
    const targets = new Map<ScrapeTarget, ScrapeTarget>();
    for (const { family, series } of set.families.values()) {
      for (const s of series) {
        const recent = s.values.map((v, i) => (i >= keepFrom ? v : Number.NaN));
        let target = targets.get(s.target);
        if (!target) {
          target = { labels: {}, offset: s.target.offset };
          targets.set(s.target, target);
        }
        for (let copy = 0; copy < copies; copy++) scaled.add(family, s.sampleName, renamed(s.labels, copy), recent, target);
      }
    }
    const om = join(work, 'history.om');
    await writeOpenMetrics(scaled, om);
    await backfill(om, join(work, 'tsdb'));
  });
  return { tsdbDir: join(dir, 'tsdb') };
}
