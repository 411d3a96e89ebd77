// Image chat: pick, drop or paste an image (or take a generated one), ask questions, the answer
// streamed token by token; later questions continue the same conversation (its KV cache). Ask with
// no model loaded first loads the selected one (first touch), inside the same job.

import type { AskOptions, GeneratedImage, InputImage } from '../engine/api';
import { setupAskSettings } from './ask-settings';
import { byId, el, say } from './dom';
import { errorText, formatMs, isAbort } from '../ui/format';
import { decodeImageFile, drawRgba, pickImageFile } from '../ui/images';
import type { ModelPanel } from './models';
import { describe, type AppState } from './state';

export interface ChatPanel {
  /** Uses this image for the chat (a new conversation). */
  setImage(img: InputImage | GeneratedImage, label: string): void;
}

export function setupChatPanel(state: AppState, models: Pick<ModelPanel, 'ensureModel'>): ChatPanel {
  const zone = byId('drop-zone');
  const canvas = byId<HTMLCanvasElement>('chat-canvas');
  const imageLabel = byId('chat-image-label');
  const fileInput = byId<HTMLInputElement>('chat-file');
  const message = byId('chat-message');
  const log = byId('chat-log');
  const form = byId<HTMLFormElement>('chat-form');
  const question = byId<HTMLInputElement>('question');
  const askBtn = byId<HTMLButtonElement>('ask');
  const stopBtn = byId<HTMLButtonElement>('chat-stop');
  const newBtn = byId<HTMLButtonElement>('chat-new');
  const askSettings = setupAskSettings(state);
  let image: InputImage | null = null;
  let conversation: string | null = null;
  /** the size the conversation's image was asked at (a later turn cannot change it) */
  let conversationSize: number | undefined;
  let controller: AbortController | null = null;

  function endConversation(): void {
    if (conversation && state.engine) void Promise.resolve(state.engine.endConversation(conversation)).catch(() => {});
    conversation = null;
  }

  function setImage(img: InputImage, label: string): void {
    if (controller) {
      say(message, 'Wait for the answer to finish (or stop it) before changing the image.');
      return;
    }
    endConversation();
    image = { width: img.width, height: img.height, rgba: img.rgba };
    drawRgba(canvas, img);
    canvas.hidden = false;
    canvas.classList.toggle('pixelated', img.width < 256);
    canvas.setAttribute('aria-label', `Chat image: ${label}`);
    imageLabel.textContent = `${label} (${img.width}×${img.height})`;
    log.replaceChildren();
    say(message, '');
    state.changed();
  }

  async function useFile(file: Blob | undefined, name?: string): Promise<void> {
    if (!file) return;
    try {
      setImage(await decodeImageFile(file, name), name ?? ((file as File).name || 'pasted image'));
    } catch (e) {
      say(message, errorText(e));
    }
  }

  async function ask(): Promise<void> {
    const q = question.value.trim();
    if (!image) return say(message, 'Choose, drop or paste an image first (or use “Ask about this image” on a generated one).');
    if (!q) {
      question.focus();
      return say(message, 'Type a question about the image first.');
    }
    // an engine still starting is waited for; any other job is not
    if (state.busy && state.busy !== 'engine') return say(message, `Wait until the current ${describe(state.busy)} finishes.`);
    let options: AskOptions;
    try {
      options = askSettings.read();
    } catch (e) {
      return say(message, errorText(e));
    }
    say(message, '');
    if (conversation && options.size !== conversationSize) {
      // the image's tokens were made at the old size: a new size is a new conversation
      endConversation();
      log.append(el('li', { class: 'turn note', text: 'Image size changed: a new conversation about this image.' }));
    }
    const answer = el('span', { class: 'answer-text' });
    const meta = el('span', { class: 'answer-meta' });
    const turn = el('li', { class: 'turn' },
      el('p', { class: 'question' }, el('span', { class: 'who', text: 'You: ' }), q),
      el('p', { class: 'answer', 'aria-busy': 'true' }, el('span', { class: 'who', text: 'Harmon: ' }), answer, ' ', meta));
    log.append(turn);
    question.value = '';
    controller = new AbortController();
    state.changed();
    let streamed = 0;
    let loaded = false;
    const t0 = performance.now();
    const target = conversation ?? image;
    const signal = controller.signal;
    try {
      if (state.starting) {
        meta.textContent = '(waiting for the engine to start)';
        await state.started();
        signal.throwIfAborted();
      }
      const r = await state.run(state.model ? 'ask' : 'load', async (engine) => {
        await models.ensureModel(engine, { signal, onView: (v) => (meta.textContent = `(loading the model: ${v.text})`) });
        loaded = true;
        state.phase('ask');
        meta.textContent = '';
        return engine.ask(target, q, options, {
          signal,
          onToken: (text) => {
            // the worker's callbacks come over their own channel: one may land after the answer
            if (turn.dataset.tokens !== undefined || signal.aborted) return;
            streamed++;
            answer.textContent += text;
            meta.textContent = `${streamed} tokens…`;
          },
        });
      });
      conversation = r.conversation;
      conversationSize = options.size;
      answer.textContent = r.text || '(no answer: the model stopped at once)';
      meta.textContent = `(${r.tokenIds.length} tokens, ${formatMs(r.ms)})`;
      turn.dataset.tokens = String(r.tokenIds.length);
    } catch (e) {
      const stopped = isAbort(e);
      meta.textContent = stopped ? `(stopped after ${streamed} tokens, ${formatMs(performance.now() - t0)})` : '(failed)';
      // a conversation cut off mid-answer is not continued: the next question starts afresh
      const restart = conversation ? ' The next question starts a new conversation about this image.' : '';
      endConversation();
      // a failed first-touch load says so itself ("Could not load the model: …")
      const why = loaded ? `Could not answer: ${errorText(e)}` : errorText(e);
      say(message, stopped ? `Answer stopped.${restart}` : `${why}${restart}`, stopped ? 'info' : 'error');
    } finally {
      turn.querySelector('.answer')!.setAttribute('aria-busy', 'false');
      controller = null;
      state.changed();
    }
  }

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void ask();
  });
  stopBtn.addEventListener('click', () => controller?.abort());
  newBtn.addEventListener('click', () => {
    endConversation();
    log.replaceChildren();
    say(message, image ? 'New conversation: ask anything about the image.' : '', 'info');
    state.changed();
  });
  fileInput.addEventListener('change', () => {
    const f = fileInput.files?.[0];
    fileInput.value = '';
    void useFile(f);
  });
  zone.addEventListener('dragover', (e) => {
    e.preventDefault();
    zone.classList.add('dragging');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('dragging'));
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    zone.classList.remove('dragging');
    const dt = e.dataTransfer;
    const f = pickImageFile(dt?.files);
    if (f) return void useFile(f);
    // an image dragged from a web page (e.g. a generated one from the history) comes as a URL
    const url = dt?.getData('text/uri-list')?.split('\n').find((l) => l && !l.startsWith('#'))?.trim();
    if (!url) return say(message, 'Drop an image file here.');
    void fetch(url)
      .then((r) => (r.ok ? r.blob() : Promise.reject(new Error(`HTTP ${r.status}`))))
      .then((b) => useFile(b, 'dropped image'))
      .catch((err) => say(message, `Could not read the dropped image (${errorText(err)}). Save it and choose the file instead.`));
  });
  document.addEventListener('paste', (e) => {
    const f = pickImageFile(e.clipboardData?.files);
    if (!f) return; // text pastes go where they were meant to
    e.preventDefault();
    void useFile(f, f.name || 'pasted image');
  });

  let model = state.model;
  /** the last model there was (the engine's model is null while it is replaced by another backend) */
  let previous = state.model;
  state.subscribe(() => {
    if (state.model !== model) {
      // loading another model (or replacing the engine) ends the engine's conversations: the next
      // question starts afresh; said once the new model is there (not on a first touch's load)
      if (state.model && previous && state.model !== previous && (conversation || log.childElementCount)) {
        log.append(el('li', { class: 'turn note', text: `Now using ${state.model.name}: the next question starts a new conversation.` }));
      }
      conversation = null;
      model = state.model;
      previous = state.model ?? previous;
    }
    // this panel's job, also while it first loads the model
    const answering = controller !== null;
    askBtn.disabled = (state.busy !== null && state.busy !== 'engine') || answering;
    askBtn.textContent = answering ? 'Answering…' : 'Ask';
    stopBtn.disabled = !answering;
    newBtn.disabled = answering || !conversation;
    fileInput.disabled = answering;
    log.setAttribute('aria-busy', String(answering));
  });

  return {
    setImage(img, label) {
      setImage(img, label);
      zone.scrollIntoView({ behavior: 'smooth', block: 'nearest' });
      question.focus();
    },
  };
}
