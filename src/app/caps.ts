// The capability panel: which backend the engine runs on and why (BackendInfo), and the GPU's
// adapter, shader-f16 and limits; plus the note shown when there is no WebGPU (the engine then runs
// on the CPU). The page asks for its own adapter here only to describe it (and to know whether WebGPU
// can be offered at all); the engine's device lives in the worker.

import type { BackendChoice, BackendInfo } from '../engine/api';
import { SOFTWARE_ADAPTER } from '../gpu/caps';
import { el } from './dom';
import { formatBytes } from '../ui/format';

export interface GpuReport {
  /** why WebGPU cannot run here; absent when it can */
  problem?: 'insecure' | 'no-webgpu' | 'no-adapter';
  adapter?: { vendor: string; architecture: string; device: string; description: string };
  features: string[];
  limits: Record<string, number>;
  /** a CPU implementation (SwiftShader, llvmpipe, WARP) or the browser's fallback adapter */
  software: boolean;
}

const SHOWN_LIMITS: [string, 'bytes' | 'count'][] = [
  ['maxBufferSize', 'bytes'],
  ['maxStorageBufferBindingSize', 'bytes'],
  ['maxComputeWorkgroupStorageSize', 'bytes'],
  ['maxComputeInvocationsPerWorkgroup', 'count'],
  ['maxComputeWorkgroupSizeX', 'count'],
  ['maxComputeWorkgroupsPerDimension', 'count'],
  ['maxStorageBuffersPerShaderStage', 'count'],
];

export async function probeGpu(): Promise<GpuReport> {
  const empty: GpuReport = { features: [], limits: {}, software: false };
  if (!('gpu' in navigator) || !navigator.gpu) {
    return { ...empty, problem: window.isSecureContext ? 'no-webgpu' : 'insecure' };
  }
  let adapter: GPUAdapter | null = null;
  try {
    adapter = await navigator.gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch {
    adapter = null;
  }
  if (!adapter) return { ...empty, problem: 'no-adapter' };
  const info = adapter.info;
  const a = {
    vendor: info?.vendor ?? '',
    architecture: info?.architecture ?? '',
    device: info?.device ?? '',
    description: info?.description ?? '',
  };
  const limits: Record<string, number> = {};
  for (const [name] of SHOWN_LIMITS) {
    const v = (adapter.limits as unknown as Record<string, number>)[name];
    if (typeof v === 'number') limits[name] = v;
  }
  const fallback = Boolean((info as { isFallbackAdapter?: boolean } | undefined)?.isFallbackAdapter
    ?? (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter);
  return {
    adapter: a,
    features: [...adapter.features].map(String).sort(),
    limits,
    software: fallback || SOFTWARE_ADAPTER.test(Object.values(a).join(' ')),
  };
}

function adapterName(r: GpuReport): string {
  const a = r.adapter;
  if (!a) return 'none';
  return [a.vendor, a.architecture, a.description || a.device].filter(Boolean).join(' · ') || 'unnamed adapter';
}

/** Fills the capability panel's GPU list. */
export function renderCaps(r: GpuReport, list: HTMLElement): void {
  list.replaceChildren();
  const row = (term: string, value: string | Node, id?: string) =>
    list.append(el('dt', { text: term }), el('dd', id ? { 'data-cap': id } : {}, value));
  if (r.problem) {
    row('WebGPU', r.problem === 'no-adapter' ? 'present, but no adapter' : 'not available', 'webgpu');
    return;
  }
  row('WebGPU', 'available', 'webgpu');
  row('Adapter', adapterName(r), 'adapter');
  const f16 = r.features.includes('shader-f16');
  row('shader-f16', f16 ? 'yes (fp16 packages can run)' : 'no (use fp32 or q4 packages)', 'shader-f16');
  row('subgroups', r.features.includes('subgroups') ? 'yes' : 'no', 'subgroups');
  for (const [name, kind] of SHOWN_LIMITS) {
    if (name in r.limits) row(name, kind === 'bytes' ? formatBytes(r.limits[name]) : r.limits[name].toLocaleString('en'), name);
  }
  const all = el('details', {}, el('summary', { text: `${r.features.length} features` }), el('p', { text: r.features.join(', ') || 'none' }));
  row('All features', all, 'features');
}

/** How the page names a backend (the setting's options, index.html, begin with the same). */
export function backendName(kind: BackendChoice): string {
  return kind === 'webgpu' ? 'WebGPU' : kind === 'wasm' ? 'CPU (WASM)' : 'Auto';
}

/** The one line that says where the engine runs: under the page's title, always visible. */
export function backendLine(b: BackendInfo): string {
  const threads = `${b.threads} thread${b.threads === 1 ? '' : 's'}`;
  const why = b.reason.replace(/\.$/, '');
  if (b.kind === 'wasm') return `Runs on the CPU (WebAssembly, ${threads}): ${why}.`;
  return b.software
    ? `Runs on WebGPU on a software adapter (${b.adapter}), which is slow: ${why}.`
    : `Runs on the GPU through WebGPU (${b.adapter}): ${why}.`;
}

/** Fills the backend part of the capability panel: what runs, why, threads, isolation. */
export function renderBackend(b: BackendInfo, gpu: GpuReport, list: HTMLElement, note: HTMLElement): void {
  const row = (term: string, value: string, id: string) => [el('dt', { text: term }), el('dd', { 'data-cap': id, text: value })];
  list.replaceChildren(
    ...row('Running on', backendName(b.kind), 'backend'),
    ...row('Why', b.reason, 'backend-reason'),
    ...row('WASM threads', String(b.threads), 'threads'),
    // threads need SharedArrayBuffer, which browsers give cross-origin isolated pages only
    ...row('Cross-origin isolated', b.crossOriginIsolated ? 'yes' : 'no (one WASM thread: the server sends no COOP/COEP headers)', 'isolated'),
  );
  list.hidden = false;
  note.textContent = !gpu.software ? ''
    : b.kind === 'wasm'
      ? 'The GPU adapter here is a software one (it runs on the CPU): the engine runs on the CPU through WebAssembly instead, which is far faster on it.'
      : 'This is a software (CPU) adapter: everything works, but far slower than on a GPU or on the CPU backend. Use small sizes and few steps.';
  note.hidden = !note.textContent;
}

/** Fills the "no WebGPU" note with what is missing and what to do about it (the page still works, on the CPU). */
export function renderNoWebGpu(r: GpuReport, section: HTMLElement): void {
  section.querySelector('[data-why]')!.textContent = byProblem(r.problem);
  section.hidden = false;
}

function byProblem(problem: GpuReport['problem']): string {
  switch (problem) {
    case 'insecure':
      return 'WebGPU is only offered to secure pages (https://, or http://localhost). This page was opened over ' +
        'plain http from another host: open it through https, or from localhost.';
    case 'no-webgpu':
      return 'This browser does not offer WebGPU (navigator.gpu is missing).';
    case 'no-adapter':
      return 'WebGPU is present, but the browser gave no GPU adapter: the GPU may be blocklisted, hardware ' +
        'acceleration may be switched off in the browser settings, or the driver is too old.';
    default:
      return '';
  }
}
