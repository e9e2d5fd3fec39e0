/**
 * Where the store lives when nobody says otherwise. Pure (environment and platform are arguments) so every
 * platform's rule is tested on any machine; the paths use that platform's separators, not the host's.
 */
import { posix, win32 } from 'node:path';
import { StoreError } from './errors';

const FILE_NAME = 'headroom.db';

/**
 * `$HEADROOM_STORE` when set, else the OS's per-user config folder: `$XDG_CONFIG_HOME/headroom` (default
 * `~/.config/headroom`) on Linux and other Unixes, `~/Library/Application Support/Headroom` on macOS,
 * `%APPDATA%\Headroom` on Windows. Throws a `StoreError` when the environment names no home at all.
 */
export function defaultStorePath(env: Readonly<Record<string, string | undefined>>, platform: NodeJS.Platform): string {
  const explicit = nonEmpty(env.HEADROOM_STORE);
  if (explicit !== null) return explicit;

  if (platform === 'win32') {
    const appData = nonEmpty(env.APPDATA);
    if (appData !== null) return win32.join(appData, 'Headroom', FILE_NAME);
    // APPDATA is missing in some service and CI sessions; it is always USERPROFILE\AppData\Roaming.
    const profile = nonEmpty(env.USERPROFILE);
    if (profile !== null) return win32.join(profile, 'AppData', 'Roaming', 'Headroom', FILE_NAME);
    throw noLocation('APPDATA');
  }

  const home = nonEmpty(env.HOME);
  if (platform === 'darwin') {
    if (home !== null) return posix.join(home, 'Library', 'Application Support', 'Headroom', FILE_NAME);
    throw noLocation('HOME');
  }

  // The XDG base-directory spec says a relative XDG_CONFIG_HOME is invalid and must be ignored.
  const xdgConfig = nonEmpty(env.XDG_CONFIG_HOME);
  if (xdgConfig !== null && posix.isAbsolute(xdgConfig)) return posix.join(xdgConfig, 'headroom', FILE_NAME);
  if (home !== null) return posix.join(home, '.config', 'headroom', FILE_NAME);
  throw noLocation('HOME');
}

function nonEmpty(value: string | undefined): string | null {
  return value === undefined || value === '' ? null : value;
}

function noLocation(variable: string): StoreError {
  return new StoreError(
    'no-location',
    `Cannot tell where to keep the Headroom store: ${variable} is not set; set HEADROOM_STORE or pass --store.`,
  );
}
