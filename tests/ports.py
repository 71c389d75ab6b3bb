"""Loopback ports for the servers the tests run, without the pick-a-free-port-then-release race.

A server in this process binds port 0 and keeps the socket it got (`bound_socket`). A program that cannot be given
port 0 and asked which port it got (nginx, ngircd, PostgreSQL, `streamer serve`) is started on a port that was free
a moment ago and started again on another one when it finds the port taken (`on_a_free_port`). It counts as up
only when that very process listens there (`listens`): under a second copy of the suite, a port can be taken by
another copy's server between our pick and our bind, and a plain connect would reach that one instead.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

T = TypeVar("T")
ATTEMPTS = 5
_LISTEN = "0A"  # TCP_LISTEN in /proc/net/tcp


class PortTaken(RuntimeError):
    """The program could not bind its port: someone took it after it was picked."""


def bound_socket() -> socket.socket:
    """A TCP socket bound to 127.0.0.1 on a port the kernel chose; the caller listens on it or hands it over."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    return sock


def port_of(sock: socket.socket) -> int:
    return int(sock.getsockname()[1])


@contextmanager
def refused_port() -> Iterator[int]:
    """A loopback port that refuses connections: held bound but not listening, so nothing else can listen there
    while the test uses it (a port that was merely free a moment ago can be taken meanwhile)."""
    with bound_socket() as sock:
        yield port_of(sock)


def free_port() -> int:
    """A port that was free just now, for a program that must be told its port: start it with `on_a_free_port`."""
    with bound_socket() as sock:
        return port_of(sock)


def on_a_free_port(start: Callable[[int], T], attempts: int = ATTEMPTS) -> T:
    """``start(port)`` on a free port, again on another one each time it raises `PortTaken`."""
    for _ in range(attempts - 1):
        try:
            return start(free_port())
        except PortTaken:
            continue
    return start(free_port())


def listens(pid: int, port: int) -> bool:
    """Whether process ``pid`` itself holds a socket listening on TCP ``port`` (read from /proc)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                rows = f.read().splitlines()[1:]
        except FileNotFoundError:
            continue
        for row in rows:
            fields = row.split()
            if fields[3] == _LISTEN and int(fields[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(f"socket:[{fields[9]}]")
    if not inodes:
        return False
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except (FileNotFoundError, PermissionError):
        return False
    for fd in fds:
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}") in inodes:
                return True
        except OSError:
            continue
    return False
