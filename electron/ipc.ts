import type { HeadroomMethod } from '../core/api/contract';

/** The IPC channel of one API method, shared by the preload (invoke) and main (handle). */
export function ipcChannel(method: HeadroomMethod): string {
  return `headroom:${method}`;
}
