"""Training losses of Harmon, on top of the converter's reference modules (harmon/*).

- `diffusion_loss`: MAR's per-token diffusion loss — ε-prediction MSE plus the variational bound
  term that trains the learned-range variance (improved DDPM, the same cosine schedule the sampler
  uses), with the conditioning z repeated so each token sees several noise levels per step.
- `conditioning` / `generation_loss`: masked-autoregressive text-to-image — random order, a random
  share of tokens masked, seen tokens + buffer through MAR encoder → LLM (after the prompt) → MAR
  decoder, diffusion loss on the masked tokens. The sequence layout, masks and positions are the inference loop's
  (generate.mar_step), without the cache.
- `understanding_loss`: image → MAR encoder (nothing masked) spliced into the chat prompt,
  cross-entropy on the answer tokens and the closing <|im_end|> (understand.Conversation's layout),
  averaged per answer.
"""
from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from harmon.model import Harmon
from harmon.sampler import NUM_TRAIN_STEPS, cosine_betas


class DiffusionTables:
    """float64 tables of the 1000-step cosine schedule, cast to float32 tensors."""

    def __init__(self):
        betas = cosine_betas()
        ac = np.cumprod(1.0 - betas)
        ac_prev = np.append(1.0, ac[:-1])
        post_var = betas * (1.0 - ac_prev) / (1.0 - ac)
        t = lambda a: torch.tensor(a, dtype=torch.float32)
        self.sqrt_ac, self.sqrt_1m_ac = t(np.sqrt(ac)), t(np.sqrt(1.0 - ac))
        self.sqrt_recip_ac, self.sqrt_recipm1_ac = t(np.sqrt(1.0 / ac)), t(np.sqrt(1.0 / ac - 1))
        self.coef1 = t(betas * np.sqrt(ac_prev) / (1.0 - ac))
        self.coef2 = t((1.0 - ac_prev) * np.sqrt(1.0 - betas) / (1.0 - ac))
        self.min_log = t(np.log(np.append(post_var[1], post_var[1:])))
        self.max_log = t(np.log(betas))


TABLES = DiffusionTables()


def _gaussian_kl(m1, lv1, m2, lv2):
    return 0.5 * (-1.0 + lv2 - lv1 + torch.exp(lv1 - lv2) + (m1 - m2) ** 2 * torch.exp(-lv2))


# Sampling starts at t = 999, where ᾱ ≈ 2.4e-9: the first reverse step turns an ε error δ into an
# error of δ·sqrt(ᾱ[t_1]/ᾱ[999]) in the next latent (≈ 350 at 100 sampling steps, ≈ 1370 at 25), so
# the head must predict ε ≈ x_t there to ~1e-3 while everywhere else 1e-1 is fine. The head stage
# (default.train_head) therefore draws a quarter of its rows at t = 999, weighted, and a quarter in
# the last tenth of the schedule.
LAST_T = NUM_TRAIN_STEPS - 1
LAST_T_WEIGHT = 100.0


