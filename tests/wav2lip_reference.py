"""An independent Wav2Lip for the tests: the published architecture as a table, run functionally on a state dict.

Nothing here imports the product. The layer table below is transcribed from the authors' ``models/wav2lip.py`` and
``models/conv.py`` (Rudrabha/Wav2Lip): each row is one released module name with its convolution's shape, and
``forward`` evaluates it with ``F.conv2d`` / ``F.conv_transpose2d`` / ``F.batch_norm`` straight from the tensors, in
float64. ``random_state_dict`` makes weights in the released names and shapes, with batch-norm running statistics
taken from a real forward pass and then perturbed, so that eval-mode normalisation is non-trivial and activations
stay in a range where a wrong layer shows up in the output instead of saturating the sigmoid.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import torch
import torch.nn.functional as F

# name  kind  cin  cout  kernel  stride(h,w)  padding  [res]
#   conv  = Conv2d wrapper (conv_block.0 Conv2d, conv_block.1 BatchNorm2d, ReLU; res adds the input first)
#   convT = Conv2dTranspose wrapper (ConvTranspose2d with output_padding 1 when the stride is 2, BatchNorm2d, ReLU)
#   plain = a bare nn.Conv2d (weight, bias)
_TABLE = """
face_encoder_blocks.0.0 conv 6 16 7 1,1 3
face_encoder_blocks.1.0 conv 16 32 3 2,2 1
face_encoder_blocks.1.1 conv 32 32 3 1,1 1 res
face_encoder_blocks.1.2 conv 32 32 3 1,1 1 res
face_encoder_blocks.2.0 conv 32 64 3 2,2 1
face_encoder_blocks.2.1 conv 64 64 3 1,1 1 res
face_encoder_blocks.2.2 conv 64 64 3 1,1 1 res
face_encoder_blocks.2.3 conv 64 64 3 1,1 1 res
face_encoder_blocks.3.0 conv 64 128 3 2,2 1
face_encoder_blocks.3.1 conv 128 128 3 1,1 1 res
face_encoder_blocks.3.2 conv 128 128 3 1,1 1 res
face_encoder_blocks.4.0 conv 128 256 3 2,2 1
face_encoder_blocks.4.1 conv 256 256 3 1,1 1 res
face_encoder_blocks.4.2 conv 256 256 3 1,1 1 res
face_encoder_blocks.5.0 conv 256 512 3 2,2 1
face_encoder_blocks.5.1 conv 512 512 3 1,1 1 res
face_encoder_blocks.6.0 conv 512 512 3 1,1 0
face_encoder_blocks.6.1 conv 512 512 1 1,1 0
audio_encoder.0 conv 1 32 3 1,1 1
audio_encoder.1 conv 32 32 3 1,1 1 res
audio_encoder.2 conv 32 32 3 1,1 1 res
audio_encoder.3 conv 32 64 3 3,1 1
audio_encoder.4 conv 64 64 3 1,1 1 res
audio_encoder.5 conv 64 64 3 1,1 1 res
audio_encoder.6 conv 64 128 3 3,3 1
audio_encoder.7 conv 128 128 3 1,1 1 res
audio_encoder.8 conv 128 128 3 1,1 1 res
audio_encoder.9 conv 128 256 3 3,2 1
audio_encoder.10 conv 256 256 3 1,1 1 res
audio_encoder.11 conv 256 512 3 1,1 0
audio_encoder.12 conv 512 512 1 1,1 0
face_decoder_blocks.0.0 conv 512 512 1 1,1 0
face_decoder_blocks.1.0 convT 1024 512 3 1,1 0
face_decoder_blocks.1.1 conv 512 512 3 1,1 1 res
face_decoder_blocks.2.0 convT 1024 512 3 2,2 1
face_decoder_blocks.2.1 conv 512 512 3 1,1 1 res
face_decoder_blocks.2.2 conv 512 512 3 1,1 1 res
face_decoder_blocks.3.0 convT 768 384 3 2,2 1
face_decoder_blocks.3.1 conv 384 384 3 1,1 1 res
face_decoder_blocks.3.2 conv 384 384 3 1,1 1 res
face_decoder_blocks.4.0 convT 512 256 3 2,2 1
face_decoder_blocks.4.1 conv 256 256 3 1,1 1 res
face_decoder_blocks.4.2 conv 256 256 3 1,1 1 res
face_decoder_blocks.5.0 convT 320 128 3 2,2 1
face_decoder_blocks.5.1 conv 128 128 3 1,1 1 res
face_decoder_blocks.5.2 conv 128 128 3 1,1 1 res
face_decoder_blocks.6.0 convT 160 64 3 2,2 1
face_decoder_blocks.6.1 conv 64 64 3 1,1 1 res
face_decoder_blocks.6.2 conv 64 64 3 1,1 1 res
output_block.0 conv 80 32 3 1,1 1
output_block.1 plain 32 3 1 1,1 0
"""


@dataclass(frozen=True)
class Layer:
    name: str
    kind: str
    cin: int
    cout: int
    kernel: int
    stride: tuple[int, int]
    padding: int
    residual: bool

    @property
    def group(self) -> str:
        """The released sub-network and level: ``face_encoder_blocks.3``, ``audio_encoder``, ``output_block``."""
        parts = self.name.split(".")
        return ".".join(parts[:2]) if parts[0].endswith("_blocks") else parts[0]


def _parse() -> list[Layer]:
    layers = []
    for line in _TABLE.strip().splitlines():
        name, kind, cin, cout, kernel, stride, padding, *flag = line.split()
        sh, sw = (int(s) for s in stride.split(","))
        layers.append(Layer(name, kind, int(cin), int(cout), int(kernel), (sh, sw), int(padding), flag == ["res"]))
    return layers


LAYERS = _parse()


def _in_group(prefix: str) -> list[Layer]:
    return [layer for layer in LAYERS if layer.group == prefix]


def shapes() -> dict[str, tuple[int, ...]]:
    """Every tensor of the released state dict (without ``module.``) and its shape."""
    out: dict[str, tuple[int, ...]] = {}
    for layer in LAYERS:
        k = layer.kernel
        if layer.kind == "plain":
            out[f"{layer.name}.weight"] = (layer.cout, layer.cin, k, k)
            out[f"{layer.name}.bias"] = (layer.cout,)
            continue
        conv = f"{layer.name}.conv_block.0"
        bn = f"{layer.name}.conv_block.1"
        weight = (layer.cin, layer.cout, k, k) if layer.kind == "convT" else (layer.cout, layer.cin, k, k)
        out[f"{conv}.weight"] = weight
        out[f"{conv}.bias"] = (layer.cout,)
        for stat in ("weight", "bias", "running_mean", "running_var"):
            out[f"{bn}.{stat}"] = (layer.cout,)
        out[f"{bn}.num_batches_tracked"] = ()
    return out


def _apply(state: dict[str, torch.Tensor], layer: Layer, x: torch.Tensor, calibrate: bool) -> torch.Tensor:
    if layer.kind == "plain":
        return F.conv2d(x, state[f"{layer.name}.weight"], state[f"{layer.name}.bias"], layer.stride, layer.padding)
    conv = f"{layer.name}.conv_block.0"
    bn = f"{layer.name}.conv_block.1"
    if layer.kind == "convT":
        out_pad = 1 if layer.stride == (2, 2) else 0
        y = F.conv_transpose2d(x, state[f"{conv}.weight"], state[f"{conv}.bias"], layer.stride, layer.padding,
                               out_pad)
    else:
        y = F.conv2d(x, state[f"{conv}.weight"], state[f"{conv}.bias"], layer.stride, layer.padding)
    # calibrating: momentum 1 writes this batch's statistics into the running buffers, and normalises with them
    y = F.batch_norm(y, state[f"{bn}.running_mean"], state[f"{bn}.running_var"], state[f"{bn}.weight"],
                     state[f"{bn}.bias"], training=calibrate, momentum=1.0, eps=1e-5)
    if layer.residual:
        y = y + x
    return F.relu(y)


def _run(state: dict[str, torch.Tensor], group: str, x: torch.Tensor, calibrate: bool) -> torch.Tensor:
    for layer in _in_group(group):
        x = _apply(state, layer, x, calibrate)
    return x


def _network(state: dict[str, torch.Tensor], mel: torch.Tensor, faces: torch.Tensor,
             calibrate: bool) -> torch.Tensor:
    x = faces
    encoded = []
    for level in range(7):
        x = _run(state, f"face_encoder_blocks.{level}", x, calibrate)
        encoded.append(x)
    x = _run(state, "audio_encoder", mel, calibrate)
    for level in range(7):
        x = _run(state, f"face_decoder_blocks.{level}", x, calibrate)
        x = torch.cat([x, encoded[6 - level]], dim=1)
    x = _run(state, "output_block", x, calibrate)
    return torch.sigmoid(x)


def forward(state: dict[str, torch.Tensor], mel: torch.Tensor, faces: torch.Tensor) -> torch.Tensor:
    """mel (B, 1, 80, 16), faces (B, 6, 96, 96) -> (B, 3, 96, 96) in 0..1, evaluated in float64."""
    wide = {k: v.double() if v.is_floating_point() else v for k, v in state.items()}
    return _network(wide, mel.double(), faces.double(), calibrate=False)


@cache
def _random_state(seed: int) -> dict[str, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)

    def normal(shape: tuple[int, ...], std: float) -> torch.Tensor:
        return torch.randn(shape, generator=gen, dtype=torch.float32) * std

    def uniform(shape: tuple[int, ...], lo: float, hi: float) -> torch.Tensor:
        return lo + (hi - lo) * torch.rand(shape, generator=gen, dtype=torch.float32)

    state: dict[str, torch.Tensor] = {}
    for name, shape in shapes().items():
        if name.endswith("num_batches_tracked"):
            state[name] = torch.tensor(1000, dtype=torch.int64)
        elif name.endswith("conv_block.1.weight"):
            state[name] = uniform(shape, 0.6, 1.4)
        elif name.endswith("conv_block.1.bias"):
            state[name] = normal(shape, 0.1)
        elif name.endswith("running_mean"):
            state[name] = torch.zeros(shape)
        elif name.endswith("running_var"):
            state[name] = torch.ones(shape)
        elif name == "output_block.1.weight":  # small, so the sigmoid stays mostly off its flat ends
            state[name] = normal(shape, 0.3 / shape[1] ** 0.5)
        elif name.endswith("weight"):
            fan_in = shape[1] * shape[2] * shape[3]
            state[name] = normal(shape, (2.0 / fan_in) ** 0.5)
        else:
            state[name] = normal(shape, 0.05)
    # one forward pass over a small batch sets every running mean/var to real activation statistics ...
    mel = uniform((6, 1, 80, 16), -4.0, 2.0)
    faces = uniform((6, 6, 96, 96), 0.0, 1.0)
    faces[:, :3, 48:] = 0.0
    with torch.no_grad():
        _network(state, mel, faces, calibrate=True)
        # ... then nudged away from them, so eval mode's use of the stored statistics is what gets tested; at the
        # 1 x 1 bottleneck six samples give noisy variances, so none is let below a quarter of its layer's mean
        for name in state:
            if name.endswith("running_var"):
                state[name] = torch.maximum(state[name], 0.25 * state[name].mean())
        for name in state:
            if name.endswith("running_mean"):
                std = state[name.replace("running_mean", "running_var")].sqrt()
                state[name] += 0.2 * std * normal(tuple(std.shape), 1.0)
            elif name.endswith("running_var"):
                state[name] *= uniform(tuple(state[name].shape), 0.7, 1.4)
    return state


def random_state_dict(seed: int = 0) -> dict[str, torch.Tensor]:
    """Random float32 weights in the released names (no ``module.``) and shapes, deterministic per seed."""
    return {k: v.clone() for k, v in _random_state(seed).items()}
