// The widgets' look, as one constructable stylesheet adopted by every shadow root. A strict
// Content-Security-Policy (style-src without 'unsafe-inline') blocks <style> elements and style
// attributes, not adopted sheets. Pages restyle through the parts (::part(image) …) and these
// custom properties: --harmon-accent, --harmon-error, --harmon-muted, --harmon-radius.

const CSS = `
:host {
  --_accent: var(--harmon-accent, #3457d5);
  --_error: var(--harmon-error, #b3261e);
  --_muted: var(--harmon-muted, #5b6470);
  --_radius: var(--harmon-radius, 6px);
  display: inline-block;
  vertical-align: top;
  box-sizing: border-box;
  font: inherit;
  color: inherit;
}
:host([hidden]) { display: none; }
[hidden] { display: none !important; }
* { box-sizing: border-box; }

.frame {
  position: relative;
  width: var(--harmon-size, 256px);
  max-width: 100%;
  aspect-ratio: 1;
  display: grid;
  place-items: center;
  border-radius: var(--_radius);
  overflow: hidden;
  background: color-mix(in srgb, var(--_muted) 12%, transparent);
}
.frame > img, .frame > canvas {
  grid-area: 1 / 1;
  width: 100%;
  height: 100%;
  object-fit: contain;
  display: block;
}
.pixelated { image-rendering: pixelated; }

.status { margin: 0.35rem 0 0; color: var(--_muted); font-size: 0.85em; }
.frame > .status { grid-area: 1 / 1; margin: 0; padding: 0.5rem; text-align: center; }
progress { display: block; width: 100%; height: 0.4rem; margin-top: 0.3rem; accent-color: var(--_accent); }
.error { margin: 0.35rem 0 0; color: var(--_error); font-size: 0.9em; }

:host(harmon-ask) { display: block; }
.question { margin: 0; font-weight: 600; }
.answer { margin: 0.25rem 0 0; white-space: pre-wrap; overflow-wrap: anywhere; min-height: 1.45em; }
`;

let sheet: CSSStyleSheet | null = null;

/** The shared sheet (made on first use: there is no CSSStyleSheet until a page uses a widget). */
export function widgetSheet(): CSSStyleSheet {
  if (!sheet) {
    sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
  }
  return sheet;
}
