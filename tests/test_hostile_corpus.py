"""The hostile corpus (scripts/hostile.py) through the CLI and the LSP server.

A deterministic subset of the ~1,300 generated inputs: every bomb kind (each in one of
its five placements, in turn), every structure, the deepest nesting of every kind,
every huge literal, every broken encoding, two enormous files, and every 16th
truncation and byte flip. For each input: no traceback, no internal error, JSON that
parses, exit 0 or 1, no more than 5 s of CPU, no more than 500 MB of peak memory; in
the LSP, diagnostics are published and a hover request is answered afterwards.

Inputs that fail today (the interpreter has no budgets yet: issue 15, point 1) are
marked xfail(strict=True) with their kind as the reason; so that they do not slow
the suite, they run with a 2.5 s CPU / 600 MB allowance, which proves they still fail
(a fixed one that passes in it turns the test red: remove it from KNOWN_FAILING).
The whole corpus, with figures, is `python scripts/hostile.py`.
"""

import importlib.util
import os
import sys
from collections import Counter

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_spec = importlib.util.spec_from_file_location("hostile", os.path.join(ROOT, "scripts", "hostile.py"))
hostile = importlib.util.module_from_spec(_spec)
sys.modules["hostile"] = hostile  # its dataclasses look their module up
_spec.loader.exec_module(hostile)

CPU_LIMIT = 5.5  # seconds: above the 5 s a hang is, so a pass really is under it
MEMORY_CAP_MB = 600.0  # above the 500 MB a blow-up is
KNOWN_FAILING_LIMIT = 2.5
PLACEMENTS = ["module", "init", "forward", "helper", "layer"]

# Failing today, with why (scripts/hostile.py measured them; the figures are in its output).
# Empty since the per-file budget (core/source.py over_file_budget): the huge literals, enormous
# files and 30,000-long `and`/`elif` chains that libcst's parser could not hold (over 1 GB, or a
# SIGSEGV in its native stack) are an SHP201 note "not analysed", and an int literal over
# CPython's 4,300-digit limit is unknown. Keep the table: a case that fails again goes here, with why.
KNOWN_FAILING: dict = {}

# the CLI reads bytes (and their coding cookie); the editor sends decoded text
CLI_ONLY = {"encoding-undefined_cookie"}
# the server maps every node's position (a deep recursion in libcst's codegen), then
# formats the RecursionError's KeyError, which raises again: build() escapes, nothing is published
_LSP_POSITIONS = ("RecursionError in positions' full-map codegen; lsp.build's handler re-raises "
                  "while formatting it, so no diagnostics are published (unresponsive)")
# Under the CPU limit on a quiet machine by less than the machine's noise (measured at 4.2 s of
# 5.5 s with libcst's parse alone 3.0 s; 5.3 s when the machine is busy): not a strict xfail,
# so that neither outcome fails CI; the figure belongs in the closing note instead.
MARGINAL = {"structure-many_models_2000": "2,000 models in one file: 4.2 s of CPU quiet, over 5 s when busy"}

LSP_ONLY = {
    "nesting-implicit_concat-1000": _LSP_POSITIONS,
    # the CLI is under the limit since the SHP401 text index and the fast tree walk (4.2 s, was 14 s
    # at load 4); the editor's check also records every model's hints: still over 5.5 s of CPU
    "structure-many_models_2000": "the editor's check of 2,000 models (diagnostics and hints): over 5.5 s of CPU",
}


def _match(table, case_id):
    for prefix, why in table.items():
        if case_id == prefix or case_id.startswith(prefix + "-"):
            return why
    return None


def known_failure(case_id: str, front: str = "cli"):
    """The reason a case fails today in that front end, matched on its id without the placement suffix."""
    why = _match(KNOWN_FAILING, case_id)
    if front == "lsp":
        if why and any(case_id.startswith(p) for p in CLI_ONLY):
            return None
        return why or _match(LSP_ONLY, case_id)
    return why


