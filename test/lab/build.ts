import { createHash } from 'node:crypto';
import { cp, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createReadStream, existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { emitMusicCorp } from './musiccorp/emit';
import { groundTruth } from './musiccorp/ground-truth';
import { musicCorpManifests, type KubeObject } from './musiccorp/manifests';
import { simulateMusicCorp } from './musiccorp/simulate';
import { freePort, run, spawnGuarded, waitForHttp } from './processes';
import { writeOpenMetrics, writeVictoriaMetricsImport } from './write';

/**
 * Builds the lab once per generator version: history → OpenMetrics → `promtool tsdb
 * create-blocks-from openmetrics` → a Prometheus TSDB, and the same samples → a VictoriaMetrics
 * data directory. The result is cached outside the checkout, keyed by a hash of every source file
 * of the lab and the versions of the two backends, so a rerun (or CI on the same machine) starts
 * in seconds and any change to the generator rebuilds it.
 */
export interface LabBuild {
  dir: string;
  tsdbDir: string;
  vmDataDir: string;
  groundTruthPath: string;
  manifestsDir: string;
  clusterDir: string;
}

const LAB_DIR = dirname(fileURLToPath(import.meta.url));
/** promtool re-reads its whole input once per block; 162 h blocks (its largest) keep that to 2–3 passes. */
export const BACKFILL_BLOCK_DURATION = '162h';

export function labCacheRoot(): string {
  return process.env.HEADROOM_LAB_CACHE ?? join(homedir(), '.cache', 'headroom', 'lab');
}

/** What decides the lab's data: the generator and this builder (not the code that serves it). */
const GENERATOR_SOURCES = ['model', 'exporters', 'musiccorp', 'write.ts', 'build.ts'];

async function sourceFiles(path: string): Promise<string[]> {
  if (!(await stat(path)).isDirectory()) return [path];
  const out: string[] = [];
  for (const entry of await readdir(path)) out.push(...(await sourceFiles(join(path, entry))));
  return out.filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts')).sort();
}

export async function labCacheKey(): Promise<string> {
  const hash = createHash('sha256');
  const files = (await Promise.all(GENERATOR_SOURCES.map((s) => sourceFiles(join(LAB_DIR, s))))).flat();
  for (const file of files) {
    hash.update(relative(LAB_DIR, file));
    hash.update(await readFile(file));
  }
  hash.update(await run('promtool', ['--version'], 'promtool --version'));
  hash.update(await run('victoria-metrics', ['-version'], 'victoria-metrics -version'));
  return hash.digest('hex').slice(0, 16);
}

export function log(message: string): void {
  process.stderr.write(`[lab] ${message}\n`);
}

async function writeObjects(dir: string, files: Map<string, KubeObject[]>): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const [name, objects] of files) {
    await writeFile(join(dir, name), objects.map((o) => stringify(o, { lineWidth: 0 })).join('---\n'));
  }
}

