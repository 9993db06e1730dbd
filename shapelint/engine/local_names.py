"""The names a function's own scope binds (Python decides it when it compiles the def): such a
name is local everywhere in the body, so reading it before it is bound raises UnboundLocalError
and never reads the module's name of the same spelling (`x = N; N = 4` in a function).

Assignments, augmented assignments, annotations, `for`/`with`/`except` targets, imports, `del`,
nested `def`/`class` names and walrus targets (a comprehension's too) count; names declared
`global` or `nonlocal` do not. Nested functions, classes and lambdas have scopes of their own,
and so do a comprehension's loop variables.
"""

from __future__ import annotations

from typing import Dict, FrozenSet

import libcst as cst

from .cstwalk import children

_SCOPES = (cst.FunctionDef, cst.ClassDef, cst.Lambda)
_COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)
_CACHE: Dict[int, tuple] = {}  # id(FunctionDef) -> (the node, its local names)


def of(fn: cst.FunctionDef) -> FrozenSet[str]:
    cached = _CACHE.get(id(fn))
    if cached is not None and cached[0] is fn:
        return cached[1]
    bound, declared = set(), set()
    stack = list(children(fn.body))  # the fast walk: `.children` re-creates each node (most of the cost)
    while stack:
        n = stack.pop()
        if isinstance(n, (cst.Global, cst.Nonlocal)):
            declared.update(item.name.value for item in n.names)
        elif isinstance(n, _SCOPES):
            if not isinstance(n, cst.Lambda):
                bound.add(n.name.value)
            continue  # (its decorators and defaults run here, but bind nothing)
        elif isinstance(n, _COMPREHENSIONS):
            bound.update(_walrus_targets(n))
            continue
        else:
            bound.update(_targets(n))
        stack.extend(children(n))
    names = frozenset(bound - declared)
    _CACHE[id(fn)] = (fn, names)
    return names


def _targets(n):
    if isinstance(n, cst.AssignTarget):
        return _names(n.target)
    if isinstance(n, (cst.AugAssign, cst.AnnAssign, cst.For, cst.NamedExpr)):
        return _names(n.target)
    if isinstance(n, cst.AsName):
        return _names(n.name)
    if isinstance(n, cst.Del):
        return _names(n.target)
    if isinstance(n, cst.ImportAlias):
        if n.asname is not None:
            return ()  # the AsName child names it
        name = n.name
        while isinstance(name, cst.Attribute):
            name = name.value
        return (name.value,) if isinstance(name, cst.Name) else ()
    return ()


def _names(target):
    if isinstance(target, cst.Name):
        return (target.value,)
    if isinstance(target, (cst.Tuple, cst.List)):
        return tuple(x for e in target.elements for x in _names(e.value))
    if isinstance(target, cst.StarredElement):
        return _names(target.value)
    return ()  # `self.a`, `x[i]`: no name


def _walrus_targets(comp):
    stack, out = [comp], []
    while stack:
        n = stack.pop()
        if isinstance(n, cst.NamedExpr):
            out.extend(_names(n.target))
        if isinstance(n, _SCOPES):
            continue
        stack.extend(children(n))
    return out
