"""Strict loaders for every released form of Harmon.

- `harmon_{0.5b,1.5b,1.5b-o}.pth`: a flat state dict with `llm.*`, `mar.*`, `proj_in.*`, `proj_out.*`.
- `kl16.ckpt`: a dict whose `model` entry is the VAE state dict.
- a Qwen2.5 directory: `config.json`, `tokenizer.json`, `tokenizer_config.json` (weights optional).
- the HF-format Harmon folder: `config.json` + safetensors (single file or sharded with an index),
  VAE included under `vae.*`.

Everything goes through `torch.load(weights_only=True)` or safetensors; any missing or unexpected
key, wrong shape, truncated file or non-checkpoint is a `CheckpointError` that says what is wrong.
"""
from __future__ import annotations

import json
import pickle
import zipfile
from pathlib import Path

import torch

from .config import HarmonConfig, LLMConfig, MARConfig, VAEConfig, preset
from .model import Harmon
from .vae import AutoencoderKL

TIED = "llm.lm_head.weight"          # Qwen2.5-0.5B/1.5B tie lm_head to the embeddings
MAR_HEADS = {768: 12, 1280: 16}      # MAR-B, MAR-H (head counts are not visible in the weights)


class CheckpointError(ValueError):
    pass


def _list(keys, limit: int = 20) -> str:
    keys = sorted(keys)
    more = f" … and {len(keys) - limit} more" if len(keys) > limit else ""
    return ", ".join(keys[:limit]) + more


def torch_load(path: Path) -> object:
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise CheckpointError(f"{path}: the file is empty")
    with open(path, "rb") as f:
        head = f.read(2)
    # torch.save writes a zip archive (PK); the legacy format starts with a pickle protocol byte
    if head != b"PK" and head[:1] != b"\x80":
        raise CheckpointError(f"{path}: not a PyTorch checkpoint (neither a torch.save zip nor a pickle)")
    try:
        return torch.load(path, map_location="cpu", weights_only=True, mmap=zipfile.is_zipfile(path))
    except pickle.UnpicklingError as e:
        # weights_only refuses anything that would construct arbitrary objects (or run code)
        why = [ln for ln in str(e).splitlines() if ln.startswith(("Unsupported", "WeightsUnpickler"))]
        raise CheckpointError(f"{path}: refused to load: the file holds objects other than tensors, "
                              f"which could run code (torch.load weights_only=True)"
                              + (f": {why[0]}" if why else "")) from None
    except Exception as e:  # noqa: BLE001 - torch raises many kinds for damaged files
        first = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise CheckpointError(f"{path}: not a readable PyTorch checkpoint (truncated or corrupt?): "
                              f"{first}") from None


def _tensor_dict(obj: object, path: Path, what: str) -> dict[str, torch.Tensor]:
    if not isinstance(obj, dict) or not obj or not all(
            isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in obj.items()):
        raise CheckpointError(f"{path}: expected {what} (a dict of name → tensor)")
    return obj


def load_state_file(path: Path) -> dict[str, torch.Tensor]:
    """A `.pth` flat state dict (also accepts a `{'model': ...}` or `{'state_dict': ...}` wrapper)."""
    obj = torch_load(path)
    if isinstance(obj, dict) and len(obj) == 1 and next(iter(obj)) in ("model", "state_dict"):
        obj = next(iter(obj.values()))
    return _tensor_dict(obj, path, "a state dict")


def load_vae_checkpoint(path: Path) -> dict[str, torch.Tensor]:
    obj = torch_load(path)
    if not isinstance(obj, dict) or "model" not in obj:
        raise CheckpointError(f"{path}: expected the kl16.ckpt form, a dict with a 'model' entry")
    return _tensor_dict(obj["model"], path, "a VAE state dict under 'model'")


