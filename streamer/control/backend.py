"""The seam between the control plane and the sessions: everything above it (API, panel, scheduler) uses only this.

Today ``supervisor.Supervisor`` implements it with one local worker process per stream. A distributed backend (one
named Ray actor per stream, say) implements the same methods; nothing above changes. Events come back on the
``EventBus``; the checkpoint (product and recent lines) is written to the database by the recorder from those
events and handed back in ``WorkerSpec.start_product`` when a stream starts again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from .schemas import StreamState

if TYPE_CHECKING:
    from .supervisor.protocol import WorkerSpec

RUNNING_STATES: frozenset[str] = frozenset({"starting", "live", "restarting"})


class CommandError(Exception):
    """A command the session refused (unknown product) or could not take (the stream is not running)."""

    def __init__(self, message: str, *, status: int = 409) -> None:
        super().__init__(message)
        self.status = status


class StreamBackend(Protocol):
    async def start(self, stream_id: str, spec: WorkerSpec, run_id: int | None = None) -> None:
        """Start the stream (no-op when it is already running)."""

    async def adopt(self) -> dict[str, int | None]:
        """At service start: take back the streams an earlier service left on air (stream id -> run id)."""

    async def stop(self, stream_id: str, reason: str = "stopped") -> None:
        """Stop the stream and wait until its outputs are flushed."""

    async def command(self, stream_id: str, command: dict[str, Any]) -> None:
        """Apply a session command (say, interrupt, comment, ...); raises CommandError."""

    def state(self, stream_id: str) -> StreamState: ...

    def health(self, stream_id: str) -> dict[str, Any] | None: ...

    def info(self, stream_id: str) -> dict[str, Any]:
        """pid, restarts, run id, started time: for the API and tests."""

    def running(self) -> list[str]: ...

    async def close(self) -> list[str]:
        """Stop every stream, or leave them on air for the next service; returns the ids left on air."""
