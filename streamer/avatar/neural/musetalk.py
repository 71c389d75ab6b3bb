"""MuseTalk 1.5: repaints the lower half of a 256 px face in one UNet step in the latent space of Stable Diffusion's VAE.

Loaded from the released layout under the models directory: ``musetalkV15/musetalk.json`` + ``unet.pth`` (diffusers'
``UNet2DConditionModel`` and its state dict), ``sd-vae/`` (``AutoencoderKL``, sd-vae-ft-mse) and ``whisper/``
(whisper-tiny, of which only the encoder runs; ``whisper_audio.py``). A pack caches, per frame, the VAE latents of
the crop with its lower half blanked and of the whole crop (8 channels); a frame is then one UNet pass at timestep 0
conditioned on that frame's whisper window, and one VAE decode.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ...errors import ConfigError
from .whisper_audio import WhisperAudio

FACE_SIZE = 256
LATENT_SIZE = FACE_SIZE // 8
LATENT_CHANNELS = 8  # masked-crop latents + reference-crop latents
ENCODE_BATCH = 16  # crops per VAE encode at pack build time


def _reason(exc: Exception) -> str:
    """An exception's message on one line, short enough for a log line."""
    text = " ".join(str(exc).split())
    return text if len(text) <= 300 else text[:297] + "..."


def _require(path: Path, what: str) -> Path:
    if not path.is_file():
        raise ConfigError(f"{path} is missing: put {what} there")
    return path


def _load_unet(unet_dir: Path, dtype: torch.dtype) -> Any:
    from diffusers import UNet2DConditionModel

    config_path = _require(unet_dir / "musetalk.json", "MuseTalk 1.5's UNet config (musetalkV15/musetalk.json)")
    weights_path = _require(unet_dir / "unet.pth", "MuseTalk 1.5's UNet weights (musetalkV15/unet.pth)")
    try:
        config = json.loads(config_path.read_text())
        with torch.device("meta"):  # the released weights replace every tensor; skip a random init of ~800M values
            unet: Any = UNet2DConditionModel(**config)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"{config_path}: not a UNet2DConditionModel config ({_reason(exc)})") from exc
    try:
        state = torch.load(weights_path, map_location="cpu", weights_only=True)
        state = {name: tensor.to(dtype) if tensor.is_floating_point() else tensor for name, tensor in state.items()}
        unet.load_state_dict(state, strict=True, assign=True)
    except Exception as exc:  # whatever a wrong or damaged file raises, the user is told which file it is
        raise ConfigError(f"{weights_path}: not MuseTalk 1.5's UNet state dict for {config_path.name} "
                          f"({_reason(exc)})") from exc
    return unet


def _load_vae(vae_dir: Path, dtype: torch.dtype) -> Any:
    from diffusers import AutoencoderKL

    _require(vae_dir / "config.json", "sd-vae-ft-mse's config (stabilityai/sd-vae-ft-mse config.json)")
    if not any((vae_dir / name).is_file()
               for name in ("diffusion_pytorch_model.bin", "diffusion_pytorch_model.safetensors")):
        raise ConfigError(f"{vae_dir / 'diffusion_pytorch_model.bin'} is missing: put sd-vae-ft-mse's weights "
                          "there (diffusion_pytorch_model.bin or .safetensors)")
    try:
        return AutoencoderKL.from_pretrained(str(vae_dir), torch_dtype=dtype, low_cpu_mem_usage=False)
    except Exception as exc:  # whatever a wrong or damaged file raises, the user is told which file it is
        raise ConfigError(f"{vae_dir}: not an AutoencoderKL (sd-vae-ft-mse) directory "
                          f"({_reason(exc)})") from exc


class MuseTalkModel:
    """MuseTalk 1.5 on one device, behind the `LipModel` contract."""

    kind = "musetalk"
    face_size = FACE_SIZE

    def __init__(self, unet: Any, vae: Any, audio: WhisperAudio, device: str, dtype: torch.dtype) -> None:
        self.unet = unet
        self.vae = vae
        self.audio = audio
        self.device = device
        self.dtype = dtype
        self.scaling = float(vae.config.scaling_factor)
        self._timestep = torch.zeros(1, dtype=torch.long, device=device)

    @classmethod
    def load(cls, models_dir: Path, device: str, dtype: torch.dtype | None = None) -> MuseTalkModel:
        dtype = dtype or (torch.float16 if device == "cuda" else torch.float32)
        models_dir = Path(models_dir)
        unet = _load_unet(models_dir / "musetalkV15", dtype).to(device).eval().requires_grad_(False)
        vae = _load_vae(models_dir / "sd-vae", dtype).to(device).eval().requires_grad_(False)
        audio = WhisperAudio.load(models_dir / "whisper", device, dtype)
        return cls(unet, vae, audio, device, dtype)

    @torch.inference_mode()
    def encode_crops(self, crops: np.ndarray) -> np.ndarray:
        if crops.ndim != 4 or crops.shape[1:] != (FACE_SIZE, FACE_SIZE, 3) or crops.dtype != np.uint8:
            raise ValueError(f"musetalk encodes (N, {FACE_SIZE}, {FACE_SIZE}, 3) uint8 crops, "
                             f"got {crops.shape} {crops.dtype}")
        out = []
        for start in range(0, len(crops), ENCODE_BATCH):
            chunk = torch.from_numpy(np.ascontiguousarray(crops[start:start + ENCODE_BATCH])).to(self.device)
            whole = chunk.permute(0, 3, 1, 2).to(self.dtype) / 255.0
            masked = whole.clone()
            masked[:, :, FACE_SIZE // 2:, :] = 0  # the network sees only the upper face of the frame it repaints
            pixels = torch.cat([masked, whole]) * 2.0 - 1.0
            # the posterior mean, not a sample as MuseTalk draws, so a pack's inputs are reproducible
            latents = self.vae.encode(pixels).latent_dist.mode() * self.scaling
            masked_latents, reference_latents = latents.chunk(2)
            out.append(torch.cat([masked_latents, reference_latents], dim=1).to(torch.float16).cpu().numpy())
        if not out:
            return np.zeros((0, LATENT_CHANNELS, LATENT_SIZE, LATENT_SIZE), np.float16)
        return np.concatenate(out)

    def audio_features(self, pcm16k: np.ndarray, fps: float, n_frames: int) -> torch.Tensor:
        return self.audio.features(pcm16k, fps, n_frames)

    def to_device(self, inputs: np.ndarray) -> torch.Tensor:
        if inputs.shape[-3:] != (LATENT_CHANNELS, LATENT_SIZE, LATENT_SIZE):
            raise ValueError(f"musetalk inputs are (N, {LATENT_CHANNELS}, {LATENT_SIZE}, {LATENT_SIZE}) latents, "
                             f"got {inputs.shape}")
        return torch.from_numpy(np.ascontiguousarray(inputs)).to(device=self.device, dtype=self.dtype)

    @torch.inference_mode()
    def infer(self, inputs: torch.Tensor, audio: torch.Tensor) -> np.ndarray:
        if inputs.shape[0] != audio.shape[0]:
            raise ValueError(f"a batch needs one audio window per input, got {inputs.shape[0]} and {audio.shape[0]}")
        latents = self.unet(inputs.to(self.dtype), self._timestep,
                            encoder_hidden_states=audio.to(self.dtype)).sample
        image = self.vae.decode(latents / self.scaling).sample
        pixels = ((image.float() / 2 + 0.5).clamp(0, 1) * 255).round().to(torch.uint8)
        return pixels.permute(0, 2, 3, 1).cpu().numpy()
