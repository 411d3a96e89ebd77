// Cancellation points of the loops. On the wasm backend a graph run finishes without leaving the
// microtask queue, so a loop that only awaited runs would never let the page's (or the worker's)
// message events in: a Stop pressed meanwhile would be seen only after the whole generation. Each
// step and each answer token therefore yields one task first, then checks the signal.

export async function checkpoint(signal?: AbortSignal): Promise<void> {
  await new Promise<void>((resolve) => setTimeout(resolve, 0));
  if (signal?.aborted) throw signal.reason ?? new DOMException('aborted', 'AbortError');
}
