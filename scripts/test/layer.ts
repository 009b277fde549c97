// The outcome of one test layer, summed into the final `N passed, N failed` line.
export interface LayerResult {
  name: string;
  passed: number;
  failed: number;
  failures: string[];
}
