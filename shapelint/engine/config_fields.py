"""Where a dataclass config's number was written (issue 16.4): the field default, or the call's argument.

`@dataclass class Config: n_head: int = 8`, then `self.n_head = cfg.n_head` in a block and
`q.view(B, T, self.n_head, C // self.n_head)` in its forward: when 8 heads do not divide the
width, the mistake is the config's `8` (or the `n_head=8` of a `Config(n_head=8)` call), which the
fix changes; the view is where torch raises. So a finding about that number is placed at the
value, with the view as a related location. The same for a layer's count argument read off the
config (`nn.MultiheadAttention(cfg.n_embd, cfg.n_head)`, `groups=cfg.groups`): a finding about
it goes to the config's value (as a config entry, engine/config_entries.py). A width read off the
config (`nn.Linear(cfg.n_hidden, 10)`) stays at the layer's argument with its edit: the config's
value may size other layers too.

Only what the run proves: the generated `__init__` notes, per int field, the expression that
gave its value (the default in the class body, or the call's argument, each in the checked file);
`self.name = cfg.name` (or a tuple of such) carries the note to the block, with that line as a
hop. Any other write of the attribute drops the note (`forget`, from every attribute write); a
note is used only while the attribute still holds the very value noted, its object's writes are
all known, and the number is the one the finding is about.
"""

from __future__ import annotations

from typing import List, Optional

import libcst as cst

from ..core.findings import Finding, Related, code_of
from ..core.values import ModuleValue


class Source:
    """An int attribute's value and where it was written: `node` (a literal or an argument in the
    checked file), `unit` (its position unit) and the `self.x = cfg.x` lines that passed it on."""

    __slots__ = ("node", "value", "unit", "hops")

    def __init__(self, node, value, unit, hops=()):
        self.node, self.value, self.unit, self.hops = node, value, unit, tuple(hops)


def _int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _sources(obj, create: bool = False) -> Optional[dict]:
    found = getattr(obj, "field_sources", None)
    if found is None and create:
        found = obj.field_sources = {}
    return found


def _in_checked_file(vm) -> bool:
    b = vm.call_stack[-1] if vm.call_stack else None
    return b.frame.globals is vm.globals if b is not None else vm.units.current is not None


def note_fields(vm, obj: ModuleValue, owner, fields, params, args, kwargs, node) -> None:
    """After the generated `__init__` of `owner` bound `obj`'s fields: where each int came from."""
    from .callsite import argument_nodes

    # a call in the checked file's code; with no function running, a class body's default
    # (`cfg=Config(n_head=8)`) of a class defined in the checked file
    here = _in_checked_file(vm) or (not vm.call_stack and owner.globals is vm.globals)
    passed = argument_nodes(node, [f.name for f in params], args, kwargs) if here else {}
    for f in fields:
        v = obj.attrs.get(f.name)
        if not _int(v):
            continue
        if f.name in passed:
            where, unit = passed[f.name][0], vm.units.current
        elif f.name in kwargs or any(p.name == f.name for p in params[:len(args)]):
            continue  # passed in code shapelint does not place
        elif f.node.value is not None and not isinstance(f.node.value, cst.Call) and _top_level(vm, f.node) is not None:
            # a class of the checked file; no position unit: a decorated class's unit starts at its
            # `class` line, which its decorator precedes, so the whole file's positions answer
            where, unit = f.node.value, None
        else:
            continue
        _sources(obj, create=True)[f.name] = Source(where, v, unit)


def _top_level(vm, node):
    """The checked file's top-level statement that holds `node` (a class body's field)."""
    tree = getattr(vm, "checked_tree", None)
    for stmt in tree.body if tree is not None else ():
        if isinstance(stmt, cst.ClassDef) and isinstance(stmt.body, cst.IndentedBlock):
            if any(line is node for s in stmt.body.body if isinstance(s, cst.SimpleStatementLine) for line in s.body):
                return stmt
    return None


def forget(obj, name: str) -> None:
    """Every write of `obj.name` drops its note (carry may write a new one)."""
    found = _sources(obj)
    if found:
        found.pop(name, None)


