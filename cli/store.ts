/**
 * The local store for the CLI: where it is (`--store`, else `HEADROOM_STORE`, else the per-user default) and
 * the silences it holds. Reading never creates a store: a missing one simply has no silences.
 */
import { existsSync } from 'node:fs';
import type { SilenceMatcher } from '../core/analysis/engine';
import { StoreError } from '../core/store/errors';
import { defaultStorePath } from '../core/store/location';
import { openStore, type HeadroomStore } from '../core/store/open';

/** The store's path; null when nothing names one (no `--store`, no `HEADROOM_STORE`, no home folder). */
export function storePath(flag: string | undefined, env: Readonly<Record<string, string | undefined>>, platform: NodeJS.Platform): string | null {
  if (flag !== undefined) return flag;
  try {
    return defaultStorePath(env, platform);
  } catch (error) {
    if (error instanceof StoreError && error.reason === 'no-location') return null;
    throw error;
  }
}

/** The silences in force at `at`, or null when there is no store; the store is closed again at once. */
export function silencesAt(path: string | null, at: number): SilenceMatcher | null {
  if (path === null || !existsSync(path)) return null;
  return withStore(path, (store) => store.silences.matcherAt(at));
}

export function withStore<T>(path: string, use: (store: HeadroomStore) => T): T {
  const store = openStore(path);
  try {
    return use(store);
  } finally {
    store.close();
  }
}
