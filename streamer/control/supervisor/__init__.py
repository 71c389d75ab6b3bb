"""Sessions in worker processes: the local implementation of the stream backend (see ``control.backend``).

supervisor.py (states, restarts, adoption) -> handle.py (one worker's process and link) -> link.py (the Unix socket,
frames, files) -> worker.py (the process: session, commands, orphan grace) with outbox.py (what it sends, and keeps
for the next service); protocol.py is every message on the link.
"""

from .protocol import EXIT_FATAL, WorkerSpec
from .supervisor import RESTART_BACKOFF_S, Supervisor

__all__ = ["EXIT_FATAL", "RESTART_BACKOFF_S", "Supervisor", "WorkerSpec"]
