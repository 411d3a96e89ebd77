"""shapes.grid: the README's example grid from an eval's results.json."""
import json

from shapes.captions import TAGS
from shapes.grid import grid, main, pick
from shapes.world import Obj, Scene, render


def test_the_grid_takes_the_first_images_of_each_category_in_order(tmp_path):
    images = []
    for i in range(3 * len(TAGS)):
        tag = TAGS[(i * 5) % len(TAGS)]  # interleaved, as an eval's order need not be by tag
        f = tmp_path / f"{i}.png"
        render(Scene((Obj("circle", "red", 0.5, 0.5, 0.2),)), 64).save(f)
        images.append({"filename": f.name, "tag": tag, "prompt": f"prompt {i}", "correct": i % 2 == 0})
    chosen = pick(images, 2)
    assert [r["tag"] for r in chosen] == [t for t in TAGS for _ in range(2)]
    for tag in TAGS:
        of_tag = [r for r in images if r["tag"] == tag]
        assert [r for r in chosen if r["tag"] == tag] == of_tag[:2]
    (tmp_path / "results.json").write_text(json.dumps({"images": images}))
    out = tmp_path / "grid.png"
    assert main([str(tmp_path / "results.json"), str(out), "--tile", "50"]) == 0
    from PIL import Image
    img = Image.open(out)
    assert img.width == 6 * 50 and img.height == 2 * (50 + 6 + 36)
    assert img.getpixel((25, 25))[0] > 200 and img.getpixel((25, 25))[1] < 80  # the red circle's centre


def test_no_images_is_an_error():
    import pytest
    with pytest.raises(ValueError):
        grid({"images": []})
