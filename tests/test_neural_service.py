"""The machine's inference service, run as the product runs it (``python -m streamer.avatar.neural.service``, or
started by the client), with the real Wav2Lip network on random weights in the released layout, on CPU.

Sessions are separate processes in the product, so the second stream here runs in a child process. Most tests
share one service started with a small batch and a long batch wait (``--max-batch 8 --max-wait-ms 2000``), so
items sent together are seen batched together; the tests of starting and killing the service start their own.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from neural_weights import write_wav2lip

from streamer.avatar.neural import protocol
from streamer.avatar.neural.client import InferenceClient
from streamer.errors import EngineError

ROOT = Path(__file__).resolve().parents[1]
FPS = 25.0
WAIT_S = 120.0  # a bound on every wait: a cold service imports torch and loads the model on a busy CPU
ENV = {"STREAMER_INFERENCE_DEVICE": "cpu", "STREAMER_INFERENCE_IDLE_S": "120", "OMP_NUM_THREADS": "1",
       "MKL_NUM_THREADS": "1", "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}


def until(condition: Callable[[], bool], timeout_s: float = WAIT_S, what: str = "the condition") -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout_s} s")
        time.sleep(0.01)


def gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return True
    return state == "Z"


def stop(pid: int) -> None:
    if not gone(pid):
        os.kill(pid, signal.SIGTERM)
        until(lambda: gone(pid), 30, f"service {pid} stopping")


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("models")
    write_wav2lip(d)
    return d


@pytest.fixture(scope="module")
def model(models_dir: Path) -> Any:
    """The same network loaded directly, to compute what each item should come back as."""
    from streamer.avatar.neural.models import load_model

    return load_model("wav2lip", models_dir, "cpu", torch.float32)


def make_pack(root: Path, model: Any, seed: int, frames: int = 6) -> Path:
    """A minimal neural pack as the service reads it: the face crops and their cached model inputs
    (``LipModel.encode_crops``), as neural.md lays them out."""
    pack = root / f"pack-{seed}"
    pack.mkdir()
    crops = np.random.default_rng(seed).integers(0, 256, (frames, 96, 96, 3), dtype=np.uint8)
    np.save(pack / "crops.npy", crops)
    np.save(pack / "inputs.npy", model.encode_crops(crops))
    return pack


@pytest.fixture(scope="module")
def packs(tmp_path_factory: pytest.TempPathFactory, model: Any) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("packs")
    return make_pack(root, model, 1), make_pack(root, model, 2)


def speech(seed: int, seconds: float = 1.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(int(16000 * seconds)) / 16000
    return (0.3 * np.sin(2 * np.pi * 180 * t) * rng.uniform(0.2, 1.0, t.size)).astype(np.float32)


def expected(model: Any, pack: Path, pcm: np.ndarray, n_frames: int, j: int, i: int) -> np.ndarray:
    """One item computed by the network directly, on its own."""
    inputs = model.to_device(np.load(pack / "inputs.npy")[i:i + 1])
    return model.infer(inputs, model.audio_features(pcm, FPS, n_frames)[j:j + 1])[0]


def assert_painted_as(crop: np.ndarray, want: np.ndarray) -> None:
    assert crop.shape == want.shape == (96, 96, 3)
    assert np.abs(crop.astype(int) - want.astype(int)).max() <= 1  # float rounding between batch sizes


def socket_dir() -> Path:
    return Path(tempfile.mkdtemp(prefix="nsvc-", dir="/tmp"))  # short: a Unix socket path has 107 bytes


@pytest.fixture(scope="module")
def service() -> Iterator[Path]:
    """One service, started as a user would, batching up to 8 items and waiting up to 2 s for them."""
    d = socket_dir()
    sock = d / "inference.sock"
    with open(d / "service.log", "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "streamer.avatar.neural.service", "--socket", str(sock),
                                 "--device", "cpu", "--max-batch", "8", "--max-wait-ms", "2000"],
                                stdout=log, stderr=log, env={**os.environ, **ENV}, cwd=ROOT)
    try:
        until(lambda: sock.exists() or proc.poll() is not None, WAIT_S, "the service listening")
        assert proc.poll() is None, (d / "service.log").read_text()[-3000:]
        yield sock
    finally:
        proc.terminate()
        proc.wait(30)
        shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def client(service: Path) -> Iterator[InferenceClient]:
    c = InferenceClient(service, spawn=False)
    yield c
    c.close()


def model_stats(client: InferenceClient) -> dict[str, Any]:
    (figures,) = client.stats()["models"].values()
    return figures


def run_child(code: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, **ENV}, cwd=ROOT)


def finish(child: subprocess.Popen[str]) -> str:
    out, err = child.communicate(timeout=WAIT_S)
    assert child.returncode == 0, err[-3000:]
    return out


SECOND_STREAM = """
import json, sys, time
from pathlib import Path
import numpy as np
from streamer.avatar.neural.client import InferenceClient
sock, pack, models, work, items = sys.argv[1:6]
work, items = Path(work), [tuple(x) for x in json.loads(items)]
client = InferenceClient(sock, spawn=False)
stream = client.open_stream(pack, "wav2lip", models)
stream.begin_utterance("b", np.load(work / "pcm_b.npy"), 25.0, 25)
(work / "ready").touch()
deadline = time.monotonic() + 120
while not (work / "go").exists():
    if time.monotonic() > deadline:
        sys.exit("never told to go")
    time.sleep(0.001)
