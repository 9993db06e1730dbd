"""Where a model's inputs are declared, resolved once per file.

Three sources, strongest first: the command line (`--input-shape Net=2,3,32,32`,
`--input-shape GPT.targets=2,16:long`), a `# shapelint: ...` comment on the class line
(or on a module-level variable's line), and `[tool.shapelint.input-shapes]` in
pyproject.toml. `resolve_inputs` gives every target's `DeclaredInput` with the source it
came from; the static check, the explain table, the editor and `--trace` all read that
one answer (`FileResult.inputs`).

A declaration holds named inputs, each with dims and a dtype (DECISIONS.md):
`input=(2, 3, 32, 32)` (the first forward input, whatever its name),
`idx=(2, 16):long, targets=(2, 16):long`, `x=(B, 3, 16, 16), t=(B,):long`.
Every form a source accepts becomes the same tuple of `(name, TensorSpec)` pairs.
"""

from __future__ import annotations

import re
from typing import Dict, Mapping, NamedTuple, Optional, Sequence, Tuple, Union

COMMAND_LINE = "command line"
COMMENT = "class-line comment"
PYPROJECT = "pyproject.toml"
FIRST = "input"  # the name of the first forward input, whatever its parameter is called
DTYPES = ("float", "long", "int", "bool", "half")

Dim = Union[int, str]  # an int, or an identifier for a symbolic size (B, H, W)

_DECLARED = re.compile(r"(\w+)\s*=\s*\(([^)]*)\)(?:\s*:\s*(\w+))?")
_COMMENT = re.compile(r"shapelint:\s*(.*)$")


class TensorSpec(NamedTuple):
    dims: Tuple[Dim, ...]
    dtype: str = "float"

    def to_json(self, name: str) -> dict:
        return {"name": name, "shape": list(self.dims), "dtype": self.dtype}


Declaration = Tuple[Tuple[str, TensorSpec], ...]  # (name, spec) pairs, FIRST or forward parameter names


class DeclaredInput(NamedTuple):
    """What a target's forward receives, and which source said so."""

    origin: str  # COMMAND_LINE | COMMENT | PYPROJECT
    inputs: Declaration

    @property
    def dims(self) -> list:
        """The first input's dims, batch first."""
        return list(self.inputs[0][1].dims)

    def to_json(self) -> list:
        return [spec.to_json(name) for name, spec in self.inputs]


def parse_dims(text_dims: Sequence) -> Optional[list]:
    """Ints and identifiers, from ints or their text; None when any is neither."""
    out = []
    for d in text_dims:
        if isinstance(d, int) and not isinstance(d, bool):
            out.append(d)
            continue
        s = str(d).strip()
        if s.lstrip("-").isdigit() and len(s) > 30:
            return None  # no tensor has such a size (and int() refuses over 4,300 digits)
        if s.lstrip("-").isdigit():
            out.append(int(s))
        elif s.isidentifier():
            out.append(s)
        else:
            return None
    return out


def parse_spec(text: str) -> Optional[TensorSpec]:
    """`2,64`, `(2, 64):long`, `(2,)`: one tensor's dims and dtype; None when unreadable."""
    body, sep, dtype = text.strip().rpartition(":") if ":" in text else (text.strip(), "", "")
    dtype = dtype.strip() if sep else "float"
    body = body.strip()
    if body.startswith("(") and body.endswith(")"):
        body = body[1:-1]
    parts = [p for p in body.split(",")]
    if parts and not parts[-1].strip() and len(parts) > 1:
        parts = parts[:-1]  # `(2,)`
    dims = parse_dims(parts) if parts and all(p.strip() for p in parts) else None
    if not dims or dtype not in DTYPES:
        return None
    return TensorSpec(tuple(dims), dtype)


def parse_declaration(text: str, strict: bool = True) -> Optional[Declaration]:
    """`idx=(2, 16):long, targets=(2, 16):long`; None when it declares nothing readable.

    Items are separated by one comma, so a typo never silently drops an input. Not
    `strict` (a comment): words after the last item (`oracle=int`) are not part of it."""
    items, end = [], 0
    for m in _DECLARED.finditer(text):
        if text[end:m.start()].strip() != ("," if items else ""):
            return None
        spec = parse_spec(f"({m.group(2)}):{m.group(3) or 'float'}")
        if spec is None or any(n == m.group(1) for n, _ in items):
            return None
        items.append((m.group(1), spec))
        end = m.end()
    rest = text[end:].strip(" ,")
    if not items or (rest and (strict or text[end:].lstrip(" ").startswith(","))):
        return None
    return tuple(items)


