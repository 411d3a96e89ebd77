// The engine from the harmon-webgpu package: create, load, generate (the README's five lines), with
// a prompt box and the finished image as an <img alt=prompt>. `?backend=wasm|webgpu` forces a
// backend (default auto: WebGPU on a hardware GPU, the CPU otherwise).
import { EngineClient, defaultModelUrl, type BackendChoice, type GeneratedImage } from 'harmon-webgpu';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const status = $<HTMLParagraphElement>('status');
const backend = (new URLSearchParams(location.search).get('backend') ?? 'auto') as BackendChoice;

function toImg(image: GeneratedImage, alt: string): HTMLImageElement {
  const canvas = document.createElement('canvas');
  canvas.width = image.width;
  canvas.height = image.height;
  canvas.getContext('2d')!.putImageData(new ImageData(new Uint8ClampedArray(image.rgba), image.width, image.height), 0, 0);
  const img = document.createElement('img');
  img.src = canvas.toDataURL('image/png');
  img.alt = alt;
  return img;
}

async function main(): Promise<void> {
  const engine = await EngineClient.create({ backend });
  const info = await engine.load({ url: defaultModelUrl() }, {
    onProgress: (p) => (status.textContent = `Loading the model: ${p.phase}`),
  });
  status.textContent = `Ready: ${info.name} on ${info.backend.kind}`;
  const button = $<HTMLButtonElement>('generate');
  button.disabled = false;
  $<HTMLFormElement>('form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const prompt = $<HTMLInputElement>('prompt').value;
    button.disabled = true;
    try {
      const t0 = performance.now();
      const { images } = await engine.generate(prompt, { seed: 1 }, {
        onStep: (s) => (status.textContent = `Step ${s.step + 1}/${s.steps}`),
      });
      status.textContent = `Generated in ${((performance.now() - t0) / 1000).toFixed(1)} s on ${info.backend.kind}`;
      $<HTMLParagraphElement>('result').replaceChildren(toImg(images[0], prompt));
    } catch (err) {
      status.textContent = `Error: ${err instanceof Error ? err.message : String(err)}`;
    } finally {
      button.disabled = false;
    }
  });
}

main().catch((err) => (status.textContent = `Error: ${err instanceof Error ? err.message : String(err)}`));
