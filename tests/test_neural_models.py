"""The lip-sync model registry: which model a kind loads, where model files are looked for, which device is used."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from streamer.avatar.neural.models import load_model, models_dir, pick_device
from streamer.errors import ConfigError

torch = pytest.importorskip("torch")


def test_importing_the_registry_does_not_import_torch() -> None:
    code = "import sys, streamer.avatar.neural.models; print('torch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.strip() == "False"


def test_models_are_looked_for_in_streamer_models_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("STREAMER_MODELS_DIR", str(tmp_path))
    assert models_dir() == tmp_path


def test_models_are_looked_for_in_models_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STREAMER_MODELS_DIR", raising=False)
    assert models_dir() == Path("models")


def test_an_unknown_kind_is_a_config_error_listing_the_kinds(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="sadtalker.*wav2lip, musetalk"):
        load_model("sadtalker", tmp_path, "cpu")


def test_wav2lip_loads_the_released_wav2lip_checkpoint(tmp_path: Path) -> None:
    from neural_weights import write_wav2lip

    write_wav2lip(tmp_path)
    model = load_model("wav2lip", tmp_path, "cpu")
    assert (model.kind, model.face_size, model.device) == ("wav2lip", 96, "cpu")


def test_musetalk_without_its_files_names_the_file_expected(tmp_path: Path) -> None:
    pytest.importorskip("diffusers")
    with pytest.raises(ConfigError, match="musetalkV15/musetalk.json is missing"):
        load_model("musetalk", tmp_path, "cpu")


def test_cpu_is_used_when_asked() -> None:
    assert pick_device("cpu") == "cpu"


def test_auto_picks_cuda_exactly_when_torch_sees_it() -> None:
    assert pick_device("auto") == ("cuda" if torch.cuda.is_available() else "cpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_cuda_without_a_cuda_device_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="no CUDA device"):
        pick_device("cuda")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA here")
def test_cuda_is_used_when_asked_and_present() -> None:
    assert pick_device("cuda") == "cuda"


def test_an_unknown_device_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="tpu"):
        pick_device("tpu")
