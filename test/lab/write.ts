import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { STEPS, STEP_SECONDS, stepTime } from './model/clock';
import type { Labels, ScrapeTarget, SeriesSet } from './model/series-set';

/**
 * Writers for the two backends: OpenMetrics text for `promtool tsdb create-blocks-from openmetrics`
 * (timestamps in seconds), and VictoriaMetrics' JSON-lines import format (milliseconds). Both carry
 * exactly the same samples and timestamps.
 */

function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function formatLabels(labels: Labels): string {
  const keys = Object.keys(labels).sort();
  if (keys.length === 0) return '';
  return `{${keys.map((k) => `${k}="${escapeLabelValue(labels[k] ?? '')}"`).join(',')}}`;
}

/**
 * Scrape time of a step for a target: within the minute that ends at the step's time, at the
 * target's phase, plus a few milliseconds of deterministic jitter. A query at a step's time thus
 * sees that step's sample as the latest one.
 */
function sampleTimestampMs(target: ScrapeTarget, step: number): number {
  const jitter = ((step * 7919 + Math.round(target.offset * 1000)) % 97) - 48;
  return Math.round((stepTime(step) - STEP_SECONDS + target.offset) * 1000) + jitter;
}

/** Every series of a target shares its scrape timestamps: format them once per target. */
class TimestampCache<T> {
  private readonly byTarget = new Map<ScrapeTarget, T[]>();

  constructor(private readonly format: (ms: number) => T) {}

  of(target: ScrapeTarget): T[] {
    let out = this.byTarget.get(target);
    if (!out) {
      out = Array.from({ length: STEPS }, (_, i) => this.format(sampleTimestampMs(target, i)));
      this.byTarget.set(target, out);
    }
    return out;
  }
}

class BufferedWriter {
  private buffer = '';
  private readonly stream: WriteStream;

  constructor(path: string) {
    this.stream = createWriteStream(path);
  }

  async write(text: string): Promise<void> {
    this.buffer += text;
    if (this.buffer.length > 1 << 22) await this.flush();
  }

  private async flush(): Promise<void> {
    const chunk = this.buffer;
    this.buffer = '';
    if (!this.stream.write(chunk)) await once(this.stream, 'drain');
  }

  async close(): Promise<void> {
    await this.flush();
    this.stream.end();
    await once(this.stream, 'finish');
  }
}

export async function writeOpenMetrics(set: SeriesSet, path: string): Promise<void> {
  const out = new BufferedWriter(path);
  const timestamps = new TimestampCache((ms) => ` ${(ms / 1000).toFixed(3)}\n`);
  for (const { family, series } of set.families.values()) {
    await out.write(`# HELP ${family.name} ${family.help}\n# TYPE ${family.name} ${family.type}\n`);
    for (const s of series) {
      const prefix = `${s.sampleName}${formatLabels(s.labels)} `;
      const ts = timestamps.of(s.target);
      let lines = '';
      for (let i = 0; i < s.values.length; i++) {
        const v = s.values[i] as number;
        if (Number.isNaN(v)) continue;
        lines += prefix + String(v) + ts[i];
      }
      await out.write(lines);
    }
  }
  await out.write('# EOF\n');
  await out.close();
}

export async function writeVictoriaMetricsImport(set: SeriesSet, path: string): Promise<void> {
  const out = new BufferedWriter(path);
  const cache = new TimestampCache((ms) => ms);
  for (const { series } of set.families.values()) {
    for (const s of series) {
      const values: number[] = [];
      const timestamps: number[] = [];
      const ts = cache.of(s.target);
      for (let i = 0; i < s.values.length; i++) {
        const v = s.values[i] as number;
        if (Number.isNaN(v)) continue;
        values.push(v);
        timestamps.push(ts[i] as number);
      }
      if (values.length === 0) continue;
      await out.write(`${JSON.stringify({ metric: { __name__: s.sampleName, ...s.labels }, values, timestamps })}\n`);
    }
  }
  await out.close();
}
