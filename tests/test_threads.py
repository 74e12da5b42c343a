"""Background threads lower their own OS priority (Linux), never the kernel's thread's."""
from __future__ import annotations

import os
import sys
import threading
import time

import pytest

from review.threads import BACKGROUND_NICENESS, lower_thread_priority

linux = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread priority is Linux's")


@linux
def test_a_background_thread_is_nicer_and_the_kernels_thread_is_not():
    process = os.getpriority(os.PRIO_PROCESS, os.getpid())
    seen = {}

    def work():
        seen["lowered"] = lower_thread_priority()
        seen["mine"] = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    assert seen["lowered"] is True
    assert seen["mine"] == min(19, process + BACKGROUND_NICENESS)
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == process


@linux
def test_the_prioritisers_threads_run_nicer(tmp_path):
    from review.screening.prioritise import BackgroundPrioritiser, Prioritiser

    process = os.getpriority(os.PRIO_PROCESS, os.getpid())
    texts = [f"natural killer cell exosome study {i}" if i % 3 else f"unrelated topic {i}"
             for i in range(40)]
    background = BackgroundPrioritiser(Prioritiser(texts, list(range(40))))
    try:
        background.submit({1: 1, 2: 1, 3: 0, 0: 0})
        assert background.wait(30)
        assert os.getpriority(os.PRIO_PROCESS, background._thread.native_id) \
            == min(19, process + BACKGROUND_NICENESS)
    finally:
        background.close()


def test_a_burst_of_decisions_costs_one_refit():
    from review.screening.prioritise import BackgroundPrioritiser, Prioritiser

    texts = [f"natural killer cell exosome study {i}" if i % 3 else f"unrelated topic {i}"
             for i in range(40)]
    background = BackgroundPrioritiser(Prioritiser(texts, list(range(40))))
    try:
        background.settle_seconds = 0.5
        labels = {1: 1, 3: 0}
        for record in range(4, 14):  # ten clicks 0.1 s apart, each inside the settling time
            labels[record] = record % 2
            background.submit(labels)
            time.sleep(0.1)
        assert background.wait(30)
        assert background.ranking().version == 10
        assert background.computed <= 3  # not one per click (the first, plus character features)
    finally:
        background.close()
