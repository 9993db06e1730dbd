"""Architecture rules (SHP400-SHP405): what a built model and its forward's calls show.

They read what the engine recorded (the named module tree, each module call with its
input and output, the file's names) plus the class sources, and report only what is
certain: a container or name the engine could not follow is silence, never a guess.
One `ArchitectureChecker` per file, so a finding seen from several root models is
reported once.
"""

from __future__ import annotations

import re
from typing import Dict, List, Optional

import libcst as cst

from ..core import arch_rules as A
from ..core.findings import At, Edit, Finding
from ..core.values import ModuleValue, Ref, Tensor
from ..torch.params import RUNNING_STATS
from .cstwalk import walk
from .extract import dotted
from .summary import subtree

_DYNAMIC = re.compile(r"\bgetattr\s*\(|__dict__|\bvars\s*\(|_modules\b|__getattr__|\.children\s*\(|named_children|"
                      r"\.modules\s*\(|named_modules|\bsetattr\s*\(|\beval\s*\(|\bexec\s*\(")
_DYNAMIC_WORDS = ("getattr", "__dict__", "vars", "_modules", "children", "modules", "setattr", "eval", "exec")
_LIST_ONLY = ("sort", "index", "count", "remove", "copy", "reverse", "clear")
_CONV = tuple(f"{k}{d}d" for k in ("Conv", "ConvTranspose") for d in (1, 2, 3))


def _self_attr(node) -> Optional[str]:
    if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name) and node.value.value == "self":
        return node.attr.value
    return None


def _assignments(info, attr: str) -> List[cst.BaseExpression]:
    """The values assigned to `self.<attr>` in the methods of the class (in source order)."""
    out = []
    for fn in info.methods.values():
        for node in _walk(fn):
            if isinstance(node, cst.Assign) and len(node.targets) == 1 and _self_attr(node.targets[0].target) == attr:
                out.append(node.value)
            elif isinstance(node, cst.AnnAssign) and node.value is not None and _self_attr(node.target) == attr:
                out.append(node.value)
    return out


def _walk(node):
    return walk(node)


def nn_prefix(globals_: dict) -> Optional[str]:
    """How the file spells `torch.nn`: `nn`, `torch.nn`, or None when neither is imported."""
    for name, v in globals_.items():
        if isinstance(v, Ref) and v.qualname == "torch.nn":
            return name
    for name, v in globals_.items():
        if isinstance(v, Ref) and v.qualname == "torch":
            return f"{name}.nn"
    return None


