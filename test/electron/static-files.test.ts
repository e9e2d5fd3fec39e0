import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { contentTypeFor, resolveStaticPath } from '../../electron/static-files';

const root = path.resolve('/srv/renderer');

describe('resolveStaticPath', () => {
  it.each([
    ['/', path.join(root, 'index.html')],
    ['/index.html', path.join(root, 'index.html')],
    ['/assets/index-abc.js', path.join(root, 'assets', 'index-abc.js')],
    ['/assets/', path.join(root, 'assets', 'index.html')],
    ['/a%20b.txt', path.join(root, 'a b.txt')],
    ['/../package.json', null],
    ['/assets/../../package.json', null],
    ['/%2e%2e/package.json', null],
    ['/..%2fpackage.json', null],
    ['/..%5cpackage.json', null],
    ['/index.html%00.js', null],
    ['/%E0%A4%A', null],
    ['index.html', null],
  ])('%j resolves to %j', (urlPath, expected) => {
    expect(resolveStaticPath(root, urlPath)).toBe(expected);
  });
});

describe('contentTypeFor', () => {
  it.each([
    ['index.html', 'text/html; charset=utf-8'],
    ['assets/index-abc.js', 'text/javascript; charset=utf-8'],
    ['assets/index-abc.CSS', 'text/css; charset=utf-8'],
    ['logo.svg', 'image/svg+xml'],
    ['data.bin', 'application/octet-stream'],
  ])('%s is served as %s', (file, expected) => {
    expect(contentTypeFor(file)).toBe(expected);
  });
});
