// How the CLI, the bench and the browser tests (vite.config.ts) launch Chromium (DESIGN.md §5):
// Debian's chromium, headless, WebGPU on SwiftShader where there is no GPU.

/** Flags for WebGPU on this kind of machine: no sandbox, no background traffic. */
export const CHROMIUM_ARGS: readonly string[] = [
  '--no-sandbox', '--disable-gpu-sandbox', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--enable-unsafe-webgpu',
];

/** The browser binary: $CHROMIUM_PATH, else Debian's /usr/bin/chromium. Never a downloaded one. */
export function chromiumPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.CHROMIUM_PATH || '/usr/bin/chromium';
}

/** CHROMIUM_ARGS plus any extra flags in $HARMON_CHROMIUM_FLAGS (whitespace-separated), e.g. to pick
 * a real GPU's backend on another machine. */
export function chromiumArgs(env: NodeJS.ProcessEnv = process.env): string[] {
  const extra = (env.HARMON_CHROMIUM_FLAGS ?? '').split(/\s+/).filter(Boolean);
  return [...CHROMIUM_ARGS, ...extra];
}
