"""Draws the PWA icons in public/icons/ (run: scripts/py scripts/make_icons.py).

The motif is the embedded default model's world: a circle, a square and a triangle on the demo's accent
colour. Drawn at 4x and downsampled for smooth edges. "any" icons have rounded corners and a transparent
margin; the maskable one fills its square (launchers cut their own shape inside the 80% safe zone).
"""

from pathlib import Path

from PIL import Image, ImageDraw

OUT = Path(__file__).resolve().parent.parent / "public" / "icons"
TOP, BOTTOM = (52, 87, 213), (109, 64, 196)  # the demo's accent, into violet


def gradient(size: int) -> Image.Image:
    img = Image.new("RGB", (size, size))
    px = img.load()
    for y in range(size):
        t = y / (size - 1)
        row = tuple(round(a + (b - a) * t) for a, b in zip(TOP, BOTTOM))
        for x in range(size):
            px[x, y] = row
    return img


def draw(size: int, maskable: bool) -> Image.Image:
    s = size * 4
    art = gradient(s).convert("RGBA")
    d = ImageDraw.Draw(art)
    # the shapes live inside the maskable safe zone (a centred circle of 80% diameter) in both variants
    u = s / 100
    d.ellipse([22 * u, 24 * u, 50 * u, 52 * u], fill=(255, 255, 255))
    d.rectangle([54 * u, 26 * u, 78 * u, 50 * u], fill=(255, 196, 61))
    d.polygon([(50 * u, 56 * u), (66 * u, 80 * u), (34 * u, 80 * u)], fill=(255, 107, 107))
    if not maskable:
        mask = Image.new("L", (s, s), 0)
        margin = round(4 * u)
        ImageDraw.Draw(mask).rounded_rectangle([margin, margin, s - margin, s - margin], radius=round(22 * u), fill=255)
        art.putalpha(mask)
    return art.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for size in (192, 512):
        draw(size, maskable=False).save(OUT / f"icon-{size}.png", optimize=True)
    draw(512, maskable=True).save(OUT / "maskable-512.png", optimize=True)
    draw(180, maskable=True).convert("RGB").save(OUT / "apple-touch-icon.png", optimize=True)


if __name__ == "__main__":
    main()
