// The demo page as a Progressive Web App (vite-plugin-pwa): a web manifest with the icons in
// public/icons/ (drawn by scripts/make_icons.py), and a Workbox service worker that precaches the app
// shell — the page, its scripts and styles, the engine's worker, and onnxruntime-web's .mjs/.wasm
// runtime — so that after one online visit the page starts and generates with no network.
//
// Model packages are NOT precached (hundreds of MB for real models): the engine's loader keeps every
// package it loads, verified, in Cache Storage ('harmon-models-v1'), and reads it from there offline.

import { VitePWA } from 'vite-plugin-pwa';
import type { PluginOption } from 'vite';

export interface PwaOptions {
  /** the build's folder for ORT's runtime (precached: a page cannot run a model without it) */
  ortDir: string;
  /** globs of built files never to precache (model packages, the widget) */
  exclude: string[];
}

/** ORT's .wasm is ~27 MB; Workbox skips files above its 2 MB default without a word. */
const MAX_PRECACHE_FILE = 64 * 1024 * 1024;

export function pwa({ ortDir, exclude }: PwaOptions): PluginOption {
  return VitePWA({
    // the page registers the worker itself (main.ts, virtual:pwa-register): no injected script
    injectRegister: false,
    registerType: 'autoUpdate',
    manifestFilename: 'manifest.webmanifest',
    // the glob below already takes every icon
    includeManifestIcons: false,
    manifest: {
      id: './',
      name: 'Harmon on WebGPU',
      short_name: 'Harmon',
      description: 'Text to image and image chat on your own GPU, in the browser, offline. Nothing is uploaded.',
      // relative to the manifest: the build works from any folder of any host
      start_url: './',
      scope: './',
      display: 'standalone',
      background_color: '#f6f7f9',
      theme_color: '#3457d5',
      categories: ['graphics', 'productivity', 'utilities'],
      icons: [
        { src: 'icons/icon-192.png', sizes: '192x192', type: 'image/png', purpose: 'any' },
        { src: 'icons/icon-512.png', sizes: '512x512', type: 'image/png', purpose: 'any' },
        { src: 'icons/maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
      ],
    },
    workbox: {
      // (the web manifest is added by the plugin itself)
      globPatterns: ['**/*.{html,js,css,png}', `${ortDir}/*.{mjs,wasm}`],
      globIgnores: exclude,
      maximumFileSizeToCacheInBytes: MAX_PRECACHE_FILE,
      // no single-page fallback: the precached index.html answers for the page's own URL (its folder
      // or index.html), and every other address on the host stays what the host serves there
      navigateFallback: null,
      // a new version takes over at once; the page offers a reload (main.ts) instead of forcing one
      skipWaiting: true,
      clientsClaim: true,
      cleanupOutdatedCaches: true,
    },
  });
}
