"""An independent implementation of the published conditional UNet (Stable Diffusion 1.x's, which MuseTalk reuses).

Written from the architecture as published, in plain torch functions over a state dict with diffusers' key names, so
a test can check that the product's network (diffusers' ``UNet2DConditionModel`` built from ``musetalk.json``) is the
published one: same weights, same outputs. Shapes come from the weights; the block layout from the config.

Per level the encoder runs ``layers_per_block`` resnet blocks (each followed by a spatial transformer in cross-attention
levels) and a stride-2 convolution except at the last level; every output is kept as a skip. The middle is resnet,
transformer, resnet. The decoder mirrors it with one more resnet per level, each eating the latest skip, and a
nearest-neighbour 2x upsample and convolution except at the last level. Resnet blocks add a projection of the
sinusoidal time embedding between their two convolutions. A spatial transformer is group norm, 1x1 projection, then
per position self-attention, cross-attention to the audio tokens and a GEGLU feed-forward, each pre-norm and residual.
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

TRANSFORMER_GROUP_NORM_EPS = 1e-6
LAYER_NORM_EPS = 1e-5


class ReferenceUNet:
    def __init__(self, state: dict[str, Tensor], config: dict[str, Any]) -> None:
        self.w = {name: tensor.float() for name, tensor in state.items()}
        self.config = config
        self.groups = config["norm_num_groups"]
        self.eps = config["norm_eps"]
        self.heads = config["attention_head_dim"]  # SD-1.x configs give the number of heads under this name

    # primitives -----------------------------------------------------------------------------------------------
    def linear(self, x: Tensor, name: str) -> Tensor:
        return F.linear(x, self.w[f"{name}.weight"], self.w.get(f"{name}.bias"))

    def conv(self, x: Tensor, name: str, stride: int = 1) -> Tensor:
        weight = self.w[f"{name}.weight"]
        return F.conv2d(x, weight, self.w[f"{name}.bias"], stride=stride, padding=weight.shape[-1] // 2)

    def group_norm(self, x: Tensor, name: str, eps: float) -> Tensor:
        return F.group_norm(x, self.groups, self.w[f"{name}.weight"], self.w[f"{name}.bias"], eps)

    def layer_norm(self, x: Tensor, name: str) -> Tensor:
        weight = self.w[f"{name}.weight"]
        return F.layer_norm(x, weight.shape, weight, self.w[f"{name}.bias"], LAYER_NORM_EPS)

    def time_embedding(self, timestep: Tensor, batch: int) -> Tensor:
        dim = self.config["block_out_channels"][0]
        half = dim // 2
        exponent = -math.log(10000.0) * torch.arange(half, dtype=torch.float32) / (half - self.config["freq_shift"])
        angles = timestep.float().reshape(-1).expand(batch)[:, None] * torch.exp(exponent)[None, :]
        sin, cos = torch.sin(angles), torch.cos(angles)
        features = torch.cat([cos, sin] if self.config["flip_sin_to_cos"] else [sin, cos], dim=-1)
        return self.linear(F.silu(self.linear(features, "time_embedding.linear_1")), "time_embedding.linear_2")

    # blocks ---------------------------------------------------------------------------------------------------
    def resnet(self, x: Tensor, temb: Tensor, name: str) -> Tensor:
        h = self.conv(F.silu(self.group_norm(x, f"{name}.norm1", self.eps)), f"{name}.conv1")
        h = h + self.linear(F.silu(temb), f"{name}.time_emb_proj")[:, :, None, None]
        h = self.conv(F.silu(self.group_norm(h, f"{name}.norm2", self.eps)), f"{name}.conv2")
        shortcut = self.conv(x, f"{name}.conv_shortcut") if f"{name}.conv_shortcut.weight" in self.w else x
        return shortcut + h

    def attention(self, x: Tensor, context: Tensor, name: str) -> Tensor:
        q, k, v = (self.linear(src, f"{name}.to_{p}") for p, src in (("q", x), ("k", context), ("v", context)))
        batch, width = q.shape[0], q.shape[-1]
        head = width // self.heads

        def split(t: Tensor) -> Tensor:
            return t.reshape(batch, -1, self.heads, head).transpose(1, 2)

        weights = torch.softmax(split(q) @ split(k).transpose(-1, -2) / math.sqrt(head), dim=-1)
        mixed = (weights @ split(v)).transpose(1, 2).reshape(batch, -1, width)
        return self.linear(mixed, f"{name}.to_out.0")

    def transformer_block(self, h: Tensor, context: Tensor, name: str) -> Tensor:
        normed = self.layer_norm(h, f"{name}.norm1")
        h = h + self.attention(normed, normed, f"{name}.attn1")
        h = h + self.attention(self.layer_norm(h, f"{name}.norm2"), context, f"{name}.attn2")
        value, gate = self.linear(self.layer_norm(h, f"{name}.norm3"), f"{name}.ff.net.0.proj").chunk(2, dim=-1)
        return h + self.linear(value * F.gelu(gate), f"{name}.ff.net.2")

    def spatial_transformer(self, x: Tensor, context: Tensor, name: str) -> Tensor:
        batch, channels, height, width = x.shape
        h = self.conv(self.group_norm(x, f"{name}.norm", TRANSFORMER_GROUP_NORM_EPS), f"{name}.proj_in")
        h = h.permute(0, 2, 3, 1).reshape(batch, height * width, channels)
        index = 0
        while f"{name}.transformer_blocks.{index}.norm1.weight" in self.w:
            h = self.transformer_block(h, context, f"{name}.transformer_blocks.{index}")
            index += 1
        h = h.reshape(batch, height, width, channels).permute(0, 3, 1, 2)
        return x + self.conv(h, f"{name}.proj_out")

    # the network ----------------------------------------------------------------------------------------------
    @torch.no_grad()
    def __call__(self, sample: Tensor, timestep: Tensor, context: Tensor) -> Tensor:
        sample, context = sample.float(), context.float()
        temb = self.time_embedding(timestep, sample.shape[0])
        layers = self.config["layers_per_block"]
        h = self.conv(sample, "conv_in")
        skips = [h]
        down = self.config["down_block_types"]
        for level, block in enumerate(down):
            for j in range(layers):
                h = self.resnet(h, temb, f"down_blocks.{level}.resnets.{j}")
                if block.startswith("CrossAttn"):
                    h = self.spatial_transformer(h, context, f"down_blocks.{level}.attentions.{j}")
                skips.append(h)
            if level < len(down) - 1:
                h = self.conv(h, f"down_blocks.{level}.downsamplers.0.conv", stride=2)
                skips.append(h)
        h = self.resnet(h, temb, "mid_block.resnets.0")
        h = self.spatial_transformer(h, context, "mid_block.attentions.0")
        h = self.resnet(h, temb, "mid_block.resnets.1")
        up = self.config["up_block_types"]
        for level, block in enumerate(up):
            for j in range(layers + 1):
                h = self.resnet(torch.cat([h, skips.pop()], dim=1), temb, f"up_blocks.{level}.resnets.{j}")
                if block.startswith("CrossAttn"):
                    h = self.spatial_transformer(h, context, f"up_blocks.{level}.attentions.{j}")
            if level < len(up) - 1:
                h = self.conv(F.interpolate(h, scale_factor=2.0, mode="nearest"), f"up_blocks.{level}.upsamplers.0.conv")
        h = F.silu(self.group_norm(h, "conv_norm_out", self.eps))
        return self.conv(h, "conv_out")
