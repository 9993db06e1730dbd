"""Strict mode, for the test suite: every construct the engine does not model is reported.

Like pyflakes' PYFLAKES_ERROR_UNKNOWN. Users never set these; with neither set, nothing happens.
- SHAPELINT_STRICT=1: raise `Unmodelled` (a BaseException, so no `except Exception` of the engine
  turns it back into an unknown value) at the first such construct;
- SHAPELINT_STRICT_LOG=PATH: append one line per construct to PATH (file, what, the code), so a
  test can compare the constructs seen over a corpus with the list of known gaps.
"""

from __future__ import annotations

import os

import libcst as cst

RAISE = os.environ.get("SHAPELINT_STRICT") == "1"
LOG = os.environ.get("SHAPELINT_STRICT_LOG") or None
ON = RAISE or LOG is not None


class Unmodelled(BaseException):
    """Strict mode: a construct shapelint does not model was reached."""


def report(what: str, node, path) -> None:
    code = ""
    if isinstance(node, cst.CSTNode):
        try:
            code = " ".join(cst.Module([]).code_for_node(node).split())[:80]
        except Exception:  # a node libcst cannot print on its own
            code = type(node).__name__
    line = f"{os.path.basename(str(path or '?'))}\t{what}\t{code}"
    if LOG is not None:
        with open(LOG, "a", encoding="utf-8") as f:
            f.write(line.replace("\n", " ") + "\n")
    if RAISE:
        raise Unmodelled(line)
