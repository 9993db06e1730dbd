"""Reading model source: bytes to text, the way Python itself decodes a file."""

from __future__ import annotations

import ast
import io
import re
import tokenize
import warnings
from typing import Optional, Tuple


class SourceError(Exception):
    """The bytes are not text Python could read (bad encoding, unknown codec)."""


def decode_source(data) -> str:
    """Decode like the interpreter: a BOM, a PEP 263 coding line, else UTF-8.

    The result has the BOM removed; line endings are kept as they are (libcst keeps
    CRLF and reproduces it byte for byte).
    """
    if isinstance(data, str):
        return data[1:] if data.startswith("\ufeff") else data
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as e:
        raise SourceError(str(e)) from None
    try:
        text = data.decode(encoding)
    except (UnicodeError, LookupError) as e:  # UnicodeError: `# coding: undefined` refuses to decode
        raise SourceError(f"not valid {encoding} text ({e.reason if hasattr(e, 'reason') else e})") from None
    return text[1:] if text.startswith("\ufeff") else text


# libcst's native parser overflows the C stack (a segfault, not an exception) or takes
# minutes on very deep syntax trees, such as 5000 nested brackets or a 20,000-term sum.
# CPython rejects such files itself, so a cheap scan flags the suspicious ones and
# CPython's own parser (ast.parse: parses, never runs) decides whether they are Python.
MAX_BRACKET_DEPTH = 100
MAX_STATEMENT_CHARS = 2000
_BRACKETS = re.compile(r"[()\[\]{}]")


def _looks_too_deep(text: str) -> bool:
    depth = max_depth = 0
    span_start = 0
    for m in _BRACKETS.finditer(text):
        if m.group() in "([{":
            if depth == 0:
                span_start = m.start()
            depth += 1
            max_depth = max(max_depth, depth)
        elif depth:
            depth -= 1
            if depth == 0 and m.start() - span_start > MAX_STATEMENT_CHARS:
                return True
    if max_depth > MAX_BRACKET_DEPTH or depth:
        return True
    return any(len(line) > MAX_STATEMENT_CHARS for line in text.replace("\\\n", " ").splitlines())


def too_deep_to_parse(text: str) -> Optional[Tuple[int, str]]:
    """(line, message) when CPython itself cannot parse a suspiciously deep file; else None."""
    if not _looks_too_deep(text):
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(text)
    except SyntaxError as e:
        if "nested" not in e.msg and "too complex" not in e.msg:
            return None  # an ordinary syntax error (or newer syntax): libcst reports it
        return (e.lineno or 1, f"{e.msg} (Python cannot parse it either)")
    except (RecursionError, MemoryError):
        return (1, "the code is nested too deeply to parse (Python cannot parse it either)")
    except (ValueError, OverflowError) as e:
        return (1, str(e))
    return None


# The per-file budget (issue 17.3): far above any real source file (the largest of a whole
# site-packages with torch: 28k lines, 1.4 MB, a 73k-character line, 20k parentheses, 267 elifs),
# below what libcst's parser can hold (a 1M-item list takes over 1 GB; 10,000 `elif`s or `and`s
# overflow its native stack). A file over it is not analysed: an info note says so.
MAX_FILE_CHARS = 10_000_000
MAX_FILE_LINES = 100_000
MAX_LINE_CHARS = 100_000
MAX_BRACKETS = 300_000
MAX_ELIFS = 5_000
_ELIF = re.compile(r"^[ \t]*elif\b", re.M)


def over_file_budget(text: str) -> Optional[str]:
    """Why `text` is over the per-file budget, or None. Plain scans of the text, no parse."""
    if len(text) > MAX_FILE_CHARS:
        return f"{len(text):,} characters, more than {MAX_FILE_CHARS:,}"
    lines = text.count("\n") + 1
    if lines > MAX_FILE_LINES:
        return f"{lines:,} lines, more than {MAX_FILE_LINES:,}"
    longest = max(map(len, text.splitlines()), default=0)
    if longest > MAX_LINE_CHARS:
        return f"a line of {longest:,} characters, more than {MAX_LINE_CHARS:,}"
    brackets = text.count("(") + text.count("[") + text.count("{")
    if brackets > MAX_BRACKETS:
        return f"{brackets:,} brackets, more than {MAX_BRACKETS:,}"
    elifs = len(_ELIF.findall(text))
    if elifs > MAX_ELIFS:
        return f"{elifs:,} `elif`s, more than {MAX_ELIFS:,}"
    return None
