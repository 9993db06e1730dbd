"""Where a model's input is declared, resolved once per file.

Three sources, strongest first: the command line (`--input-shape Net=2,3,32,32`), a
`# shapelint: input=(B, 3, 32, 32)` comment on the class line, and
`[tool.shapelint.input-shapes]` in pyproject.toml. `resolve_inputs` gives every
target's `DeclaredInput` with the source it came from; the static check, the explain
table, the editor and `--trace` all read that one answer (`FileResult.inputs`).

A declaration holds named inputs, each with dims and a dtype, so that several forward
inputs (`src=(2, 10):long, trg=(2, 12):long`, DECISIONS.md) fit without a new type.
Today the sources declare the first input only (named `input`), as float.
"""

from __future__ import annotations

import re
from typing import Dict, Mapping, NamedTuple, Optional, Sequence, Tuple, Union

COMMAND_LINE = "command line"
COMMENT = "class-line comment"
PYPROJECT = "pyproject.toml"
FIRST = "input"  # the name of the first forward input, whatever its parameter is called

Dim = Union[int, str]  # an int, or an identifier for a symbolic size (B, H, W)

_INPUT_COMMENT = re.compile(r"shapelint:\s*input\s*=\s*\(([^)]*)\)")


class TensorSpec(NamedTuple):
    dims: Tuple[Dim, ...]
    dtype: str = "float"


class DeclaredInput(NamedTuple):
    """What a target's forward receives, and which source said so."""

    origin: str  # COMMAND_LINE | COMMENT | PYPROJECT
    inputs: Tuple[Tuple[str, TensorSpec], ...]  # (FIRST, spec) first, then forward parameters by name

    @property
    def dims(self) -> list:
        """The first input's dims, batch first."""
        return list(self.inputs[0][1].dims)


def parse_dims(text_dims: Sequence) -> Optional[list]:
    """Ints and identifiers, from ints or their text; None when any is neither."""
    out = []
    for d in text_dims:
        if isinstance(d, int) and not isinstance(d, bool):
            out.append(d)
            continue
        s = str(d).strip()
        if s.lstrip("-").isdigit():
            out.append(int(s))
        elif s.isidentifier():
            out.append(s)
        else:
            return None
    return out


def comment_dims(comment: Optional[str]) -> Optional[list]:
    """The dims of `# shapelint: input=(B, 3, 32, 32)` as written; None without one."""
    m = _INPUT_COMMENT.search(comment or "")
    if not m:
        return None
    return [p.strip() for p in m.group(1).split(",") if p.strip()] or None


def resolve_inputs(
    command_line: Mapping[str, Sequence], comments: Mapping[str, Sequence], pyproject: Mapping[str, Sequence]
) -> Dict[str, DeclaredInput]:
    """Every target's declared input: the command line beats a class-line comment, which
    beats pyproject.toml. The strongest source that names a target decides; dims it
    cannot read leave the target undeclared rather than falling back to a weaker source."""
    out: Dict[str, DeclaredInput] = {}
    for origin, declared in ((PYPROJECT, pyproject), (COMMENT, comments), (COMMAND_LINE, command_line)):
        for target, dims in declared.items():
            parsed = parse_dims(dims)
            if parsed is None:
                out.pop(target, None)
            else:
                out[target] = DeclaredInput(origin, ((FIRST, TensorSpec(tuple(parsed))),))
    return out
