"""Options objects: `argparse.Namespace(...)`, `types.SimpleNamespace(**d)` and the Namespace an
`argparse.ArgumentParser` returns from `parse_args([...])`, as the standard library builds them.

A namespace is a plain attribute object (a `ModuleValue` of a synthetic, non-module class, so
writes, deletes, `hasattr`, undecided branches and copies work as for any instance). A parser
records its `add_argument` calls; `parse_args(list)` gives each destination its default, the
type applied to a string default as argparse does, `store_true`/`store_false`/`store_const`
flags, `set_defaults`, and the `--name value` / `--name=value` / `--flag` items of the list.
`parse_args()` reads sys.argv, which shapelint does not know: unknown, as is anything argparse
would reject (a missing required argument, an unknown option: SystemExit).
"""

from __future__ import annotations

from typing import Dict, List, Optional

import libcst as cst

from ..core.values import Builtin, ModuleValue, Unknown
from .extract import ClassInfo

CONSTRUCTORS = ("argparse.Namespace", "types.SimpleNamespace", "argparse.ArgumentParser")
_CLASSES: Dict[str, ClassInfo] = {}


def namespace(kind: str, attrs: dict, node) -> ModuleValue:
    if kind not in _CLASSES:
        _CLASSES[kind] = ClassInfo(cst.parse_statement(f"class {kind}:\n    pass\n"), {})
    ns = ModuleValue(kind, node, cls=_CLASSES[kind])
    ns.attrs.update(attrs)
    return ns


class _Argument:
    __slots__ = ("options", "dest", "default", "type", "action", "const", "required", "nargs")

    def __init__(self, options, dest, default, type_, action, const, required, nargs):
        self.options, self.dest, self.default, self.type = options, dest, default, type_
        self.action, self.const, self.required, self.nargs = action, const, required, nargs


class ParserValue:
    """An ArgumentParser: its arguments so far; `broken` says why it is not followed any more."""

    __slots__ = ("arguments", "defaults", "broken")

    def __init__(self):
        self.arguments: List[_Argument] = []
        self.defaults: dict = {}
        self.broken: Optional[str] = None


_KNOWN_KEYWORDS = ("dest", "default", "type", "action", "const", "required", "help", "metavar", "choices", "nargs")
_ACTIONS = (None, "store", "store_true", "store_false", "store_const")


def construct(vm, q: str, args, kwargs, node):
    if q == "argparse.ArgumentParser":
        return ParserValue()
    if args:
        return Unknown(f"`{q}` takes keyword arguments only", node)
    return namespace(q.rsplit(".", 1)[1], kwargs, node)


def parser_method(vm, p: ParserValue, name: str, args, kwargs, node):
    if vm.write_log is not None and name in ("add_argument", "set_defaults", "add_argument_group"):
        p.broken = "changed on an undecided path"  # the branch merge does not journal a parser
    if name in ("add_argument_group", "add_mutually_exclusive_group"):
        return p  # a group adds to the same parser
    if name == "add_argument":
        _add_argument(p, args, kwargs)
        return None
    if name == "set_defaults" and not args:
        p.defaults.update(kwargs)
        return None
    if name in ("parse_args", "parse_known_args"):
        ns = _parse(vm, p, args, kwargs, node)
        return (ns, []) if name == "parse_known_args" and not isinstance(ns, Unknown) else ns
    if name in ("print_help", "print_usage"):
        return None
    p.broken = f"`parser.{name}` is not modelled"
    return Unknown(p.broken, node)


def _add_argument(p: ParserValue, args, kwargs) -> None:
    if not args or not all(isinstance(a, str) for a in args) or any(k not in _KNOWN_KEYWORDS for k in kwargs):
        p.broken = "an add_argument call shapelint does not read"
        return
    if any(isinstance(v, Unknown) for v in kwargs.values()) or kwargs.get("action") not in _ACTIONS:
        p.broken = "an add_argument whose options are not known"
        return
    longs = [a for a in args if a.startswith("--")]
    positional = not args[0].startswith("-")
    dest = kwargs.get("dest") or (args[0] if positional else (longs[0] if longs else args[0])[2 if longs else 1:].replace("-", "_"))
    action = kwargs.get("action") or "store"
    default = kwargs.get("default", {"store_true": False, "store_false": True}.get(action))
    p.arguments.append(_Argument(list(args), dest, default, kwargs.get("type"), action, kwargs.get("const"),
                                 kwargs.get("required", positional and kwargs.get("nargs") not in ("?", "*")), kwargs.get("nargs")))


def _convert(vm, arg: _Argument, text: str, node):
    """argparse applies `type` to a command-line string (and to a string default)."""
    t = arg.type
    if t is None or (isinstance(t, Builtin) and t.name == "str"):
        return text
    if isinstance(t, Builtin) and t.name in ("int", "float"):
        try:
            return int(text) if t.name == "int" else float(text)
        except ValueError:
            return Unknown("argparse would reject the value")
    return Unknown("an argparse type shapelint does not apply")


def _parse(vm, p: ParserValue, args, kwargs, node):
    if p.broken is not None:
        return Unknown(f"an ArgumentParser {p.broken}", node)
    if not args or kwargs or not isinstance(args[0], (list, tuple)) or not all(isinstance(a, str) for a in args[0]):
        return Unknown("parse_args() reads the command line (sys.argv), which shapelint does not know", node)
    values, given = {}, set()
    for a in p.arguments:
        default = p.defaults.get(a.dest, a.default)
        values[a.dest] = _convert(vm, a, default, node) if isinstance(default, str) else default
    items = list(args[0])
    while items:
        item = items.pop(0)
        name, eq, inline = item.partition("=")
        arg = next((a for a in p.arguments if name in a.options and name.startswith("-")), None)
        if arg is None or arg.nargs is not None:
            return Unknown(f"argparse would not parse `{item}` as shapelint does", node)
        if arg.action in ("store_true", "store_false", "store_const"):
            if eq:
                return Unknown("argparse rejects a value for a flag", node)
            values[arg.dest] = {"store_true": True, "store_false": False}.get(arg.action, arg.const)
        else:
            if not eq and not items:
                return Unknown("argparse rejects an option without its value", node)
            values[arg.dest] = _convert(vm, arg, inline if eq else items.pop(0), node)
        given.add(arg.dest)
    if any(a.required and a.dest not in given for a in p.arguments):
        return Unknown("argparse exits: a required argument is missing", node)
    values.update({k: v for k, v in p.defaults.items() if k not in values})
    return namespace("Namespace", values, node)
