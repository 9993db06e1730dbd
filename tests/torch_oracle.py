"""The independent oracle: run a model file with real torch and record what torch does.

Tests compare shapelint's static answers with these. This module executes fixture
code with torch; it is test-only and never used by shapelint itself. torch is
imported when a model is run, so test modules that also hold static tests load
where torch is not installed (their torch tests carry the `torch` marker).
"""

from __future__ import annotations

import re
import traceback
import types
from dataclasses import dataclass, field
from typing import Dict, List, Optional

_INPUT = re.compile(r"class\s+(\w+)\s*\(.*#\s*shapelint:\s*input\s*=\s*\(([^)]*)\)")


@dataclass
class TorchOutcome:
    verdict: str  # "ok" | "crash" | "batch-changed"
    shapes: Dict[str, List[list]] = field(default_factory=dict)  # module name -> output shapes per call
    output: Optional[list] = None
    error: str = ""
    line: Optional[int] = None  # line of the fixture where torch failed


def declared_inputs(source: str) -> Dict[str, List[int]]:
    """Class name -> input dims from `# shapelint: input=(...)` comments (ints only)."""
    out = {}
    for m in _INPUT.finditer(source):
        dims = [d.strip() for d in m.group(2).split(",") if d.strip()]
        if all(d.lstrip("-").isdigit() for d in dims):
            out[m.group(1)] = [int(d) for d in dims]
    return out


def load(source: str, filename: str = "<fixture>") -> types.ModuleType:
    mod = types.ModuleType("fixture_under_test")
    mod.__file__ = filename
    code = compile(source, filename, "exec")
    import sys

    sys.modules[mod.__name__] = mod  # @dataclass looks its class's module up there
    try:
        exec(code, mod.__dict__)  # noqa: S102 - the oracle runs test fixtures on purpose
    finally:
        sys.modules.pop(mod.__name__, None)
    return mod


def run_model(source: str, target: str, input_shape: List[int], filename: str = "<fixture>", int_input: bool = False, namespace=None) -> TorchOutcome:
    import torch

    torch.manual_seed(0)
    try:
        mod = namespace if namespace is not None else load(source, filename)
        obj = getattr(mod, target)
        model = obj() if isinstance(obj, type) else obj
    except Exception as e:  # construction fails: torch rejects the model
        return TorchOutcome("crash", error=f"{type(e).__name__}: {e}", line=_fixture_line(e, filename))
    shapes: Dict[str, List[list]] = {}
    hooks = []
    for name, sub in model.named_modules():
        if name == "":
            continue

        def hook(_m, _inp, out, name=name):
            t = out[0] if isinstance(out, (tuple, list)) else out
            if isinstance(t, torch.Tensor):
                shapes.setdefault(name, []).append(list(t.shape))

        hooks.append(sub.register_forward_hook(hook))
    if int_input:
        x = torch.randint(0, 10, tuple(input_shape))
    else:
        x = torch.randn(*input_shape)
    try:
        with torch.no_grad():
            out = model(x)
    except Exception as e:
        return TorchOutcome("crash", shapes, error=f"{type(e).__name__}: {e}", line=_fixture_line(e, filename))
    finally:
        for h in hooks:
            h.remove()
    t = out[0] if isinstance(out, (tuple, list)) else out
    output = list(t.shape) if isinstance(t, torch.Tensor) else None
    verdict = "ok"
    if output is not None and input_shape and (not output or output[0] != input_shape[0]):
        verdict = "batch-changed"
    return TorchOutcome(verdict, shapes, output)


def _fixture_line(e: BaseException, filename: str) -> Optional[int]:
    line = None
    for frame in traceback.extract_tb(e.__traceback__):
        if frame.filename == filename:
            line = frame.lineno
    return line


def run_module_file(path: str, package_root: str, target: str, input_shape: List[int]) -> TorchOutcome:
    """Like run_model, for a file inside a package (relative imports need real importing)."""
    import importlib
    import os
    import sys

    rel = os.path.relpath(os.path.splitext(path)[0], package_root)
    name = rel.replace(os.sep, ".")
    sys.path.insert(0, package_root)
    try:
        mod = importlib.import_module(name)
        source = open(path).read()
        return run_model(source, target, input_shape, filename=path, namespace=mod)
    finally:
        sys.path.remove(package_root)
