// npm run screenshots: the README's pictures (docs/demo-idle.png, demo-generating.png,
// demo-finished.png, widget.png), taken from the BUILT site in headless Chromium as a user would see
// it, with the embedded default model (models/default/package) or another package.
//
//   npm run screenshots -- [--model PKG_DIR] [--steps N] [--sampling-steps N] [--out docs]
//
// Without --steps / --sampling-steps the model's own defaults (its manifest) are used, as on the page.
// On SwiftShader (no GPU) a large model with its default step counts takes long: pass small counts.

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { chromium, type Page } from 'playwright';
import { chromiumArgs, chromiumPath } from '../src/cli/chromium';
import { generateOption, kebab, optionRule, parseOption } from '../src/engine/options';
import { root, siteFor } from './build';
import { serveStatic } from './server';
import { PAGE_CSS, strictCsp, widgetPage } from './widget-page';

const PROMPT = 'a red circle and a blue square';
const QUESTION = 'Describe the image.';
const WAIT = 30 * 60_000;

const { values: args } = parseArgs({
  options: {
    model: { type: 'string', default: path.join(root, 'models/default/package') },
    steps: { type: 'string' },
    'sampling-steps': { type: 'string' },
    out: { type: 'string', default: path.join(root, 'docs') },
  },
});

/** --steps / --sampling-steps: the engine's options, checked by its table (names, bounds, rule). */
function setting(key: 'steps' | 'samplingSteps', v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const o = generateOption(key);
  const n = parseOption(o, v);
  if (n === undefined) throw new Error(`--${kebab(key)} must be ${optionRule(o)} (got ${v})`);
  return n as number;
}

async function demoShots(page: Page, origin: string, out: string, steps?: number, samplingSteps?: number): Promise<void> {
  await page.goto(`${origin}/`);
  await page.waitForFunction(() => document.getElementById('status')?.textContent?.includes('Engine ready'), null, { timeout: WAIT });
  const select = page.getByRole('combobox', { name: 'Model', exact: true });
  await page.waitForFunction(() => (document.getElementById('model-source') as HTMLSelectElement).value === 'default', null, { timeout: 60_000 });
  await page.getByRole('textbox', { name: 'Prompt', exact: true }).fill(PROMPT);
  await page.screenshot({ path: path.join(out, 'demo-idle.png'), fullPage: true });
  console.log(`demo-idle.png (model: ${await select.locator('option:checked').textContent()})`);

  await page.getByRole('button', { name: 'Load model' }).click();
  await page.waitForFunction(() => /^Loaded|^Could not/.test(document.getElementById('model-error')?.textContent ?? ''), null, { timeout: WAIT });
  const loaded = await page.locator('#model-error').textContent();
  if (!loaded?.startsWith('Loaded')) throw new Error(loaded ?? 'the model did not load');
  if (steps !== undefined) await page.getByRole('spinbutton', { name: 'Steps', exact: true }).fill(String(steps));
  if (samplingSteps !== undefined) await page.getByRole('spinbutton', { name: 'Sampling steps' }).fill(String(samplingSteps));
  const total = Number(await page.getByRole('spinbutton', { name: 'Steps', exact: true }).inputValue());
  await page.getByRole('button', { name: 'Generate', exact: true }).click();
  // mid-generation: the preview after about half the steps
  const half = Math.max(1, Math.floor(total / 2));
  await page.waitForFunction((half) => Number(document.querySelector<HTMLCanvasElement>('#previews canvas')?.dataset.step ?? 0) >= half,
    half, { timeout: WAIT });
  await page.screenshot({ path: path.join(out, 'demo-generating.png'), fullPage: true });
  console.log(`demo-generating.png (step ${half} of ${total})`);

  await page.getByRole('img', { name: PROMPT, exact: true }).waitFor({ timeout: WAIT });
  await page.getByRole('button', { name: 'Ask about image 1 of result 1' }).click();
  await page.getByRole('spinbutton', { name: 'Max answer tokens' }).fill('32');
  await page.getByRole('textbox', { name: 'Question' }).fill(QUESTION);
  await page.getByRole('button', { name: 'Ask', exact: true }).click();
  await page.waitForFunction(() => document.querySelector('#chat-log .turn')?.hasAttribute('data-tokens'), null, { timeout: WAIT });
  await page.screenshot({ path: path.join(out, 'demo-finished.png'), fullPage: true });
  console.log('demo-finished.png');
}

