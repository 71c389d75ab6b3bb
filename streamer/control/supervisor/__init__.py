"""Sessions in worker processes: the local implementation of the stream backend (see ``control.backend``)."""

from .protocol import EXIT_FATAL, WorkerSpec
from .supervisor import RESTART_BACKOFF_S, Supervisor

__all__ = ["EXIT_FATAL", "RESTART_BACKOFF_S", "Supervisor", "WorkerSpec"]
