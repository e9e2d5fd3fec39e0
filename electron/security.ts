/**
 * The window's security settings and the origin checks behind navigation and IPC, kept free of
 * Electron at run time so tests can assert them without an Electron binary.
 */
import type { BrowserWindowConstructorOptions } from 'electron';

/** The renderer is served from a privileged custom scheme, not file://, so it has a real origin to check. */
export const APP_SCHEME = 'app';
export const APP_ORIGIN = `${APP_SCHEME}://headroom`;

/**
 * Only our own bundle runs and only our own API is reachable. Styles set by React go through the
 * CSSOM, which `style-src 'self'` allows, so no 'unsafe-inline' is needed.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export function createWindowOptions(preloadPath: string): BrowserWindowConstructorOptions {
  return {
    title: 'Headroom',
    width: 1280,
    height: 800,
    minWidth: 800,
    minHeight: 560,
    // Shown on 'ready-to-show', so the user never sees an empty frame.
    show: false,
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      navigateOnDragDrop: false,
    },
  };
}

/**
 * True when `url` parses and has the scheme, host and port of `origin`; unparsable URLs are foreign.
 * Compares the parts, not `URL.origin`: Node gives every non-special scheme such as `app:` the
 * origin "null", which would make any two of them equal.
 */
export function isSameOrigin(url: string, origin: string): boolean {
  try {
    const candidate = new URL(url);
    const expected = new URL(origin);
    return candidate.protocol === expected.protocol && candidate.host === expected.host && expected.host !== '';
  } catch {
    return false;
  }
}
