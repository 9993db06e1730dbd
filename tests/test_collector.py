"""The collector pause around parses (core/collector.py): a check freezes its libcst trees
so full collections skip them, and thaws them when it ends, so a long-lived process (the
editor server, a parallel worker) collects exactly as before. Speed is shown by
scripts/bench_growth.py, never here; these tests pin what must not change."""

import gc

from shapelint.core.collector import built_and_frozen, thawed_after
from shapelint.engine.check import check_source

MODEL = """
import torch.nn as nn

class Net(nn.Module):  # shapelint: input=(2, 3, 8, 8)
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.bn = nn.BatchNorm2d(5)

    def forward(self, x):
        return self.bn(self.conv(x))
"""


def test_a_check_leaves_nothing_frozen_and_the_collector_as_it_was():
    assert gc.get_freeze_count() == 0
    for enabled in (True, False):
        (gc.enable if enabled else gc.disable)()
        try:
            result = check_source("net.py", MODEL)
            assert gc.get_freeze_count() == 0
            assert gc.isenabled() is enabled
        finally:
            gc.enable()
        assert [f.code for f in result.findings] == ["SHP001"]  # the check itself still ran


def test_the_tree_is_frozen_while_the_check_runs():
    with thawed_after():
        built_and_frozen(lambda: [[i] for i in range(1000)])
        assert gc.get_freeze_count() >= 1000
    assert gc.get_freeze_count() == 0


def test_a_permanent_generation_the_caller_filled_is_left_alone():
    keep = [[i] for i in range(100)]
    gc.freeze()
    try:
        before = gc.get_freeze_count()
        check_source("net.py", MODEL)
        assert gc.get_freeze_count() == before  # neither thawed nor grown: nothing of ours leaks into it
    finally:
        gc.unfreeze()
    assert keep


def test_repeated_checks_do_not_accumulate_objects():
    def tracked_after_check():
        check_source("net.py", MODEL)
        gc.collect()
        return len(gc.get_objects())

    tracked_after_check()
    first = tracked_after_check()
    for _ in range(5):
        last = tracked_after_check()
    assert last - first < 2000, (first, last)


def test_the_collector_thresholds_are_the_callers_again_after_a_check():
    before = gc.get_threshold()
    gc.set_threshold(900, 11, 12)
    try:
        seen = []
        with thawed_after():
            seen.append(gc.get_threshold())
        assert seen[0][0] > 900  # raised while the file is checked
        assert gc.get_threshold() == (900, 11, 12)
        check_source("net.py", MODEL)
        assert gc.get_threshold() == (900, 11, 12)
    finally:
        gc.set_threshold(*before)
