"""The batcher's logic: every stream's items in one queue, batches of up to max_batch, results back in order.

A plain Python model stands in for the network here (the batcher's logic does not depend on what it computes); the
service tests (test_neural_service.py) run the real Wav2Lip network.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import numpy as np
import pytest

from streamer.avatar.neural.batcher import Batcher, UtteranceWork

S = 4  # the fake's face size
WAIT_S = 10.0  # every wait in these tests is bounded by this
Start = Callable[[Batcher], None]


class FakeLipModel:
    """Paints crop k of a batch with (pack frame, audio frame) in its first two channels, so a result says which
    item it was computed from."""

    kind = "fake"
    face_size = S
    device = "cpu"

    def __init__(self) -> None:
        self.batches: list[list[tuple[int, int]]] = []  # (pack frame, audio frame) of each item, per batch
        self.entered = threading.Event()
        self.release = threading.Event()
        self.release.set()
        self.fail_next = False

    def encode_crops(self, crops: np.ndarray) -> np.ndarray:
        return crops

    def to_device(self, inputs: np.ndarray) -> np.ndarray:
        return inputs

    def audio_features(self, pcm16k: np.ndarray, fps: float, n_frames: int) -> np.ndarray:
        return np.arange(n_frames, dtype=np.float32)

    def infer(self, inputs: np.ndarray, audio: np.ndarray) -> np.ndarray:
        self.entered.set()
        assert self.release.wait(WAIT_S)
        if self.fail_next:
            self.fail_next = False
            raise RuntimeError("device lost")
        self.batches.append([(int(i), int(j)) for i, j in zip(inputs, audio, strict=True)])
        crops = np.zeros((len(inputs), S, S, 3), np.uint8)
        crops[:, :, :, 0] = inputs[:, None, None]
        crops[:, :, :, 1] = audio[:, None, None]
        return crops


@dataclass
class Received:
    results: list[tuple[int, int, int]] = field(default_factory=list)  # (j, pack frame painted, audio frame)
    failures: list[str] = field(default_factory=list)


def utterance(stream: int, utt: int = 1, frames: int = 40, pack_frames: int = 40) -> tuple[UtteranceWork, Received]:
    got = Received()

    def deliver(j: int, crop: np.ndarray) -> None:
        got.results.append((j, int(crop[0, 0, 0]), int(crop[0, 0, 1])))

    def fail(message: str) -> None:
        got.failures.append(message)

    work = UtteranceWork(stream, utt, np.arange(pack_frames, dtype=np.float32),
                         np.arange(frames, dtype=np.float32), deliver, fail)
    return work, got


async def until(condition: Callable[[], bool], timeout_s: float = WAIT_S) -> None:
    async with asyncio.timeout(timeout_s):
        while True:
            if condition():
                return
            await asyncio.sleep(0.005)


@pytest.fixture
def model() -> FakeLipModel:
    return FakeLipModel()


@pytest.fixture
async def start() -> AsyncIterator[Callable[[Batcher], None]]:
    """Start a batcher's loop; every loop started is cancelled at the end of the test."""
    tasks: list[asyncio.Task[None]] = []
    yield lambda batcher: tasks.append(asyncio.create_task(batcher.run()))
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def test_items_of_two_streams_queued_together_run_as_one_batch(model: FakeLipModel, start: Start) -> None:
    batcher = Batcher(model, np.stack, max_batch=32, max_wait_ms=4)
    a, got_a = utterance(stream=1)
    b, got_b = utterance(stream=2)
    batcher.put(a, [(0, 10), (1, 11), (2, 12)])
    batcher.put(b, [(0, 20), (1, 21)])
    start(batcher)
    await until(lambda: len(got_a.results) == 3 and len(got_b.results) == 2)
    assert model.batches == [[(10, 0), (11, 1), (12, 2), (20, 0), (21, 1)]]
    stats = batcher.stats()
    assert stats["batch_sizes"] == {"5": 1}
    assert stats["multi_stream_batches"] == 1


async def test_each_stream_gets_its_own_results_in_the_order_it_submitted(model: FakeLipModel, start: Start) -> None:
    batcher = Batcher(model, np.stack, max_batch=3, max_wait_ms=4)
    a, got_a = utterance(stream=1)
    b, got_b = utterance(stream=2)
    batcher.put(a, [(5, 1), (6, 2)])
    batcher.put(b, [(0, 30)])
    batcher.put(a, [(7, 3), (8, 4)])
    batcher.put(b, [(1, 31)])
    start(batcher)
    await until(lambda: len(got_a.results) == 4 and len(got_b.results) == 2)
    assert got_a.results == [(5, 1, 5), (6, 2, 6), (7, 3, 7), (8, 4, 8)]
    assert got_b.results == [(0, 30, 0), (1, 31, 1)]


