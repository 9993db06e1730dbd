"""The config entry an argument reads (issue 16.5): where a finding about a config value belongs.

`Attn(CFG["heads"])` with `CFG = {"dim": 96, "heads": 5}`, or `Block(cin, w)` in `for w in WIDTHS:`
with `WIDTHS = [32, 64, 100]`: when that number is wrong, the mistake is the entry of the config
(`"heads": 5`, the `100`), not the line that reads it, and every block built from the entry shares
one finding there (engine/repeats.py merges findings at one place).

Only what can be read off the source for certain: a config is a list, tuple or dict literal of
plain numbers bound once at the top level of the checked file and never written again (no other
binding of the name anywhere, no item assignment, no method call on it). The entry of a loop
variable is the one element whose numbers equal the values the variables hold at the call; none
when several do, or when the loop is not a plain `for name(s) in CONFIG`.
"""

from __future__ import annotations

from collections import Counter
from typing import Dict, List, Optional

import libcst as cst

from .cstwalk import walk

_READS = ("get", "items", "keys", "values", "index", "count")  # methods that leave the config as it is


class _Memo:
    """What this module reads off one tree, computed once per (question, node, name): each question
    walks a whole scope, and it is asked at every layer argument, which made a lint grow with the
    square of the file (scripts/bench_growth.py). Only the tree being checked is kept."""

    tree = None
    answers: Dict[tuple, tuple] = {}

    @classmethod
    def get(cls, tree, key: tuple, compute):
        if cls.tree is not tree:
            cls.tree, cls.answers = tree, {}
        hit = cls.answers.get(key)
        if hit is None:
            hit = cls.answers[key] = (compute(),)
        return hit[0]


class Entry:
    """A config entry: its literal (where the finding goes) and its top-level statement (its position unit)."""

    __slots__ = ("node", "statement")

    def __init__(self, node, statement):
        self.node, self.statement = node, statement


def entry_of(tree: Optional[cst.Module], expr, scope: Optional[cst.CSTNode], value,
             values: Dict[str, object]) -> Optional[Entry]:
    """The config entry that `expr`, in the code of `scope` (a function, or None: the module's top
    level), read to give `value`; `values` holds what other names held at the call (the loop's other
    variables). None when the source does not say for certain."""
    if tree is None or isinstance(value, bool) or not isinstance(value, int):
        return None
    if isinstance(expr, cst.Subscript):
        return _subscript_entry(tree, expr, value)
    if isinstance(expr, cst.Name):
        return _loop_entry(tree, expr.value, scope if scope is not None else tree, {**values, expr.value: value})
    return None


def _subscript_entry(tree, expr: cst.Subscript, value) -> Optional[Entry]:
    """`CFG["heads"]`, `WIDTHS[2]`: the literal at that key or index, holding `value`."""
    if not isinstance(expr.value, cst.Name) or len(expr.slice) != 1 or not isinstance(expr.slice[0].slice, cst.Index):
        return None
    config = _config(tree, expr.value.value)
    if config is None:
        return None
    literal, statement = config
    key = expr.slice[0].slice.value
    node = None
    if isinstance(literal, cst.Dict) and isinstance(key, cst.SimpleString):
        found = [e.value for e in literal.elements if isinstance(e, cst.DictElement)
                 and isinstance(e.key, cst.SimpleString) and e.key.evaluated_value == key.evaluated_value]
        node = found[0] if len(found) == 1 else None
    elif isinstance(literal, (cst.List, cst.Tuple)) and isinstance(key, cst.Integer):
        i = int(key.value, 0)
        node = literal.elements[i].value if i < len(literal.elements) else None
    if node is None or _number(node) is None or _number(node) != value:
        return None
    return Entry(node, statement)


def _loop_entry(tree, name: str, scope, values: Dict[str, object]) -> Optional[Entry]:
    """The element of `for <targets> in CONFIG` whose numbers equal the targets' values now."""
    loops = [n for n in _Memo.get(tree, ("loops", id(scope)), lambda: _loops(scope)) if name in _target_names(n.target)]
    if len(loops) != 1 or not isinstance(loops[0].iter, cst.Name) or _bindings_in(tree, scope, name) != 1:
        return None
    config = _config(tree, loops[0].iter.value)
    if config is None or not isinstance(config[0], (cst.List, cst.Tuple)):
        return None
    target = loops[0].target
    names = _target_names(target)
    known = {n: v for n, v in values.items() if n in names}
    matches = [e.value for e in config[0].elements if _holds(target, e.value, known)]
    if len(matches) != 1 or name not in known:
        return None
    node = _element(target, matches[0], name)
    return Entry(node, config[1]) if node is not None else None


def _holds(target, element, known: Dict[str, object]) -> bool:
    if isinstance(target, cst.Name):
        return target.value not in known or _number(element) == known[target.value]
    if isinstance(target, (cst.Tuple, cst.List)) and isinstance(element, (cst.Tuple, cst.List)):
        if len(target.elements) != len(element.elements):
            return False
        return all(_holds(t.value, e.value, known) for t, e in zip(target.elements, element.elements))
    return False


