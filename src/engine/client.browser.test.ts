// The engine behind its worker (Comlink): the same answers as in-process, streamed tokens,
// step events, and cancellation across the thread boundary.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineClient } from './client';
import { GOLDEN, goldenPicture, goldenVectors } from './testing_golden';

describe.each(['webgpu', 'wasm'] as const)('the engine in its worker (%s)', (backend) => {
  let client: EngineClient;
  let meta: any;

  beforeAll(async () => {
    client = await EngineClient.create({ backend });
    expect((await client.backend()).kind).toBe(backend);
    const progress: string[] = [];
    await client.load({ url: `${GOLDEN}/package/` }, { onProgress: (p) => progress.push(p.phase) });
    expect(progress).toContain('download');
    expect(progress.at(-1)).toBe('ready');
    ({ meta } = await goldenVectors());
  });

  afterAll(() => client?.dispose());

  it('answers through the worker like the reference', async () => {
    const tokens: number[] = [];
    const r = await client.ask(await goldenPicture(), meta.understanding.turns[0].question,
      { maxNewTokens: 4 }, { onToken: (_t, id) => tokens.push(id) });
    // the engine resizes the 80×64 picture as PIL does: the reference's first tokens
    expect(r.tokenIds).toEqual(meta.understanding.turns[0].greedy_ids.slice(0, 4));
    expect(tokens).toEqual(r.tokenIds);
    await client.endConversation(r.conversation);
  });

  it('generates and cancels through the worker', async () => {
    const steps: number[] = [];
    const ctl = new AbortController();
    const run = client.generate('a red circle', { steps: 8, samplingSteps: 2 }, {
      signal: ctl.signal,
      onStep: (e) => { steps.push(e.step); if (e.step === 0) ctl.abort(); },
    });
    await expect(run).rejects.toThrow(/cancel|abort/i);
    const ok = await client.generate('a red circle', { steps: 2, samplingSteps: 2 });
    expect(ok.images[0].rgba.length).toBe(64 * 64 * 4);
    expect(ok.latents.length).toBe(16 * 16);
  });
});