class ArchitectureChecker:
    def __init__(self, source: str, globals_: dict, class_nodes: list):
        self.source = source or ""
        self.globals = globals_
        self.class_nodes = class_nodes  # the nn.Module classes of the checked file
        self.file_classes = {id(n) for n in class_nodes}
        self.plain_classes: set = set()  # the file's classes that are no nn.Module (set by the checker)
        self._pairs = None
        self._nodes = None
        self.module = None  # the checked file's libcst module (set by the file checker)
        self.sibling_modules = None  # () -> the sibling modules loaded so far (set by the file checker)
        self.findings: List[Finding] = []
        self._seen = set()
        # the regex is slow on megabytes of text; most files hold none of its words at all
        self._dynamic = any(w in self.source for w in _DYNAMIC_WORDS) and _DYNAMIC.search(self.source) is not None
        self._text = None
        self._inits: Dict[int, Dict[str, list]] = {}

    def _attr_text(self) -> "_AttrText":
        if self._text is None:
            self._text = _AttrText(self.source)
        return self._text

    def _init_assignments(self, info) -> Dict[str, list]:
        """{attr: values assigned to `self.<attr>` in the class's own __init__}, once per class."""
        got = self._inits.get(id(info))
        if got is None:
            got = {}
            for node in _walk(info.methods["__init__"]):
                if isinstance(node, cst.Assign) and len(node.targets) == 1:
                    attr, value = _self_attr(node.targets[0].target), node.value
                elif isinstance(node, cst.AnnAssign) and node.value is not None:
                    attr, value = _self_attr(node.target), node.value
                else:
                    continue
                if attr is not None:
                    got.setdefault(attr, []).append(value)
            self._inits[id(info)] = got
        return got

    def _report(self, f: Finding) -> None:
        key = (f.code, id(f.node))
        if key not in self._seen:
            self._seen.add(key)
            self.findings.append(f)

    def mark(self) -> tuple:
        """Where the findings stand now: `rewind` forgets every one reported after it."""
        return len(self.findings), set(self._seen)

    def rewind(self, mark: tuple) -> None:
        del self.findings[mark[0]:]
        self._seen = mark[1]

    def check_model(self, tree: List[ModuleValue], calls) -> None:
        cache: Dict[int, object] = {}
        registered = {id(m) for m in tree}
        for m in tree:
            if m.cls is not None and id(m.cls.node) in self.file_classes:
                self._unregistered(m, registered, cache)
                self._unused(m, cache)
        self._reused(calls)
        self._bias_before_norm(tree, calls)

    # -------------------------------------------------------------- SHP400
    def _unregistered(self, m: ModuleValue, registered: set, cache) -> None:
        for attr, value in list(m.attrs.items()):
            builder = m
            if isinstance(value, dict):
                held, container = list(value.values()), "dict"
            elif isinstance(value, (list, tuple)):
                held, container = list(value), type(value).__name__
            elif isinstance(value, ModuleValue) and value.cls is not None and value.cls.is_plain() \
                    and id(value.cls.node) in self.plain_classes:
                # `self.h = Holder()` whose class is no nn.Module: the layers it builds are not registered
                held, container, builder = list(value.attrs.values()), f"{value.kind} object", value
            else:
                continue
            mods = [v for v in held if isinstance(v, ModuleValue)]
            loose = [v for v in mods if id(v) not in registered and self._built_in(v, builder)]
            if not loose:
                continue
            counts = [subtree(v, cache) for v in loose]
            if any(c is None for c in counts) or sum(c.params + c.buffers for c in counts) == 0:
                continue
            values = _assignments(m.cls, attr)
            if len(values) != 1:
                continue
            node = values[0]
            if builder is not m:
                wrapper = f"nn.Module as {value.kind}'s base class (and call super().__init__())"
                edits, fix = [], None
            else:
                wrapper = "nn.ModuleDict(...)" if container == "dict" else "nn.ModuleList(...)"
                edits, fix = self._wrap_fix(node, attr, container)
            self._report(A.UnregisteredSubmodules.finding(
                node, fix=fix, edits=edits, model=m.kind, attr=attr, count=len(loose), container=container,
                params=sum(c.params for c in counts), wrapper=wrapper))

    def _built_in(self, v: ModuleValue, owner: ModuleValue) -> bool:
        """The module was constructed in the owner's class source (not passed in from outside)."""
        return v.node is not None and any(v.node is n for c in owner.cls.mro() for n in _walk(c.node))

    def _wrap_fix(self, node, attr: str, container: str):
        prefix = nn_prefix(self.globals)
        if prefix is None or re.search(rf"\.{re.escape(attr)}\s*\.\s*({'|'.join(_LIST_ONLY)})\s*\(", self.source):
            return [], None
        if isinstance(node, (cst.List, cst.ListComp)) and container == "list":
            wrapper = "ModuleList"
        elif isinstance(node, cst.Dict) and container == "dict" and all(
                isinstance(e, cst.DictElement) and isinstance(e.key, cst.SimpleString) for e in node.elements):
            wrapper = "ModuleDict"
        else:
            return [], None
        text = f"{prefix}.{wrapper}({cst.Module([]).code_for_node(node)})"
        return [Edit(node, text)], f"wrap the {container} in {prefix}.{wrapper}"

    # -------------------------------------------------------------- SHP401
    def _unused(self, m: ModuleValue, cache) -> None:
        if self._dynamic or m.cls.is_sequential() or m.cls.find_method("forward")[1] is None:
            return
        if any(q not in ("torch.nn.Module",) for q in m.cls.torch_bases()):
            return  # a subclass of a torch layer or container: its base's forward may use anything
        for attr, child in m.children.items():
            if not isinstance(child, ModuleValue) or attr.isdigit():
                continue
            c = subtree(child, cache)
            if c is None or c.params == 0:
                continue
            init = [c2 for c2 in m.cls.mro() if "__init__" in c2.methods]
            values = [v for c2 in init for v in self._init_assignments(c2).get(attr, ())]
            if len(values) != 1 or values[0] is not child.node:
                continue
            text = self._attr_text()
            if text.uses.get(attr, 0) > text.sets.get(attr, 0) or attr in text.quoted:
                continue
            self._report(A.UnusedSubmodule.finding(child.node, model=m.kind, attr=attr, kind=child.kind, params=c.params))

    # -------------------------------------------------------------- SHP403
    def _reused(self, calls) -> None:
        sites: Dict[int, list] = {}
        for e in calls:
            m = e.value
            if m is None or m.kind not in RUNNING_STATS or e.branch or not isinstance(e.inp, Tensor):
                continue
            if m.kind.startswith("InstanceNorm") and m.params.get("track_running_stats") is not True:
                continue
            if not (isinstance(e.call, cst.Call) and _self_attr(e.call.func)):
                continue
            sites.setdefault(id(m), []).append(e)
        for uses in sites.values():
            first = uses[0]
            for later in uses[1:]:
                if later.call is first.call or later.inp is first.inp:
                    continue
                a, b = first.inp.shape, later.inp.shape
                if a is None or b is None or len(a) < 2 or len(b) < 2 or not (isinstance(a[1], int) and a[1] == b[1]):
                    continue
                self._report(A.StatefulLayerReused.finding(
                    later.call, layer=dotted(later.call.func), kind=first.value.kind,
                    first=At(first.call), second=At(later.call)))
                break

    # -------------------------------------------------------------- SHP405
    def _bias_before_norm(self, tree: List[ModuleValue], calls) -> None:
        produced = {}
        for e in calls:
            if e.value is not None and e.value.kind in _CONV and isinstance(e.out, Tensor):
                produced[id(e.out)] = e
        if not produced:
            return
        adjacent = _sequential_pairs(tree)
        for e in calls:
            if e.value is None or not e.value.kind.startswith("BatchNorm") or e.branch or id(e.inp) not in produced:
                continue
            conv = produced[id(e.inp)]
            cm, bn = conv.value, e.value
            out = cm.params.get("out_channels")
            if cm.params.get("bias") is not True or not isinstance(out, int) or bn.params.get("num_features") != out:
                continue
            direct = (isinstance(e.call, cst.Call) and e.call.args and e.call.args[0].value is conv.call) or (
                conv.call is cm.node and e.call is bn.node and (id(cm), id(bn)) in adjacent) or (
                (id(conv.call), id(e.call)) in self._statement_pairs(conv.call))
            if direct and self._in_file(cm.node):  # not a layer a sibling module defines
                self._report(A.ConvBiasBeforeNorm.finding(
                    cm.param_node("bias") if "bias" in cm.param_nodes else cm.node,
                    conv=_label(conv), norm=_label(e), wasted=out))

    def _in_file(self, node) -> bool:
        """Whether `node` is the checked file's. With no sibling module loaded every node the
        models were built from is, and the file is not walked for it."""
        if self.sibling_modules is not None and not self.sibling_modules():
            return True
        if self._nodes is None:  # computed once, only when a finding needs it
            self._nodes = {id(n) for n in _walk(self.module)} if self.module is not None else set()
        return id(node) in self._nodes

    def _statement_pairs(self, call) -> set:
        if self._pairs is None:
            self._pairs = _consecutive_pairs(self.class_nodes)
        return self._pairs


