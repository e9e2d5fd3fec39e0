/**
 * Decides whether `npm start` can open the desktop window, and if not, says why in one line.
 *
 * The `electron` package's own entry (`require('electron')`) returns the binary's path, but in this
 * version it starts a download when the binary is missing, which hangs or fails offline; so the same
 * lookup (`path.txt` inside the package) is done here without side effects.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

export type ElectronProbe = { ok: true; binary: string } | { ok: false; reason: string };

export interface ProbeEnvironment {
  /** The installed `electron` package; null when it is not installed. */
  packageDir: string | null;
  env: NodeJS.ProcessEnv;
  platform: NodeJS.Platform;
  /** Effective user id; undefined where the platform has none. */
  uid: number | undefined;
}

export function currentEnvironment(): ProbeEnvironment {
  let packageDir: string | null = null;
  try {
    packageDir = path.dirname(createRequire(import.meta.url).resolve('electron/package.json'));
  } catch {
    // Not installed; findElectron explains.
  }
  return { packageDir, env: process.env, platform: process.platform, uid: process.getuid?.() };
}

export function findElectron(environment: ProbeEnvironment = currentEnvironment()): ElectronProbe {
  const { packageDir, env, platform, uid } = environment;
  if (packageDir === null) return { ok: false, reason: 'The electron package is not installed (run npm ci)' };
  const pathFile = path.join(packageDir, 'path.txt');
  if (!existsSync(pathFile)) {
    return { ok: false, reason: "Electron's binary is not installed (its download did not run or could not reach the network)" };
  }
  const relative = readFileSync(pathFile, 'utf8').trim();
  const binary = env.ELECTRON_OVERRIDE_DIST_PATH
    ? path.join(env.ELECTRON_OVERRIDE_DIST_PATH, relative)
    : path.join(packageDir, 'dist', relative);
  if (!existsSync(binary)) return { ok: false, reason: `Electron's binary is missing at ${binary}` };
  if (platform === 'linux' && !env.DISPLAY && !env.WAYLAND_DISPLAY) {
    return { ok: false, reason: 'There is no display to open a window on (DISPLAY and WAYLAND_DISPLAY are unset)' };
  }
  // Electron refuses to start as root unless its sandbox is switched off, which we never do.
  if (platform === 'linux' && uid === 0) {
    return { ok: false, reason: "Electron will not run as root with its sandbox on, and Headroom keeps the sandbox" };
  }
  const check = spawnSync(binary, ['--version'], { encoding: 'utf8', timeout: 15_000, env });
  if (check.status !== 0) {
    const detail = (check.error?.message ?? check.stderr).trim().split('\n')[0] || `exit status ${check.status}`;
    return { ok: false, reason: `Electron's binary does not run (${detail})` };
  }
  return { ok: true, binary };
}
