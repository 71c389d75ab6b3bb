"""Random weights in the layouts the lip-sync models' authors release, for tests and benchmarks.

The configs are the released ones (MuseTalk 1.5's ``musetalk.json``, stabilityai/sd-vae-ft-mse's ``config.json``,
openai/whisper-tiny's ``config.json`` and ``preprocessor_config.json``) and the files are written in the released
formats (a plain ``torch.save`` state dict for ``unet.pth``; the VAE's ``.bin`` with the pre-0.14 diffusers attention
names it was published with; whisper's ``pytorch_model.bin`` of ``WhisperForConditionalGeneration``), so the product
loads them through exactly the path real files take. ``small=True`` keeps every block but narrows the widths for
fast tests. Seeded: the same call writes the same tensors.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import torch

# musetalkV15/musetalk.json as released (TMElyralab/MuseTalk)
MUSETALK_UNET_CONFIG: dict[str, Any] = {
    "_class_name": "UNet2DConditionModel",
    "_diffusers_version": "0.6.0.dev0",
    "act_fn": "silu",
    "attention_head_dim": 8,
    "block_out_channels": [320, 640, 1280, 1280],
    "center_input_sample": False,
    "cross_attention_dim": 384,
    "down_block_types": ["CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"],
    "downsample_padding": 1,
    "flip_sin_to_cos": True,
    "freq_shift": 0,
    "in_channels": 8,
    "layers_per_block": 2,
    "mid_block_scale_factor": 1,
    "norm_eps": 1e-05,
    "norm_num_groups": 32,
    "out_channels": 4,
    "sample_size": 64,
    "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"],
}

# stabilityai/sd-vae-ft-mse config.json as released
SD_VAE_CONFIG: dict[str, Any] = {
    "_class_name": "AutoencoderKL",
    "_diffusers_version": "0.4.2",
    "act_fn": "silu",
    "block_out_channels": [128, 256, 512, 512],
    "down_block_types": ["DownEncoderBlock2D"] * 4,
    "in_channels": 3,
    "latent_channels": 4,
    "layers_per_block": 2,
    "norm_num_groups": 32,
    "out_channels": 3,
    "sample_size": 256,
    "up_block_types": ["UpDecoderBlock2D"] * 4,
}

# openai/whisper-tiny config.json as released (its long suppress_tokens list, used only when decoding text, left out)
WHISPER_TINY_CONFIG: dict[str, Any] = {
    "_name_or_path": "openai/whisper-tiny",
    "activation_dropout": 0.0,
    "activation_function": "gelu",
    "architectures": ["WhisperForConditionalGeneration"],
    "attention_dropout": 0.0,
    "begin_suppress_tokens": [220, 50257],
    "bos_token_id": 50257,
    "d_model": 384,
    "decoder_attention_heads": 6,
    "decoder_ffn_dim": 1536,
    "decoder_layerdrop": 0.0,
    "decoder_layers": 4,
    "decoder_start_token_id": 50258,
    "dropout": 0.0,
    "encoder_attention_heads": 6,
    "encoder_ffn_dim": 1536,
    "encoder_layerdrop": 0.0,
    "encoder_layers": 4,
    "eos_token_id": 50257,
    "init_std": 0.02,
    "is_encoder_decoder": True,
    "max_length": 448,
    "max_source_positions": 1500,
    "max_target_positions": 448,
    "model_type": "whisper",
    "num_hidden_layers": 4,
    "num_mel_bins": 80,
    "pad_token_id": 50257,
    "scale_embedding": False,
    "torch_dtype": "float32",
    "transformers_version": "4.27.0.dev0",
    "use_cache": True,
    "vocab_size": 51865,
}

# openai/whisper-tiny preprocessor_config.json as released, less its mel_filters table (written computed below)
WHISPER_PREPROCESSOR_CONFIG: dict[str, Any] = {
    "chunk_length": 30,
    "feature_extractor_type": "WhisperFeatureExtractor",
    "feature_size": 80,
    "hop_length": 160,
    "n_fft": 400,
    "n_samples": 480000,
    "nb_max_frames": 3000,
    "padding_side": "right",
    "padding_value": 0.0,
    "processor_class": "WhisperProcessor",
    "return_attention_mask": False,
    "sampling_rate": 16000,
}

# the narrow variants: the same blocks, layers and audio width (384), fewer channels (the VAE's full-resolution
# decoder levels dominate a frame's cost on a CPU, so they are the narrowest)
SMALL_UNET = {"block_out_channels": [32, 64, 64, 64]}
SMALL_VAE = {"block_out_channels": [16, 16, 32, 32], "norm_num_groups": 16}
SMALL_WHISPER = {"encoder_ffn_dim": 384, "decoder_ffn_dim": 384, "decoder_layers": 1}

SEED = 1234


def musetalk_configs(small: bool = False) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """(unet, vae, whisper) configs: the released ones, or their narrow variants."""
    unet, vae, whisper = (copy.deepcopy(c) for c in (MUSETALK_UNET_CONFIG, SD_VAE_CONFIG, WHISPER_TINY_CONFIG))
    if small:
        unet.update(SMALL_UNET)
        vae.update(SMALL_VAE)
        whisper.update(SMALL_WHISPER)
    return unet, vae, whisper


def _legacy_vae_names(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """sd-vae-ft-mse was published before diffusers renamed the VAE's mid-block attention (query/key/value/proj_attn)."""
    renames = {".to_q.": ".query.", ".to_k.": ".key.", ".to_v.": ".value.", ".to_out.0.": ".proj_attn."}
    out = {}
    for name, tensor in state.items():
        if ".mid_block.attentions." in name:
            for new, old in renames.items():
                name = name.replace(new, old)
        out[name] = tensor
    return out