def cli_subset(cases):
    chosen = [c for c in cases if c.kind in ("truncation", "byteflip")][::16]
    bomb_kinds = sorted({c.kind for c in cases if c.kind.startswith("bomb:")})
    for i, kind in enumerate(bomb_kinds):
        name = kind.split(":", 1)[1]
        chosen += [c for c in cases if c.id == f"bomb-{name}-{PLACEMENTS[i % len(PLACEMENTS)]}"]
    chosen += [c for c in cases if c.kind.startswith("structure:")]
    deepest = {}
    for c in cases:
        if c.kind.startswith("nesting:") and not c.id.endswith("-init"):
            deepest[c.kind] = c  # cases come in increasing depth
    chosen += list(deepest.values())
    chosen += [c for c in cases if c.kind.startswith("literal:") and c.id.endswith("-module")]
    chosen += [c for c in cases if c.id in ("enormous-20mb_comments", "enormous-one_10mb_line")]
    chosen += [c for c in cases if c.kind.startswith("encoding:")]
    return chosen


def lsp_subset(cases):
    """What can differ in the editor: text the client decodes, positions, a server that must survive."""
    wanted = {"bomb-fmt_width-init", "bomb-str_doubling-forward", "bomb-list_comp_huge-init", "bomb-pow_in_lambda-helper",
              "bomb-while_true-forward", "bomb-recursive_function-init", "bomb-for_range_huge-init",
              "bomb-int_to_str_huge-module", "bomb-y_combinator-layer"}
    chosen = [c for c in cases if c.kind in ("truncation", "byteflip")][::48]
    chosen += [c for c in cases if c.id in wanted or c.kind.startswith("encoding:")]
    chosen += [c for c in cases if c.kind.startswith("structure:") and not known_failure(c.id, "lsp")]
    chosen += [c for c in cases if c.id in ("nesting-and_chain-30000-module", "nesting-parens-30000-module", "nesting-if-100",
                                            "nesting-lambdas-1000-init", "literal-str_10mb-module", "literal-long_comment_line-module",
                                            # over the per-file budget: the editor once parsed them again for hints
                                            "literal-list_1m_items-module", "literal-fstring_100k_fields-init")]
    return chosen


CASES = hostile.corpus()
CLI_CASES = cli_subset(CASES)
LSP_CASES = lsp_subset(CASES)


def _run(runner, front, cases, directory):
    ok = [c for c in cases if not known_failure(c.id, front)]
    bad = [c for c in cases if known_failure(c.id, front)]
    results = runner(ok, directory, workers=2, time_limit=CPU_LIMIT, cap_mb=MEMORY_CAP_MB)
    results.update(runner(bad, directory, workers=2, time_limit=KNOWN_FAILING_LIMIT, cap_mb=MEMORY_CAP_MB))
    return results


@pytest.fixture(scope="module")
def cli_results(tmp_path_factory):
    return _run(hostile.run_cli, "cli", CLI_CASES, str(tmp_path_factory.mktemp("hostile-cli")))


@pytest.fixture(scope="module")
def lsp_results(tmp_path_factory):
    return _run(hostile.run_lsp, "lsp", LSP_CASES, str(tmp_path_factory.mktemp("hostile-lsp")))


def _params(cases, front):
    out = []
    for c in cases:
        why = known_failure(c.id, front)
        marks = [pytest.mark.xfail(strict=True, reason=f"{c.kind}: {why}")] if why else []
        if not why and c.id in MARGINAL:  # passes on a quiet machine, by a margin smaller than the noise
            marks = [pytest.mark.xfail(strict=False, reason=f"{c.kind}: {MARGINAL[c.id]}")]
        out.append(pytest.param(c.id, marks=marks, id=c.id))
    return out


def test_the_corpus_is_large_and_covers_every_family():
    assert len(CASES) >= 1000
    families = Counter(c.kind.split(":")[0] for c in CASES)
    assert set(families) == {"truncation", "byteflip", "bomb", "structure", "nesting", "literal", "enormous", "encoding"}
    assert families["bomb"] == 5 * len(hostile.BOMBS)  # every bomb in every placement
    assert len({c.data for c in CASES}) == len(CASES)  # no input twice


@pytest.mark.parametrize("case_id", _params(CLI_CASES, "cli"))
def test_cli_survives(cli_results, case_id):
    r = cli_results[case_id]
    assert not r.failed, f"{r.why()} ({r.cpu:.1f} s CPU, {r.peak_mb:.0f} MB) {r.detail}"


@pytest.mark.parametrize("case_id", _params(LSP_CASES, "lsp"))
def test_lsp_survives_and_answers(lsp_results, case_id):
    r = lsp_results[case_id]
    assert not r.failed, f"{r.why()} ({r.cpu:.1f} s CPU, {r.peak_mb:.0f} MB)"
