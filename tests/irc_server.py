"""A real IRC server for tests (Debian's ngircd on loopback) and a plain IRC client standing in for a viewer.

    server = IrcServer(tmp_path); server.start()   # server.port; stop() and start() again keep the port
    viewer = await Viewer.join(server.port, "ann", "#room"); viewer.say("how much?", "#room")
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from ports import PortTaken, listens, on_a_free_port

from streamer.comments.sources.irc import IrcMessage

NGIRCD = shutil.which("ngircd") or "/usr/sbin/ngircd"

CONF = """\
[Global]
Name = irc.test.local
Info = streamer test server
Listen = 127.0.0.1
Ports = {port}
PidFile = {root}/ngircd.pid
{password}MotdPhrase = "test"
[Limits]
PingTimeout = 5
PongTimeout = 5
MaxNickLength = 30
MaxConnectionsIP = 0
MaxPenaltyTime = 0
[Options]
DNS = no
Ident = no
PAM = no
"""


class IrcServer:
    """ngircd in the foreground with a config in a temp dir: on a free port at the first start (another if that
    one was taken meanwhile), on the same port when restarted."""

    def __init__(self, root: Path, password: str = "") -> None:
        self.root = root
        self.password = password  # "": none asked (a client that sends PASS anyway is refused)
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        if self.port:
            self._start(self.port)
        else:
            self.port = on_a_free_port(self._start)

    def _start(self, port: int) -> int:
        password = f"Password = {self.password}\n" if self.password else ""
        (self.root / "ngircd.conf").write_text(CONF.format(port=port, root=self.root, password=password))
        log = self.root / "ngircd.log"
        with log.open("wb") as out:
            self.proc = subprocess.Popen([NGIRCD, "-n", "-f", str(self.root / "ngircd.conf")],
                                         stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if listens(self.proc.pid, port):  # ngircd itself, not another server that took the port
                return port
            if self.proc.poll() is not None:
                said = log.read_text(errors="replace")
                if "Address already in use" in said:
                    raise PortTaken(port)
                raise RuntimeError(f"ngircd exited at start: {said[-600:]}")
            time.sleep(0.02)
        self.stop()
        raise RuntimeError("ngircd did not listen in time")

    def kill(self) -> None:
        """The server dies at once (SIGKILL): no goodbye to its clients, only closed sockets."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


class Viewer:
    """A plain IRC client standing in for a viewer typing in chat."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def join(cls, port: int, nick: str, channel: str = "#shop", password: str = "") -> Viewer:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        viewer = cls(reader, writer)
        if password:
            writer.write(f"PASS {password}\r\n".encode())
        writer.write(f"NICK {nick}\r\nUSER {nick} 0 * :{nick}\r\nJOIN {channel}\r\n".encode())
        await viewer.wait_for(lambda m: m.command == "366")  # end of NAMES: we are in the channel
        return viewer

    async def wait_for(self, predicate: Callable[[IrcMessage], bool], within_s: float = 5.0) -> IrcMessage:
        async with asyncio.timeout(within_s):
            while True:
                line = await self.reader.readline()
                if not line:
                    raise ConnectionError("server closed the connection")
                msg = IrcMessage.parse(line.decode())
                if msg.command == "PING":
                    self.writer.write(f"PONG :{msg.trailing}\r\n".encode())
                if predicate(msg):
                    return msg

    def say(self, text: str, channel: str = "#shop") -> None:
        self.writer.write(f"PRIVMSG {channel} :{text}\r\n".encode())

    def close(self) -> None:
        self.writer.close()
