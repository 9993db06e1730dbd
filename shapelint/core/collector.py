"""The cyclic garbage collector around shapelint's large, acyclic allocations.

A libcst tree (or its position map) is hundreds of thousands of objects with no reference
cycles. Left to the collector, every full collection re-walks all of them: on a 50k-line
model file that was over half the lint's CPU, and it made a lint grow faster than the file
(scripts/bench_growth.py). So a parse runs with the collector paused and its result is then
frozen (gc.freeze: later collections skip it; reference counting still frees it). A file's
check thaws what it froze when it ends, so a long-lived process (the editor server, a
worker of a parallel run) collects exactly as before. Where the embedding program froze
objects itself (a pre-fork server), nothing is frozen or thawed here: only paused.
"""

from __future__ import annotations

import functools
import gc
from contextlib import contextmanager
from typing import Callable, Iterator, TypeVar

T = TypeVar("T")


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic collection while building objects that hold no cycles."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def built_and_frozen(build: Callable[[], T]) -> T:
    """`build()` with the collector paused; inside a `thawed_after` block, what it made is
    then left out of later collections until the block ends."""
    with collector_paused():
        made = build()
        if _SCOPE["owner"]:
            gc.freeze()
    return made


@contextmanager
def thawed_after() -> Iterator[None]:
    """Everything frozen during this block goes back to the collector at its end."""
    outermost = _SCOPE["depth"] == 0
    if outermost:
        # A permanent generation someone else filled is left alone: then nothing is frozen.
        _SCOPE["owner"] = gc.get_freeze_count() == 0
        thresholds = gc.get_threshold()
        gc.set_threshold(*CHECK_THRESHOLDS)
    _SCOPE["depth"] += 1
    try:
        yield
    finally:
        _SCOPE["depth"] -= 1
        if outermost:
            gc.set_threshold(*thresholds)
            if _SCOPE["owner"]:
                gc.unfreeze()
            _SCOPE["owner"] = False


# While a file is checked, young cycles are still collected often (memory stays bounded), but a
# full collection, which re-walks every object the interpreter keeps, waits for 1,000 middle
# ones (CPython's default: 10). With the defaults (700, 10, 10) full collections were most of the
# collector's time on a 50k-line model file (3.6-4.0 s of CPU there; 1.3 s with these).
CHECK_THRESHOLDS = (2000, 20, 1000)

_SCOPE = {"depth": 0, "owner": False}


def thawing(fn: Callable[..., T]) -> Callable[..., T]:
    """`fn` run as one `thawed_after` block (a file's check)."""
    @functools.wraps(fn)
    def run(*args, **kwargs):
        with thawed_after():
            return fn(*args, **kwargs)
    return run
