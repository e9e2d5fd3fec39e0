import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BACKFILL_BLOCK_DURATION, ensureLabBuilt, workingCopy, type LabBuild } from './build';
import { freePort, spawnGuarded, waitForHttp, type GuardedProcess } from './processes';

/**
 * The running lab: a real Prometheus and a real VictoriaMetrics, each on a private copy of the
 * cached data, on free loopback ports.
 */
export interface RunningLab {
  build: LabBuild;
  prometheusUrl: string;
  victoriaMetricsUrl: string;
  stop: () => Promise<void>;
}

export interface PrometheusOptions {
  /** Appended to prometheus.yml (e.g. a remote_read block). */
  config?: string;
  flags?: readonly string[];
  /** Serve `tsdb` in place instead of from a private copy (for a throwaway TSDB). */
  inPlace?: boolean;
}

/** A real Prometheus on `tsdb` (a copy of it, unless in place), on a free loopback port. */
export async function startPrometheus(tsdbSource: string, workDir: string, options: PrometheusOptions = {}): Promise<{ url: string; process: GuardedProcess }> {
  let tsdb = tsdbSource;
  if (!options.inPlace) {
    tsdb = join(workDir, 'prometheus-data');
    await workingCopy(tsdbSource, tsdb);
  }
  const config = join(workDir, 'prometheus.yml');
  // No scrape jobs: the backfilled history is all there is.
  await writeFile(config, `global:\n  scrape_interval: 60s\n  evaluation_interval: 60s\n${options.config ?? ''}`);
  const port = await freePort();
  const process = spawnGuarded('prometheus', [
    `--config.file=${config}`,
    `--storage.tsdb.path=${tsdb}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--storage.tsdb.retention.time=100y',
    // The backfilled blocks are already this long; do not spend the test run compacting them.
    `--storage.tsdb.max-block-duration=${BACKFILL_BLOCK_DURATION}`,
    '--log.level=warn',
    ...(options.flags ?? []),
  ]);
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${url}/-/ready`, process, 'Prometheus');
  } catch (error) {
    await process.stop();
    throw error;
  }
  return { url, process };
}

export async function startVictoriaMetrics(dataSource: string, workDir: string): Promise<{ url: string; process: GuardedProcess }> {
  const data = join(workDir, 'victoria-metrics-data');
  await workingCopy(dataSource, data);
  const port = await freePort();
  const process = spawnGuarded('victoria-metrics', [
    `-storageDataPath=${data}`,
    `-httpListenAddr=127.0.0.1:${port}`,
    '-retentionPeriod=100y',
    '-loggerLevel=WARN',
  ]);
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/health`, process, 'VictoriaMetrics');
  return { url, process };
}

export async function startLab(): Promise<RunningLab> {
  const build = await ensureLabBuilt();
  const workDir = await mkdtemp(join(tmpdir(), 'headroom-lab-'));
  const [prometheus, victoria] = await Promise.all([startPrometheus(build.tsdbDir, workDir), startVictoriaMetrics(build.vmDataDir, workDir)]);
  return {
    build,
    prometheusUrl: prometheus.url,
    victoriaMetricsUrl: victoria.url,
    stop: async () => {
      await Promise.all([prometheus.process.stop(), victoria.process.stop()]);
      await rm(workDir, { recursive: true, force: true });
    },
  };
}
