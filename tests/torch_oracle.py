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

try:  # the torch-free suite imports this module for its parsers only
    import torch
except ImportError:  # pragma: no cover - torch-marked tests skip there
    torch = None

_INPUT = re.compile(r"class\s+(\w+)\s*\(.*#\s*shapelint:\s*input\s*=\s*\(([^)]*)\)")
# the declaration syntax of DECISIONS.md: a class line or a module-level variable's line
# carrying `# shapelint: NAME=(D0, D1, ...)[:dtype], NAME=(...)...`
_DECLARING_LINE = re.compile(r"^(?:class\s+(\w+)\s*[(:]|(\w+)\s*=[^#\n]*).*#\s*shapelint:\s*(.*)$", re.M)
_ONE_INPUT = re.compile(r"(\w+)\s*=\s*\(([^)]*)\)(?:\s*:\s*(\w+))?")
DTYPES = ("float", "long", "int", "bool")


@dataclass
class TorchOutcome:
    verdict: str  # "ok" | "crash" | "batch-changed"
    shapes: Dict[str, List[list]] = field(default_factory=dict)  # module name -> output shapes per call
    output: Optional[list] = None
    error: str = ""
    line: Optional[int] = None  # line of the fixture where torch failed
    outputs: List[list] = field(default_factory=list)  # every tensor the model returned, depth first
    eval: Optional["TorchOutcome"] = None  # the same model in eval mode, where the fixture reads `.training`


def declared_inputs(source: str) -> Dict[str, List[int]]:
    """Class name -> input dims from `# shapelint: input=(...)` comments (ints only)."""
    out = {}
    for m in _INPUT.finditer(source):
        dims = [d.strip() for d in m.group(2).split(",") if d.strip()]
        if all(d.lstrip("-").isdigit() for d in dims):
            out[m.group(1)] = [int(d) for d in dims]
    return out


@dataclass
class InputSpec:
    """One declared forward input: `name` is a forward parameter, or `input` for the first one."""

    name: str
    dims: List[int]
    dtype: str = "float"


def declared_targets(source: str) -> Dict[str, List[InputSpec]]:
    """Target (class or module-level variable) -> its declared inputs, in declaration order.

    Reads every form of DECISIONS.md (`input=(2, 3, 32, 32)`, `idx=(2, 16):long`,
    `x=(2, 3, 8, 8), t=(2,):long`). The oracle runs real tensors, so a declaration with a
    symbolic dim (B, T) is skipped, as `declared_inputs` does.
    """
    out: Dict[str, List[InputSpec]] = {}
    for m in _DECLARING_LINE.finditer(source):
        target = m.group(1) or m.group(2)
        specs = []
        for name, dims, dtype in _ONE_INPUT.findall(m.group(3)):
            parts = [d.strip() for d in dims.split(",") if d.strip()]
            if not all(d.lstrip("-").isdigit() for d in parts):
                specs = []
                break
            dtype = dtype or "float"
            if dtype not in DTYPES:
                raise ValueError(f"{target}: unknown dtype {dtype!r} (one of {', '.join(DTYPES)})")
            specs.append(InputSpec(name, [int(d) for d in parts], dtype))
        if specs:
            out[target] = specs
    return out


def make_tensor(spec: InputSpec) -> "torch.Tensor":
    """A real input for one declared spec: token ids in [0, 2) for integer dtypes (DECISIONS.md)."""
    if spec.dtype == "long":
        return torch.randint(0, 2, tuple(spec.dims), dtype=torch.long)
    if spec.dtype == "int":
        return torch.randint(0, 2, tuple(spec.dims), dtype=torch.int32)
    if spec.dtype == "bool":
        return torch.randint(0, 2, tuple(spec.dims)).bool()
    return torch.randn(*spec.dims)


