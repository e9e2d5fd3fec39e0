/** Serving the built renderer from disk, shared by the Electron protocol handler and the web server. */
import path from 'node:path';

/**
 * The file under `root` that a URL path names (`/` and folders mean their index.html), or null when
 * the path is malformed or escapes `root` (`/../`, encoded slashes, NUL bytes).
 */
export function resolveStaticPath(root: string, urlPath: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\') || !decoded.startsWith('/')) return null;
  const absoluteRoot = path.resolve(root);
  const file = path.resolve(absoluteRoot, `.${decoded.endsWith('/') ? `${decoded}index.html` : decoded}`);
  return file.startsWith(absoluteRoot + path.sep) ? file : null;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

export function contentTypeFor(file: string): string {
  return CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}
