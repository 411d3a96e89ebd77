// Download progress of a whole package from the engine's per-file LoadProgress events: bytes so
// far, overall speed (network bytes only: files served from the offline cache do not count) and ETA.

import type { LoadProgress } from '../engine/api';
import { formatBytes, formatEta, formatSpeed } from './format';

export interface ProgressView {
  /** 0…1, or null while the total is unknown */
  fraction: number | null;
  text: string;
}

const WINDOW_MS = 3000;

export class DownloadMeter {
  private readonly loaded = new Map<string, number>();
  private readonly totals = new Map<string, number>();
  private readonly cached = new Set<string>();
  private samples: { t: number; bytes: number }[] = [];
  private network = 0;

  /** `total`: the package's bytes when known (from its manifest); otherwise the sum of files seen. */
  constructor(private readonly total?: number) {}

  /** Feeds one engine event; returns what to show. `now` in ms (performance.now()). */
  update(p: LoadProgress, now: number): ProgressView {
    switch (p.phase) {
      case 'manifest':
        return { fraction: null, text: 'Reading the manifest…' };
      case 'download': {
        const before = this.loaded.get(p.file) ?? 0;
        this.totals.set(p.file, p.total);
        this.loaded.set(p.file, p.loaded);
        // the engine reports a file found in the offline cache as complete at once with speed 0
        if (before === 0 && p.loaded === p.total && p.bytesPerSecond === 0) this.cached.add(p.file);
        else this.network += Math.max(0, p.loaded - before);
        this.samples.push({ t: now, bytes: this.network });
        while (this.samples.length > 2 && now - this.samples[0].t > WINDOW_MS) this.samples.shift();
        return this.view(p.file, now);
      }
      case 'verify':
        return { fraction: this.fraction(), text: `Checking ${p.file} (SHA-256)…` };
      case 'compile':
        return { fraction: this.fraction(), text: `Preparing ${p.graph}…` };
      case 'ready':
        return { fraction: 1, text: 'Ready.' };
    }
  }

  get bytesLoaded(): number {
    let s = 0;
    for (const v of this.loaded.values()) s += v;
    return s;
  }

  get bytesTotal(): number {
    if (this.total !== undefined) return this.total;
    let s = 0;
    for (const v of this.totals.values()) s += v;
    return s;
  }

  /** Bytes per second over the last few seconds of network transfer (0 when nothing came yet). */
  speed(now: number): number {
    if (this.samples.length < 2) return 0;
    const a = this.samples[0];
    const dt = now - a.t;
    return dt > 0 ? ((this.network - a.bytes) * 1000) / dt : 0;
  }

  private fraction(): number | null {
    const total = this.bytesTotal;
    return total > 0 ? Math.min(1, this.bytesLoaded / total) : null;
  }

  private view(file: string, now: number): ProgressView {
    const loaded = this.bytesLoaded;
    const total = this.bytesTotal;
    const parts = [total > 0 ? `${formatBytes(loaded)} of ${formatBytes(total)}` : formatBytes(loaded)];
    const speed = this.speed(now);
    if (speed > 0) {
      parts.push(formatSpeed(speed));
      if (this.total !== undefined) parts.push(formatEta((total - loaded) / speed));
    }
    if (this.cached.has(file)) parts.push(`${file} from the offline cache`);
    else parts.push(file);
    return { fraction: this.fraction(), text: `Downloading: ${parts.join(' · ')}` };
  }
}