def _element(target, element, name: str):
    if isinstance(target, cst.Name):
        return element if target.value == name else None
    for t, e in zip(target.elements, element.elements):
        found = _element(t.value, e.value, name)
        if found is not None:
            return found
    return None


def _target_names(target) -> List[str]:
    if isinstance(target, cst.Name):
        return [target.value]
    if isinstance(target, (cst.Tuple, cst.List)) and all(isinstance(e, cst.Element) for e in target.elements):
        return [n for e in target.elements for n in _target_names(e.value)]
    return ["*"]  # a starred or attribute target: no plain names


def _loops(scope) -> list:
    return [n for n in walk(scope) if isinstance(n, (cst.For, cst.CompFor))]


def _bindings_in(tree, scope, name: str) -> int:
    return _Memo.get(tree, ("bindings", id(scope)), lambda: _binding_counts(scope))[name]


def _config(tree: cst.Module, name: str):
    """(literal, statement) of the config `name`: bound once at the top level to a literal of
    numbers (nested lists and tuples of them too) and never written again; None otherwise."""
    return _Memo.get(tree, ("config", name), lambda: _find_config(tree, name))


def _top_level_assignments(tree: cst.Module) -> Dict[str, list]:
    """name -> [(value, statement)] of each `name = value` statement at the top level."""
    out: Dict[str, list] = {}
    for stmt in tree.body:
        if isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1 and isinstance(stmt.body[0], cst.Assign):
            assign = stmt.body[0]
            if len(assign.targets) == 1 and isinstance(assign.targets[0].target, cst.Name):
                out.setdefault(assign.targets[0].target.value, []).append((assign.value, stmt))
    return out


def _find_config(tree: cst.Module, name: str):
    found = _Memo.get(tree, ("assignments",), lambda: _top_level_assignments(tree)).get(name, [])
    if len(found) != 1 or not _plain(found[0][0]) or _bindings_in(tree, tree, name) != 1 \
            or name in _Memo.get(tree, ("changed",), lambda: _changed_names(tree)):
        return None
    return found[0]


def _plain(literal) -> bool:
    if isinstance(literal, (cst.List, cst.Tuple)):
        return all(isinstance(e, cst.Element) and (_number(e.value) is not None or _plain(e.value)) for e in literal.elements)
    if isinstance(literal, cst.Dict):
        return all(isinstance(e, cst.DictElement) and isinstance(e.key, cst.SimpleString) for e in literal.elements)
    return False


def bindings(scope, name: str) -> int:
    """How many places bind `name` in `scope` (a function's code: engine/same_defect.py)."""
    return _binding_counts(scope)[name]


def _binding_counts(scope) -> Counter:
    """How many places bind each name in `scope` (assignments, loop targets, imports, defs, globals)."""
    count: Counter = Counter()
    for n in walk(scope):
        targets = ()
        if isinstance(n, cst.AssignTarget):
            targets = (n.target,)
        elif isinstance(n, (cst.AugAssign, cst.AnnAssign, cst.For, cst.CompFor)):
            targets = (n.target,)
        elif isinstance(n, cst.NamedExpr):
            targets = (n.target,)
        elif isinstance(n, (cst.FunctionDef, cst.ClassDef)):
            count[n.name.value] += 1
        elif isinstance(n, (cst.Global, cst.Nonlocal)):
            for x in n.names:
                count[x.name.value] += 2  # written from a function
        elif isinstance(n, cst.WithItem) and n.asname is not None:
            count.update(_target_names(n.asname.name))
        elif isinstance(n, cst.ExceptHandler) and n.name is not None:
            count.update(_target_names(n.name.name))
        elif isinstance(n, cst.Param):
            count[n.name.value] += 1
        elif isinstance(n, cst.ImportAlias):
            count[_code(n.asname.name if n.asname else n.name).split(".")[0]] += 1
        for t in targets:
            count.update(_target_names(t))
    return count


def _changed_names(tree: cst.Module) -> set:
    """The names whose value the code may change in place: an item written or deleted, or a
    method called on it that is not a read."""
    changed = set()
    for n in walk(tree):
        if isinstance(n, (cst.AssignTarget, cst.AugAssign, cst.Del)):
            t = n.target
            if isinstance(t, cst.Subscript) and isinstance(t.value, cst.Name):
                changed.add(t.value.value)
        if isinstance(n, cst.Attribute) and isinstance(n.value, cst.Name) and n.attr.value not in _READS:
            changed.add(n.value.value)
    return changed


def _number(node) -> Optional[int]:
    if isinstance(node, cst.Integer):
        return int(node.value, 0)
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus) and isinstance(node.expression, cst.Integer):
        return -int(node.expression.value, 0)
    return None


def _code(node) -> str:
    return cst.Module([]).code_for_node(node)
