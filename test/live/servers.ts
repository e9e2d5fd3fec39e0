import { existsSync, readdirSync } from 'node:fs';
import { chmod, chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { freePort, spawnGuarded, waitForHttp, type GuardedProcess } from '../lab/processes';

/**
 * Real servers for the live rule tests (test/live/*.lab.test.ts): PostgreSQL, pgbouncer, Redis, their
 * Debian exporters and a Prometheus that scrapes them as Kubernetes service discovery would label
 * them. Everything binds 127.0.0.1 on a free port, lives in one temporary folder and is started
 * through `spawnGuarded`, so it stops by itself if the test process dies; `LiveStack.stop()` stops
 * it in reverse order (exporters before the servers they hold connections to) and removes the folder.
 */

/** PostgreSQL and pgbouncer refuse to run as root: as root, they run as Debian's `postgres` user. */
const SERVICE_USER = 'postgres';

function serviceIds(): { uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  const id = (flag: string): number => Number(execFileSync('id', [flag, SERVICE_USER]).toString().trim());
  return { uid: id('-u'), gid: id('-g') };
}

/** `command args` as the service user when we are root (setpriv execs, so the pid stays the server's). */
function asServiceUser(command: string, args: readonly string[]): [string, string[]] {
  if (!serviceIds()) return [command, [...args]];
  return ['setpriv', [`--reuid=${SERVICE_USER}`, `--regid=${SERVICE_USER}`, '--clear-groups', command, ...args]];
}

/** A PostgreSQL program from the newest /usr/lib/postgresql/<major>/bin (Debian keeps them off PATH). */
export function postgresBin(name: string): string {
  const base = '/usr/lib/postgresql';
  const majors = existsSync(base) ? readdirSync(base).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)) : [];
  for (const major of majors) {
    const path = join(base, major, 'bin', name);
    if (existsSync(path)) return path;
  }
  return name;
}

