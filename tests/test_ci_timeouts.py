"""The suite cannot hang: a test that never returns fails at its timeout and the run goes on to the next test."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HANGING = '''
import asyncio, time

def test_sleeps_forever():
    time.sleep(3600)

async def test_awaits_forever():
    await asyncio.Event().wait()

def test_after_the_hangs():
    assert True
'''


def test_a_hanging_test_fails_at_its_timeout_and_the_run_goes_on(tmp_path: Path) -> None:
    (tmp_path / "test_hangs.py").write_text(HANGING, encoding="utf-8")
    t0 = time.monotonic()
    # the project's own pytest configuration (pytest-timeout, asyncio mode), with a short timeout for this run
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--timeout=2",
                           "-c", str(Path(__file__).resolve().parents[1] / "pyproject.toml"),
                           "--rootdir", str(tmp_path), str(tmp_path / "test_hangs.py")],
                          capture_output=True, text=True, timeout=120)
    elapsed = time.monotonic() - t0
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "2 failed, 1 passed" in proc.stdout, proc.stdout
    assert "Timeout" in proc.stdout
    assert elapsed < 60  # two 2 s timeouts plus start-up, not an hour
