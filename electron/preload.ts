/**
 * Exposes `window.headroom`: one named function per API method. The page never gets ipcRenderer,
 * so these calls are all it can make. Runs sandboxed, so it is bundled to CommonJS with only
 * `electron` left as a require (electron/build.ts).
 */
import { contextBridge, ipcRenderer } from 'electron';
import { HEADROOM_API_METHODS } from '../core/api/contract';
import { ipcChannel } from './ipc';

const bridge = Object.fromEntries(
  // Exactly one argument is forwarded, so a page cannot smuggle extra ones to the handler.
  HEADROOM_API_METHODS.map((method) => [method, (args?: unknown) => ipcRenderer.invoke(ipcChannel(method), args)]),
);

contextBridge.exposeInMainWorld('headroom', bridge);