def forward_arguments(model, specs: List[InputSpec]) -> Dict[str, "torch.Tensor"]:
    """Keyword arguments for model(...): each spec by its forward parameter's name.

    `input` is the first forward parameter; an undeclared parameter keeps its default.
    A name forward does not take is a mistake in the fixture, not a torch failure: it raises.
    """
    import inspect

    params = [p for p in inspect.signature(model.forward).parameters.values()
              if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    names = [p.name for p in params]
    kwargs = {}
    for spec in specs:
        name = spec.name
        if name == "input" and "input" not in names:
            if not names:
                raise ValueError(f"{type(model).__name__}.forward takes no input")
            name = names[0]
        if name not in names:
            raise ValueError(f"{type(model).__name__}.forward has no parameter {spec.name!r} (it has {names})")
        kwargs[name] = make_tensor(spec)
    return kwargs


def tensor_shapes(value) -> List[list]:
    """Every tensor's shape in a (nested) tuple/list/dict output, depth first."""
    if isinstance(value, torch.Tensor):
        return [list(value.shape)]
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (tuple, list)):
        return [s for v in value for s in tensor_shapes(v)]
    return []


def run_declared(source: str, target: str, specs: List[InputSpec], filename: str = "<fixture>", namespace=None) -> TorchOutcome:
    """run_model for a target declared with the syntax of DECISIONS.md (several inputs, dtypes)."""
    return run_model(source, target, specs[0].dims if specs else [], filename=filename, namespace=namespace, inputs=specs)


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


def run_model(source: str, target: str, input_shape: List[int], filename: str = "<fixture>", int_input: bool = False, namespace=None,
              inputs: Optional[List[InputSpec]] = None, both_modes: bool = True) -> TorchOutcome:
    """Run `target` on one input of `input_shape`, or, given `inputs`, on each declared input by name.

    In training mode, the mode torch builds a model in; a fixture that reads `.training` (an
    `if self.training:` branch of its own) runs in eval mode too, on a new model (`eval` of
    the outcome): a crash in either mode is a crash. `both_modes=False`: one run, in the mode
    a given instance is in."""
    torch.manual_seed(0)
    try:
        mod = namespace if namespace is not None else load(source, filename)
    except Exception as e:  # construction fails: torch rejects the model
        return TorchOutcome("crash", error=f"{type(e).__name__}: {e}", line=_fixture_line(e, filename))
    train = _run_once(mod, target, input_shape, filename, int_input, inputs, training=True)
    obj = getattr(mod, target, None)
    if not both_modes or not reads_training(source) or (obj is not None and not isinstance(obj, type) and not getattr(obj, "training", True)):
        return train  # an instance already in eval mode ran in the mode it was given
    train.eval = _run_once(mod, target, input_shape, filename, int_input, inputs, training=False)
    if train.verdict == "ok" and train.eval.verdict != "ok":
        e = train.eval
        return TorchOutcome(e.verdict, train.shapes, train.output, f"in eval mode: {e.error}", e.line, train.outputs, eval=e)
    return train


_READS_TRAINING = re.compile(r"\.training\b")


def reads_training(source: str) -> bool:
    """Whether a fixture's code reads `.training` (so its forward may differ in eval mode)."""
    return bool(_READS_TRAINING.search(source or ""))


def _run_once(mod, target, input_shape, filename, int_input, inputs, training: bool) -> TorchOutcome:
    torch.manual_seed(0)
    try:
        obj = getattr(mod, target)
        model = obj() if isinstance(obj, type) else obj
        if not training:
            model.eval()  # a class is built in training mode; an instance keeps the mode it was given
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
    try:
        if inputs is not None:
            args, kwargs = (), forward_arguments(model, inputs)
        elif int_input:
            args, kwargs = (torch.randint(0, 10, tuple(input_shape)),), {}
        else:
            args, kwargs = (torch.randn(*input_shape),), {}
    except Exception:
        for h in hooks:
            h.remove()
        raise
    try:
        with torch.no_grad():
            out = model(*args, **kwargs)
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
    return TorchOutcome(verdict, shapes, output, outputs=tensor_shapes(out))


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
