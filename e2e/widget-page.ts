// A third-party page that embeds the widget, as the README tells people to: one module script tag
// from the widget's host, elements in the markup, the page's own stylesheet restyling the widgets
// through their CSS parts. Served with a strict Content-Security-Policy by the tests (widget.e2e.ts)
// and the screenshot script (screenshots.ts).

/**
 * The strictest policy the widget runs under, for a page on another origin than the widget: scripts
 * and WebAssembly compilation from the widget's origin only, fetches (ORT's .wasm, the model) to it
 * only, images from blob: (the finished PNGs), styles from the page's own origin.
 */
export function strictCsp(widgetOrigin: string): string {
  return [
    "default-src 'none'",
    `script-src ${widgetOrigin} 'wasm-unsafe-eval'`,
    `connect-src ${widgetOrigin}`,
    'img-src blob:',
    // the page's own stylesheet; the widget needs nothing here
    "style-src 'self'",
  ].join('; ');
}

/** The same for a page on the widget's own origin (the engine then runs in a worker: worker-src
 * falls back to script-src, so 'self' there covers it). */
export function sameOriginCsp(): string {
  return "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'; img-src blob:; style-src 'self'";
}

export const PAGE_CSS = `
body { font-family: system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; margin: 1.5rem 2rem; color: #1b1f24; background: #fff; }
h1 { font-size: 1.4rem; margin: 0 0 0.25rem; }
p.lead { margin: 0 0 1.25rem; color: #5b6470; }
code { background: #f1f3f6; padding: 0 0.25rem; border-radius: 3px; }
.row { display: flex; gap: 1.5rem; flex-wrap: wrap; align-items: flex-start; }
figure { margin: 0; }
figcaption { margin-top: 0.35rem; font-size: 0.85rem; color: #5b6470; max-width: 200px; }
harmon-image { --harmon-size: 200px; }
harmon-image::part(image) { box-shadow: 0 1px 4px rgb(0 0 0 / 0.25); }
harmon-ask { max-width: 420px; margin-top: 1.25rem; padding: 0.75rem 1rem; border: 1px solid #d5dae1; border-radius: 8px; }
harmon-ask::part(answer) { font-family: ui-monospace, monospace; }
`;

export interface WidgetPageOptions {
  /** the widget script's absolute URL (on its own origin) */
  widgetUrl: string;
  title: string;
  lead?: string;
  /** the page's markup inside <body> (trusted test markup) */
  body: string;
  /** a stylesheet URL on the page's own origin (style-src 'self') */
  stylesheet?: string;
}

export function widgetPage(o: WidgetPageOptions): string {
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>${o.title}</title>
  ${o.stylesheet ? `<link rel="stylesheet" href="${o.stylesheet}">` : ''}
  <script type="module" src="${o.widgetUrl}"></script>
</head>
<body>
  <h1>${o.title}</h1>
  ${o.lead ? `<p class="lead">${o.lead}</p>` : ''}
  ${o.body}
</body>
</html>
`;
}