/** Waits for another process building the same key, or takes the build lock. */
async function acquireLock(lockDir: string): Promise<() => Promise<void>> {
  for (;;) {
    try {
      await mkdir(lockDir);
      await writeFile(join(lockDir, 'pid'), String(process.pid));
      return async () => rm(lockDir, { recursive: true, force: true });
    } catch {
      const pid = Number(await readFile(join(lockDir, 'pid'), 'utf8').catch(() => '0'));
      let owner = false;
      try {
        if (pid > 0) owner = process.kill(pid, 0);
      } catch {
        owner = false;
      }
      if (!owner) {
        await rm(lockDir, { recursive: true, force: true });
        continue;
      }
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
}

async function importIntoVictoriaMetrics(dataDir: string, importFile: string): Promise<void> {
  const port = await freePort();
  const vm = spawnGuarded('victoria-metrics', [`-storageDataPath=${dataDir}`, `-httpListenAddr=127.0.0.1:${port}`, '-retentionPeriod=100y']);
  try {
    await waitForHttp(`http://127.0.0.1:${port}/health`, vm, 'VictoriaMetrics');
    const size = (await stat(importFile)).size;
    const response = await fetch(`http://127.0.0.1:${port}/api/v1/import`, {
      method: 'POST',
      body: createReadStream(importFile) as unknown as BodyInit,
      headers: { 'Content-Length': String(size) },
      duplex: 'half',
    } as RequestInit);
    if (!response.ok) throw new Error(`VictoriaMetrics import failed: ${response.status} ${await response.text()}`);
    const flush = await fetch(`http://127.0.0.1:${port}/internal/force_flush`);
    if (!flush.ok) throw new Error(`VictoriaMetrics flush failed: ${flush.status}`);
  } finally {
    await vm.stop();
  }
}

/**
 * Runs `produce` into a fresh directory unless `<root>/<name>/complete` exists, under a lock so two
 * test processes never build the same thing at once; the result appears atomically (rename).
 */
export async function cachedBuild(name: string, produce: (workDir: string) => Promise<void>): Promise<string> {
  const root = labCacheRoot();
  const dir = join(root, name);
  if (existsSync(join(dir, 'complete'))) return dir;
  await mkdir(root, { recursive: true });
  const release = await acquireLock(`${dir}.lock`);
  try {
    if (existsSync(join(dir, 'complete'))) return dir;
    const work = `${dir}.building`;
    await rm(work, { recursive: true, force: true });
    await mkdir(work, { recursive: true });
    await produce(work);
    await writeFile(join(work, 'complete'), new Date().toISOString());
    await rm(dir, { recursive: true, force: true });
    await rename(work, dir);
    return dir;
  } finally {
    await release();
  }
}

export async function backfill(openMetricsFile: string, tsdbDir: string): Promise<void> {
  await run('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', `--max-block-duration=${BACKFILL_BLOCK_DURATION}`, openMetricsFile, tsdbDir], 'promtool backfill');
}

export function labPaths(dir: string): LabBuild {
  return {
    dir,
    tsdbDir: join(dir, 'tsdb'),
    vmDataDir: join(dir, 'victoria-metrics'),
    groundTruthPath: join(dir, 'ground-truth.json'),
    manifestsDir: join(dir, 'manifests'),
    clusterDir: join(dir, 'cluster'),
  };
}

export async function ensureLabBuilt(): Promise<LabBuild> {
  const key = await labCacheKey();
  const dir = await cachedBuild(key, async (work) => {
    const started = Date.now();
    log(`building the MusicCorp lab (${key}) in ${work}; this takes a few minutes once, then it is cached`);
    const world = simulateMusicCorp();
    const { set, http } = emitMusicCorp(world);
    log(`simulated ${set.seriesCount()} series, ${set.sampleCount()} samples`);
    const om = join(work, 'history.om');
    const jsonl = join(work, 'history.jsonl');
    await writeOpenMetrics(set, om);
    await writeVictoriaMetricsImport(set, jsonl);
    const { manifests, cluster } = musicCorpManifests(world);
    await writeFile(join(work, 'ground-truth.json'), JSON.stringify(groundTruth(world, http), null, 2));
    await writeObjects(join(work, 'manifests'), manifests);
    await writeObjects(join(work, 'cluster'), cluster);
    log(`wrote OpenMetrics and VictoriaMetrics import files (${Math.round((Date.now() - started) / 1000)} s); backfilling Prometheus and VictoriaMetrics`);
    // One core each: promtool is single-threaded, and so is VictoriaMetrics' import of one stream.
    await Promise.all([backfill(om, join(work, 'tsdb')), importIntoVictoriaMetrics(join(work, 'victoria-metrics'), jsonl)]);
    await rm(om);
    await rm(jsonl);
    log(`lab built in ${Math.round((Date.now() - started) / 1000)} s`);
  });
  await pruneOldBuilds(labCacheRoot(), key);
  return labPaths(dir);
}

/** Keeps the cache from growing with every generator change: drop builds of other generator versions. */
async function pruneOldBuilds(root: string, key: string): Promise<void> {
  for (const entry of await readdir(root)) {
    if (entry.startsWith(key) || entry.endsWith('.lock')) continue;
    if (/^[0-9a-f]{16}/.test(entry)) await rm(join(root, entry), { recursive: true, force: true });
  }
}

/** A private, writable copy of a cached directory for one server run. */
export async function workingCopy(source: string, target: string): Promise<void> {
  await rm(target, { recursive: true, force: true });
  await cp(source, target, { recursive: true });
}