async function widgetShot(page: Page, widgetOrigin: string, pageOrigin: string, out: string): Promise<void> {
  await page.goto(`${pageOrigin}/`);
  // (no named functions inside: tsx would wrap them in a helper the page does not have)
  await page.waitForFunction(() => ['one', 'two'].every((id) => document.getElementById(id)?.shadowRoot?.querySelector('img[part=image]:not([hidden])'))
    && document.getElementById('ask')?.shadowRoot?.querySelector('[part=answer]')?.textContent, null, { timeout: WAIT, polling: 1000 });
  // the answer streams: wait until it stops changing
  await page.waitForFunction(() => !document.getElementById('ask')?.shadowRoot?.querySelector('[part=status]:not([hidden])'), null, { timeout: WAIT });
  await page.screenshot({ path: path.join(out, 'widget.png'), fullPage: true });
  console.log(`widget.png (${widgetOrigin} embedded in ${pageOrigin})`);
}

async function main(): Promise<void> {
  const model = path.resolve(args.model!);
  if (!existsSync(path.join(model, 'manifest.json'))) {
    throw new Error(`no model package at ${model} (no manifest.json): train the embedded default or pass --model PKG_DIR`);
  }
  const steps = setting('steps', args.steps);
  const samplingSteps = setting('samplingSteps', args['sampling-steps']);
  const out = path.resolve(args.out!);
  mkdirSync(out, { recursive: true });
  const tmp = mkdtempSync(path.join(tmpdir(), 'harmon-screenshots-'));
  const site = await siteFor(tmp);
  const widgetHost = await serveStatic(site, [{ prefix: '/models/default/', dir: model }], {
    headers: () => ({ 'Access-Control-Allow-Origin': '*' }),
  });
  const settings = [steps && `steps="${steps}"`, samplingSteps && `sampling-steps="${samplingSteps}"`].filter(Boolean).join(' ');
  const pageDir = path.join(tmp, 'page');
  mkdirSync(pageDir);
  writeFileSync(path.join(pageDir, 'page.css'), PAGE_CSS);
  writeFileSync(path.join(pageDir, 'index.html'), widgetPage({
    widgetUrl: `${widgetHost.origin}/harmon-widget.js`,
    title: 'Harmon widgets on someone else’s page',
    lead: `One <code>&lt;script type="module"&gt;</code> from another origin, a strict Content-Security-Policy, two
      <code>&lt;harmon-image&gt;</code>s and a <code>&lt;harmon-ask&gt;</code> sharing one engine on this computer’s GPU.`,
    stylesheet: '/page.css',
    body: `<div class="row">
      <figure><harmon-image id="one" prompt="${PROMPT}" seed="1" ${settings}></harmon-image><figcaption>${PROMPT}</figcaption></figure>
      <figure><harmon-image id="two" prompt="a green triangle above a yellow circle" seed="2" ${settings}></harmon-image>
        <figcaption>a green triangle above a yellow circle</figcaption></figure>
    </div>
    <harmon-ask id="ask" for="one" question="${QUESTION}" max-tokens="32"></harmon-ask>`,
  }));
  const pageHost = await serveStatic(pageDir, [], { headers: () => ({ 'Content-Security-Policy': strictCsp(widgetHost.origin) }) });
  const browser = await chromium.launch({ executablePath: chromiumPath(), args: chromiumArgs(), headless: true });
  try {
    const manifest = JSON.parse(readFileSync(path.join(model, 'manifest.json'), 'utf8'));
    console.log(`model ${manifest.name} from ${model}`);
    const demo = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await demoShots(demo, widgetHost.origin, out, steps, samplingSteps);
    await demo.close();
    const widget = await browser.newPage({ viewport: { width: 900, height: 600 } });
    await widgetShot(widget, widgetHost.origin, pageHost.origin, out);
  } finally {
    await browser.close();
    await widgetHost.close();
    await pageHost.close();
    rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
