// Cancellation points of the loops. On the wasm backend a graph run finishes without leaving the
// microtask queue, so a loop that only awaited runs would never let the page's (or the worker's)
// message events in: a Stop pressed meanwhile would be seen only after the whole generation. Each
// step and each answer token therefore yields one task first, then checks the signal.
//
// The yield is a message to ourselves, not a timer: a worker's Stop arrives as a posted message, and
// posted messages run in the order they were queued, while a timer task has no order relative to
// them (Chromium may run the timer first, again and again). Through a message, a cancel that arrived
// before the yield is always handled before the loop goes on — a Stop pressed during the prompt's
// prefill stops the generation at its first step, on any device speed.

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
