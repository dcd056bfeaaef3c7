// metrics.jsonl parsed once per change: the page polls every few seconds, and a long run's file
// grows to thousands of lines that need not be read again while its size and mtime stay put.
import { readFileSync, statSync } from 'node:fs';
import { parseMetrics, type RunMetrics } from '../report/metrics-file.js';

interface Entry {
  mtimeMs: number;
  size: number;
  metrics: RunMetrics;
}

export class MetricsCache {
  private readonly entries = new Map<string, Entry>();

  /** The parsed file, and when it last changed; empty metrics and null for a missing file. */
  read(path: string): { metrics: RunMetrics; mtimeMs: number | null } {
    let stat: { mtimeMs: number; size: number };
    try {
      stat = statSync(path);
    } catch {
      this.entries.delete(path);
      return { metrics: { train: [], val: [], test: null }, mtimeMs: null };
    }
    const cached = this.entries.get(path);
    if (cached && cached.mtimeMs === stat.mtimeMs && cached.size === stat.size) return { metrics: cached.metrics, mtimeMs: stat.mtimeMs };
    const metrics = parseMetrics(readFileSync(path, 'utf8'));
    this.entries.set(path, { mtimeMs: stat.mtimeMs, size: stat.size, metrics });
    return { metrics, mtimeMs: stat.mtimeMs };
  }
}
