"""What `--trace` passes to a forward that takes more than one input (issue 11.3): each further
parameter gets the tensor declared for it by name (`x=(2, 3, 32, 32), t=(2,):long`), or keeps
its default; fx traces those defaults as constants (`targets=None` stays None, so an
`if targets is not None:` branch is not traced as taken). Imported by the child process only.
"""

from __future__ import annotations

import inspect
from typing import Callable, Dict, List, Optional, Tuple

_POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)


class ForwardInputs:
    """The positional arguments after the first, and the defaults fx treats as constants."""

    def __init__(self, extras: Optional[list] = None, concrete: Optional[Dict[str, object]] = None):
        self.extras = extras or []
        self.concrete = concrete or {}


def forward_inputs(model, declared: Optional[list], first, make: Callable) -> Tuple[Optional[ForwardInputs], Optional[str]]:
    """(inputs, None), or (None, why the model cannot be traced) when a required input is not
    declared or a declared one has a size the batch does not decide. `make(dims, dtype)` builds
    a tensor on the run's device; `first` is the first input (its batch fills a later input's
    batch symbol)."""
    try:
        params = [p for p in inspect.signature(model.forward).parameters.values()]
    except (TypeError, ValueError):
        return ForwardInputs(), None
    positional = [p for p in params if p.kind in _POSITIONAL]
    specs = {d["name"]: d for d in (declared or [])[1:]}
    batch_symbol = declared[0]["shape"][0] if declared and declared[0]["shape"] else None
    extras: List[object] = []
    concrete: Dict[str, object] = {}
    pending: List[Tuple[str, object]] = []  # defaults before a declared input: passed positionally
    for p in positional[1:]:
        spec = specs.get(p.name)
        if spec is None:
            if p.default is p.empty:
                return None, f"its forward's input `{p.name}` is not declared (declare it: {p.name}=(...))"
            pending.append((p.name, p.default))
            continue
        dims = [first.shape[0] if i == 0 and d == batch_symbol and first.dim() else d for i, d in enumerate(spec["shape"])]
        if not all(isinstance(d, int) for d in dims):
            return None, f"its input `{p.name}` has a size the batch does not decide ({spec['shape']})"
        extras.extend(v for _n, v in pending)
        pending = []
        extras.append(make(dims, spec.get("dtype")))
    concrete.update(pending)  # trailing defaults: constants of the trace
    for p in params:
        if p.kind == p.KEYWORD_ONLY and p.default is not p.empty:
            concrete[p.name] = p.default
    return ForwardInputs(extras, concrete), None
