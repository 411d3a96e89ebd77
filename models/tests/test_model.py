"""Reference model behaviour: position-embedding resize, the MAR loop's bookkeeping, the prompt
cache, understanding with multi-turn caching, and input validation."""
import math

import pytest
import torch
from PIL import Image

from harmon.export.onnx_export import rel_err
from harmon.generate import GenerateSettings, generate_latents, mar_step, mask_lengths, prefill, seeded_inputs
from harmon.mar import resize_pos_embed
from harmon.text import TextCodec
from harmon.tokenizer_build import build_tokenizer
from harmon.understand import Conversation, prepare_image

SMALL = GenerateSettings(steps=4, cfg=3.0, sampling_steps=3, size=64)


@pytest.fixture(scope="module")
def codec():
    return TextCodec(build_tokenizer(512))


def test_resize_pos_embed_bilinear_half_pixel():
    # a 2×2 grid with values 0 and 1 along x → 4×4: half-pixel centres give 0, .25, .75, 1
    table = torch.tensor([[9.0], [0.0], [1.0], [0.0], [1.0]])[None]   # 1 buffer row + 2×2
    out = resize_pos_embed(table, 1, 2, 4, 4)
    assert out[0, 0, 0] == 9.0                                          # buffer row kept
    torch.testing.assert_close(out[0, 1:5, 0], torch.tensor([0.0, 0.25, 0.75, 1.0]))
    assert resize_pos_embed(table, 1, 2, 2, 2) is table


def test_mask_lengths():
    lens = mask_lengths(256, 64)
    assert lens[0] == math.floor(256 * math.cos(math.pi / 128)) == 255
    assert lens[-1] == 1 and all(a > b for a, b in zip(lens, lens[1:-1]))
    assert mask_lengths(4, 8) == [3, 2, 1, 1, 1, 1, 1, 1]  # at least one predicted per step


