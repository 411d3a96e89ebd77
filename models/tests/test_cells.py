"""train.cells: each token's generation target is its cell encoded alone, and the decoder learns to
draw scenes from such targets."""
from pathlib import Path

import numpy as np
import torch

from harmon.load import load_hf
from shapes.splits import training_sample
from shapes.world import Scene, cell_of
from train.cells import cell_latents, tune_decoder
from train.data import render_batch
from train.vae import pixel_weights

ROOT = Path(__file__).resolve().parents[2]


def pixels(scene: Scene) -> torch.Tensor:
    return render_batch([scene], 64)


def test_each_token_is_its_cell_alone():
    vae = load_hf(ROOT / "models/default/checkpoint")[0].vae.eval()
    scenes = [training_sample(0, i, size=None).scene for i in range(3)]
    got = cell_latents(vae, scenes).reshape(3, 16, 16)
    with torch.no_grad():
        empty = vae.encode_tokens(pixels(Scene(()))).reshape(16, 16)
        for i, scene in enumerate(scenes):
            own = {cell_of(o): o for o in scene.objects}
            for k in range(16):
                want = vae.encode_tokens(pixels(Scene((own[k],)))).reshape(16, 16)[k] if k in own else empty[k]
                assert torch.allclose(got[i, k], want, atol=1e-3)  # batched convolutions round differently
            # and that differs from the whole scene's latents (the neighbours' traces it removes)
            whole = vae.encode_tokens(pixels(scene)).reshape(16, 16)
            assert (whole - got[i]).norm() > 0.05 * whole.norm()


def test_tune_decoder_learns_to_draw_scenes_from_cell_latents():
    vae = load_hf(ROOT / "models/default/checkpoint")[0].vae.eval()
    scenes = [training_sample(0, i, size=None).scene for i in range(16)]
    images = torch.cat([pixels(s) for s in scenes])
    cells = cell_latents(vae, scenes)
    with torch.no_grad():
        full = vae.encode_tokens(images)

    def error():
        with torch.no_grad():
            err = vae.decode_tokens(cells) - images
        w = pixel_weights(images)
        return float((err.abs() * w / w.mean()).mean())

    before = error()
    # lr 1e-4: the shipped VAE (latent code 0.3) already draws cell latents with error 0.012 (the
    # uncoded one 0.061), and 12 Adam steps at the recipe's 5e-4 move it past that (0.016); at 1e-4
    # both improve (0.010 and 0.022)
    hist = tune_decoder(vae, cells, full, images, steps=12, seed=0, log=lambda _: None, batch=8, lr=1e-4)
    assert len(hist) == 2 and all(np.isfinite(h["loss"]) for h in hist)
    assert error() < before
    assert not any(p.requires_grad for p in vae.parameters())