def as_declaration(value) -> Optional[Declaration]:
    """Any form a source gives: a list of dims (the first input, float), a declaration
    string, a spec string (`2,16:long`), a table {name: dims or spec string}, or a
    declaration already parsed. None when unreadable."""
    if isinstance(value, str):
        if "=" in value:
            return parse_declaration(value)
        spec = parse_spec(value)
        return ((FIRST, spec),) if spec else None
    if isinstance(value, dict):
        items = []
        for name, v in value.items():
            spec = parse_spec(v) if isinstance(v, str) else _list_spec(v)
            if spec is None or not str(name).isidentifier():
                return None
            items.append((str(name), spec))
        return tuple(items) or None
    if isinstance(value, tuple) and value and all(isinstance(p, tuple) and len(p) == 2 and isinstance(p[1], TensorSpec) for p in value):
        return value
    spec = _list_spec(value)
    return ((FIRST, spec),) if spec else None


def _list_spec(value) -> Optional[TensorSpec]:
    if not isinstance(value, (list, tuple)) or not value:
        return None
    if not all((isinstance(d, int) and not isinstance(d, bool)) or isinstance(d, str) for d in value):
        return None
    dims = parse_dims(value)
    return TensorSpec(tuple(dims)) if dims else None


def comment_declaration(comment: Optional[str]) -> Optional[Declaration]:
    """The inputs of a `# shapelint: idx=(2, 16):long` comment; None without one."""
    m = _COMMENT.search(comment or "")
    if not m or "=" not in m.group(1):
        return None
    return parse_declaration(m.group(1).strip(), strict=False)


def comment_dims(comment: Optional[str]) -> Optional[list]:
    """The first input's dims of a `# shapelint: input=(B, 3, 32, 32)` comment; None without one."""
    declared = comment_declaration(comment)
    return list(declared[0][1].dims) if declared else None


def merge(base: Optional[Declaration], more: Declaration) -> Declaration:
    """`base` with the inputs of `more` added or replaced by name (in base's order)."""
    out = dict(base or ())
    out.update(dict(more))
    return tuple(out.items())


def resolve_inputs(
    command_line: Mapping[str, object], comments: Mapping[str, object], pyproject: Mapping[str, object]
) -> Dict[str, DeclaredInput]:
    """Every target's declared inputs: the command line beats a class-line comment, which
    beats pyproject.toml. The strongest source that names a target decides; a declaration
    it cannot read leaves the target undeclared rather than falling back to a weaker source."""
    out: Dict[str, DeclaredInput] = {}
    for origin, declared in ((PYPROJECT, pyproject), (COMMENT, comments), (COMMAND_LINE, command_line)):
        for target, value in declared.items():
            parsed = as_declaration(value)
            if parsed is None:
                out.pop(target, None)
            else:
                out[target] = DeclaredInput(origin, parsed)
    return out


SCOPE = "::"  # `models/net.py::model`: a target of that file only


def for_file(table: Mapping[str, object], path: Optional[str]) -> Dict[str, object]:
    """The declarations of `table` that apply to the file at `path`: bare names, and the names
    scoped to a file whose path ends with the scope (`net.py::Net`, `models/net.py::Net`), which
    beat a bare name. Paths compare by their parts, so `net.py` does not match `subnet.py`."""
    out, scoped = {}, {}
    parts = _parts(path) if path else None
    for key, value in table.items():
        scope, sep, name = key.rpartition(SCOPE)
        if not sep:
            out[key] = value
        elif parts is not None and _ends_with(parts, _parts(scope)):
            scoped[name] = value
    out.update(scoped)
    return out


def applied_key(table: Mapping[str, object], path: Optional[str], name: str) -> Optional[str]:
    """The key of `table` whose declaration `for_file` gives `name` in the file at `path`: the last
    scoped key that matches the file, else the bare name; None when neither is there."""
    parts = _parts(path) if path else None
    key = name if name in table else None
    for k in table:
        scope, sep, n = k.rpartition(SCOPE)
        if sep and n == name and parts is not None and _ends_with(parts, _parts(scope)):
            key = k
    return key


def in_scope(path: str, scope: str) -> bool:
    """Whether a key's scope (`models/net.py`) names the file at `path` (its path ends with those parts)."""
    return _ends_with(_parts(path), _parts(scope))


def bare_name(key: str) -> str:
    return key.rpartition(SCOPE)[2]


def _parts(path: str):
    return [p for p in path.replace("\\", "/").split("/") if p not in ("", ".")]


def _ends_with(parts, suffix) -> bool:
    return bool(suffix) and parts[len(parts) - len(suffix):] == suffix
