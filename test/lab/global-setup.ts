import type { TestProject } from 'vitest/node';
import type { LabBuild } from './build';
import { startLab } from './servers';

/** What lab tests receive through `inject('lab')`. */
export interface LabContext {
  prometheusUrl: string;
  victoriaMetricsUrl: string;
  build: LabBuild;
}

declare module 'vitest' {
  export interface ProvidedContext {
    lab: LabContext;
  }
}

export async function setup(project: TestProject): Promise<() => Promise<void>> {
  const lab = await startLab();
  project.provide('lab', { prometheusUrl: lab.prometheusUrl, victoriaMetricsUrl: lab.victoriaMetricsUrl, build: lab.build });
  return lab.stop;
}
