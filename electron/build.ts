/** Builds what `npm start` runs: the renderer (Vite) and the Electron main and preload (esbuild). */
import { build as bundle } from 'esbuild';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build as viteBuild } from 'vite';

export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
export const RENDERER_DIST = path.join(REPO_ROOT, 'dist', 'renderer');
export const ELECTRON_DIST = path.join(REPO_ROOT, 'dist', 'electron');

/** What the renderer build reads; a change to any of them makes dist/renderer stale. */
const RENDERER_INPUTS = ['renderer', 'vite.config.ts', 'package-lock.json'];

export async function buildRenderer(outDir: string = RENDERER_DIST): Promise<void> {
  await viteBuild({
    configFile: path.join(REPO_ROOT, 'vite.config.ts'),
    build: { outDir, emptyOutDir: true },
    logLevel: 'warn',
  });
}

/** True when `outDir` has no index.html or any renderer input changed after it was written. */
export function isRendererStale(outDir: string = RENDERER_DIST): boolean {
  const built = statSync(path.join(outDir, 'index.html'), { throwIfNoEntry: false });
  if (built === undefined) return true;
  return RENDERER_INPUTS.some((input) => newestMtime(path.join(REPO_ROOT, input)) > built.mtimeMs);
}

function newestMtime(file: string): number {
  const stats = statSync(file, { throwIfNoEntry: false });
  if (stats === undefined) return 0;
  if (!stats.isDirectory()) return stats.mtimeMs;
  const entries = readdirSync(file, { recursive: true, encoding: 'utf8' });
  return Math.max(stats.mtimeMs, ...entries.map((entry) => statSync(path.join(file, entry)).mtimeMs));
}

/**
 * Bundles electron/main.ts (ESM; packages stay external and load from node_modules) and
 * electron/preload.ts (CommonJS with everything inlined: a sandboxed preload can require `electron`
 * and nothing of ours). Returns the entry for Electron.
 */
export async function bundleElectron(outDir: string = ELECTRON_DIST): Promise<{ main: string; preload: string }> {
  const main = path.join(outDir, 'main.mjs');
  const preload = path.join(outDir, 'preload.cjs');
  const common = { absWorkingDir: REPO_ROOT, bundle: true, platform: 'node', logLevel: 'warning' } as const;
  await Promise.all([
    bundle({ ...common, entryPoints: ['electron/main.ts'], outfile: main, format: 'esm', packages: 'external' }),
    bundle({ ...common, entryPoints: ['electron/preload.ts'], outfile: preload, format: 'cjs', external: ['electron'] }),
  ]);
  return { main, preload };
}
