"""Run in a fresh process by tests/test_fix_over_fixtures.py: imports one fixture file as torch
would (a package file as part of its package) and runs every declared target on real tensors.

Given several files, prints one JSON line per file: {"path", "import_error": str or null,
"targets": {name: [verdict, error]}}. A symbolic dim of a declaration (B, T) runs as 2. A
package file is imported as part of its package, after dropping that package from
sys.modules, so that a fixed copy is never the original module imported before it.
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


def outcome(path: str) -> dict:
    with open(path, encoding="utf-8") as f:
        source = f.read()
    specs = declared_targets(_with_numbers(source))
    for t in targets_in(path, source):
        if t.kind == "variable" or t.int_input:  # `# oracle: input=` variables; `oracle=int`: token ids
            specs[t.name] = [InputSpec("input", list(t.dims), "long" if t.int_input else "float")]
    try:
        mod = _import(path, source)
    except Exception as e:  # torch (or Python) rejects the file at import
        return {"path": path, "import_error": f"{type(e).__name__}: {e}", "targets": {}}
    out = {}
    for name, inputs in specs.items():
        o = run_declared(source, name, inputs, filename=path, namespace=mod)
        out[name] = [o.verdict, o.error]
    return {"path": path, "import_error": None, "targets": out}


def _import(path: str, source: str):
    root = package_root(path)
    if root is None:
        return load(source, path)
    dotted = os.path.relpath(os.path.splitext(path)[0], root).replace(os.sep, ".")
    top = dotted.split(".")[0]
    for name in [n for n in sys.modules if n == top or n.startswith(top + ".")]:
        del sys.modules[name]
    sys.path.insert(0, root)
    try:
        return importlib.import_module(dotted)
    finally:
        sys.path.remove(root)


if __name__ == "__main__":
    for p in sys.argv[1:]:
        print(json.dumps(outcome(p)), flush=True)