async def test_a_batch_holds_at_most_max_batch_items(model: FakeLipModel, start: Start) -> None:
    batcher = Batcher(model, np.stack, max_batch=4, max_wait_ms=4)
    a, got = utterance(stream=1)
    batcher.put(a, [(j, j) for j in range(10)])
    start(batcher)
    await until(lambda: len(got.results) == 10)
    assert [len(b) for b in model.batches] == [4, 4, 2]
    assert batcher.stats()["batch_sizes"] == {"2": 1, "4": 2}


async def test_a_lone_item_runs_without_a_full_batch(model: FakeLipModel, start: Start) -> None:
    batcher = Batcher(model, np.stack, max_batch=32, max_wait_ms=4)
    a, got = utterance(stream=1)
    start(batcher)
    batcher.put(a, [(0, 3)])
    await until(lambda: len(got.results) == 1)
    assert batcher.stats()["batch_sizes"] == {"1": 1}


async def test_a_batch_waits_up_to_max_wait_for_more_items(model: FakeLipModel, start: Start) -> None:
    batcher = Batcher(model, np.stack, max_batch=4, max_wait_ms=WAIT_S * 1000)
    a, got_a = utterance(stream=1)
    b, got_b = utterance(stream=2)
    start(batcher)
    batcher.put(a, [(0, 1)])
    await asyncio.sleep(0.05)  # the loop has the first item and waits for more
    batcher.put(b, [(0, 2), (1, 3), (2, 4)])  # a full batch ends the wait
    await until(lambda: len(got_a.results) == 1 and len(got_b.results) == 3)
    assert model.batches == [[(1, 0), (2, 0), (3, 1), (4, 2)]]


async def test_while_a_batch_computes_the_next_one_fills(model: FakeLipModel, start: Start) -> None:
    batcher = Batcher(model, np.stack, max_batch=32, max_wait_ms=4)
    a, got_a = utterance(stream=1)
    b, got_b = utterance(stream=2)
    model.release.clear()
    start(batcher)
    batcher.put(a, [(0, 1)])
    await until(model.entered.is_set)
    batcher.put(a, [(1, 2), (2, 3)])
    batcher.put(b, [(0, 4), (1, 5)])
    model.release.set()
    await until(lambda: len(got_a.results) == 3 and len(got_b.results) == 2)
    assert [len(b) for b in model.batches] == [1, 4]
    assert batcher.stats()["multi_stream_batches"] == 1


async def test_dropping_an_utterance_takes_its_queued_items_out_uncomputed(model: FakeLipModel, start: Start) -> None:
    batcher = Batcher(model, np.stack, max_batch=32, max_wait_ms=4)
    a, got_a = utterance(stream=1)
    b, got_b = utterance(stream=2)
    batcher.put(a, [(0, 1), (1, 2), (2, 3)])
    batcher.put(b, [(0, 7)])
    batcher.drop(a)
    start(batcher)
    await until(lambda: len(got_b.results) == 1)
    assert model.batches == [[(7, 0)]]
    assert got_a.results == []
    assert batcher.stats()["skipped"] == 3


async def test_an_utterance_dropped_while_its_batch_computes_gets_no_results(model: FakeLipModel, start: Start) -> None:
    batcher = Batcher(model, np.stack, max_batch=32, max_wait_ms=4)
    a, got_a = utterance(stream=1)
    b, got_b = utterance(stream=2)
    model.release.clear()
    batcher.put(a, [(0, 1), (1, 2)])
    batcher.put(b, [(0, 7)])
    start(batcher)
    await until(model.entered.is_set)
    batcher.drop(a)
    model.release.set()
    await until(lambda: len(got_b.results) == 1)
    assert got_a.results == []
    assert b.outstanding == 0


async def test_a_failing_batch_fails_its_utterances_and_the_loop_goes_on(model: FakeLipModel, start: Start) -> None:
    batcher = Batcher(model, np.stack, max_batch=32, max_wait_ms=4)
    a, got_a = utterance(stream=1)
    model.fail_next = True
    start(batcher)
    batcher.put(a, [(0, 1)])
    await until(lambda: bool(got_a.failures))
    assert "device lost" in got_a.failures[0]
    assert a.dropped
    b, got_b = utterance(stream=2)
    batcher.put(b, [(0, 2)])
    await until(lambda: len(got_b.results) == 1)
    assert batcher.stats()["failed"] == 1


def test_a_batch_size_below_one_is_refused(model: FakeLipModel) -> None:
    with pytest.raises(ValueError, match="max_batch"):
        Batcher(model, np.stack, max_batch=0)
