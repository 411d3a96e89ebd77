"""Partly known images (harmon/canvas.py): token masks, the canvas, variations, and the loop keeping
known tokens bit-identical while the schedule runs over the unknown ones; non-square canvases."""
import numpy as np
import pytest
import torch

from harmon.canvas import (bytes_to_pixels, check_canvas_orders, generate_partial, known_latents, make_canvas,
                           mask_from_bytes, place_source, token_mask, variation_count)
from harmon.generate import GenerateSettings, generate_latents, mask_lengths, seeded_inputs
from harmon.text import TextCodec
from harmon.tokenizer_build import build_tokenizer

S64 = GenerateSettings(steps=3, cfg=2.0, cfg_schedule="linear", sampling_steps=2, size=64)


@pytest.fixture(scope="module")
def codec():
    return TextCodec(build_tokenizer(512))


def source(w=64, h=64, seed=0):
    rng = np.random.default_rng(seed)
    return bytes_to_pixels(rng.integers(0, 256, (h, w, 3), dtype=np.uint8))


def box(w, h, x0, y0, x1, y1):
    m = np.zeros((h, w), dtype=bool)
    m[y0:y1, x0:x1] = True
    return m


def test_pixels_and_mask_bytes():
    px = bytes_to_pixels(np.array([[[0, 255, 128]]], dtype=np.uint8))
    assert px.shape == (3, 1, 1) and px[0, 0, 0] == -1 and px[1, 0, 0] == 1
    f = np.float32   # float32 at every operation (the engine does the same), not rounded once from float64
    assert px[2, 0, 0].item() == f(f(2) * (f(128) / f(255)) - f(1)) != f(2 * (128 / 255) - 1)
    assert mask_from_bytes(np.array([[0, 127, 128, 255]], dtype=np.uint8)).tolist() == [[False, False, True, True]]
    assert mask_from_bytes(np.full((1, 2, 4), 200, dtype=np.uint8)).tolist() == [[True, True]]  # RGBA: first channel


def test_token_mask_any_pixel_and_one_ring():
    m = np.zeros((64, 64), dtype=bool)
    m[17, 47] = True                      # one pixel in token (1, 2)
    t = token_mask(m, 16)
    assert t.sum() == 1 and t[1, 2]
    g = token_mask(m, 16, grow=True)
    assert g.sum() == 9 and g[0:3, 1:4].all()
    m[:] = False
    m[0, 0] = True                        # a corner: the ring is clipped to the grid
    assert token_mask(m, 16, grow=True).sum() == 4


def test_place_source_crops_and_pads_with_grey():
    src = source(32, 32)
    canvas, covered = place_source(src, 48, 32, (24, -8))
    assert canvas.shape == (1, 3, 32, 48)
    torch.testing.assert_close(canvas[0, :, 0:24, 24:48], src[:, 8:32, 0:24], rtol=0, atol=0)
    assert (canvas[0, :, :, :24] == 0).all() and (canvas[0, :, 24:, :] == 0).all()
    assert covered.sum() == 24 * 24 and covered[0, 24] and not covered[0, 23] and not covered[24, 30]
    with pytest.raises(ValueError, match="covers nothing"):
        place_source(src, 48, 32, (48, 0))


def test_make_canvas_inpaint_outpaint_variation():
    s = GenerateSettings(size=64)
    cv = make_canvas(source(), s, 16, box(64, 64, 20, 10, 44, 40))
    assert cv.candidates.tolist() == [1, 2, 5, 6, 9, 10] and cv.count == 6 and cv.grid == (4, 4)
    # outpainting: 64² at (24, 8) on 96×80 → the 3×3 fully covered tokens are known
    cv = make_canvas(source(), GenerateSettings(width=96, height=80), 16, offset=(24, 8))
    assert cv.grid == (5, 6) and cv.count == 30 - 9
    assert not set(cv.candidates.tolist()) & {8, 9, 10, 14, 15, 16, 20, 21, 22}
    # variations: a fraction of all tokens, or of the masked ones
    assert make_canvas(source(), s, 16, strength=0.5).count == 8
    cv = make_canvas(source(), s, 16, box(64, 64, 20, 10, 44, 40), strength=0.25)
    assert cv.count == 2 and len(cv.candidates) == 6   # floor(1.5 + 0.5)
    assert variation_count(0.01, 16) == 1 and variation_count(1.0, 16) == 16


