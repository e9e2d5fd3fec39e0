import { describe, expect, it } from 'vitest';
import { APP_ORIGIN, CONTENT_SECURITY_POLICY, createWindowOptions, isSameOrigin } from '../../electron/security';

describe('createWindowOptions', () => {
  const options = createWindowOptions('/app/dist/electron/preload.cjs');

  it('isolates the page from Node and from the preload', () => {
    expect(options.webPreferences).toMatchObject({
      preload: '/app/dist/electron/preload.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
    });
  });

  it('waits for the first paint before showing the window', () => {
    expect(options.show).toBe(false);
  });
});

describe('CONTENT_SECURITY_POLICY', () => {
  const directives = new Map(
    CONTENT_SECURITY_POLICY.split(';').map((directive) => {
      const [name = '', ...values] = directive.trim().split(/\s+/);
      return [name, values] as const;
    }),
  );

  it.each([
    ['default-src', ["'self'"]],
    ['script-src', ["'self'"]],
    ['style-src', ["'self'"]],
    ['connect-src', ["'self'"]],
    ['object-src', ["'none'"]],
    ['base-uri', ["'none'"]],
    ['frame-ancestors', ["'none'"]],
  ])('%s is %j', (name, values) => {
    expect(directives.get(name)).toEqual(values);
  });

  it('allows no inline or eval script', () => {
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-inline|unsafe-eval/);
  });
});

describe('isSameOrigin', () => {
  it.each([
    [`${APP_ORIGIN}/index.html`, APP_ORIGIN, true],
    [`${APP_ORIGIN}/assets/index.js?x=1#top`, APP_ORIGIN, true],
    ['app://evil/index.html', APP_ORIGIN, false],
    ['app://headroom.evil/index.html', APP_ORIGIN, false],
    ['https://headroom/index.html', APP_ORIGIN, false],
    ['file:///etc/passwd', APP_ORIGIN, false],
    ['file:///tmp/a', 'file:///tmp/b', false],
    ['http://127.0.0.1:4000/', 'http://127.0.0.1:4000', true],
    ['http://127.0.0.1:4001/', 'http://127.0.0.1:4000', false],
    ['http://localhost:4000/', 'http://127.0.0.1:4000', false],
    ['not a url', APP_ORIGIN, false],
    ['', APP_ORIGIN, false],
  ])('%j against %j is %s', (url, origin, expected) => {
    expect(isSameOrigin(url, origin)).toBe(expected);
  });
});
