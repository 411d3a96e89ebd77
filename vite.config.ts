import { existsSync } from 'node:fs';
import { playwright } from '@vitest/browser-playwright';
import { defineConfig } from 'vitest/config';
import { chromiumArgs, chromiumPath } from './src/cli/chromium.ts';
import { appConfig } from './src/app/vite-app.ts';

// Kernel tests run WebGPU in Node through Dawn (npm `webgpu`). Here the only Vulkan driver is
// Chromium's SwiftShader; Debian's chromium ships the Vulkan loader beside it but not on the
// library path, so the test workers (forked with this env) get both. A machine with its own Vulkan
// setup keeps it: an existing VK_ICD_FILENAMES wins and the system library path comes first.
// Vitest 5 states Node ≥ 22; on the Node 20 here it runs, except that its failure report calls
// Map.groupBy (Node 21+). Supply it so a failing test is reported instead of crashing the reporter.
const MapWithGroupBy = Map as unknown as { groupBy?: unknown };
MapWithGroupBy.groupBy ??= <K, V>(items: Iterable<V>, key: (item: V, index: number) => K) => {
  const groups = new Map<K, V[]>();
  let i = 0;
  for (const item of items) {
    const k = key(item, i++);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
};

const CHROMIUM = '/usr/lib/chromium';
const gpuEnv: Record<string, string> = {};
if (existsSync(`${CHROMIUM}/vk_swiftshader_icd.json`)) {
  gpuEnv.VK_ICD_FILENAMES = process.env.VK_ICD_FILENAMES || `${CHROMIUM}/vk_swiftshader_icd.json`;
  gpuEnv.LD_LIBRARY_PATH = [process.env.LD_LIBRARY_PATH, CHROMIUM].filter(Boolean).join(':');
}

const timeouts = { testTimeout: 120_000, hookTimeout: 120_000, teardownTimeout: 10_000 };

export default defineConfig({
  // The demo page (npm run dev / build / preview): root src/app, output dist/ (src/app/vite-app.ts).
  // Vitest (which sets VITEST) keeps the repository root for the test projects below.
  ...(process.env.VITEST ? {} : appConfig()),
  test: {
    projects: [
      {
        test: {
          name: 'node',
          // `npm run bench:kernels` sets HARMON_BENCH to run the benches instead of the tests.
          include: process.env.HARMON_BENCH ? ['kernels/bench/**/*.bench.ts'] : ['kernels/**/*.test.ts', 'src/**/*.test.ts'],
          exclude: ['**/*.browser.test.ts', '**/node_modules/**'],
          environment: 'node',
          env: gpuEnv,
          // SwiftShader runs shaders on the CPU: compiling and running a kernel takes seconds.
          ...timeouts,
        },
      },
      {
        // The engine (onnxruntime-web + our kernels on one GPUDevice) in real Chromium.
        test: {
          name: 'browser',
          include: process.env.HARMON_BENCH ? [] : ['src/**/*.browser.test.ts'],
          // `npm run reliability:soak`: the WebGPU soak at full size (src/reliability/soak.browser.test.ts)
          provide: { harmonSoak: process.env.HARMON_SOAK ?? '' },
          browser: {
            enabled: true,
            headless: true,
            // gc() and exact heap sizes for the reliability soak (src/reliability/soak.browser.test.ts)
            provider: playwright({ launchOptions: { executablePath: chromiumPath(),
              args: [...chromiumArgs(), '--js-flags=--expose-gc', '--enable-precise-memory-info'] } }),
            instances: [{ browser: 'chromium' }],
            screenshotFailures: false,
          },
          ...timeouts,
        },
      },
      {
        // The built demo page (dist/) in headless Chromium through Playwright (e2e/app.e2e.ts).
        test: {
          name: 'e2e',
          include: process.env.HARMON_BENCH ? [] : ['e2e/**/*.e2e.ts'],
          exclude: ['e2e/package.e2e.ts'],
          environment: 'node',
          // one `vite build` for all e2e files of a run (HARMON_E2E_SITE=dir: none)
          globalSetup: ['e2e/global-setup.ts'],
          // SwiftShader: a 2-step 64² generation takes 15–30 s
          testTimeout: 240_000,
          hookTimeout: 240_000,
        },
      },
      {
        // The npm package in a consumer's Vite app (e2e/package.e2e.ts): it packs and builds its
        // own, so it runs without the site build of the e2e project's globalSetup.
        test: {
          name: 'e2e-package',
          include: process.env.HARMON_BENCH ? [] : ['e2e/package.e2e.ts'],
          environment: 'node',
          testTimeout: 240_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
