"""One finding per defect: the same wrong numbers read from one place, at several lines (issue 16.5).

`q.view(B, T, self.n_head, C // self.n_head)`, then the same view of k and of v: when 8 heads do
not divide a width of 36, each view reports it, but torch raises at the first one and one change
(the width or the head count) fixes all three. A rule marks such a finding with its numbers
(`Finding.defect`); `scope` adds where the sizes were read: the running call of the user's
function and the text of the call's arguments, and only when every name those arguments read is
bound once in that function (so the same text reads the same values) and none of them has an
attribute or item written there (`self.n_head = ...` between two views). Two views whose
arguments differ (`self.n_head` and `self.n_kv_head`), or that run in two calls, stay apart.

The same holds for a view whose sizes cannot hold the values (SHP003: `view(B, N, self.heads,
self.head_dim)` of q, k and v) and for an einops pattern that does not fit (`rearrange(q, ...,
h=self.heads)`): their rules give the shape and sizes as the key; a function's tensor operand is
left out of the arguments' text (`skip`), since the key holds its shape.

`merge` keeps the first finding of each such group, in source order, and folds the later ones
into it: its message ends with "(also at lines 34 and 35)" and each is a related location.
"""

from __future__ import annotations

from typing import Callable, List, Optional

import libcst as cst

from ..core.findings import Finding, Related
from .config_entries import bindings
from .cstwalk import walk

SCOPED = "read at one place"  # the first item of a scoped key (an unscoped rule key is never merged)


def scope(vm, node, findings: List[Finding], skip: int = 0) -> None:
    """Give the findings a tensor method call at `node` just reported their place of reading;
    `skip`: a function's leading operands (`rearrange(q, ...)`), left out of the arguments'
    text (the rule's key holds their shapes)."""
    marked = [f for f in findings if f.defect is not None and f.defect[0] != SCOPED]
    if not marked:
        return
    where = _reading(vm, node, skip)
    for f in marked:
        f.defect = (SCOPED, f.defect) + where if where is not None else None


def _reading(vm, node, skip: int = 0) -> Optional[tuple]:
    b = vm.call_stack[-1] if vm.call_stack else None
    if b is None or not isinstance(node, cst.Call) or any(a.star for a in node.args) or len(node.args) < skip:
        return None
    args = [a.value for a in node.args[skip:]]
    inner = [n for n in walk(args) if isinstance(n, cst.CSTNode)]
    if any(isinstance(n, (cst.Call, cst.Lambda, cst.NamedExpr, cst.Await, cst.Yield)) for n in inner):
        return None  # a call may give another value each time
    attrs = {id(n.attr) for n in inner if isinstance(n, cst.Attribute)}
    names = {n.value for n in inner if isinstance(n, cst.Name) and id(n) not in attrs}
    fn = b.fn_node
    if any(bindings(fn, name) > 1 for name in names) or _written_inside(fn, names):
        return None
    text = tuple(cst.Module([]).code_for_node(a) for a in node.args[skip:])
    return (b.frame, id(fn), text)


def _written_inside(fn, names) -> bool:
    """Whether the function writes an attribute or an item of a name (`self.n_head = 4`, `C[0] = 1`)."""
    for n in walk(fn.body):
        targets = ()
        if isinstance(n, cst.AssignTarget):
            targets = (n.target,)
        elif isinstance(n, (cst.AugAssign, cst.AnnAssign)):
            targets = (n.target,)
        elif isinstance(n, cst.Del):
            targets = (n.target,)
        for t in targets:
            for part in walk(t):
                if isinstance(part, (cst.Attribute, cst.Subscript)) and _root(part) in names:
                    return True
    return False


def _root(node) -> Optional[str]:
    while isinstance(node, (cst.Attribute, cst.Subscript)):
        node = node.value
    return node.value if isinstance(node, cst.Name) else None


def merge(findings: List[Finding], line_name: Optional[Callable] = None) -> List[Finding]:
    """Each group of findings of one defect becomes its first, naming the others; every
    finding's key is dropped (it holds the interpreter's frames)."""
    groups: dict = {}
    for f in findings:
        if f.defect is not None and f.defect[0] == SCOPED:
            groups.setdefault((f.path, f.code, f.defect), []).append(f)
    dropped = set()
    for copies in groups.values():
        if len(copies) > 1:
            copies.sort(key=lambda f: (f.cell or 0, f.line, f.column))
            _fold(copies[0], copies[1:], line_name)
            dropped.update(id(f) for f in copies[1:])
    for f in findings:
        f.defect = None
    return [f for f in findings if id(f) not in dropped]


def _fold(first: Finding, others: List[Finding], line_name) -> None:
    lines = list(dict.fromkeys(_line(f, line_name) for f in others))
    if all(x.startswith("line ") for x in lines) and len(lines) > 1:
        lines = ["lines " + lines[0][5:]] + [x[5:] for x in lines[1:]]
    shown = lines[0] if len(lines) == 1 else ", ".join(lines[:-1]) + " and " + lines[-1]
    first.message += f" (also at {shown})"
    for f in others:
        here = Related("the same sizes, read from the same place, fail here too", f.node, f.path,
                       (f.line, f.column, f.end_line, f.end_column), f.cell)
        for r in [here] + f.related:
            if all((r.path, r.range) != (o.path, o.range) for o in first.related):
                first.related.append(r)
    if any(f.edits for f in others):
        first.edits, first.fix = [], None  # one edit at the first place would leave the others failing


def _line(f: Finding, line_name) -> str:
    named = line_name(f.node, f.line) if line_name is not None and f.node is not None else None
    return named or f"line {f.line}"
