import { describe, expect, it } from 'vitest';
import { StoreError } from '../../../core/store/errors';
import { defaultStorePath } from '../../../core/store/location';

describe('defaultStorePath', () => {
  const cases: Array<[string, Record<string, string>, NodeJS.Platform, string]> = [
    ['HEADROOM_STORE wins on Linux', { HEADROOM_STORE: '/data/h.db', HOME: '/home/ana' }, 'linux', '/data/h.db'],
    ['HEADROOM_STORE wins on Windows', { HEADROOM_STORE: 'D:\\h.db', APPDATA: 'C:\\Users\\ana\\AppData\\Roaming' }, 'win32', 'D:\\h.db'],
    ['HEADROOM_STORE is kept as given, relative too', { HEADROOM_STORE: 'stores/h.db', HOME: '/home/ana' }, 'linux', 'stores/h.db'],
    ['an empty HEADROOM_STORE is unset', { HEADROOM_STORE: '', HOME: '/home/ana' }, 'linux', '/home/ana/.config/headroom/headroom.db'],
    ['Linux: ~/.config', { HOME: '/home/ana' }, 'linux', '/home/ana/.config/headroom/headroom.db'],
    ['Linux: XDG_CONFIG_HOME', { HOME: '/home/ana', XDG_CONFIG_HOME: '/cfg' }, 'linux', '/cfg/headroom/headroom.db'],
    ['Linux: XDG_CONFIG_HOME alone', { XDG_CONFIG_HOME: '/cfg/' }, 'linux', '/cfg/headroom/headroom.db'],
    ['Linux: a relative XDG_CONFIG_HOME is ignored', { HOME: '/home/ana', XDG_CONFIG_HOME: 'cfg' }, 'linux', '/home/ana/.config/headroom/headroom.db'],
    ['Linux: an empty XDG_CONFIG_HOME is ignored', { HOME: '/home/ana', XDG_CONFIG_HOME: '' }, 'linux', '/home/ana/.config/headroom/headroom.db'],
    ['FreeBSD follows XDG', { HOME: '/home/ana' }, 'freebsd', '/home/ana/.config/headroom/headroom.db'],
    ['macOS: Application Support', { HOME: '/Users/ana' }, 'darwin', '/Users/ana/Library/Application Support/Headroom/headroom.db'],
    ['macOS ignores XDG_CONFIG_HOME', { HOME: '/Users/ana', XDG_CONFIG_HOME: '/cfg' }, 'darwin', '/Users/ana/Library/Application Support/Headroom/headroom.db'],
    ['Windows: APPDATA', { APPDATA: 'C:\\Users\\ana\\AppData\\Roaming', HOME: '/ignored' }, 'win32', 'C:\\Users\\ana\\AppData\\Roaming\\Headroom\\headroom.db'],
    ['Windows without APPDATA: USERPROFILE', { USERPROFILE: 'C:\\Users\\ana' }, 'win32', 'C:\\Users\\ana\\AppData\\Roaming\\Headroom\\headroom.db'],
  ];

  it.each(cases)('%s', (_name, env, platform, expected) => {
    expect(defaultStorePath(env, platform)).toBe(expected);
  });

  const homeless: Array<[NodeJS.Platform, Record<string, string>, RegExp]> = [
    ['linux', {}, /HOME is not set/],
    ['linux', { XDG_CONFIG_HOME: 'relative' }, /HOME is not set/],
    ['darwin', { XDG_CONFIG_HOME: '/cfg' }, /HOME is not set/],
    ['win32', { HOME: '/home/ana' }, /APPDATA is not set/],
  ];

  it.each(homeless)('%s with %o names the missing variable and HEADROOM_STORE', (platform, env, variable) => {
    let thrown: unknown;
    try {
      defaultStorePath(env, platform);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(StoreError);
    expect((thrown as StoreError).reason).toBe('no-location');
    expect((thrown as StoreError).message).toMatch(variable);
    expect((thrown as StoreError).message).toContain('HEADROOM_STORE');
  });
});