def carry(vm, small: cst.Assign, frame) -> None:
    """`self.n_head = cfg.n_head` (or `self.a, self.b = cfg.a, cfg.b`), just run: the note goes along."""
    if len(small.targets) != 1:
        return
    target, value = small.targets[0].target, small.value
    pairs = [(target, value)]
    if isinstance(target, (cst.Tuple, cst.List)) and isinstance(value, (cst.Tuple, cst.List)):
        if len(target.elements) != len(value.elements):
            return
        pairs = [(t.value, v.value) for t, v in zip(target.elements, value.elements)]
    for t, v in pairs:
        if not (isinstance(t, cst.Attribute) and isinstance(t.value, cst.Name)):
            continue
        obj = frame.locals.get(t.value.value)
        src = source_of(vm, v, frame)
        if isinstance(obj, ModuleValue) and src is not None and obj.attrs.get(t.attr.value) is src.value:
            _sources(obj, create=True)[t.attr.value] = Source(src.node, src.value, src.unit, src.hops + (v,))


def source_of(vm, expr, frame, value=None) -> Optional[Source]:
    """The note of `name.attr` in `frame` (the attribute still holding the noted value, `value`
    when given), or None."""
    if not (isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name)) or frame is None:
        return None
    obj = frame.locals.get(expr.value.value)
    if not isinstance(obj, ModuleValue) or not obj.writes_known or obj.clobbered is not None:
        return None
    src = (_sources(obj) or {}).get(expr.attr.value)
    if src is None or obj.attrs.get(expr.attr.value) is not src.value:
        return None
    if value is not None and not (_int(value) and value == src.value):
        return None
    return src


# the layer arguments that count what a size must be divisible by: a finding about one (SHP007:
# `MultiheadAttention(cfg.n_embd, cfg.n_head)` with 8 heads for 36) is about the count
COUNTS = ("num_heads", "nhead", "groups", "num_groups")


def count_entry(vm, param: str, expr, frame, value):
    """A layer's count argument read off a dataclass config (`num_heads=cfg.n_head`), as a config
    entry (engine/config_entries.py, where a finding about it goes: the field default or the
    `Config(n_head=8)` argument); None for any other argument, or when the run does not prove it."""
    from .config_entries import Entry

    src = source_of(vm, expr, frame, value) if param in COUNTS else None
    if src is None:
        return None
    if src.unit is not None:
        vm.units.node_unit[id(src.node)] = src.unit
    return Entry(src.node, src.unit)


def place_head_split(vm, node, findings: List[Finding]) -> None:
    """A head split view's finding (torch/head_split.py) whose head count argument was written in a
    config: the finding moves there once findings are merged (`move`), the view stays related."""
    b = vm.call_stack[-1] if vm.call_stack else None
    if b is None or not isinstance(node, cst.Call) or len(node.args) < 2 or any(a.star or a.keyword for a in node.args):
        return
    for f in findings:
        if f.defect is None or f.defect[0] != "head split":
            continue
        heads_arg = node.args[-2].value
        src = source_of(vm, heads_arg, b.frame, f.defect[2])
        if src is None:
            continue
        if src.unit is not None:
            vm.units.node_unit[id(src.node)] = src.unit
        f.moves_to = src.node
        f.related.append(Related(f"the head count {src.value} is written here", src.node))
        f.related.append(Related(f"torch raises at this view (`{code_of(node)}`), which reads the head count from "
                                 f"`{code_of(heads_arg)}`", node))
        f.related += [Related(f"passed on here as `{code_of(h)}`", h) for h in src.hops]


def move(findings: List[Finding]) -> None:
    """Each merged finding with a place to move to: its primary location becomes that place."""
    for f in findings:
        target = getattr(f, "moves_to", None)
        f.moves_to = None
        here = next((r for r in f.related if r.node is target and r.range is not None), None)
        if target is None or here is None:
            continue
        f.related.remove(here)
        view_line, f.cell = f.line, here.cell
        f.message = f.message.replace("so torch raises at this view", f"so torch raises at the view at line {view_line}"
                                      if f.cell is None else "so torch raises at the view")
        f.path = here.path
        f.line, f.column, f.end_line, f.end_column = here.range