def load_safetensors_dir(folder: Path) -> dict[str, torch.Tensor]:
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    index = folder / "model.safetensors.index.json"
    if index.is_file():
        files = sorted(set(json.loads(index.read_text())["weight_map"].values()))
    else:
        files = sorted(p.name for p in folder.glob("*.safetensors"))
    if not files:
        raise CheckpointError(f"{folder}: no safetensors weights found")
    state: dict[str, torch.Tensor] = {}
    for f in files:
        try:
            state.update(load_file(str(folder / f)))
        except (SafetensorError, OSError) as e:
            raise CheckpointError(f"{folder / f}: not a readable safetensors file: {e}") from None
    return state


def check_keys(module: torch.nn.Module, state: dict[str, torch.Tensor], source: str,
               optional: set[str] = frozenset()) -> None:
    """Every missing or unexpected key, and every wrong shape, is an error naming them."""
    want = {k: tuple(v.shape) for k, v in module.state_dict().items()}
    missing = set(want) - set(state) - set(optional)
    unexpected = set(state) - set(want)
    problems = []
    if missing:
        problems.append(f"missing keys ({len(missing)}): {_list(missing)}")
    if unexpected:
        problems.append(f"unexpected keys ({len(unexpected)}): {_list(unexpected)}")
    wrong = [f"{k} {tuple(state[k].shape)} (expected {want[k]})"
             for k in sorted(set(want) & set(state)) if tuple(state[k].shape) != want[k]]
    if wrong:
        problems.append(f"wrong shapes ({len(wrong)}): {_list(wrong)}")
    if problems:
        raise CheckpointError(f"{source}: " + "; ".join(problems))


def _shape(state, key, source) -> tuple[int, ...]:
    if key not in state:
        raise CheckpointError(f"{source}: missing key {key} (needed to read the model size)")
    return tuple(state[key].shape)


def _count(state, prefix: str, suffix: str) -> int:
    return sum(1 for k in state if k.startswith(prefix) and k.endswith(suffix))


def mar_heads_for(width: int, source: str, what: str, given: int | None) -> int:
    """The head count of a MAR of this width: the released widths' (MAR-B 768 → 12, MAR-H 1280 → 16)
    or `given`. The weights do not show it, so any other width is refused rather than guessed."""
    if given is not None:
        if not (isinstance(given, int) and given >= 1 and width % given == 0):
            raise CheckpointError(f"{source}: --mar-heads {given} does not divide the MAR {what} width {width}")
        return given
    if width not in MAR_HEADS:
        known = ", ".join(f"{w} → {h}" for w, h in MAR_HEADS.items())
        raise CheckpointError(f"{source}: the MAR {what} is {width} wide, not a released width ({known} heads), "
                              f"and the checkpoint does not record its head count: pass --mar-heads N")
    return MAR_HEADS[width]


def infer_mar_config(state: dict, source: str, p: str = "mar.", heads: int | None = None) -> MARConfig:
    """MAR sizes from the weights; head counts from the released widths or `heads` (mar_heads_for)."""
    D = _shape(state, p + "fake_latent", source)[-1]
    Dd = _shape(state, p + "decoder_embed.weight", source)[0]
    n_img = _shape(state, p + "diffusion_pos_embed_learned", source)[1]
    grid = int(round(n_img ** 0.5))
    if grid * grid != n_img:
        raise CheckpointError(f"{source}: diffusion_pos_embed_learned has {n_img} rows, not a square grid")
    total = _shape(state, p + "encoder_pos_embed_learned", source)[1]
    mlp = _shape(state, p + "encoder_blocks.0.mlp.fc1.weight", source)[0]
    return MARConfig(
        width=D, depth=_count(state, p + "encoder_blocks.", ".norm1.weight"),
        heads=mar_heads_for(D, source, "encoder", heads), decoder_width=Dd,
        decoder_depth=_count(state, p + "decoder_blocks.", ".norm1.weight"),
        decoder_heads=mar_heads_for(Dd, source, "decoder", heads), buffer_size=total - n_img, grid=grid,
        token_dim=_shape(state, p + "z_proj.weight", source)[1], mlp_ratio=mlp / D,
        head_width=_shape(state, p + "diffloss.net.input_proj.weight", source)[0],
        head_depth=_count(state, p + "diffloss.net.res_blocks.", ".in_ln.weight"),
        num_classes=_shape(state, p + "class_emb.weight", source)[0])


