"""ShapesEval's detector on ground-truth renders (bar: 99% object-level accuracy) and on mildly
degraded ones (Gaussian noise sigma 8 and a Gaussian blur of 1 px: bar 97%)."""
from collections import Counter

import numpy as np
import pytest
from PIL import Image, ImageFilter

from shapes.detect import components, detect
from shapes.world import SHAPES, Obj, Scene, Spec, render, sample_scene


def random_scenes(seed: int, n: int) -> list[Scene]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        k = int(rng.integers(1, 5))
        out.append(sample_scene(rng, Spec([(SHAPES[rng.integers(len(SHAPES))], None)
                                           for _ in range(k)])))
    return out


def accuracy(scenes, images) -> tuple[float, float]:
    """Object level: (shape, colour) pairs found in both / max(#truth, #detected), summed over
    scenes (a missed and an extra object both count as errors); scene level: all exactly right."""
    hit = total = exact = 0
    for scene, img in zip(scenes, images):
        truth = Counter((o.shape, o.color) for o in scene.objects)
        found = Counter((d.shape, d.color) for d in detect(img))
        hit += sum((truth & found).values())
        total += max(sum(truth.values()), sum(found.values()))
        exact += truth == found
    return hit / total, exact / len(scenes)


@pytest.mark.parametrize("size", [64, 128, 256])
def test_detector_on_renders(size):
    scenes = random_scenes(size, 500)
    obj, scene = accuracy(scenes, [render(s, size) for s in scenes])
    print(f"\nclean {size} px: object {obj:.4f}, scene {scene:.4f}")
    assert obj >= 0.99 and scene >= 0.98


def degrade(img: Image.Image, rng, sigma: float = 8.0, blur: float = 1.0) -> Image.Image:
    img = img.filter(ImageFilter.GaussianBlur(blur))
    a = np.asarray(img, np.float32) + rng.normal(0, sigma, (img.height, img.width, 3))
    return Image.fromarray(np.clip(np.round(a), 0, 255).astype(np.uint8))


@pytest.mark.parametrize("size", [64, 128])
def test_detector_on_noisy_blurred_renders(size):
    scenes = random_scenes(1000 + size, 300)
    rng = np.random.default_rng(size)
    obj, scene = accuracy(scenes, [degrade(render(s, size), rng) for s in scenes])
    print(f"\nnoise 8 + blur 1 px, {size} px: object {obj:.4f}, scene {scene:.4f}")
    assert obj >= 0.97


def test_boxes_and_centres():
    scene = Scene((Obj("triangle", "purple", 0.25, 0.3, 0.12),
                   Obj("star", "yellow", 0.7, 0.65, 0.2),
                   Obj("cross", "red", 0.2, 0.8, 0.1)), "light grey")
    size = 200
    dets = {d.shape: d for d in detect(render(scene, size))}
    assert set(dets) == {"triangle", "star", "cross"}
    for o in scene.objects:
        d = dets[o.shape]
        assert d.color == o.color and d.score > 0.9
        assert np.allclose(d.bbox, [v * size for v in o.bbox], atol=1.5)
        assert np.allclose(d.center, (o.cx * size, o.cy * size), atol=1.0)
    assert dets["star"].area > dets["triangle"].area > dets["cross"].area


def test_non_square_image_and_empty_image():
    assert detect(Image.new("RGB", (160, 96), (255, 255, 255))) == []
    img = render(Scene((Obj("circle", "green", 0.5, 0.5, 0.2),)), 128).crop((0, 16, 128, 112))
    [d] = detect(img)
    assert (d.shape, d.color) == ("circle", "green")


def test_specks_are_ignored():
    img = np.asarray(render(Scene((Obj("square", "blue", 0.5, 0.5, 0.15),)), 128)).copy()
    img[5:7, 100:102] = (220, 40, 40)        # a 2 x 2 red speck
    img[110, 20] = (40, 160, 60)             # a green pixel
    assert [(d.shape, d.color) for d in detect(img)] == [("square", "blue")]


def test_components_are_8_connected():
    m = np.zeros((6, 8), bool)
    m[0, 0] = m[1, 1] = m[2, 2] = True       # a diagonal: one component
    m[0, 5:8] = True                          # a bar, apart
    m[4:6, 0:3] = True                        # a block, apart
    m[5, 5] = True                            # a single pixel
    comps = sorted(sorted(c.tolist()) for c in components(m))
    assert comps == [[0, 9, 18], [5, 6, 7], [32, 33, 34, 40, 41, 42], [45]]
