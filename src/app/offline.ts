/// <reference types="vite-plugin-pwa/vanillajs" />
// The page's service worker (vite-pwa.ts) and what the page says about it: when the app shell is
// kept for offline use, when the browser is offline (only cached models can load), and when a new
// version has taken over (reload to use it; the page is never reloaded under the user's hands).

import { registerSW } from 'virtual:pwa-register';
import { el } from './dom';

export function setupOffline(note: HTMLElement): void {
  let text = '';
  const render = () => {
    const offline = navigator.onLine === false;
    note.replaceChildren(offline ? 'You are offline: models kept in this browser still load and run. ' : '', text);
    note.hidden = !note.textContent;
  };
  registerSW({
    immediate: true,
    onOfflineReady() {
      text = 'This page now works offline too.';
      render();
    },
    onNeedReload() {
      const reload = el('button', { type: 'button', text: 'Reload' });
      reload.addEventListener('click', () => location.reload());
      text = '';
      render();
      note.append('A new version of this page is ready. ', reload);
      note.hidden = false;
    },
    onRegisterError() {
      // no service worker (private mode, insecure origin): the page works, only not offline
    },
  });
  addEventListener('online', render);
  addEventListener('offline', render);
  render();
}
