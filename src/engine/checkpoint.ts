// Cancellation points of the loops. On the wasm backend a graph run finishes without leaving the
// microtask queue, so a loop that only awaited runs would never let the page's (or the worker's)
// message events in: a Stop pressed meanwhile would be seen only after the whole generation. Each
// step and each answer token therefore yields one task first, then checks the signal.
//
// The yield is a message to ourselves, not a timer: Chromium may run a timer task ahead of queued
// messages again and again, while a message lets the ones already queued run. It is not ordered
// against messages on other ports, though: a worker's Stop that is still in flight may be seen one
// step later. The guarantee that a Stop sent right after a call wins is the worker's barrier
// (worker.ts), not this.

let channel: MessageChannel | undefined;
const waiting: (() => void)[] = [];

function yieldTask(): Promise<void> {
  if (typeof MessageChannel === 'undefined') return new Promise((resolve) => setTimeout(resolve, 0));
  if (!channel) {
    channel = new MessageChannel();
    channel.port1.onmessage = () => waiting.shift()?.();
    // Node's ports keep the process alive; a browser's do not need this
    (channel.port1 as { unref?: () => void }).unref?.();
  }
  return new Promise((resolve) => {
    waiting.push(resolve);
    channel!.port2.postMessage(0);
  });
}

export async function checkpoint(signal?: AbortSignal): Promise<void> {
  await yieldTask();
  if (signal?.aborted) throw signal.reason ?? new DOMException('aborted', 'AbortError');
}
