"""`npm run golden`: golden vectors for the engine, from a small random model with a fixed seed.

Writes OUT/package/ (a model package, fp32) and OUT/vectors.safetensors + OUT/vectors.json: every
intermediate the engine must reproduce (DESIGN.md §6 layouts), and models/golden/pil_resize.json (the
image resize against PIL, pil_fixture.py). Regenerate with the command, never edit.

  npm run golden -- [--out models/golden/tiny] [--seed 0]
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw
from safetensors.torch import save_file

from . import pil_fixture
from .canvas import check_canvas_orders, known_latents, make_canvas, mask_from_bytes, bytes_to_pixels
from .config import preset
from .decoding import understanding_settings
from .export.onnx_export import gather_index
from .export.package import export_package
from .generate import GenerateSettings, generate_latents, mask_lengths, noise_slots, prefill, seeded_inputs, to_bytes
from .model import Harmon
from .sampler import make_schedule
from .text import TextCodec
from .tokenizer_build import build_tokenizer, save_tokenizer
from .understand import Conversation, image_embeddings, prepare_image

DEFAULT_OUT = Path(__file__).resolve().parents[1] / "golden" / "tiny"

# Generation cases: (name, prompts, settings). Small K and S keep the vectors small; every branch of
# the loop is covered (CFG constant/linear, no CFG, temperature, several images).
CASES = [
    ("cfg_constant", ["a red circle above a blue square", "two green triangles"],
     GenerateSettings(steps=5, cfg=3.0, cfg_schedule="constant", temperature=1.0, sampling_steps=6, size=64)),
    ("cfg_linear", ["a yellow star"],
     GenerateSettings(steps=4, cfg=2.5, cfg_schedule="linear", temperature=0.7, sampling_steps=4, size=64)),
    ("no_cfg", ["Is there a purple square?"],
     GenerateSettings(steps=3, cfg=1.0, cfg_schedule="constant", temperature=1.0, sampling_steps=3, size=64)),
]
# Partly known images (canvas.py): (name, prompts, settings, source size (w, h), offset (x, y), mask box
# (x0, y0, x1, y1) in canvas pixels or None, steps with the full chain recorded). Inpainting (two
# images, linear CFG over u), outpainting onto a larger non-square canvas; then a non-square
# text-to-image canvas (no source). One full-chain step each keeps the vectors under 10 MiB.
PARTIAL_CASES = [
    ("inpaint", ["a blue square", "a red circle"],
     GenerateSettings(steps=4, cfg=2.5, cfg_schedule="linear", temperature=0.9, sampling_steps=4, size=64),
     (64, 64), (0, 0), (20, 10, 44, 40), (0,)),
    ("outpaint", ["a green triangle"],
     GenerateSettings(steps=4, cfg=3.0, temperature=1.0, sampling_steps=3, width=96, height=80),
     (64, 64), (24, 8), None, (1,)),
]
WIDE = ("wide", ["a yellow star"], GenerateSettings(steps=3, cfg=3.0, temperature=1.0, sampling_steps=3, width=96, height=48))
# The fast preset (head-step annealing): K = 4 gives S_k = 50, 35, 20, 5, so every token's noise has
# its own step's length; two images check the per-image streams. Added after the others (and with its
# own seed) so that their vectors stay byte-for-byte what they were. One full chain (step 1: S = 35,
# tokens already seen) keeps the vectors under 10 MiB.
FAST = ("fast", ["a blue circle", "three red squares"],
        GenerateSettings(steps=4, cfg=3.0, cfg_schedule="constant", temperature=1.0, size=64, preset="fast"))
QUESTIONS = ["What is in the image?", "How many shapes are there?"]
MAX_NEW_TOKENS = 8
# The golden package stands for one converted from a Qwen folder with Qwen2.5-Instruct's
# generation_config.json (repetition penalty 1.1), answering at twice its generation size (as the
# released models answer at 512² and draw at 256²): the understanding vectors follow the official
# decoding and preprocessing; one conversation is repeated with plain greedy (penalty 1).
GENERATION_CONFIG = {"do_sample": True, "repetition_penalty": 1.1, "temperature": 0.7, "top_p": 0.8, "top_k": 20}
ASK_SIZE = 128


def init_tensor(name: str, t: torch.Tensor, g: torch.Generator, scale: float = 1.0) -> None:
    """One tensor's random init, in place, by its name: norm gains near 1, biases small, position
    embeddings / buffer vectors 0.5, token embeddings 0.03, matrices scale/sqrt(fan_in), so that
    activations stay of order one through every layer (finite in fp16 as well)."""
    r = torch.randn(t.shape, generator=g)
    leaf = name.rsplit(".", 1)[-1]
    is_norm = any(s in name for s in ("norm", "_ln", "in_ln", "layernorm"))
    if t.dim() == 1 and is_norm and leaf == "weight":
        t.copy_(1 + 0.1 * r)
    elif t.dim() == 1:
        t.copy_(0.05 * r)
    elif "pos_embed" in name or name.endswith(("fake_latent", "mask_token")):
        t.copy_(0.5 * r)
    elif "embed_tokens" in name:
        # small, so the (tied) logits are not dominated by the input token and greedy decoding
        # does not just repeat it
        t.copy_(0.03 * r)
    else:
        # sqrt(fan_in) / 1.0 is exact: at scale 1 the golden weights stay the bytes they were
        t.copy_(r / (math.sqrt(t[0].numel()) / scale))


def randomize(model: Harmon, seed: int) -> Harmon:
    """Random weights at sensible scales (init_tensor), so that every stage produces values of order
    one and errors are visible."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            init_tensor(name, p, g)
    return model.eval()


