/**
 * `npm run bench`: runs every `bench/<name>.bench.ts`, each in its own Node process so that one
 * benchmark's heap and JIT state do not skew the next. Each prints its own results; BENCHMARKS.md says
 * how they are recorded. Speed and memory targets live here, never in timed unit tests.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';

const benchDir = import.meta.dirname;
const benchmarks = readdirSync(benchDir)
  .filter((file) => file.endsWith('.bench.ts'))
  .sort();

if (benchmarks.length === 0) {
  console.log('No benchmarks yet. Add bench/<name>.bench.ts; BENCHMARKS.md says how results are recorded.');
}

for (const file of benchmarks) {
  console.log(`\n== ${file}`);
  const run = spawnSync(process.execPath, ['--import', 'tsx', path.join(benchDir, file)], { stdio: 'inherit' });
  if (run.status !== 0) {
    console.error(`${file} failed (exit status ${run.status ?? run.signal})`);
    process.exitCode = 1;
  }
}
