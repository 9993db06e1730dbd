"""Run in a fresh process by tests/test_fix_over_fixtures.py: imports one fixture file as torch
would (a package file as part of its package) and runs every declared target on real tensors.

Prints one JSON object: {"import_error": str or null, "targets": {name: [verdict, error]}}.
A symbolic dim of a declaration (B, T) runs as 2; a fresh process per file, so that a fixed
copy of a package module is not the original one already in sys.modules.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from fixture_targets import package_root, targets_in  # noqa: E402
from torch_oracle import InputSpec, declared_targets, load, run_declared  # noqa: E402

_SYMBOL = re.compile(r"(?<=[(,\s])[A-Za-z_]\w*(?=\s*[,)])")


def _with_numbers(source: str) -> str:
    """Declarations with every symbolic dim as 2 (only inside `# shapelint:` comments)."""
    def line(m):
        head, _, decl = m.group(0).partition("# shapelint:")
        return head + "# shapelint:" + re.sub(r"\(([^)]*)\)", lambda d: "(" + _SYMBOL.sub("2", "(" + d.group(1) + ")")[1:-1] + ")", decl)
    return re.sub(r"^.*#\s*shapelint:.*$", line, source, flags=re.M)


def main(path: str) -> None:
    with open(path, encoding="utf-8") as f:
        source = f.read()
    specs = declared_targets(_with_numbers(source))
    for t in targets_in(path, source):
        if t.kind == "variable":
            specs.setdefault(t.name, [InputSpec("input", list(t.dims), "long" if t.int_input else "float")])
    root = package_root(path)
    try:
        if root is not None:
            sys.path.insert(0, root)
            mod = importlib.import_module(os.path.relpath(os.path.splitext(path)[0], root).replace(os.sep, "."))
        else:
            mod = load(source, path)
    except Exception as e:  # torch (or Python) rejects the file at import
        print(json.dumps({"import_error": f"{type(e).__name__}: {e}", "targets": {}}))
        return
    out = {}
    for name, inputs in specs.items():
        o = run_declared(source, name, inputs, filename=path, namespace=mod)
        out[name] = [o.verdict, o.error]
    print(json.dumps({"import_error": None, "targets": out}))


if __name__ == "__main__":
    main(sys.argv[1])
