"""Export each graph to ONNX and check it with onnxruntime against the reference modules.

Checks run on random inputs and compare with the REFERENCE path (transformers' Qwen2 with a
DynamicCache, the MAR modules' own scatter, …), not with the wrapper that was traced.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import onnx
import torch

from ..model import Harmon
from . import graphs

OPSET = 17


@dataclass
class GraphSpec:
    name: str
    module: torch.nn.Module
    args: tuple
    inputs: list[str]
    outputs: list[str]
    dynamic: dict[str, dict[int, str]]
    check: Callable[[Harmon, Callable[[dict], list[np.ndarray]]], float]


def rel_err(a, b) -> float:
    a, b = (x.detach().numpy() if isinstance(x, torch.Tensor) else x for x in (a, b))
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise AssertionError(f"shape {a.shape} != {b.shape}")
    if not np.all(np.isfinite(a)):
        return float("inf")
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-12))


def _np(t: torch.Tensor) -> np.ndarray:
    return t.detach().cpu().numpy()


def random_mask(b: int, n: int, seen: int, g: torch.Generator) -> torch.Tensor:
    """(b, n) 0/1 masks, each row with `seen` zeros (known tokens) at random places."""
    mask = torch.ones(b, n)
    for i in range(b):
        mask[i, torch.randperm(n, generator=g)[:seen]] = 0
    return mask


def gather_index(mask: torch.Tensor, buffer: int) -> torch.Tensor:
    """Decoder scatter as a gather: per position of the buffer+N sequence, 0 for a mask token or
    1 + its row in the encoder output."""
    keep = torch.cat([torch.zeros(mask.shape[0], buffer), mask], dim=1) == 0
    return torch.where(keep, keep.long().cumsum(1), torch.zeros_like(keep, dtype=torch.long))


def specs(model: Harmon, grid: int) -> list[GraphSpec]:
    cfg = model.cfg
    g = torch.Generator().manual_seed(1234)
    rnd = lambda *s: torch.randn(*s, generator=g)
    buf, D, H = cfg.mar.buffer_size, cfg.mar.width, cfg.llm.hidden_size
    N, px = grid * grid, grid * cfg.vae.stride
    kv, hd, layers = cfg.llm.num_key_value_heads, cfg.llm.head_dim, cfg.llm.num_hidden_layers
    out = []

    def check_vae_enc(m, run):
        img = torch.rand(2, 3, px, px, generator=g) * 2 - 1
        return rel_err(run({"image": _np(img)})[0], _np(m.encode_image(img)))

    def check_vae_dec(m, run):
        lat = rnd(2, grid, grid, cfg.vae.z_channels)
        return rel_err(run({"latents": _np(lat)})[0], _np(m.decode_tokens(lat)))

    if hasattr(model, "vae"):
        out.append(GraphSpec("vae_encoder", graphs.VAEEncoder(model), (rnd(1, 3, px, px),), ["image"],
                             ["latents"], {"image": {0: "batch", 2: "height", 3: "width"},
                                           "latents": {0: "batch", 1: "grid_h", 2: "grid_w"}}, check_vae_enc))
        out.append(GraphSpec("vae_decoder", graphs.VAEDecoder(model), (rnd(1, grid, grid, cfg.vae.z_channels),),
                             ["latents"], ["image"], {"latents": {0: "batch", 1: "grid_h", 2: "grid_w"},
                                                      "image": {0: "batch", 2: "height", 3: "width"}}, check_vae_dec))

    def check_mar_enc(m, run):
        tokens, mask = rnd(2, N, cfg.mar.token_dim), random_mask(2, N, N // 3, g)
        x = m.mar.patch_embed(tokens, mask, grid, grid)
        x_enc = m.mar.encoder_body(x)
        got = run({"x": _np(x)})
        return max(rel_err(got[0], _np(x_enc)), rel_err(got[1], _np(m.to_llm(x_enc))))

    out.append(GraphSpec("mar_encoder", graphs.MAREncoder(model), (rnd(1, buf + 3, D),), ["x"],
                         ["x_enc", "z_enc"], {"x": {0: "batch", 1: "tokens"}, "x_enc": {0: "batch", 1: "tokens"},
                                              "z_enc": {0: "batch", 1: "tokens"}}, check_mar_enc))

    def check_mar_dec(m, run):
        mask = random_mask(2, N, N // 2, g)
        L = buf + int((mask[0] == 0).sum())
        x_enc, hid = rnd(2, L, D), rnd(2, L, H)
        ref = m.mar.forward_decoder(m.from_llm(x_enc, hid), mask, grid, grid)
        got = run({"x_enc": _np(x_enc), "hidden": _np(hid), "gather_index": _np(gather_index(mask, buf)),
                   "decoder_pos": _np(m.mar.decoder_pos(grid, grid)),
                   "diffusion_pos": _np(m.mar.diffusion_pos(grid, grid))})
        return rel_err(got[0], _np(ref))

    Dd = cfg.mar.decoder_width
    ex_mask = random_mask(1, N, 3, g)
    out.append(GraphSpec(
        "mar_decoder", graphs.MARDecoder(model),
        (rnd(1, buf + 3, D), rnd(1, buf + 3, H), gather_index(ex_mask, buf), rnd(1, buf + N, Dd), rnd(1, N, Dd)),
        ["x_enc", "hidden", "gather_index", "decoder_pos", "diffusion_pos"], ["z"],
        {"x_enc": {0: "batch", 1: "tokens"}, "hidden": {0: "batch", 1: "tokens"},
         "gather_index": {0: "batch", 1: "positions"}, "decoder_pos": {1: "positions"},
         "diffusion_pos": {1: "image_tokens"}, "z": {0: "batch", 1: "image_tokens"}}, check_mar_dec))

    past_names = [f"past_{kind}_{i}" for i in range(layers) for kind in ("key", "value")]
    present_names = [f"present_{kind}_{i}" for i in range(layers) for kind in ("key", "value")]

    def check_llm(m, run):
        from transformers import DynamicCache
        P, T = 7, 5
        emb_p, emb_t = rnd(2, P, H), rnd(2, T, H)
        pmask = torch.ones(2, P, dtype=torch.long)
        pmask[1, 5:] = 0                                  # right padding in row 1
        ref_p, cache = m.llm_forward(emb_p, cache=DynamicCache())
        attn = torch.cat([pmask, torch.ones(2, T, dtype=torch.long)], dim=1)
        pos = (attn.cumsum(1) - 1)[:, -T:]
        ref_t, cache = m.llm_forward(emb_t, attention_mask=attn, position_ids=pos, cache=cache)
        empty = np.zeros((2, kv, 0, hd), dtype=np.float32)
        rope = lambda p: dict(zip(("rope_cos", "rope_sin"), map(_np, graphs.rope_tables(p, hd, cfg.llm.rope_theta))))
        bias = lambda mask, t: _np(graphs.attention_bias(mask, t))
        got_p = run({"inputs_embeds": _np(emb_p), "attention_bias": bias(torch.ones(2, P, dtype=torch.long), P),
                     **rope(torch.arange(P)[None].expand(2, -1)), **{n: empty for n in past_names}})
        got_t = run({"inputs_embeds": _np(emb_t), "attention_bias": bias(attn, T), **rope(pos),
                     **dict(zip(past_names, got_p[1:]))})
        errs = [rel_err(got_p[0], _np(ref_p)), rel_err(got_t[0], _np(ref_t))]
        for i in range(layers):  # the cache after both calls
            errs += [rel_err(got_t[1 + 2 * i], _np(cache.layers[i].keys)),
                     rel_err(got_t[2 + 2 * i], _np(cache.layers[i].values))]
        return max(errs)

    dyn = {"inputs_embeds": {0: "batch", 1: "new"}, "attention_bias": {0: "batch", 2: "new", 3: "total"},
           "rope_cos": {0: "batch", 1: "new"}, "rope_sin": {0: "batch", 1: "new"}, "hidden": {0: "batch", 1: "new"}}
    dyn.update({n: {0: "batch", 2: "past"} for n in past_names})
    dyn.update({n: {0: "batch", 2: "total"} for n in present_names})
    ex_past = [rnd(1, kv, 2, hd) for _ in past_names]
    out.append(GraphSpec("llm", graphs.LLMBody(model),
                         (rnd(1, 3, H), torch.zeros(1, 1, 3, 5), rnd(1, 3, hd), rnd(1, 3, hd), *ex_past),
                         ["inputs_embeds", "attention_bias", "rope_cos", "rope_sin", *past_names],
                         ["hidden", *present_names], dyn, check_llm))

    def check_head(m, run):
        h = rnd(2, 3, H)
        return rel_err(run({"hidden": _np(h)})[0], _np(m.logits(h)))

    out.append(GraphSpec("lm_head", graphs.LMHead(model), (rnd(1, 2, H),), ["hidden"], ["logits"],
                         {"hidden": {0: "batch", 1: "new"}, "logits": {0: "batch", 1: "new"}}, check_head))
    return out


def export_graph(spec: GraphSpec, workdir: Path) -> onnx.ModelProto:
    """Trace to a file (graphs over 2 GB need external data even in transit), load it back whole."""
    path = workdir / f"{spec.name}.traced.onnx"
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(spec.module, spec.args, str(path), input_names=spec.inputs,
                          output_names=spec.outputs, dynamic_axes=spec.dynamic, opset_version=OPSET,
                          dynamo=False, do_constant_folding=True)
    return onnx.load(str(path), load_external_data=True)