@pytest.mark.parametrize("kw,match", [
    (dict(mask=np.ones((32, 64), dtype=bool)), "mask is 64×32 but the canvas is 64×64"),
    (dict(mask=np.zeros((64, 64), dtype=bool)), "marks no pixel"),
    (dict(offset=(64, 0)), "covers nothing"),
    (dict(), "nothing to generate"),
    (dict(strength=0.0), "strength"),
    (dict(strength=1.5), "strength"),
    (dict(strength=float("nan")), "strength"),
])
def test_bad_canvas_input(kw, match):
    with pytest.raises(ValueError, match=match):
        make_canvas(source(), GenerateSettings(size=64), 16, **kw)


def test_known_tokens_leave_the_loop_bit_identical(tiny_model, codec):
    cv = make_canvas(source(), S64, 16, box(64, 64, 20, 10, 44, 40))
    known = known_latents(tiny_model, cv)
    orders, noise = seeded_inputs(3, 2, 16, S64.sampling_steps, cv.candidates, cv.count)
    check_canvas_orders(orders, cv)
    trace = {}
    lat = generate_latents(tiny_model, codec, ["a", "b"], S64, orders, noise, trace, known=known)
    unk = torch.zeros(16, dtype=torch.bool)
    unk[cv.candidates] = True
    for b in range(2):
        assert torch.equal(lat[b].reshape(16, 16)[~unk], known.reshape(16, 16)[~unk])
        assert not torch.equal(lat[b].reshape(16, 16)[unk], known.reshape(16, 16)[unk])
    # the schedule over u = 6 tokens; known tokens are seen from step 0 by both CFG rows
    assert trace["mask_lengths"] == mask_lengths(6, 3) == [5, 3, 1]
    assert [st["cfg"] for st in trace["steps"]] == pytest.approx([1 + (6 - m) / 6 for m in [5, 3, 1]], rel=1e-6)
    m0 = trace["steps"][0]["mask"]
    assert m0.shape == (4, 16) and (m0.sum(1) == 6).all() and (m0[:, ~unk] == 0).all()
    assert trace["steps"][0]["patch_embed"].shape[1] == 64 + 10
    preds = torch.stack([st["to_pred"] for st in trace["steps"]]).sum(0)
    assert torch.equal(preds, unk.expand(4, 16).long())   # each unknown token predicted once, no known one


def test_variation_regenerates_only_its_tokens(tiny_model, codec):
    cv = make_canvas(source(), S64, 16, strength=0.25)
    orders, noise = seeded_inputs(5, 1, 16, S64.sampling_steps, cv.candidates, cv.count)
    known = known_latents(tiny_model, cv)
    lat = generate_latents(tiny_model, codec, ["x"], S64, orders, noise, known=known)
    changed = (lat[0].reshape(16, 16) != known.reshape(16, 16)).any(-1).nonzero().flatten().tolist()
    assert sorted(changed) == sorted(orders[0].tolist()) and len(changed) == 4
    torch.testing.assert_close(generate_partial(tiny_model, codec, ["x"], S64, cv, seed=5), lat, rtol=0, atol=0)