class _AttrText:
    """How often the source reads and writes `.name`, and the names it spells as strings: one pass
    over the file for all the models in it (SHP401), not one search per attribute and model."""

    def __init__(self, source: str):
        self.uses: Dict[str, int] = {}
        self.sets: Dict[str, int] = {}
        for m in re.finditer(r"\.\s*(\w+)\b", source):
            self.uses[m.group(1)] = self.uses.get(m.group(1), 0) + 1
        for m in re.finditer(r"\.\s*(\w+)\s*(:[^=\n]*)?=(?!=)", source):
            self.sets[m.group(1)] = self.sets.get(m.group(1), 0) + 1
        self.quoted = set(re.findall(r"['\"](\w+)['\"]", source))


def _label(e) -> str:
    if isinstance(e.call, cst.Call) and dotted(e.call.func):
        return dotted(e.call.func)
    return e.value.name or e.value.kind


def _sequential_pairs(tree: List[ModuleValue]) -> set:
    pairs = set()
    for m in tree:
        if m.kind == "Sequential" or (m.cls is not None and m.cls.is_sequential()):
            kids = [c for c in m.children.values() if c is not None]
            pairs.update((id(a), id(b)) for a, b in zip(kids, kids[1:]))
    return pairs


def _consecutive_pairs(class_nodes) -> set:
    """(conv call, norm call) ids of `x = self.conv(x)` directly followed by `x = self.bn(x)`."""
    pairs = set()
    for cls in class_nodes:
        for node in _walk(cls):
            if not isinstance(node, cst.IndentedBlock):
                continue
            stmts = [s.body[0] if isinstance(s, cst.SimpleStatementLine) and len(s.body) == 1 else None for s in node.body]
            for a, b in zip(stmts, stmts[1:]):
                if not (isinstance(a, cst.Assign) and isinstance(b, cst.Assign)) or len(a.targets) != 1 or len(b.targets) != 1:
                    continue
                ta, tb = a.targets[0].target, b.targets[0].target
                if not (isinstance(ta, cst.Name) and isinstance(tb, cst.Name) and ta.value == tb.value):
                    continue
                if isinstance(a.value, cst.Call) and isinstance(b.value, cst.Call) and len(b.value.args) == 1:
                    arg = b.value.args[0].value
                    if isinstance(arg, cst.Name) and arg.value == ta.value:
                        pairs.add((id(a.value), id(b.value)))
    return pairs