stream.submit("b", items)
np.save(work / "crops_b.npy", np.stack([stream.result("b", j, 120.0) for j, _ in items]))
client.close()
"""


def test_two_sessions_submitting_at_once_are_batched_together_and_each_gets_its_own_results(
        client: InferenceClient, packs: tuple[Path, Path], models_dir: Path, model: Any, tmp_path: Path) -> None:
    pack_a, pack_b = packs
    pcm_a, pcm_b = speech(1), speech(2)
    np.save(tmp_path / "pcm_b.npy", pcm_b)
    items_a, items_b = [(0, 1), (1, 2), (2, 3), (3, 4)], [(5, 0), (6, 5), (7, 5), (8, 1)]
    before: dict[str, Any] = (model_stats(client) if client.stats()["models"]
                              else {"multi_stream_batches": 0, "batch_sizes": {}})
    stream = client.open_stream(pack_a, "wav2lip", models_dir)
    stream.begin_utterance("a", pcm_a, FPS, 25)
    child = run_child(SECOND_STREAM, str(client.socket_path), str(pack_b), str(models_dir), str(tmp_path),
                      json.dumps(items_b))
    until(lambda: (tmp_path / "ready").exists() or child.poll() is not None, what="the second session ready")
    (tmp_path / "go").touch()
    stream.submit("a", items_a)
    crops_a = [stream.result("a", j, WAIT_S) for j, _ in items_a]
    finish(child)
    crops_b = np.load(tmp_path / "crops_b.npy")

    for (j, i), crop in zip(items_a, crops_a, strict=True):
        assert crop is not None
        assert_painted_as(crop, expected(model, pack_a, pcm_a, 25, j, i))
    for (j, i), crop in zip(items_b, crops_b, strict=True):
        assert_painted_as(crop, expected(model, pack_b, pcm_b, 25, j, i))
    after = model_stats(client)
    assert after["multi_stream_batches"] == before["multi_stream_batches"] + 1
    assert after["batch_sizes"].get("8", 0) == before["batch_sizes"].get("8", 0) + 1


def test_closing_a_stream_frees_its_tensors(client: InferenceClient, packs: tuple[Path, Path],
                                            models_dir: Path) -> None:
    stream = client.open_stream(packs[1], "wav2lip", models_dir)
    held = client.stats()
    assert held["streams"] == 1
    assert held["pack_inputs_bytes"] == 6 * 6 * 96 * 96 * 4  # the pack's inputs as fp32 on the device
    stream.close()
    until(lambda: client.stats()["streams"] == 0, 10, "the stream closing")
    freed = client.stats()
    assert freed["packs"] == 0
    assert freed["pack_inputs_bytes"] == 0


DYING_SESSION = """
import os, sys
from streamer.avatar.neural.client import InferenceClient
client = InferenceClient(sys.argv[1], spawn=False)
client.open_stream(sys.argv[2], "wav2lip", sys.argv[3])
os._exit(0)
"""


def test_a_session_that_dies_without_closing_has_its_streams_freed(client: InferenceClient,
                                                                   packs: tuple[Path, Path], models_dir: Path) -> None:
    finish(run_child(DYING_SESSION, str(client.socket_path), str(packs[0]), str(models_dir)))
    until(lambda: client.stats()["streams"] == 0, 10, "the dead session's stream freed")
    assert client.stats()["pack_inputs_bytes"] == 0


def test_a_dropped_utterance_is_not_computed(client: InferenceClient, packs: tuple[Path, Path],
                                             models_dir: Path) -> None:
    stream = client.open_stream(packs[0], "wav2lip", models_dir)
    stream.begin_utterance("gone", speech(4), FPS, 25)
    stream.begin_utterance("kept", speech(5), FPS, 25)
    until(lambda: bool(client.stats()["models"]), what="the model loaded")
    before = model_stats(client)
    stream.submit("gone", [(0, 0), (1, 1), (2, 2), (3, 3)])  # the batch waits 2 s for more: dropped meanwhile
    stream.drop("gone")
    assert stream.in_flight == 0
    stream.submit("kept", [(0, 5)])
    assert stream.result("kept", 0, WAIT_S) is not None
    assert stream.result("gone", 0, 1.0) is None
    after = model_stats(client)
    assert after["skipped"] - before["skipped"] == 4
    assert after["items"] - before["items"] == 1


def framed(data: bytes) -> bytes:
    return struct.pack("!II", len(data), 0) + data


@pytest.mark.parametrize("garbage", [
    framed(b"hello"),
    framed(b'{"type": "explode"}'),
    struct.pack("!II", protocol.MAX_JSON_BYTES + 1, 0),
    framed(b'{"type": "close_stream", "stream": 999}'),
], ids=["not-json", "unknown-type", "too-large", "not-its-stream"])
def test_a_malformed_frame_closes_only_its_own_connection(client: InferenceClient, packs: tuple[Path, Path],
                                                          models_dir: Path, garbage: bytes) -> None:
    stream = client.open_stream(packs[0], "wav2lip", models_dir)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as bad:
        bad.settimeout(10)
        bad.connect(str(client.socket_path))
        bad.sendall(garbage)
        assert bad.recv(1) == b""  # closed by the service
    stream.begin_utterance("u", speech(6), FPS, 25)
    stream.submit("u", [(0, 0)])
    assert stream.result("u", 0, WAIT_S) is not None


def test_going_over_the_in_flight_limit_is_refused_before_it_is_sent(client: InferenceClient,
                                                                     packs: tuple[Path, Path], models_dir: Path) -> None:
    stream = client.open_stream(packs[0], "wav2lip", models_dir)
    stream.begin_utterance("u", speech(7), FPS, 25)
    with pytest.raises(EngineError, match="limit"):
        stream.submit("u", [(0, 0)] * (stream.max_in_flight + 1))
    assert stream.in_flight == 0


def test_a_pack_without_inputs_is_an_error_naming_the_file(client: InferenceClient, models_dir: Path,
                                                           tmp_path: Path) -> None:
    with pytest.raises(EngineError, match=r"inputs\.npy is missing"):
        client.open_stream(tmp_path, "wav2lip", models_dir)


def test_beginning_a_fifth_utterance_forgets_the_oldest(client: InferenceClient, packs: tuple[Path, Path],
                                                       models_dir: Path) -> None:
    stream = client.open_stream(packs[0], "wav2lip", models_dir)
    for k in range(5):
        stream.begin_utterance(f"u{k}", speech(10 + k), FPS, 25)
    with pytest.raises(ValueError, match="was not begun"):
        stream.submit("u0", [(0, 0)])
    stream.submit("u4", [(0, 0)])
    assert stream.result("u4", 0, WAIT_S) is not None  # the service agreed: the connection is still open


# --- the wire -------------------------------------------------------------------------------------------------

def test_an_array_travels_as_its_raw_bytes() -> None:
    crop = np.random.default_rng(0).integers(0, 256, (96, 96, 3), dtype=np.uint8)
    data = protocol.frame(protocol.Result(stream=1, utt=2, j=3, **protocol.array_fields(crop)), crop)
    json_len, payload_len = struct.unpack("!II", data[:8])
    msg, payload = protocol.parse_from_service(data[8:8 + json_len], data[8 + json_len:])
    assert payload_len == crop.nbytes
    assert isinstance(msg, protocol.Result)
    assert np.array_equal(protocol.payload_array(msg, payload), crop)


def test_a_payload_that_disagrees_with_its_shape_is_a_protocol_error() -> None:
    msg = protocol.BeginUtterance(stream=1, utt=1, fps=25, n_frames=5, shape=[16000], dtype="float32")
    with pytest.raises(protocol.ProtocolError, match="payload is 100 bytes"):
        protocol.payload_array(msg, bytes(100))


# --- starting and losing the service ------------------------------------------------------------------------

@pytest.fixture
def fresh_socket() -> Iterator[Path]:
    """A socket where nothing listens yet; whatever service a test starts there is stopped at the end."""
    d = socket_dir()
    sock = d / "inference.sock"
    yield sock
    pids: list[int] = []
    try:
        with InferenceClient(sock, spawn=False) as c:
            pids.append(int(c.stats()["pid"]))
    except EngineError:
        pass
    for pid in pids:
        stop(pid)
    shutil.rmtree(d, ignore_errors=True)


STARTER = """
import sys, time
from pathlib import Path
from streamer.avatar.neural.client import InferenceClient
sock, work, me = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
(work / f"ready-{me}").touch()
deadline = time.monotonic() + 120
while not (work / "go").exists():
    if time.monotonic() > deadline:
        sys.exit("never told to go")
    time.sleep(0.001)
