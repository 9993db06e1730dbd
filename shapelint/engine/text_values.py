"""Text the config code of vision models decodes: str methods that never grow their string, and
the `re` module (split, findall, sub, match, ...) on known strings.

Architecture strings such as 'ir_r2_k3_s2_e6_c24_se0.25' are read with `split`, `strip`,
`isdigit`, `partition` and `re.split(r'(\\d.*)', op)`; every one of these is a pure function of
known strings, so the engine runs Python's own implementation on them. Anything not a known
string (or int / None where the signature takes one) leaves the result unknown."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..core.values import Unknown

# str methods whose result is no longer than the string itself (no budget to keep)
SHRINKING_STR_METHODS = frozenset({
    "strip", "lstrip", "rstrip", "split", "rsplit", "splitlines", "partition", "rpartition",
    "removeprefix", "removesuffix", "find", "rfind", "index", "rindex", "count", "startswith", "endswith",
    "isdigit", "isalpha", "isalnum", "isdecimal", "isnumeric", "islower", "isupper", "isspace", "isidentifier",
    "upper", "lower", "title", "capitalize", "casefold", "swapcase",
})
MAX_TEXT = 10_000  # longer strings are not run through a regex (a pattern may backtrack)


def _plain_arg(v) -> bool:
    """A str-method argument Python can take as it is: a string, a whole number, None, a tuple of strings."""
    if isinstance(v, tuple):
        return all(isinstance(x, str) for x in v)
    return v is None or isinstance(v, str) or (isinstance(v, int) and not isinstance(v, bool))


def str_method(obj: str, name: str, args, kwargs):
    """`obj.name(*args, **kwargs)` for a shrinking str method on plain arguments, else None."""
    if name not in SHRINKING_STR_METHODS:
        return None
    if not all(_plain_arg(a) for a in list(args) + list(kwargs.values())):
        return Unknown(f"str.{name} of a value shapelint does not know")
    try:
        result = getattr(obj, name)(*args, **kwargs)
    except (TypeError, ValueError):  # str.index of a missing part raises
        return Unknown(f"str.{name} raises")
    return result


# ---------------------------------------------------------------------------- the re module

@dataclass(frozen=True)
class MatchValue:
    """A known `re.Match`: its groups and spans, read through group() / groups() / start() / ..."""
    match: re.Match

    def __bool__(self) -> bool:  # a match object is always true
        return True


@dataclass(frozen=True)
class PatternValue:
    """A known `re.compile(...)` result: the same functions with the pattern bound."""
    pattern: re.Pattern


_FLAGS = {f"re.{name}": getattr(re, name) for name in
          ("I", "IGNORECASE", "M", "MULTILINE", "S", "DOTALL", "X", "VERBOSE", "A", "ASCII")}
# (function name, parameter names after the pattern)
_FUNCTIONS = {
    "split": ("string", "maxsplit", "flags"), "findall": ("string", "flags"), "sub": ("repl", "string", "count", "flags"),
    "subn": ("repl", "string", "count", "flags"), "match": ("string", "flags"), "fullmatch": ("string", "flags"),
    "search": ("string", "flags"),
}
QUALNAMES = frozenset({f"re.{n}" for n in _FUNCTIONS} | {"re.compile", "re.escape"})


def _text(v) -> bool:
    return isinstance(v, str) and len(v) <= MAX_TEXT


def _bound_args(names, args, kwargs):
    """The arguments by name (flags resolved from `re.I` and friends), or None when one is not plain."""
    if len(args) > len(names) or set(kwargs) - set(names):
        return None
    bound = dict(zip(names, args), **kwargs)
    if "flags" in bound:
        flag = bound["flags"]
        bound["flags"] = _FLAGS.get(getattr(flag, "qualname", None), flag)
    for key, v in bound.items():
        if key in ("string", "repl") and not _text(v):
            return None
        if key in ("maxsplit", "count", "flags") and not (isinstance(v, int) and not isinstance(v, bool)):
            return None
    return bound


def _wrap(result):
    return MatchValue(result) if isinstance(result, re.Match) else result


def _run(pattern_fn, name: str, bound: dict):
    try:
        return _wrap(pattern_fn(**bound))
    except (re.error, TypeError, ValueError, IndexError):  # a bad group reference in repl, ...
        return Unknown(f"re.{name} raises")


def call(qualname: str, args, kwargs):
    """`re.<name>(pattern, ...)` on known strings; an unknown value where one is not known."""
    name = qualname[len("re."):]
    if name == "escape":
        return re.escape(args[0]) if len(args) == 1 and not kwargs and _text(args[0]) else Unknown("re.escape")
    pattern, rest = (args[0], args[1:]) if args else (kwargs.get("pattern"), ())
    kwargs = {k: v for k, v in kwargs.items() if k != "pattern"}
    if not _text(pattern):
        return Unknown(f"re.{name} of a pattern shapelint does not know")
    if name == "compile":
        bound = _bound_args(("flags",), rest, kwargs)
        if bound is None:
            return Unknown("re.compile")
        try:
            return PatternValue(re.compile(pattern, **bound))
        except re.error:
            return Unknown("re.compile raises")
    bound = _bound_args(_FUNCTIONS[name], rest, kwargs)
    if bound is None:
        return Unknown(f"re.{name} of a value shapelint does not know")
    return _run(lambda **kw: getattr(re, name)(pattern, **kw), name, bound)


def pattern_method(obj: PatternValue, name: str, args, kwargs):
    """`compiled.split(...)` and the others, like the module functions without pattern and flags."""
    if name not in _FUNCTIONS:
        return Unknown(f"re.Pattern.{name}")
    names = tuple(n for n in _FUNCTIONS[name] if n != "flags")
    bound = _bound_args(names, args, kwargs)
    if bound is None:
        return Unknown(f"re.Pattern.{name} of a value shapelint does not know")
    return _run(getattr(obj.pattern, name), name, bound)


_MATCH_METHODS = frozenset({"group", "groups", "groupdict", "start", "end", "span"})


def match_method(obj: MatchValue, name: str, args, kwargs):
    """`m.group(1)`, `m.groups()`, `m.span()`, ... of a known match."""
    plain = all(isinstance(a, (int, str)) and not isinstance(a, bool) or a is None for a in list(args) + list(kwargs.values()))
    if name not in _MATCH_METHODS or not plain:
        return Unknown(f"re.Match.{name}")
    try:
        result = getattr(obj.match, name)(*args, **kwargs)
    except (IndexError, TypeError):  # no such group
        return Unknown(f"re.Match.{name} raises")
    return result


def attribute(obj, name: str, bound_method):
    """A method of a match or pattern (bound), `pattern.pattern` / `m.string`; else None."""
    if isinstance(obj, MatchValue):
        if name in _MATCH_METHODS:
            return bound_method(obj, name)
        return obj.match.string if name == "string" else None
    if name in _FUNCTIONS:
        return bound_method(obj, name)
    return obj.pattern.pattern if name == "pattern" else None
