"""The test servers' ports (tests/ports.py): a refused port refuses, a server counts as up only when that very
process listens, and a port taken between the pick and the bind is replaced by another."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest
from ports import PortTaken, bound_socket, listens, on_a_free_port, port_of, refused_port


def test_a_refused_port_refuses_connections_while_it_is_held() -> None:
    with refused_port() as port, pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=5)


def test_listening_is_told_per_process() -> None:
    with bound_socket() as sock:
        port = port_of(sock)
        assert not listens(os.getpid(), port)  # bound, not listening yet
        sock.listen()
        assert listens(os.getpid(), port)
        other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
        try:
            assert not listens(other.pid, port)  # a connect would succeed, but that process is not the server
        finally:
            other.kill()
            other.wait()


def test_a_port_taken_before_the_bind_is_replaced_by_another() -> None:
    tried: list[int] = []

    def start(port: int) -> int:
        tried.append(port)
        if len(tried) < 3:
            raise PortTaken(port)
        return port

    assert on_a_free_port(start) == tried[-1]
    assert len(tried) == 3


def test_a_port_that_stays_taken_fails_after_a_few_tries() -> None:
    def start(port: int) -> int:
        raise PortTaken(port)

    with pytest.raises(PortTaken):
        on_a_free_port(start, attempts=3)
