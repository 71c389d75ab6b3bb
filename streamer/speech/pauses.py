"""Where a sentence breathes: silent gaps inside an utterance (clause pauses), found from its audio.

A waiting reply may cut in at such a gap instead of waiting for the whole sentence to end, which keeps reply
latency low even when script sentences are long; the cut sentence is said again after the reply.
"""

from __future__ import annotations

import numpy as np

WINDOW_S = 0.01
MIN_GAP_S = 0.06  # shorter pauses are inside words (stops, plosives); clause pauses run 0.12 s and more
EDGE_S = 0.015  # stay this far inside a gap so no syllable is clipped (windows are 10 ms)


def inner_pauses(pcm: np.ndarray, sample_rate: int) -> tuple[tuple[int, int, int], ...]:
    """(start, end, gap length) in samples for each pause inside ``pcm`` where cutting is inaudible (the range is
    the gap shrunk by EDGE_S at both sides); leading and trailing silence excluded."""
    win = int(WINDOW_S * sample_rate)
    n = pcm.size // win
    if n < 3:
        return ()
    rms = np.sqrt(np.mean(pcm[: n * win].reshape(n, win) ** 2, axis=1))
    loud = rms > max(0.005, 0.08 * float(np.percentile(rms, 95)))
    voiced = np.flatnonzero(loud)
    if voiced.size == 0:
        return ()
    first, last = int(voiced[0]), int(voiced[-1])
    gaps = []
    run_start = None
    for i in range(first, last + 1):
        if not loud[i]:
            run_start = i if run_start is None else run_start
        elif run_start is not None:
            if (i - run_start) * WINDOW_S >= MIN_GAP_S:
                edge = int(EDGE_S * sample_rate)
                gaps.append((run_start * win + edge, i * win - edge, (i - run_start) * win))
            run_start = None
    return tuple(gaps)
