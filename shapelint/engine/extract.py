"""What a file declares: its imports, classes and functions, found with libcst.

Nothing is imported or executed: an import only binds a name to a `Ref` (the dotted
path it would refer to), so `nn.Conv2d`, `torch.nn.Conv2d` and `C` (from
`from torch.nn import Conv2d as C`) all resolve to the same torch layer.
"""

from __future__ import annotations

from typing import Dict, List, Optional

import libcst as cst

from ..core.values import ClassRef, Ref

STAR_IMPORT = "<from ... import *>"  # a key of a module's globals: names may exist that shapelint never bound

def dotted(node) -> Optional[str]:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        head = dotted(node.value)
        return f"{head}.{node.attr.value}" if head else None
    return None


def canonical(qualname: str) -> str:
    """`torch.nn.modules.conv.Conv2d` -> `torch.nn.Conv2d`; `nn.functional` stays."""
    parts = qualname.split(".")
    if parts[:3] == ["torch", "nn", "modules"] and len(parts) >= 5:
        return "torch.nn." + parts[-1]
    return qualname


def import_bindings(stmt) -> Dict[str, Ref]:
    """The names an import statement binds, each to the dotted path it refers to."""
    out: Dict[str, Ref] = {}
    if isinstance(stmt, cst.Import):
        for alias in stmt.names:
            full = dotted(alias.name)
            if not full:
                continue
            if alias.asname is not None:
                out[alias.asname.name.value] = Ref(canonical(full))
            else:
                head = full.split(".")[0]
                out[head] = Ref(head)
    elif isinstance(stmt, cst.ImportFrom):
        if stmt.relative:
            base = "." * len(stmt.relative) + (dotted(stmt.module) or "")
        else:
            base = dotted(stmt.module) or ""
        if isinstance(stmt.names, cst.ImportStar):
            return {STAR_IMPORT: True}  # names shapelint does not know may now exist (eval_names.py)
        for alias in stmt.names:
            name = dotted(alias.name)
            local = alias.asname.name.value if alias.asname is not None else name
            if name and local:
                out[local] = Ref(canonical(f"{base}.{name}"))
    return out


def _property_accessor(fn: cst.FunctionDef):
    """"setter"/"deleter" for `@name.setter` / `@name.deleter` defs; None for any other def."""
    for d in fn.decorators:
        t = d.decorator
        if isinstance(t, cst.Attribute) and t.attr.value in ("setter", "deleter") and isinstance(t.value, cst.Name) \
                and t.value.value == fn.name.value:
            return t.attr.value
    return None