def run(model, codec, prompts, settings, seed=0, noise=None):
    n, N = len(prompts), (settings.size // model.cfg.vae.stride) ** 2
    orders, nz = seeded_inputs(seed, n, N, settings.sampling_steps)
    trace = {}
    lat = generate_latents(model, codec, prompts, settings, orders, nz if noise is None else noise, trace)
    return lat, trace, orders, nz


def test_every_token_predicted_once_and_rows_follow(tiny_model, codec):
    lat, trace, orders, _ = run(tiny_model, codec, ["a red circle", "two squares"], SMALL)
    preds = torch.stack([st["to_pred"] for st in trace["steps"]]).long()
    assert torch.equal(preds.sum(0), torch.ones_like(preds[0]))
    for k, st in enumerate(trace["steps"]):   # predicted tokens follow the order
        done = preds[: k + 1].sum(0).bool()
        for b in range(2):
            assert set(orders[b][~done[b][orders[b]]].tolist()) == set(orders[b][: trace["mask_lengths"][k]].tolist()) \
                or k == len(trace["steps"]) - 1
        assert torch.equal(st["tokens"][2:], st["tokens"][:2])  # unconditional rows = conditional rows
    assert torch.isfinite(lat).all() and lat.shape == (2, 4, 4, 16)


def test_noise_slots_follow_prediction_order(tiny_model, codec):
    """Changing one slot of the noise stream changes exactly the token predicted in that slot (a slot of
    the last step, so nothing after it depends on the token)."""
    lat, trace, orders, noise = run(tiny_model, codec, ["a red circle"], SMALL)
    order = [i for st in trace["steps"] for i in st["to_pred"][0].nonzero().flatten().tolist()]
    slot = len(order) - 1
    noise2 = noise.clone()
    noise2[0, slot] += 1.0
    lat2, *_ = run(tiny_model, codec, ["a red circle"], SMALL, noise=noise2)
    changed = (lat2 - lat).reshape(16, 16).abs().sum(-1).nonzero().flatten().tolist()
    assert changed == [order[slot]]


def test_step_does_not_grow_the_prompt_cache(tiny_model, codec):
    ids, pmask = codec.generation_prompts(["a cat"], cfg=True)
    cache = prefill(tiny_model, ids)
    P = cache.get_seq_length()
    tokens, mask = torch.randn(2, 16, 16), torch.ones(2, 16)
    mask[:, :5] = 0
    z1 = mar_step(tiny_model, tokens, mask, pmask, cache, 4, 4)
    assert cache.get_seq_length() == P
    z2 = mar_step(tiny_model, tokens, mask, pmask, cache, 4, 4)
    torch.testing.assert_close(z1, z2, rtol=0, atol=0)


def test_padding_is_invisible(tiny_model, codec):
    """A prompt's result does not depend on how far it is right-padded by a longer neighbour."""
    s = GenerateSettings(steps=2, cfg=1.0, sampling_steps=2, size=64)
    orders, noise = seeded_inputs(0, 2, 16, s.sampling_steps)
    alone = generate_latents(tiny_model, codec, ["a red circle"], s, orders[:1], noise[:1])
    both = generate_latents(tiny_model, codec, ["a red circle", "a much longer prompt with many more words in it"],
                            s, orders, noise)
    assert rel_err(alone[0], both[0]) < 1e-5


def test_multi_turn_cache_matches_full_recompute(tiny_model, codec):
    img = Image.new("RGB", (90, 64), (10, 200, 30))
    conv = Conversation(tiny_model, codec, prepare_image(img, 64))
    ids1 = conv.ask("What is this?", max_new_tokens=4)
    tr = {}
    conv.ask("And the colour?", max_new_tokens=2, trace=tr)
    # recompute turn two from scratch, without any cache
    e = tiny_model.embed
    t = lambda s: e(torch.tensor([codec.encode(s)]))
    seq = torch.cat([t("<|im_start|>user\n"), conv.image_embeds,
                     t("\nWhat is this?<|im_end|>\n<|im_start|>assistant\n"), e(torch.tensor([ids1])),
                     t("<|im_end|>\n<|im_start|>user\nAnd the colour?<|im_end|>\n<|im_start|>assistant\n")], dim=1)
    hid, _ = tiny_model.llm_forward(seq)
    assert rel_err(tr["first_logits"], tiny_model.logits(hid[0, -1])) < 1e-5


def test_prepare_image_pads_with_grey():
    img = Image.new("RGB", (40, 20), (255, 0, 0))
    x = prepare_image(img, 32)
    assert x.shape == (1, 3, 32, 32)
    grey = 2 * 127 / 255 - 1
    torch.testing.assert_close(x[0, :, 0, 16], torch.tensor([grey] * 3))       # top band padded
    torch.testing.assert_close(x[0, :, 16, 16], torch.tensor([1.0, -1.0, -1.0]))


@pytest.mark.parametrize("prompt,settings,match", [
    ("", SMALL, "empty"),
    ("   ", SMALL, "empty"),
    ("x" * 2001, SMALL, "limit"),
    ("ok", GenerateSettings(size=60), "multiple of 16"),
    ("ok", GenerateSettings(cfg_schedule="cosine"), "cfg schedule"),
    ("ok", GenerateSettings(cfg=0.5), "cfg"),
    ("ok", GenerateSettings(sampling_steps=1), "sampling steps"),
    ("ok", GenerateSettings(steps=0), "steps"),
    ("ok", GenerateSettings(temperature=float("nan")), "temperature"),
])
def test_bad_generation_input(tiny_model, codec, prompt, settings, match):
    N = 16
    orders, noise = seeded_inputs(0, 1, N, max(settings.sampling_steps or 2, 2))
    with pytest.raises(ValueError, match=match):
        generate_latents(tiny_model, codec, [prompt], settings, orders, noise)


def test_wrong_injected_shapes(tiny_model, codec):
    orders, noise = seeded_inputs(0, 1, 16, 3)
    with pytest.raises(ValueError, match="orders must have shape"):
        generate_latents(tiny_model, codec, ["a"], SMALL, orders[:, :5], noise)
    with pytest.raises(ValueError, match="noise must have shape"):
        generate_latents(tiny_model, codec, ["a"], SMALL, orders, noise[:, :, :2])


FAST = GenerateSettings(steps=4, cfg=3.0, size=64, preset="fast")


def test_fast_preset_settings_and_noise_layout():
    from harmon.generate import noise_shape, noise_slots, predicted_counts
    assert FAST.head_steps() == [50, 35, 20, 5] and GenerateSettings(steps=3).head_steps() == [100] * 3
    assert predicted_counts(16, 4) == [2, 3, 5, 6]
    # per token S_k + 1 slots: 2·51 + 3·36 + 5·21 + 6·6
    assert noise_slots(FAST, 16) == 351 and noise_shape(FAST, 2, 16) == (2, 351, 16)
    assert noise_slots(SMALL, 16) == 16 * 4 and noise_shape(SMALL, 2, 16) == (2, 16, 4, 16)
    assert noise_slots(FAST, 6) == sum(c * (S + 1) for c, S in zip(predicted_counts(6, 4), [50, 35, 20, 5]))
    assert "sampling_steps" not in FAST.to_dict() and FAST.to_dict()["preset"] == "fast"
    with pytest.raises(ValueError, match="fast preset sets the sampling steps"):
        GenerateSettings(steps=4, sampling_steps=20, preset="fast").check(16)
    with pytest.raises(ValueError, match="preset must be one of default, fast, got 'slow'"):
        GenerateSettings(preset="slow").check(16)


def test_fast_noise_slots_follow_prediction_order(tiny_model, codec):
    """In the fast layout each token owns S_k + 1 slots: its x_T slot changes exactly that token, and
    its last slot (the noise of the final step, which adds none) is never read."""
    orders, noise = seeded_inputs(0, 1, 16, FAST)
    trace = {}
    lat = generate_latents(tiny_model, codec, ["a red circle"], FAST, orders, noise, trace)
    assert [st["sampling_steps"] for st in trace["steps"]] == [50, 35, 20, 5]
    assert [len(st["head"]) for st in trace["steps"]] == [50, 35, 20, 5]
    starts, at = [], 0   # each predicted token's first slot, in prediction order
    order = []
    for st in trace["steps"]:
        for i in st["to_pred"][0].nonzero().flatten().tolist():
            order.append(i)
            starts.append(at)
            at += st["sampling_steps"] + 1
    assert at == noise.shape[1]
    for pos, delta_slot, expect in ((len(order) - 1, 0, True), (3, 35, False)):  # a last-step x_T; a step-1 unused slot
        noise2 = noise.clone()
        noise2[0, starts[pos] + delta_slot] += 1.0
        lat2 = generate_latents(tiny_model, codec, ["a red circle"], FAST, orders, noise2)
        changed = (lat2 - lat).reshape(16, 16).abs().sum(-1).nonzero().flatten().tolist()
        assert changed == ([order[pos]] if expect else [])
    with pytest.raises(ValueError, match=r"noise must have shape \(1, 351, 16\)"):
        generate_latents(tiny_model, codec, ["a"], FAST, orders, noise[:, :-1])