def infer_vae_config(state: dict, source: str, p: str = "") -> VAEConfig:
    ch = _shape(state, p + "encoder.conv_in.weight", source)[0]
    levels = 1 + max(int(k.split(".")[2]) for k in state if k.startswith(p + "encoder.down."))
    mult = tuple(_shape(state, f"{p}encoder.down.{i}.block.0.conv2.weight", source)[0] // ch
                 for i in range(levels))
    nres = 1 + max(int(k.split(".")[4]) for k in state if k.startswith(p + "encoder.down.0.block."))
    z = _shape(state, p + "post_quant_conv.weight", source)[0]
    return VAEConfig(ch=ch, ch_mult=mult, num_res_blocks=nres, z_channels=z)


def name_for(cfg: HarmonConfig) -> str:
    for name in ("0.5b", "1.5b"):
        p = preset(name)
        if p.mar == cfg.mar and p.llm == cfg.llm:
            return name
    return "custom"


def read_qwen_dir(folder: Path) -> tuple[LLMConfig, Path]:
    """A Qwen2.5 folder: config + tokenizer files (its weights, if any, are not needed)."""
    folder = Path(folder)
    for f in ("config.json", "tokenizer.json", "tokenizer_config.json"):
        if not (folder / f).is_file():
            raise CheckpointError(f"{folder}: missing {f} (expected a Qwen2.5 model folder)")
    cfg = json.loads((folder / "config.json").read_text())
    if cfg.get("model_type") not in (None, "qwen2"):
        raise CheckpointError(f"{folder}/config.json: model_type {cfg.get('model_type')!r} is not qwen2")
    try:
        return LLMConfig.from_hf_dict(cfg), folder
    except KeyError as e:
        raise CheckpointError(f"{folder}/config.json: missing field {e}") from None


def _build(cfg: HarmonConfig, state: dict, vae_state: dict | None, source: str) -> Harmon:
    model = Harmon(cfg, with_vae=False)
    state = dict(state)
    optional = {TIED} if cfg.llm.tie_word_embeddings else set()
    check_keys(model, state, source, optional)
    if TIED in state and cfg.llm.tie_word_embeddings and not torch.equal(
            state[TIED], state["llm.model.embed_tokens.weight"]):
        raise CheckpointError(f"{source}: {TIED} differs from the embeddings but the config ties them")
    state.setdefault(TIED, state["llm.model.embed_tokens.weight"])
    # float32 weights (torch_load maps the file) become the parameters themselves instead of being
    # copied: the 1.5B's 10 GB then stay file-backed pages the kernel can drop, not process memory
    # next to the export's copies. Other dtypes are cast by copying into the float32 parameters.
    assign = all(v.dtype == torch.float32 for v in state.values())
    model.load_state_dict(state, strict=True, assign=assign)
    if assign and cfg.llm.tie_word_embeddings:  # assigning gave lm_head its own Parameter: one again
        model.llm.lm_head.weight = model.llm.model.embed_tokens.weight
    if vae_state is not None:
        model.vae = AutoencoderKL(cfg.vae)
        check_keys(model.vae, vae_state, source + " (VAE)")
        model.vae.load_state_dict(vae_state, strict=True)
    return model.eval()


