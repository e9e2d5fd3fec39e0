import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

/**
 * Servers the tests start: bound to 127.0.0.1 on a free port, and watched by a small shell guard so
 * they stop by themselves when the test process goes away, even if it is killed.
 */
export interface GuardedProcess {
  child: ChildProcess;
  output: () => string;
  stop: () => Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

const GUARD = `
"$@" &
child=$!
trap 'kill -TERM $child 2>/dev/null; wait $child; exit 0' TERM INT
while kill -0 "$HEADROOM_GUARDED_PARENT" 2>/dev/null && kill -0 $child 2>/dev/null; do sleep 1; done
kill -TERM $child 2>/dev/null
wait $child
`;

export function spawnGuarded(command: string, args: readonly string[], options: { cwd?: string } = {}): GuardedProcess {
  // Its own process group, so stop() can take the guard and the server down together.
  const child = spawn('bash', ['-c', GUARD, 'guard', command, ...args], {
    cwd: options.cwd,
    env: { ...process.env, HEADROOM_GUARDED_PARENT: String(process.pid) },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let log = '';
  const keep = (chunk: Buffer): void => {
    log = (log + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    output: () => log,
    stop: async () => {
      const signalGroup = (signal: NodeJS.Signals): void => {
        try {
          if (child.pid !== undefined) process.kill(-child.pid, signal);
        } catch {
          // already gone
        }
      };
      if (child.exitCode === null) signalGroup('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
      if (child.exitCode === null) {
        signalGroup('SIGKILL');
        await exited;
      }
      child.stdout?.destroy();
      child.stderr?.destroy();
    },
  };
}

export async function waitForHttp(url: string, process: GuardedProcess, what: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (process.child.exitCode !== null) throw new Error(`${what} exited (${process.child.exitCode}) before it was ready:\n${process.output()}`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${what} did not become ready at ${url} within ${timeoutMs} ms:\n${process.output()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

export async function run(command: string, args: readonly string[], what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.on('error', (error) => reject(new Error(`${what}: cannot run ${command} (${error.message}); is it installed? See README.md`)));
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${what} failed (exit ${code}):\n${out.slice(-4000)}`))));
  });
}