def write_musetalk(models_dir: Path, small: bool = False) -> Path:
    """Random MuseTalk 1.5 weights under `models_dir` (musetalkV15/, sd-vae/, whisper/); returns `models_dir`."""
    from diffusers import AutoencoderKL, UNet2DConditionModel
    from transformers import WhisperConfig, WhisperForConditionalGeneration
    from transformers.audio_utils import mel_filter_bank

    models_dir = Path(models_dir)
    unet_config, vae_config, whisper_config = musetalk_configs(small)
    unet_dir, vae_dir, whisper_dir = (models_dir / name for name in ("musetalkV15", "sd-vae", "whisper"))
    for folder in (unet_dir, vae_dir, whisper_dir):
        folder.mkdir(parents=True, exist_ok=True)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(SEED)
        unet = UNet2DConditionModel(**unet_config)
        (unet_dir / "musetalk.json").write_text(json.dumps(unet_config, indent=2))
        torch.save(unet.state_dict(), unet_dir / "unet.pth")
        del unet

        torch.manual_seed(SEED + 1)
        vae = AutoencoderKL(**vae_config)
        (vae_dir / "config.json").write_text(json.dumps(vae_config, indent=2))
        torch.save(_legacy_vae_names(vae.state_dict()), vae_dir / "diffusion_pytorch_model.bin")

        torch.manual_seed(SEED + 2)
        whisper = WhisperForConditionalGeneration(WhisperConfig(**whisper_config))
        (whisper_dir / "config.json").write_text(json.dumps(whisper_config, indent=2))
        state = {k: v for k, v in whisper.state_dict().items() if k != "proj_out.weight"}  # tied to embed_tokens
        torch.save(state, whisper_dir / "pytorch_model.bin")
    mel_filters = mel_filter_bank(num_frequency_bins=201, num_mel_filters=80, min_frequency=0.0,
                                  max_frequency=8000.0, sampling_rate=16000, norm="slaney", mel_scale="slaney")
    preprocessor = {**WHISPER_PREPROCESSOR_CONFIG, "mel_filters": mel_filters.T.tolist()}
    (whisper_dir / "preprocessor_config.json").write_text(json.dumps(preprocessor))
    return models_dir


def write_wav2lip(models_dir: Path, gan: bool = False) -> Path:
    """Random Wav2Lip weights saved as the authors released them: ``torch.save({"state_dict": {"module.<name>":
    tensor}, ...})`` at ``models_dir/wav2lip/wav2lip.pth`` (``wav2lip_gan.pth`` with `gan`); returns that path.
    Names and shapes come from tests/wav2lip_reference.py's transcription of the published network, not from the
    product, so loading them strictly tests the product's module names."""
    from wav2lip_reference import random_state_dict

    path = Path(models_dir) / "wav2lip" / ("wav2lip_gan.pth" if gan else "wav2lip.pth")
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {f"module.{name}": tensor for name, tensor in random_state_dict(SEED).items()}
    torch.save({"state_dict": state, "optimizer": {}, "global_step": 0, "global_epoch": 0}, path)
    return path
