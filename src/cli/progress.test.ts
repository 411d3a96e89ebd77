import { describe, expect, it } from 'vitest';
import { backendLine, defaultsLine, Progress } from './progress';

function collect(now = () => 0) {
  const lines: string[] = [];
  return { lines, p: new Progress((l) => lines.push(l), now) };
}

describe('progress lines', () => {
  it('one line per MAR step, 1-based, whether the engine counts from 1 or from 0', () => {
    const a = collect();
    for (let k = 1; k <= 3; k++) a.p.handle({ kind: 'step', step: k, steps: 3 });
    expect(a.lines).toEqual(['step 1/3', 'step 2/3', 'step 3/3']);
    const b = collect();
    for (let k = 0; k < 3; k++) b.p.handle({ kind: 'step', step: k, steps: 3 });
    expect(b.lines).toEqual(['step 1/3', 'step 2/3', 'step 3/3']);
    b.p.reset();
    b.p.handle({ kind: 'step', step: 1, steps: 2 });
    expect(b.lines.at(-1)).toBe('step 1/2');
  });

  it('downloads: at most once a second per file, and once when complete', () => {
    let t = 0;
    const { lines, p } = collect(() => t);
    const dl = (loaded: number) =>
      p.handle({ kind: 'load', progress: { phase: 'download', file: 'llm.onnx', loaded, total: 4 * 1024 * 1024, bytesPerSecond: 1024 * 1024 } });
    dl(0);
    t = 500;
    dl(1024 * 1024);
    t = 1200;
    dl(2 * 1024 * 1024);
    dl(4 * 1024 * 1024);
    dl(4 * 1024 * 1024);
    expect(lines).toEqual([
      // the demo's and the widget's units (ui/format.ts): decimal, "of" the total
      'download llm.onnx 0% (0 B of 4.19 MB, 1.05 MB/s)',
      'download llm.onnx 50% (2.10 MB of 4.19 MB, 1.05 MB/s)',
      'download llm.onnx 100% (4.19 MB of 4.19 MB, 1.05 MB/s)',
    ]);
  });

  it('other phases', () => {
    const { lines, p } = collect();
    p.handle({ kind: 'load', progress: { phase: 'manifest' } });
    p.handle({ kind: 'load', progress: { phase: 'verify', file: 'a' } });
    p.handle({ kind: 'load', progress: { phase: 'compile', graph: 'llm' } });
    p.handle({ kind: 'load', progress: { phase: 'ready' } });
    expect(lines).toEqual(['reading the model manifest', 'compile llm']);
  });
});

describe('after load', () => {
  const base = { adapter: 'google swiftshader', software: true, threads: 2, crossOriginIsolated: true, features: [] };
  it('says which backend runs and why', () => {
    expect(backendLine({ ...base, kind: 'wasm', reason: 'a software GPU adapter (google swiftshader)' })).toBe(
      'backend wasm: a software GPU adapter (google swiftshader); 2 threads, cross-origin isolated');
    expect(backendLine({ ...base, kind: 'wasm', reason: 'asked for', threads: 1, crossOriginIsolated: false })).toBe(
      'backend wasm: asked for; 1 thread (the page is not cross-origin isolated)');
    expect(backendLine({ ...base, kind: 'webgpu', reason: 'asked for' })).toBe(
      'backend webgpu: asked for; on google swiftshader (a software adapter)');
    expect(backendLine(undefined)).toBe('backend: not reported by the engine');
  });

  it('the package defaults', () => {
    expect(defaultsLine({ steps: 4, cfg: 3, cfgSchedule: 'constant', temperature: 1, size: 64, samplingSteps: 100 })).toBe(
      'package defaults: 4 MAR steps, cfg 3 (constant), temperature 1, 64px, 100 sampling steps');
  });
});