class ClassInfo:
    def __init__(self, node: cst.ClassDef, globals_: dict):
        self.node = node
        self.name = node.name.value
        self.globals = globals_  # the defining module's names (classes may come from a sibling file)
        self.captured: Optional[dict] = None  # a class made inside a function: that function's names, by reference
        self.bases: List = []  # evaluated when the class statement runs
        self._mro: Optional[tuple] = None  # (the bases it was computed from, the order)
        self.methods: Dict[str, cst.FunctionDef] = {}
        self.class_attrs: Dict[str, cst.BaseExpression] = {}
        self.attr_values: Dict[str, object] = {}
        self.reads_training: Optional[bool] = None  # whether its code reads `.training` (engine/modes.py)
        self.setters: Dict[str, cst.FunctionDef] = {}  # `@width.setter def width(self, v)` (the getter stays a method)
        # id(method node) -> its parameter defaults, evaluated where the class statement ran (class_bodies.py)
        self.method_defaults: Dict[int, dict] = {}
        # names the body binds in ways not read here (`k *= 2`, a loop, a branch): their value is unknown
        self.unsure: set = _other_bindings(node)
        for stmt in node.body.body:
            if isinstance(stmt, cst.FunctionDef):
                accessor = _property_accessor(stmt)
                if accessor == "setter":
                    self.setters[stmt.name.value] = stmt
                elif accessor is None:
                    self.methods[stmt.name.value] = stmt
            elif isinstance(stmt, cst.SimpleStatementLine):
                for small in stmt.body:
                    if isinstance(small, cst.Assign) and len(small.targets) == 1:
                        t = small.targets[0].target
                        if isinstance(t, cst.Name):
                            self.class_attrs[t.value] = small.value
                    elif isinstance(small, cst.AnnAssign) and small.value is not None:
                        if isinstance(small.target, cst.Name):
                            self.class_attrs[small.target.value] = small.value

    def mro(self) -> List["ClassInfo"]:
        """The file's classes in Python's method resolution order (C3: a diamond's shared base
        comes after both its subclasses). Bases that are not classes of the files shapelint reads
        (nn.Module, torch layers) take no place in it: `torch_bases` reads them off each class."""
        return self._ordered()[1]

    def _ordered(self) -> tuple:
        """(bases key, MRO, torch bases), computed again only when the class's bases change."""
        key = tuple(id(b) for b in self.bases)
        if self._mro is None or self._mro[0] != key:
            order = _c3(self)
            self._mro = (key, order, tuple(b.qualname for c in order for b in c.bases if isinstance(b, Ref)))
        return self._mro

    def torch_bases(self) -> List[str]:
        return list(self._ordered()[2])

    def is_plain(self) -> bool:
        """Certainly not an nn.Module: every base in its MRO is a class of the file or a builtin
        (`class Embedder:`, `class Cfg(object)`). A base shapelint cannot see is neither."""
        from ..core.values import Builtin

        return all(isinstance(b, (ClassRef, Builtin)) for c in self.mro() for b in c.bases)

    def is_module(self) -> bool:
        return any(q.startswith("torch.nn.") or q == "torch.nn.Module" for q in self.torch_bases())

    def is_sequential(self) -> bool:
        return "torch.nn.Sequential" in self.torch_bases()

    def find_method(self, name: str):
        for c in self.mro():
            if name in c.methods:
                return c, c.methods[name]
        return None, None

    def shapelint_comment(self) -> Optional[str]:
        """The `# shapelint: ...` comment of the class line (or a comment line above it)."""
        body = self.node.body
        if isinstance(body, cst.IndentedBlock) and body.header.comment is not None:
            return body.header.comment.value
        above = [ln.comment.value for ln in self.node.leading_lines if ln.comment is not None and "shapelint:" in ln.comment.value]
        return above[-1] if above else None  # the one nearest the class line


MAX_MRO = 500  # classes in one MRO; a deeper hierarchy is "nested too deeply to analyse" (as Python's recursion once made it)


def _c3(info: ClassInfo) -> List[ClassInfo]:
    parents = [b.info for b in info.bases if isinstance(b, ClassRef) and b.info is not info]
    if any(len(p.mro()) >= MAX_MRO for p in parents):
        raise RecursionError("a class hierarchy deeper than shapelint follows")
    if len(parents) <= 1:  # single inheritance: the parent's order after the class
        return [info] + (parents[0].mro() if parents else [])
    sequences = [list(p.mro()) for p in parents] + [parents]
    out = [info]
    while sequences:
        in_tails = {id(c) for s in sequences for c in s[1:]}
        head = next((s[0] for s in sequences if id(s[0]) not in in_tails), None)
        if head is None:  # Python raises TypeError (no consistent order): the depth-first order, as before
            return out + _depth_first(parents, {id(c) for c in out})
        out.append(head)
        sequences = [[c for c in s if c is not head] for s in sequences]
        sequences = [s for s in sequences if s]
    return out


def _depth_first(parents: List[ClassInfo], seen: set) -> List[ClassInfo]:
    out = []
    stack = list(reversed(parents))
    while stack:
        c = stack.pop()
        if id(c) in seen:
            continue
        seen.add(id(c))
        out.append(c)
        stack.extend(reversed([b.info for b in c.bases if isinstance(b, ClassRef)]))
    return out


def _other_bindings(node: cst.ClassDef) -> set:
    """Names a class body binds other than by a plain `name = value` at its top level."""
    out = set()
    body = node.body.body if isinstance(node.body, cst.IndentedBlock) else ()
    for stmt in body:
        if isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
            continue
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if isinstance(small, cst.AugAssign) and isinstance(small.target, cst.Name):
                    out.add(small.target.value)
            continue
        stack = [stmt]  # a compound statement: every name assigned inside it
        while stack:
            n = stack.pop()
            if isinstance(n, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
                continue
            if isinstance(n, (cst.AssignTarget, cst.AugAssign, cst.AnnAssign, cst.For, cst.NamedExpr)) and isinstance(n.target, cst.Name):
                out.add(n.target.value)
            stack.extend(n.children)
    return out