async function until(what: string, process: GuardedProcess | null, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (process && process.child.exitCode !== null) throw new Error(`${what} exited (${process.child.exitCode}) before it was ready:\n${process.output()}`);
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what} was not ready within ${timeoutMs} ms${process ? `:\n${process.output()}` : ''}`);
    await sleep(250);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Runs a bounded client (pgbench, redis-benchmark, psql) to its end under the same guard as the
 * servers, so it cannot outlive the test; stops it after `timeoutMs`. Resolves with its output.
 */
export async function runGuarded(command: string, args: readonly string[], what: string, timeoutMs: number): Promise<string> {
  const client = spawnGuarded(command, args);
  const exited = new Promise<number | null>((resolve) => client.child.once('exit', (code) => resolve(code)));
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
  const outcome = await Promise.race([exited, timedOut]);
  clearTimeout(timer);
  await client.stop();
  if (outcome === 'timeout') throw new Error(`${what} did not finish within ${timeoutMs} ms:\n${client.output().slice(-4000)}`);
  if (outcome !== 0) throw new Error(`${what} failed (exit ${outcome}):\n${client.output().slice(-4000)}`);
  return client.output();
}

export class LiveStack {
  private readonly stops: Array<() => Promise<void>> = [];

  private constructor(readonly dir: string) {}

  static async create(name: string): Promise<LiveStack> {
    const dir = await mkdtemp(join(tmpdir(), `headroom-live-${name}-`));
    const ids = serviceIds();
    if (ids) await chown(dir, ids.uid, ids.gid);
    return new LiveStack(dir);
  }

  /** Writes a file the service user can read. */
  async file(name: string, text: string): Promise<string> {
    const path = join(this.dir, name);
    await writeFile(path, text);
    const ids = serviceIds();
    if (ids) await chown(path, ids.uid, ids.gid);
    await chmod(path, 0o600);
    return path;
  }

  private start(command: string, args: readonly string[]): GuardedProcess {
    const server = spawnGuarded(command, args);
    this.stops.push(() => server.stop());
    return server;
  }

  /** initdb in the stack's folder, then `postgres` with the given settings. Returns its port. */
  async postgres(settings: Record<string, string | number>): Promise<number> {
    const data = join(this.dir, 'postgres');
    const [initdb, initdbArgs] = asServiceUser(postgresBin('initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync', '--no-instructions']);
    await runGuarded(initdb, initdbArgs, 'initdb', 60_000);
    const port = await freePort();
    const options = { listen_addresses: '127.0.0.1', port, unix_socket_directories: '', fsync: 'off', log_min_messages: 'warning', ...settings };
    const [command, args] = asServiceUser(postgresBin('postgres'), ['-D', data, ...Object.entries(options).flatMap(([k, v]) => ['-c', `${k}=${v}`])]);
    const server = this.start(command, args);
    const isReady = postgresBin('pg_isready');
    await until('PostgreSQL', server, async () => {
      await runGuarded(isReady, ['-q', '-h', '127.0.0.1', '-p', String(port)], 'pg_isready', 5_000);
      return true;
    });
    return port;
  }

  /** pgbouncer with one logical database `app` → PostgreSQL's `postgres`, trust auth, and the admin user `pgbouncer`. */
  async pgbouncer(backendPort: number, settings: Record<string, string | number>): Promise<number> {
    const port = await freePort();
    const users = await this.file('pgbouncer-users.txt', '"postgres" ""\n"pgbouncer" ""\n');
    const options = {
      listen_addr: '127.0.0.1',
      listen_port: port,
      unix_socket_dir: '',
      auth_type: 'trust',
      auth_file: users,
      admin_users: 'pgbouncer',
      stats_users: 'pgbouncer',
      ...settings,
    };
    const ini = [
      '[databases]',
      `app = host=127.0.0.1 port=${backendPort} dbname=postgres`,
      '[pgbouncer]',
      ...Object.entries(options).map(([k, v]) => `${k} = ${v}`),
      '',
    ].join('\n');
    const [command, args] = asServiceUser('pgbouncer', [await this.file('pgbouncer.ini', ini)]);
    const server = this.start(command, args);
    await until('pgbouncer', server, () => accepts(port));
    return port;
  }

  /**
   * Debian's prometheus-pgbouncer-exporter, through test/live/pgbouncer-exporter.py (which says why
   * it needs adapting for pgbouncer ≥ 1.8 and what it adds). Debian's python3 holds its modules.
   */
  async pgbouncerExporter(pgbouncerPort: number): Promise<number> {
    const port = await freePort();
    const exporter = this.start('/usr/bin/python3', [
      join(import.meta.dirname, 'pgbouncer-exporter.py'),
      '--host', '127.0.0.1',
      '--port', String(port),
      '--pgbouncer-host', '127.0.0.1',
      '--pgbouncer-port', String(pgbouncerPort),
      '--pgbouncer-user', 'pgbouncer',
    ]);
    await waitForHttp(`http://127.0.0.1:${port}/metrics`, exporter, 'prometheus-pgbouncer-exporter', 60_000);
    return port;
  }

  /** Debian's prometheus-postgres-exporter (postgres_exporter), as the superuser. */
  async postgresExporter(postgresPort: number): Promise<number> {
    const port = await freePort();
    const dsn = `host=127.0.0.1 port=${postgresPort} user=postgres dbname=postgres sslmode=disable`;
    // `env` execs the exporter with the DSN, which it takes only from the environment.
    const exporter = this.start('env', [`DATA_SOURCE_NAME=${dsn}`, 'prometheus-postgres-exporter', `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn']);
    await waitForHttp(`http://127.0.0.1:${port}/metrics`, exporter, 'prometheus-postgres-exporter', 60_000);
    return port;
  }

  /** redis-server without persistence. */
  async redis(): Promise<number> {
    const port = await freePort();
    const server = this.start('redis-server', ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no', '--dir', this.dir, '--loglevel', 'warning']);
    await until('redis-server', server, () => accepts(port));
    return port;
  }

  /** Debian's prometheus-redis-exporter (oliver006/redis_exporter), one per instance as a sidecar would be. */
  async redisExporter(redisPort: number): Promise<number> {
    const port = await freePort();
    const exporter = this.start('prometheus-redis-exporter', ['-redis.addr', `redis://127.0.0.1:${redisPort}`, '-web.listen-address', `127.0.0.1:${port}`, '-redis-only-metrics']);
    await waitForHttp(`http://127.0.0.1:${port}/metrics`, exporter, 'prometheus-redis-exporter', 60_000);
    return port;
  }

  /**
   * Prometheus scraping `targets` every `intervalSeconds`, each with the labels Kubernetes service
   * discovery gives a pod's target (`namespace`, `pod`; `job` from the scrape config, `instance` the
   * address). Waits until every target has been scraped successfully.
   */
  async prometheus(targets: readonly ScrapeTarget[], intervalSeconds: number): Promise<string> {
    const jobs = [...new Set(targets.map((t) => t.job))];
    const config = {
      global: { scrape_interval: `${intervalSeconds}s`, scrape_timeout: `${Math.max(1, intervalSeconds - 1)}s`, evaluation_interval: `${intervalSeconds}s` },
      scrape_configs: jobs.map((job) => ({
        job_name: job,
        static_configs: targets.filter((t) => t.job === job).map((t) => ({ targets: [`127.0.0.1:${t.port}`], labels: { namespace: t.namespace, pod: t.pod } })),
      })),
    };
    const port = await freePort();
    const server = this.start('prometheus', [
      `--config.file=${await this.file('prometheus.yml', stringify(config))}`,
      `--storage.tsdb.path=${join(this.dir, 'prometheus-data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ]);
    const url = `http://127.0.0.1:${port}`;
    await waitForHttp(`${url}/-/ready`, server, 'Prometheus');
    await until('every scrape target', server, async () => (await instantValues(url, 'up == 1')).length === targets.length);
    return url;
  }

  async stop(): Promise<void> {
    for (const stop of this.stops.reverse()) await stop().catch(() => undefined);
    this.stops.length = 0;
    await rm(this.dir, { recursive: true, force: true });
  }
}

export interface ScrapeTarget {
  job: string;
  port: number;
  namespace: string;
  pod: string;
}

/** An instant query straight to Prometheus' HTTP API, to check what Headroom reports against the raw samples. */
export async function instantValues(url: string, query: string, time?: number): Promise<Array<{ labels: Record<string, string>; value: number }>> {
  const body = new URLSearchParams({ query, ...(time === undefined ? {} : { time: String(time) }) });
  const response = await fetch(`${url}/api/v1/query`, { method: 'POST', body, signal: AbortSignal.timeout(10_000) });
  const json = (await response.json()) as { status: string; error?: string; data?: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } };
  if (json.status !== 'success' || !json.data) throw new Error(`Prometheus refused ${query}: ${json.error ?? response.status}`);
  return json.data.result.map((r) => ({ labels: r.metric, value: Number(r.value[1]) }));
}

/** Unix seconds now, the clock Prometheus stamps its scrapes with. */
export function now(): number {
  return Date.now() / 1000;
}