client = InferenceClient(sock, connect_timeout_s=120)
print(client.stats()["pid"])
client.close()
"""


def test_two_sessions_starting_at_once_start_one_service(fresh_socket: Path, tmp_path: Path) -> None:
    children = [run_child(STARTER, str(fresh_socket), str(tmp_path), str(k)) for k in range(2)]
    until(lambda: all((tmp_path / f"ready-{k}").exists() for k in range(2)), what="both sessions ready")
    (tmp_path / "go").touch()
    pids = {finish(child).strip() for child in children}
    assert len(pids) == 1
    starts = (fresh_socket.parent / "inference.log").read_text().count("starting on")
    assert starts == 1


def test_a_killed_service_fails_calls_at_once_and_the_next_stream_starts_a_new_one(
        fresh_socket: Path, packs: tuple[Path, Path], models_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    client = InferenceClient(fresh_socket, connect_timeout_s=WAIT_S)
    stream = client.open_stream(packs[0], "wav2lip", models_dir)
    stream.begin_utterance("u", speech(8), FPS, 25)
    old = int(client.stats()["pid"])
    os.kill(old, signal.SIGKILL)
    until(lambda: gone(old), 30, "the service dying")
    t0 = time.monotonic()
    with pytest.raises(EngineError, match="went away"):
        stream.submit("u", [(0, 0)])
        stream.result("u", 0, WAIT_S)
    assert time.monotonic() - t0 < 10
    with pytest.raises(EngineError, match="went away"):
        stream.result("u", 0, WAIT_S)

    again = client.open_stream(packs[0], "wav2lip", models_dir)
    assert int(client.stats()["pid"]) != old
    again.begin_utterance("v", speech(9), FPS, 25)
    again.submit("v", [(0, 1)])
    assert again.result("v", 0, WAIT_S) is not None
    client.close()


def test_a_service_that_cannot_start_is_an_error_with_its_log(fresh_socket: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STREAMER_INFERENCE_DEVICE", "tpu")
    with pytest.raises(EngineError, match="unknown device 'tpu'"):
        InferenceClient(fresh_socket, connect_timeout_s=WAIT_S)


def test_without_spawning_nothing_listening_is_an_error(fresh_socket: Path) -> None:
    with pytest.raises(EngineError, match="no inference service listens"):
        InferenceClient(fresh_socket, spawn=False)


def test_a_service_idle_for_its_idle_time_exits_and_the_next_stream_starts_another(
        fresh_socket: Path, packs: tuple[Path, Path], models_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {**ENV, "STREAMER_INFERENCE_IDLE_S": "2"}.items():
        monkeypatch.setenv(name, value)
    client = InferenceClient(fresh_socket, connect_timeout_s=WAIT_S)
    client.open_stream(packs[0], "wav2lip", models_dir).close()
    first = int(client.stats()["pid"])
    until(lambda: gone(first), 60, "the idle service exiting")
    client.open_stream(packs[0], "wav2lip", models_dir)
    assert int(client.stats()["pid"]) != first
    client.close()