def test_injected_orders_must_fit_the_canvas(tiny_model, codec):
    cv = make_canvas(source(), S64, 16, box(64, 64, 0, 0, 16, 16))    # one token unknown
    with pytest.raises(ValueError, match="must list 1 distinct tokens of the 1"):
        check_canvas_orders(torch.tensor([[2]]), cv)
    known = known_latents(tiny_model, cv)
    with pytest.raises(ValueError, match="distinct token indices"):
        generate_latents(tiny_model, codec, ["x"], S64, torch.tensor([[16]]), torch.zeros(1, 1, 3, 16), known=known)
    with pytest.raises(ValueError, match="noise must have shape \\(1, 1, 3, 16\\)"):
        generate_latents(tiny_model, codec, ["x"], S64, torch.tensor([[0]]), torch.zeros(1, 16, 3, 16), known=known)
    with pytest.raises(ValueError, match="known latents must have shape"):
        generate_latents(tiny_model, codec, ["x"], S64, torch.tensor([[0]]), torch.zeros(1, 1, 3, 16), known=known[:2])
    # one unknown token: every step but the last predicts nothing, the last predicts it
    lat = generate_latents(tiny_model, codec, ["x"], S64, torch.tensor([[0]]), torch.randn(1, 1, 3, 16), known=known)
    assert not torch.equal(lat[0, 0, 0], known[0, 0]) and torch.equal(lat[0].reshape(16, 16)[1:], known.reshape(16, 16)[1:])


def test_a_full_mask_is_text_to_image(tiny_model, codec):
    """Known latents under a mask covering everything are never read: the result is text-to-image's."""
    s = GenerateSettings(steps=2, cfg=3.0, sampling_steps=2, size=64)
    orders, noise = seeded_inputs(0, 1, 16, 2)
    plain = generate_latents(tiny_model, codec, ["x"], s, orders, noise)
    masked = generate_latents(tiny_model, codec, ["x"], s, orders, noise, known=torch.randn(4, 4, 16))
    torch.testing.assert_close(masked, plain, rtol=0, atol=0)


def test_non_square_canvas(tiny_model, codec):
    s = GenerateSettings(steps=2, cfg=3.0, sampling_steps=2, width=96, height=48)
    assert s.grid(16) == (3, 6) and s.to_dict()["width"] == 96 and "size" not in s.to_dict()
    orders, noise = seeded_inputs(0, 1, 18, 2)
    trace = {}
    lat = generate_latents(tiny_model, codec, ["x"], s, orders, noise, trace)
    assert lat.shape == (1, 3, 6, 16) and torch.isfinite(lat).all()
    assert tiny_model.decode_tokens(lat).shape == (1, 3, 48, 96)
    # the position tables are resized per axis: 4×4 → 3×6
    pos = tiny_model.mar.diffusion_pos(3, 6)
    img = tiny_model.mar.diffusion_pos_embed_learned.reshape(1, 4, 4, -1).permute(0, 3, 1, 2)
    ref = torch.nn.functional.interpolate(img, size=(3, 6), mode="bilinear", align_corners=False)
    torch.testing.assert_close(pos, ref.permute(0, 2, 3, 1).reshape(1, 18, -1), rtol=0, atol=0)
    with pytest.raises(ValueError, match="width must be a positive multiple of 16"):
        GenerateSettings(width=50).check(16)


def test_fast_preset_on_a_partly_known_image(tiny_model, codec):
    """The fast layout runs over the u unknown tokens; known tokens stay bit-identical."""
    from harmon.generate import noise_slots, predicted_counts
    s = GenerateSettings(steps=3, cfg=2.0, size=64, preset="fast")
    cv = make_canvas(source(), s, 16, box(64, 64, 20, 10, 44, 40))
    orders, noise = seeded_inputs(3, 1, 16, s, cv.candidates, cv.count)
    assert cv.count == 6 and noise.shape == (1, noise_slots(s, 6), 16)
    assert noise_slots(s, 6) == sum(c * (S + 1) for c, S in zip(predicted_counts(6, 3), [50, 27, 5]))
    known = known_latents(tiny_model, cv)
    lat = generate_latents(tiny_model, codec, ["a"], s, orders, noise, known=known)
    unk = torch.zeros(16, dtype=torch.bool)
    unk[cv.candidates] = True
    assert torch.equal(lat[0].reshape(16, 16)[~unk], known.reshape(16, 16)[~unk])
    torch.testing.assert_close(generate_partial(tiny_model, codec, ["a"], s, cv, seed=3), lat, rtol=0, atol=0)