def load_official(checkpoint: Path, vae: Path | None, qwen_dir: Path,
                  config: HarmonConfig | None = None, mar_heads: int | None = None) -> tuple[Harmon, Path]:
    """`.pth` + `kl16.ckpt` + Qwen folder → (model, tokenizer folder). Sizes are read from the
    weights unless `config` is given (it is then checked against them like everything else);
    `mar_heads`: the MAR head count for a width other than the released ones."""
    llm_cfg, tok_dir = read_qwen_dir(qwen_dir)
    state = load_state_file(Path(checkpoint))
    src = str(checkpoint)
    vocab, hidden = _shape(state, "llm.model.embed_tokens.weight", src)
    if (vocab, hidden) != (llm_cfg.vocab_size, llm_cfg.hidden_size):
        raise CheckpointError(f"{src}: embeddings are {vocab}×{hidden} but {qwen_dir}/config.json says "
                              f"{llm_cfg.vocab_size}×{llm_cfg.hidden_size}: wrong Qwen folder for this checkpoint")
    vae_state = load_vae_checkpoint(Path(vae)) if vae is not None else None
    if config is None:
        config = HarmonConfig(name="custom", mar=infer_mar_config(state, src, heads=mar_heads), llm=llm_cfg,
                              vae=infer_vae_config(vae_state, str(vae)) if vae_state else VAEConfig())
        config.name = name_for(config)
        config.image_size = config.mar.grid * config.vae.stride
    return _build(config, state, vae_state, src), tok_dir


def load_hf(folder: Path, mar_heads: int | None = None) -> tuple[Harmon, Path]:
    """The HF-format Harmon folder (config.json + safetensors with `vae.*` included, tokenizer files)."""
    folder = Path(folder)
    if not (folder / "config.json").is_file():
        raise CheckpointError(f"{folder}: missing config.json (expected an HF-format Harmon folder)")
    meta = json.loads((folder / "config.json").read_text())
    state = load_safetensors_dir(folder)
    src = str(folder)
    llm_dict = meta.get("llm") or meta.get("llm_config") or meta.get("text_config")
    if llm_dict is None and "harmon" not in meta:
        if (folder / "llm" / "config.json").is_file():
            llm_dict = json.loads((folder / "llm" / "config.json").read_text())
        else:
            raise CheckpointError(f"{folder}/config.json: no LLM configuration (llm / llm_config / text_config)")
    tok_dir = folder if (folder / "tokenizer.json").is_file() else folder / "llm"
    if not (tok_dir / "tokenizer.json").is_file():
        raise CheckpointError(f"{folder}: no tokenizer.json")
    vae_state = {k[4:]: v for k, v in state.items() if k.startswith("vae.")}
    if not vae_state:
        raise CheckpointError(f"{src}: no vae.* weights: the HF-format release includes the VAE")
    rest = {k: v for k, v in state.items() if not k.startswith("vae.")}
    if "harmon" in meta:  # our own packages record the whole config (head counts included)
        cfg = HarmonConfig.from_dict(meta["harmon"])
    else:
        llm_cfg = LLMConfig.from_hf_dict(llm_dict) if "hidden_size" in llm_dict else LLMConfig(**llm_dict)
        cfg = HarmonConfig(name="custom", mar=infer_mar_config(rest, src, heads=mar_heads), llm=llm_cfg,
                           vae=infer_vae_config(vae_state, src + " (VAE)"))
        if isinstance(meta.get("vae_scale"), (int, float)):
            cfg.vae.scale = float(meta["vae_scale"])
        cfg.name = name_for(cfg)
        cfg.image_size = cfg.mar.grid * cfg.vae.stride
    return _build(cfg, rest, vae_state, src), tok_dir


def save_hf(model: Harmon, tok_dir: Path, out: Path) -> None:
    """Write a model in the HF-format layout (used for our own models and for tests)."""
    import shutil
    from dataclasses import asdict
    from safetensors.torch import save_file

    out.mkdir(parents=True, exist_ok=True)
    state = {k: v.contiguous() for k, v in model.state_dict().items()}
    if model.cfg.llm.tie_word_embeddings:
        state.pop(TIED, None)
    save_file(state, str(out / "model.safetensors"))
    (out / "config.json").write_text(json.dumps(
        {"model_type": "harmon", "harmon": model.cfg.to_dict(), "llm": asdict(model.cfg.llm),
         "vae_scale": model.cfg.vae.scale}, indent=2))
    for f in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(Path(tok_dir) / f, out / f)