def uniform_timesteps(n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """MAR's training draw: t uniform over the 1000 steps, every row weighted 1."""
    return torch.randint(0, NUM_TRAIN_STEPS, (n,)), torch.ones(n)


def head_timesteps(n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The head stage's draw: ¼ at t = 999 (weight LAST_T_WEIGHT), ¼ in [900, 999], ½ uniform."""
    t, weight = uniform_timesteps(n)
    q = n // 4
    t[:q] = LAST_T
    t[q: 2 * q] = torch.randint(900, NUM_TRAIN_STEPS, (q,))
    weight[:q] = LAST_T_WEIGHT
    return t, weight


def diffusion_loss(net, target: torch.Tensor, z: torch.Tensor, repeat: int = 4,
                   timesteps=uniform_timesteps) -> torch.Tensor:
    """target (M,16) clean token latents, z (M,D') their conditioning → scalar loss, each row drawn
    `repeat` times at the noise levels `timesteps(rows)` gives (with per-row weights)."""
    x0, z = target.repeat(repeat, 1), z.repeat(repeat, 1)
    tb = TABLES
    t, weight = timesteps(x0.shape[0])
    noise = torch.randn_like(x0)
    col = lambda a: a[t][:, None]
    xt = col(tb.sqrt_ac) * x0 + col(tb.sqrt_1m_ac) * noise
    out = net(xt, t, z)
    c = x0.shape[1]
    eps, v = out[:, :c], out[:, c:]
    mse = ((eps - noise) ** 2).mean(dim=1)
    # The bound trains only the variance: the mean comes from a detached ε (improved DDPM).
    x0_pred = col(tb.sqrt_recip_ac) * xt - col(tb.sqrt_recipm1_ac) * eps.detach()
    mean_pred = col(tb.coef1) * x0_pred + col(tb.coef2) * xt
    mean_true = col(tb.coef1) * x0 + col(tb.coef2) * xt
    frac = (v + 1) / 2
    lv_pred = frac * col(tb.max_log) + (1 - frac) * col(tb.min_log)
    kl = _gaussian_kl(mean_true, col(tb.min_log), mean_pred, lv_pred).mean(dim=1) / math.log(2.0)
    vb = torch.where(t > 0, kl, torch.zeros_like(kl))  # t = 0 has no posterior to match
    return ((mse + vb) * weight).mean() / weight.mean()


@torch.no_grad()
def last_step_error(net, target: torch.Tensor, z: torch.Tensor, seed: int = 0) -> float:
    """RMS of the head's ε error at t = 999 (what the first sampling step amplifies)."""
    g = torch.Generator().manual_seed(seed)
    noise = torch.randn(target.shape, generator=g)
    t = torch.full((target.shape[0],), LAST_T)
    xt = TABLES.sqrt_ac[LAST_T] * target + TABLES.sqrt_1m_ac[LAST_T] * noise
    eps = net(xt, t, z)[:, : target.shape[1]]
    return float((eps - noise).pow(2).mean().sqrt())


def random_mask(b: int, n: int, n_masked: int) -> torch.Tensor:
    """(b, n) float mask, 1 = masked; each row masks n_masked tokens chosen by a random order."""
    order = torch.argsort(torch.rand(b, n), dim=1)
    mask = torch.zeros(b, n)
    mask.scatter_(1, order[:, :n_masked], 1.0)
    return mask


def mask_count(n: int, low: float = 0.25) -> int:
    """How many of n tokens to mask in a training batch: a share drawn uniformly from [low, 1], so
    every inference step (from nothing seen to most tokens seen) is trained."""
    return max(1, math.ceil(n * float(np.random.uniform(low, 1.0))))


def llm_hidden(model: Harmon, embeds: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """The Qwen2 body over a right-padded batch, positions counted over the valid tokens."""
    pos = (attention_mask.cumsum(1) - 1).clamp(min=0)
    out = model.llm.model(inputs_embeds=embeds, attention_mask=attention_mask, position_ids=pos,
                          use_cache=False, return_dict=True)
    return out.last_hidden_state


def conditioning(model: Harmon, latents: torch.Tensor, ids: torch.Tensor, prompt_mask: torch.Tensor,
                 n_masked: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Masked-autoregressive conditioning: latents (B, h, w, 16) scaled, ids / prompt_mask (B, P)
    right-padded prompts → (the masked tokens' clean latents (M, 16), their conditioning z (M, D'),
    which tokens they are: a (B, h·w) bool mask)."""
    b, h, w, c = latents.shape
    tokens = latents.reshape(b, h * w, c)
    mask = random_mask(b, h * w, n_masked)
    x_enc = model.mar.encoder_body(model.mar.patch_embed(tokens, mask, h, w))
    z_enc = model.to_llm(x_enc)
    L = z_enc.shape[1]
    attn = torch.cat([prompt_mask, prompt_mask.new_ones(b, L)], dim=1)
    hid = llm_hidden(model, torch.cat([model.embed(ids), z_enc], dim=1), attn)[:, -L:]
    z = model.mar.forward_decoder(model.from_llm(x_enc, hid), mask, h, w)
    sel = mask.bool()
    return tokens[sel], z[sel], sel


def generation_loss(model: Harmon, latents: torch.Tensor, ids: torch.Tensor, prompt_mask: torch.Tensor,
                    n_masked: int, probe=None, labels: torch.Tensor | None = None, object_weight: float = 1.0):
    """Diffusion loss of the masked tokens given the rest and the prompt (gradients reach everything)
    → (diffusion loss, the token probe's loss or None). labels (B, h·w, 2): probe.token_labels."""
    x, z, sel = conditioning(model, latents, ids, prompt_mask, n_masked)
    aux = probe.loss(z, labels[sel], object_weight) if probe is not None else None
    return diffusion_loss(model.mar.diffloss.net, x, z), aux


def image_embeds(model: Harmon, latents: torch.Tensor) -> torch.Tensor:
    b, h, w, c = latents.shape
    mask = latents.new_zeros(b, h * w)
    x = model.mar.encoder_body(model.mar.patch_embed(latents.reshape(b, h * w, c), mask, h, w))
    return model.to_llm(x)


def understanding_loss(model: Harmon, latents: torch.Tensor, before: torch.Tensor, after: torch.Tensor,
                       after_mask: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Chat rows `before` (1, P0, shared) + image + `after` (B, T) right-padded; labels (B, T) hold
    the ids to predict at each `after` position (-100: not trained)."""
    b = latents.shape[0]
    img = image_embeds(model, latents)
    head = model.embed(before).expand(b, -1, -1)
    embeds = torch.cat([head, img, model.embed(after)], dim=1)
    lead = head.shape[1] + img.shape[1]
    attn = torch.cat([after_mask.new_ones(b, lead), after_mask], dim=1)
    hid = llm_hidden(model, embeds, attn)
    # position lead-1+i predicts after[i]: the image's last slot predicts the first text token
    logits = model.logits(hid[:, lead - 1: -1])
    # Mean per answer, then over answers: a long "describe" answer must not outweigh the one-word
    # colour, count and yes/no answers that make up most questions.
    ce = F.cross_entropy(logits.transpose(1, 2), labels, ignore_index=-100, reduction="none")
    n = (labels != -100).sum(dim=1).clamp(min=1)
    return (ce.sum(dim=1) / n).mean()


def text_loss(model: Harmon, ids: torch.Tensor, mask: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Next-token loss on text-only rows (the LLM's own pretraining on the world's language)."""
    hid = llm_hidden(model, model.embed(ids), mask)
    logits = model.logits(hid[:, :-1])
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels[:, 1:].reshape(-1), ignore_index=-100)
