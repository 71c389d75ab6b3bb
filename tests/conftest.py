"""Shared fixtures: a real nginx RTMP ingest, a CLI runner, and briefs the demo does not use."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from ports import refused_port  # noqa: E402
from rtmp_server import RtmpServer  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def rtmp_server(tmp_path: Path) -> Iterator[RtmpServer]:
    server = RtmpServer(tmp_path / "nginx")
    server.start()
    yield server
    server.kill()


@pytest.fixture
def refused_port_number() -> Iterator[int]:
    """A loopback port where connections are refused (a server that is down), held for the whole test."""
    with refused_port() as port:
        yield port


@pytest.fixture
def refused_llm_url(refused_port_number: int) -> str:
    """An OpenAI-compatible base URL where nothing answers: the model server is down."""
    return f"http://127.0.0.1:{refused_port_number}/v1"


def run_cli(*args: str, timeout: float = 120, **kw: object) -> subprocess.CompletedProcess[str]:
    """Run the real `streamer` command as a user would."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.run([sys.executable, "-m", "streamer.cli", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT, env=env, **kw)  # type: ignore[call-overload]


@pytest.fixture
def garden_brief(tmp_path: Path) -> Path:
    """An English one-product brief the demo does not use."""
    p = tmp_path / "garden.yaml"
    p.write_text(
        "language: en\n"
        "room: {host_name: Sam}\n"
        "products:\n"
        "  - id: hose-7\n"
        "    name: Coil Garden Hose\n"
        "    price: 19\n"
        "    list_price: 29\n"
        "    currency: USD\n"
        "    stock: 80\n"
        "    link: 7\n"
        "    selling_points: [stretches to fifty feet, brass fittings that do not rust]\n",
        encoding="utf-8")
    return p


@pytest.fixture
def tea_brief(tmp_path: Path) -> Path:
    """A Chinese one-product brief the demo does not use."""
    p = tmp_path / "tea.yaml"
    p.write_text(
        "language: zh\n"
        "room: {host_name: 阿青}\n"
        "products:\n"
        "  - id: tea-1\n"
        "    name: 明前龙井茶\n"
        "    price: 128\n"
        "    list_price: 168\n"
        "    stock: 60\n"
        "    link: 1\n"
        "    selling_points: [当季新茶, 手工炒制]\n",
        encoding="utf-8")
    return p
