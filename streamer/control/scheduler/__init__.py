"""Scheduling: window arithmetic (``windows``) and the task that starts and stops streams on time."""

from .scheduler import Scheduler
from .windows import Window, due_window, next_window, open_window, windows_around

__all__ = ["Scheduler", "Window", "due_window", "next_window", "open_window", "windows_around"]
