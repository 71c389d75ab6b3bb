"""The circuit breaker around the reply model: its states on a virtual clock, and against a real OpenAI-compatible
server that hangs or fails, a dead model costs one timeout per cool-down, not one per reply."""

from __future__ import annotations

import asyncio
import time

from llm_server import ChatServer, Scripted

from streamer.brief import load_brief
from streamer.comments import Comment
from streamer.llm import LLMConfig
from streamer.llm.breaker import CircuitBreaker
from streamer.responder.llm import LLMResponder
from streamer.session_builder import build_responder

BRIEF = load_brief("assets/briefs/demo_en.yaml")


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_breaker_opens_after_n_failures_in_a_row() -> None:
    breaker = CircuitBreaker(failures_to_open=3, cooldown_s=10, clock=Clock())
    breaker.failure("timeout")
    breaker.success()  # a success in between resets the count
    breaker.failure("timeout")
    breaker.failure("timeout")
    assert breaker.state == "closed" and breaker.allow()
    breaker.failure("HTTP 500")
    assert breaker.state == "open" and not breaker.allow() and breaker.last_error == "HTTP 500"


def test_after_the_cool_down_exactly_one_probe_goes_through_and_its_success_closes_the_breaker() -> None:
    clock = Clock()
    breaker = CircuitBreaker(failures_to_open=1, cooldown_s=10, clock=clock)
    breaker.failure("timeout")
    clock.now = 9.9
    assert not breaker.allow()
    clock.now = 10.0
    assert breaker.allow() and not breaker.allow()  # the probe, then nobody else while it runs
    breaker.success()
    assert breaker.state == "closed" and breaker.allow()


def test_a_failed_probe_opens_the_breaker_for_another_cool_down() -> None:
    clock = Clock()
    breaker = CircuitBreaker(failures_to_open=2, cooldown_s=10, clock=clock)
    breaker.failure("a")
    breaker.failure("b")
    clock.now = 10
    assert breaker.allow()
    breaker.failure("c")
    clock.now = 19.9
    assert breaker.state == "open" and not breaker.allow()
    assert breaker.opened == 2


def test_an_interrupted_probe_lets_the_next_call_probe() -> None:
    clock = Clock()
    breaker = CircuitBreaker(failures_to_open=1, cooldown_s=1, clock=clock)
    breaker.failure("a")
    clock.now = 1
    assert breaker.allow()
    breaker.abandon()
    assert breaker.allow()


def _responder(server: ChatServer, *, failures: int, cooldown_s: float, first_s: float) -> LLMResponder:
    responder = build_responder(BRIEF, LLMConfig(backend="openai", base_url=server.base_url, model="m",
                                                 breaker_failures=failures, breaker_cooldown_s=cooldown_s,
                                                 first_sentence_timeout_s=first_s))
    assert isinstance(responder, LLMResponder)
    return responder


async def test_a_hung_model_costs_at_most_one_timeout_per_cool_down() -> None:
    replies = 40
    with ChatServer([Scripted(hang=True)]) as server:
        responder = _responder(server, failures=2, cooldown_s=1.0, first_s=0.3)
        t0 = time.monotonic()
        texts = []
        for _ in range(replies):
            texts.append((await responder.respond(Comment("how much is it?", user="kim"))).text or "")
            await asyncio.sleep(0.05)
        wall = time.monotonic() - t0
    assert all("24.99" in t for t in texts)  # every viewer got the offline answer
    # two failures open it; then one probe per cool-down (+1 for rounding)
    assert len(server.requests) <= 2 + wall / 1.0 + 1
    assert len(server.requests) >= 2
    timeouts = len(server.requests) * 0.3
    assert wall < replies * 0.05 + timeouts + 6.0  # without the breaker: 40 x 0.3 s = 12 s more
    assert responder.health()["breaker"] in ("open", "half_open")
    assert "within" in str(responder.health()["last_error"])


async def test_a_model_that_fails_then_recovers_is_used_again_after_one_probe() -> None:
    answers = iter([500, 500, 500])  # one reply: the call and its two retries

    def reply(body: dict) -> int | str:
        return next(answers, "The bottle is 24.99 dollars today, link 2.")

    with ChatServer(reply) as server:
        responder = _responder(server, failures=1, cooldown_s=0.5, first_s=1.5)
        first = await responder.respond(Comment("how much is it?"))
        assert "The bottle is" not in (first.text or "")
        requests_while_open = len(server.requests)
        second = await responder.respond(Comment("how much is it?"))  # open: no call
        assert len(server.requests) == requests_while_open and "24.99" in (second.text or "")
        await asyncio.sleep(0.6)
        probe = await responder.respond(Comment("price please"))
    assert "The bottle is 24.99 dollars today" in (probe.text or "")
    assert responder.breaker.state == "closed"
