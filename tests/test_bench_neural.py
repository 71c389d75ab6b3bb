"""scripts/bench_neural.py at tiny settings: the JSON it prints is the one the docs and the GPU check quote."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

torch = pytest.importorskip("torch")

from neural_weights import write_wav2lip  # noqa: E402

STAGES = {"audio_features", "model", "blend", "encode"}


def bench(models_dir: Path, out: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "STREAMER_MODELS_DIR": str(models_dir), "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "scripts/bench_neural.py", "--device", "cpu", "--batches", "1,2",
                           "--seconds", "0.05", "--size", "320x180", "--out", str(out), *args],
                          capture_output=True, text=True, timeout=240, cwd=ROOT, env=env)


def test_wav2lip_figures_per_batch_and_the_streams_derivation(tmp_path: Path) -> None:
    r = bench(tmp_path / "no-models", tmp_path / "bench.json", "--models", "wav2lip")
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    assert json.loads((tmp_path / "bench.json").read_text()) == report
    assert report["device"] == "cpu" and report["fps"] == 25 and report["frame_size"] == "320x180"
    assert "streams_25fps" in report["derivation"]
    w = report["models"]["wav2lip"]
    assert w["weights"] == "random" and w["face_size"] == 96 and w["dtype"] == "float32"
    assert [row["batch"] for row in w["batches"]] == [1, 2]
    for row in w["batches"]:
        assert row["frames_per_s"] > 0 and row["ms_per_batch"] > 0 and row["peak_memory_mb"] > 0
    assert w["best_batch"] in (1, 2)
    assert set(w["stage_ms_per_frame"]) == STAGES and all(v > 0 for v in w["stage_ms_per_frame"].values())
    per_s = 25 * sum(w["stage_ms_per_frame"].values())
    assert w["per_stream_ms_per_s"] == pytest.approx(per_s, abs=0.1)
    assert w["streams_25fps"] == w["whole_path_one_core_set"] == int(1000 // per_s)


def test_released_files_in_the_models_dir_are_used(tmp_path: Path) -> None:
    models = tmp_path / "models"
    write_wav2lip(models)
    r = bench(models, tmp_path / "bench.json", "--models", "wav2lip", "--batches", "1")
    assert r.returncode == 0, r.stderr
    w = json.loads(r.stdout)["models"]["wav2lip"]
    assert w["weights"] == "released" and w["weights_dir"] == str(models)


@pytest.mark.slow
def test_musetalk_runs_in_its_small_random_configuration_on_cpu(tmp_path: Path) -> None:
    pytest.importorskip("diffusers")
    r = bench(tmp_path / "no-models", tmp_path / "bench.json", "--models", "musetalk", "--batches", "1")
    assert r.returncode == 0, r.stderr
    m = json.loads(r.stdout)["models"]["musetalk"]
    assert m["weights"] == "random" and m["musetalk_config"] == "small" and m["face_size"] == 256
    assert m["batches"][0]["frames_per_s"] > 0 and set(m["stage_ms_per_frame"]) == STAGES


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a CUDA device")
def test_cuda_without_a_gpu_is_one_clear_error(tmp_path: Path) -> None:
    r = subprocess.run([sys.executable, "scripts/bench_neural.py", "--device", "cuda"], capture_output=True,
                       text=True, timeout=120, cwd=ROOT)
    assert r.returncode == 2
    assert "no CUDA device" in r.stderr and "Traceback" not in r.stderr
