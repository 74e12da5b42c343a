"""Background threads give way to the reviewer's click.

The prioritiser's refit, the stopping hint and the agreement line run on threads of the kernel's
own process. On a machine with few cores they compete with the thread that answers a click, and
the operating system shares the cores equally unless told otherwise. On Linux a thread has its
own scheduling priority, so a background thread lowers its own (as `nice` would a process): the
click then gets a core first and the background work takes what is left. Elsewhere the
priority is shared by the whole process, so nothing is changed there.
"""
from __future__ import annotations

import logging
import os
import sys
import threading

__all__ = ["BACKGROUND_NICENESS", "lower_thread_priority"]

#: How much nicer than the kernel's own thread a background thread is (0-19; 10 gives it about a
#: tenth of a core the click also wants).
BACKGROUND_NICENESS = 10

log = logging.getLogger(__name__)


def lower_thread_priority(niceness: int = BACKGROUND_NICENESS) -> bool:
    """Make the calling thread `niceness` nicer than the process (Linux only; a no-op elsewhere,
    where the call would change the whole process). True when the priority was lowered."""
    if not sys.platform.startswith("linux") or not hasattr(os, "setpriority"):
        return False
    try:
        thread = threading.get_native_id()
        wanted = min(19, os.getpriority(os.PRIO_PROCESS, os.getpid()) + niceness)
        if os.getpriority(os.PRIO_PROCESS, thread) < wanted:
            os.setpriority(os.PRIO_PROCESS, thread, wanted)
        return True
    except OSError as exc:  # a sandbox may forbid it: the work runs at normal priority
        log.debug("could not lower the priority of %s: %s", threading.current_thread().name, exc)
        return False
