/**
 * Writing `recommend --out DIR`: into an empty (or new) folder unless `--force`, and never outside it — not
 * through `..` in a path, an absolute path, a symbolic link inside the folder, or an existing file that is a
 * link. Files already there are overwritten only with `--force` and never deleted.
 */
import { existsSync, lstatSync, mkdirSync, readdirSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { CliError } from './errors';

export interface OutputFile {
  /** Relative to the folder, forward slashes. */
  path: string;
  content: string;
}

/** Refuses a folder that is a file, or that holds anything without `force`; creates nothing. */
export function checkOutputDir(dir: string, force: boolean): void {
  const absolute = resolve(dir);
  if (!existsSync(absolute)) return;
  if (!statSync(absolute).isDirectory()) throw new CliError(`--out ${dir} is a file; choose a folder`);
  if (!force && readdirSync(absolute).length > 0) {
    throw new CliError(`--out ${dir} is not empty; choose an empty or new folder, or pass --force to write into it`);
  }
}

/** Checks (see checkOutputDir) and creates the folder; returns its real absolute path. */
export function prepareOutputDir(dir: string, force: boolean): string {
  checkOutputDir(dir, force);
  const absolute = resolve(dir);
  try {
    mkdirSync(absolute, { recursive: true });
  } catch (error) {
    throw new CliError(`cannot create --out ${dir} (${codeOf(error)}); check the path and its permissions`);
  }
  return realpathSync(absolute);
}

/** Writes the files below `root` (from prepareOutputDir); returns their paths relative to it, in order. */
export function writeOutputFiles(root: string, files: readonly OutputFile[]): string[] {
  const written: string[] = [];
  for (const file of files) {
    const target = resolve(root, file.path);
    if (isAbsolute(file.path) || !isInside(root, target)) {
      throw new CliError(`refusing to write ${file.path}: it is outside the output folder ${root}`);
    }
    try {
      mkdirSync(dirname(target), { recursive: true });
      if (!isInside(root, realpathSync(dirname(target)), true)) {
        throw new CliError(`refusing to write ${file.path}: its folder leads outside the output folder ${root} (a symbolic link)`);
      }
      // lstat, not exists: a dangling link does not "exist", yet writing through it creates its target.
      if (lstatSync(target, { throwIfNoEntry: false })?.isSymbolicLink()) {
        throw new CliError(`refusing to write ${file.path}: it is a symbolic link in the output folder ${root}`);
      }
      writeFileSync(target, file.content, 'utf8');
    } catch (error) {
      if (error instanceof CliError) throw error;
      throw new CliError(`cannot write ${target} (${codeOf(error)}); check the folder's permissions and free space`);
    }
    written.push(file.path);
  }
  return written;
}

function isInside(root: string, path: string, orSame = false): boolean {
  const rel = relative(root, path);
  if (rel === '') return orSame;
  return !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel);
}

function codeOf(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? (error instanceof Error ? error.message : String(error));
}
