/**
 * A real Prometheus and a real VictoriaMetrics holding a handful of series, for testing the client against
 * the stores' true behaviour (limits, warnings, NaN, wording) rather than a mock of it. Prometheus gets its data
 * from `promtool tsdb create-blocks-from openmetrics`, VictoriaMetrics from `/api/v1/import`; both bind
 * 127.0.0.1 on a free port and stop with the test process (the lab's guarded processes).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backfill } from '../../lab/build';
import { freePort, spawnGuarded, waitForHttp } from '../../lab/processes';
import { startPrometheus } from '../../lab/servers';

export interface SmallSeries {
  /** `__name__` included. */
  labels: Record<string, string>;
  /** [unix seconds, value], in time order. */
  samples: Array<[number, number]>;
}

export interface SmallStore {
  url: string;
  stop: () => Promise<void>;
}

/** Starts Prometheus on the given series. `config` is appended to prometheus.yml (e.g. a remote_read block). */
export async function startSmallPrometheus(
  series: SmallSeries[],
  options: { flags?: string[]; config?: string } = {},
): Promise<SmallStore> {
  const dir = await mkdtemp(join(tmpdir(), 'headroom-small-prometheus-'));
  const input = join(dir, 'data.om');
  const tsdb = join(dir, 'tsdb');
  await writeFile(input, openMetrics(series));
  await backfill(input, tsdb);
  const { url, process } = await startPrometheus(tsdb, dir, { ...options, inPlace: true });
  return {
    url,
    stop: async () => {
      await process.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Starts VictoriaMetrics and imports the series. Its result cache is off and its latency offset zero, so a
 * query right after the import sees every sample.
 */
export async function startSmallVictoriaMetrics(series: SmallSeries[], options: { flags?: string[] } = {}): Promise<SmallStore> {
  const dir = await mkdtemp(join(tmpdir(), 'headroom-small-vm-'));
  const port = await freePort();
  const process = spawnGuarded('victoria-metrics', [
    `-storageDataPath=${join(dir, 'data')}`,
    `-httpListenAddr=127.0.0.1:${port}`,
    '-retentionPeriod=100y',
    '-search.disableCache',
    '-search.latencyOffset=0s',
    '-loggerLevel=WARN',
    ...(options.flags ?? []),
  ]);
  const url = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    await process.stop();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitForHttp(`${url}/health`, process, 'VictoriaMetrics', 60_000);
    const lines = series.map((s) =>
      JSON.stringify({ metric: s.labels, values: s.samples.map(([, v]) => v), timestamps: s.samples.map(([t]) => t * 1000) }),
    );
    const imported = await fetch(`${url}/api/v1/import`, { method: 'POST', body: `${lines.join('\n')}\n` });
    if (!imported.ok) throw new Error(`VictoriaMetrics refused the import (${imported.status}): ${await imported.text()}`);
    await fetch(`${url}/internal/force_flush`);
    await waitForSeries(url, series.length);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, stop };
}

/** Waits until every imported series is searchable. */
async function waitForSeries(url: string, expected: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const response = await fetch(`${url}/api/v1/series`, {
      method: 'POST',
      body: new URLSearchParams({ 'match[]': '{__name__!=""}', start: '0' }),
    });
    const body = (await response.json()) as { data?: unknown[] };
    if ((body.data?.length ?? 0) >= expected) return;
    if (Date.now() > deadline) throw new Error(`VictoriaMetrics shows ${body.data?.length ?? 0} of ${expected} series after 30 s`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** OpenMetrics text: one family per metric name, gauges, timestamps in seconds. */
function openMetrics(series: SmallSeries[]): string {
  const families = new Map<string, SmallSeries[]>();
  for (const s of series) {
    const name = s.labels.__name__ ?? '';
    families.set(name, [...(families.get(name) ?? []), s]);
  }
  const lines: string[] = [];
  for (const [name, members] of families) {
    lines.push(`# HELP ${name} test series`, `# TYPE ${name} gauge`);
    for (const s of members) {
      const labels = Object.entries(s.labels)
        .filter(([key]) => key !== '__name__')
        .map(([key, value]) => `${key}="${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`)
        .join(',');
      const prefix = labels === '' ? name : `${name}{${labels}}`;
      for (const [time, value] of s.samples) lines.push(`${prefix} ${value} ${time}`);
    }
  }
  lines.push('# EOF', '');
  return lines.join('\n');
}

/** Samples every `step` seconds from `start` to `end`, valued by `value(time)`. */
export function every(step: number, start: number, end: number, value: (time: number) => number): Array<[number, number]> {
  const samples: Array<[number, number]> = [];
  for (let time = start; time <= end; time += step) samples.push([time, value(time)]);
  return samples;
}