def test_image(size: int = 80, height: int = 64) -> Image.Image:
    """A deterministic non-square picture: a gradient with two shapes (exercises the grey padding)."""
    x = np.linspace(0, 255, size, dtype=np.float32)
    y = np.linspace(0, 255, height, dtype=np.float32)
    arr = np.stack([np.tile(x, (height, 1)), np.tile(y[:, None], (1, size)),
                    np.full((height, size), 90.0)], axis=-1).astype(np.uint8)
    img = Image.fromarray(arr, "RGB")
    d = ImageDraw.Draw(img)
    d.ellipse([8, 8, 36, 36], fill=(220, 30, 30))
    d.rectangle([44, 24, 72, 56], fill=(30, 30, 220))
    return img


def build(out: Path, seed: int) -> dict:
    torch.manual_seed(seed)
    cfg = preset("tiny")
    model = randomize(Harmon(cfg), seed)
    with tempfile.TemporaryDirectory() as tok_dir:
        save_tokenizer(build_tokenizer(cfg.llm.vocab_size), Path(tok_dir))
        export_package(model, Path(tok_dir), out / "package", "fp32", log=lambda *_: None,
                       understanding=understanding_settings(cfg.name, cfg.image_size, GENERATION_CONFIG, ASK_SIZE))
    codec = TextCodec.from_file(out / "package" / "tokenizer.json")

    T: dict[str, torch.Tensor] = {}
    meta: dict = {"seed": seed, "config": cfg.to_dict(), "cases": {}, "understanding": {}}

    def put(key: str, t) -> None:
        t = torch.as_tensor(t)
        T[key] = t.detach().to(torch.float32 if t.is_floating_point() else torch.int32).contiguous()

    g = cfg.mar.grid
    buf = cfg.mar.buffer_size
    # position embeddings resized to another grid (the engine resizes; 512² images use 2× the grid)
    put("pos/encoder_2x", model.mar.encoder_pos(2 * g, 2 * g))
    put("pos/decoder_2x", model.mar.decoder_pos(2 * g, 2 * g))
    put("pos/diffusion_2x", model.mar.diffusion_pos(2 * g, 2 * g))
    put("pos/encoder_half", model.mar.encoder_pos(g // 2, g // 2))

    # VAE round trip on a known image
    img = test_image()
    pixels = prepare_image(img, cfg.image_size)
    put("vae/pixels", pixels)
    latents = model.encode_image(pixels)
    put("vae/latents", latents)
    decoded = model.decode_tokens(latents)
    put("vae/decoded", decoded)
    put("vae/decoded_bytes", torch.from_numpy(to_bytes(decoded).astype(np.int32)))

    def case(name: str, prompts: list[str], s: GenerateSettings, orders, noise, known=None, extra=None,
             chain=(0, 1), prompt_cache=True) -> None:
        n = len(prompts)
        gh, gw = s.grid(cfg.vae.stride)
        trace: dict = {}
        lat = generate_latents(model, codec, prompts, s, orders, noise, trace, known=known)
        p = f"{name}/"
        put(p + "orders", orders)
        put(p + "noise", noise)
        put(p + "prompt_ids", trace["prompt_ids"])
        put(p + "prompt_mask", trace["prompt_mask"])
        if prompt_cache:  # the prompt prefill: hidden states and KV cache the loop reuses for every step
            hid, cache = model.llm_forward(model.embed(trace["prompt_ids"]))
            put(p + "prompt_hidden", hid)
            for i, layer in enumerate(cache.layers):
                put(p + f"prompt_cache/key_{i}", layer.keys)
                put(p + f"prompt_cache/value_{i}", layer.values)
        for k, st in enumerate(trace["steps"]):
            q = f"{p}step{k}/"
            put(q + "mask", st["mask"])
            put(q + "gather_index", gather_index(st["mask"], buf))
            put(q + "to_pred", st["to_pred"])
            put(q + "tokens", st["tokens"])
            if k in chain:  # the full chain of a step (text-to-image: two, the first with nothing seen)
                for key in ("patch_embed", "x_enc", "z_enc", "attention_mask", "position_ids", "llm_hidden",
                            "x_dec", "z"):
                    put(q + key, st[key])
                for j, eps, v in st["head"]:
                    put(q + f"head/eps_{j}", eps)
                    put(q + f"head/v_{j}", v)
        put(p + "latents", lat)
        image = model.decode_tokens(lat)
        put(p + "image", image)
        put(p + "image_bytes", torch.from_numpy(to_bytes(image).astype(np.int32)))
        if not s.fast:  # one S: its schedule tables (the fast preset's are the same function of each S_k)
            sched = make_schedule(s.sampling_steps)
            for key, arr in sched.tables().items():
                put(p + f"schedule/{key}", torch.from_numpy(arr))  # float64 → float32, int64 → int32
        meta["cases"][name] = {
            "prompts": prompts, "settings": s.to_dict(), "mask_lengths": trace["mask_lengths"],
            "cfg_per_step": [st["cfg"] for st in trace["steps"]],
            "prompt_text": [codec.tok.decode(r[m.bool()].tolist(), skip_special_tokens=False)
                            for r, m in zip(trace["prompt_ids"], trace["prompt_mask"])], **(extra or {})}

    for name, prompts, s in CASES:
        N = (s.size // cfg.vae.stride) ** 2
        case(name, prompts, s, *seeded_inputs(seed + 1, len(prompts), N, s.sampling_steps))

    # partly known images: the source's bytes, the mask's bytes, the canvas pixels, the known latents
    for name, prompts, s, (sw, sh), offset, box, chain in PARTIAL_CASES:
        src = np.asarray(test_image(sw, sh), dtype=np.uint8)
        W, H = s.canvas()
        mask_bytes = None
        if box is not None:
            mask_bytes = np.zeros((H, W), dtype=np.uint8)
            mask_bytes[box[1]: box[3], box[0]: box[2]] = 255
        cv = make_canvas(bytes_to_pixels(src), s, cfg.vae.stride, None if mask_bytes is None else mask_from_bytes(mask_bytes),
                         offset)
        orders, noise = seeded_inputs(seed + 2, len(prompts), cv.grid[0] * cv.grid[1], s.sampling_steps,
                                      cv.candidates, cv.count)
        check_canvas_orders(orders, cv)
        known = known_latents(model, cv)
        p = f"{name}/"
        put(p + "source_bytes", torch.from_numpy(src.astype(np.int32)))
        if mask_bytes is not None:
            put(p + "mask_bytes", torch.from_numpy(mask_bytes.astype(np.int32)))
        put(p + "canvas", cv.pixels)
        put(p + "known", known)
        unknown = torch.zeros(cv.grid[0] * cv.grid[1], dtype=torch.int32)
        unknown[cv.candidates] = 1
        put(p + "unknown", unknown)
        case(name, prompts, s, orders, noise, known,
             {"source": {"size": [sw, sh], "offset": list(offset), "mask_box": box}, "unknown": cv.count},
             chain=chain, prompt_cache=False)
    name, prompts, s = WIDE
    gh, gw = s.grid(cfg.vae.stride)
    case(name, prompts, s, *seeded_inputs(seed + 3, len(prompts), gh * gw, s.sampling_steps), chain=(0,),
         prompt_cache=False)
    put("pos/encoder_wide", model.mar.encoder_pos(gh, gw))
    put("pos/diffusion_wide", model.mar.diffusion_pos(gh, gw))
    name, prompts, s = FAST
    N = (s.size // cfg.vae.stride) ** 2
    case(name, prompts, s, *seeded_inputs(seed + 4, len(prompts), N, s), chain=(1,), prompt_cache=False,
         extra={"sampling_steps_per_step": s.head_steps(), "noise_slots": noise_slots(s, N)})

    # understanding: a two-turn conversation about the (80×64) test image at the package's settings
    u = understanding_settings(cfg.name, cfg.image_size, GENERATION_CONFIG, ASK_SIZE)
    ask_pixels = prepare_image(img, u["size"])
    ut: dict = {}
    image_embeddings(model, ask_pixels, ut)
    put("understanding/image_embeds", ut["image_embeds"])
    put("understanding/x_enc", ut["x_enc"])

    def conversation(penalty: float, trace: bool) -> list[dict]:
        conv = Conversation(model, codec, ask_pixels, repetition_penalty=penalty)
        turns = []
        for t, q in enumerate(QUESTIONS):
            tr: dict = {}
            ids = conv.ask(q, max_new_tokens=MAX_NEW_TOKENS, trace=tr)
            if trace:
                put(f"understanding/turn{t}/first_logits", tr["first_logits"])
            turns.append({"question": q, "greedy_ids": ids, "text": codec.decode(ids)})
        return turns

    turns = conversation(u["repetition_penalty"], True)
    plain = conversation(1.0, False)
    if [t["greedy_ids"] for t in turns] == [t["greedy_ids"] for t in plain]:
        raise RuntimeError("the repetition penalty changes no golden answer: the engine's check could not fail")
    meta["understanding"] = {"image_size": list(img.size), "size": u["size"],
                             "repetition_penalty": u["repetition_penalty"], "turns": turns,
                             "plain_greedy_turns": plain, "max_new_tokens": MAX_NEW_TOKENS}
    out.mkdir(parents=True, exist_ok=True)
    img.save(out / "image.png")
    save_file(T, str(out / "vectors.safetensors"))
    (out / "vectors.json").write_text(json.dumps(meta, indent=2) + "\n")
    return meta


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="npm run golden --", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args(argv)
    meta = build(a.out, a.seed)
    pil_fixture.write()
    size = sum(f.stat().st_size for f in a.out.rglob("*") if f.is_file())
    print(f"wrote {a.out} ({size / 2**20:.1f} MiB): cases {list(meta['cases'])}, "
          f"{len(meta['understanding']['turns'])} understanding turns")
    return 0


if __name__ == "__main__":
    sys.exit(main())
