// Progress lines on stderr: one per MAR step ("step k/K"), downloads at most once a second per file
// (plus when a file completes), graph compilation; and the lines that say, once after load, where
// the model runs and with which package defaults.

import type { BackendInfo, ModelDefaults } from '../engine/api';
import { formatBytes, formatSpeed } from '../ui/format';
import type { HostEvent } from './wire';

export class Progress {
  private lastPrint = new Map<string, number>();
  private stepOffset: number | undefined;

  constructor(
    private readonly write: (line: string) => void,
    private readonly now: () => number = Date.now,
    private readonly verbose = false,
  ) {}

  /** Call before each generation: step numbering is detected afresh. */
  reset(): void {
    this.stepOffset = undefined;
  }

  handle(e: HostEvent): void {
    if (e.kind === 'step') {
      // Printed 1-based: "step 1/64" … "step 64/64". An engine that counts from 0 is detected by
      // its first event.
      this.stepOffset ??= e.step === 0 ? 1 : 0;
      this.write(`step ${e.step + this.stepOffset}/${e.steps}`);
      return;
    }
    const p = e.progress;
    switch (p.phase) {
      case 'manifest':
        this.write('reading the model manifest');
        break;
      case 'download': {
        const done = p.total > 0 && p.loaded >= p.total;
        const t = this.now();
        const last = this.lastPrint.get(p.file);
        if (!done && last !== undefined && t - last < 1000) return;
        if (done && last === -1) return; // already reported complete
        this.lastPrint.set(p.file, done ? -1 : t);
        const pct = p.total > 0 ? `${Math.floor((100 * p.loaded) / p.total)}% ` : '';
        const rate = p.bytesPerSecond > 0 ? `, ${formatSpeed(p.bytesPerSecond)}` : '';
        this.write(`download ${p.file} ${pct}(${formatBytes(p.loaded)} of ${formatBytes(p.total)}${rate})`);
        break;
      }
      case 'verify':
        if (this.verbose) this.write(`verify ${p.file}`);
        break;
      case 'compile':
        this.write(`compile ${p.graph}`);
        break;
      case 'ready':
        break;
    }
  }
}

/** "backend wasm: <why>; 2 threads, cross-origin isolated" — which backend runs and why. */
export function backendLine(b: BackendInfo | undefined): string {
  if (!b) return 'backend: not reported by the engine';
  const where = b.kind === 'webgpu' ? `on ${b.adapter}${b.software ? ' (a software adapter)' : ''}`
    : `${b.threads} thread${b.threads === 1 ? '' : 's'}${b.crossOriginIsolated ? ', cross-origin isolated' : ' (the page is not cross-origin isolated)'}`;
  return `backend ${b.kind}: ${b.reason}; ${where}`;
}

/** The package's defaults as the engine reports them: what a request without flags runs. */
export function defaultsLine(d: ModelDefaults | undefined): string {
  if (!d) return 'package defaults: not reported by the engine';
  return `package defaults: ${d.steps} MAR step${d.steps === 1 ? '' : 's'}, cfg ${d.cfg} (${d.cfgSchedule}), ` +
    `temperature ${d.temperature}, ${d.size}px, ${d.samplingSteps} sampling steps`;
}
