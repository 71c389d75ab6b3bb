"""Scheduling: window arithmetic (``windows``) and the task that starts and stops streams on time."""

from .scheduler import Scheduler
from .windows import Window, next_window, open_window, windows_around

__all__ = ["Scheduler", "Window", "next_window", "open_window", "windows_around"]
