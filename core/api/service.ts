/**
 * The one implementation of `HeadroomApi`. Composition roots (`electron/`, `cli/`) build it with their
 * dependencies and every front end calls it, so a feature behaves the same in the window, in web
 * mode and on the command line.
 */
import type { AppMode, HeadroomApi, HeadroomMethod } from './contract';

export interface HeadroomServiceDeps {
  /** Headroom's version, read from package.json by the composition root (core does not reach it). */
  version: string;
  mode: AppMode;
}

export function createHeadroomService(deps: HeadroomServiceDeps): HeadroomApi {
  return {
    version: async () => ({ version: deps.version, mode: deps.mode }),
    // Connections arrive with the next issue; until then there are none to list.
    listConnections: async () => [],
  };
}

/**
 * Calls `method` with the argument that came over IPC or HTTP. Methods that take arguments validate
 * them themselves, since the argument is untrusted input from the renderer.
 */
export function callHeadroomMethod(api: HeadroomApi, method: HeadroomMethod, args: unknown): Promise<unknown> {
  const call = api[method] as (args: unknown) => Promise<unknown>;
  return call.call(api, args);
}
