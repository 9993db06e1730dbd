"""Mutants of the modern fixtures: the size bugs their authors make, generated from the source.

Each mutation changes one number-bearing expression on one line, two ways (a size
that breaks the model and one that may still run); real torch then decides which
mutants fail. Kinds:
- n_head / n_embd: the first literal given to a head-count / width name
  (`n_head: int = 4`, `num_heads=4`, `n_embd = 24`, `dict(n_embd=32)`);
- view: the last size of the first two `.view(` / `.reshape(` calls with sizes;
- in_features: the first argument of the first two `nn.Linear(`;
- a `# mutant: KIND: EXPR` comment names a site by hand (cross_dim, pos_len,
  time_width, tokens, codebook_dim, chomp): EXPR on that line becomes (EXPR) +/- 1.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import List, Optional, Tuple

_HEADS = re.compile(r"\b(?:n_head|n_heads|num_heads|heads|nhead)\b(\s*(?::\s*int)?\s*=\s*)(\d+)\b")
_WIDTH = re.compile(r"\b(?:n_embd|n_embed|embed_dim|d_model|dim|hidden_dim|hidden|hidden_size|n_hidden|emb_dim|emb|"
                    r"enc_hid|dec_hid|hid_dim|ch|channels|n_channel|embed_size)\b(\s*(?::\s*int)?\s*=\s*)(\d+)\b")
_VIEW = re.compile(r"\.(?:view|reshape)\(")
_LINEAR = re.compile(r"nn\.Linear\(")
_MARKER = re.compile(r"#\s*mutant:\s*(\w+):\s*(.+?)\s*$")

# the kinds issue 11 asks for, by the names used here
REQUIRED_KINDS = {"n_head", "n_embd", "view", "in_features", "cross_dim", "pos_len", "time_width"}


@dataclass
class Mutant:
    kind: str
    line: int  # 1-based line of the change
    before: str
    after: str
    source: str

    @property
    def label(self) -> str:
        return f"{self.kind}@{self.line}:{self.after.strip()[:60]}"


def _split_args(text: str, start: int) -> Optional[List[Tuple[int, int]]]:
    """Spans of the top-level arguments of the call whose '(' is at text[start - 1]."""
    depth, spans, begin = 0, [], start
    for i in range(start, len(text)):
        c = text[i]
        if c in "([{":
            depth += 1
        elif c in ")]}":
            if depth == 0:
                spans.append((begin, i))
                return [(a, b) for a, b in spans if text[a:b].strip()]
            depth -= 1
        elif c == "," and depth == 0:
            spans.append((begin, i))
            begin = i + 1
    return None  # the call goes on past this line


def _code(line: str) -> str:
    return line.split("#", 1)[0]


def _replace(lines, i, new_line, kind) -> Mutant:
    src = "".join(lines[:i] + [new_line] + lines[i + 1:])
    return Mutant(kind, i + 1, lines[i], new_line, src)


def _literal_mutants(lines, pattern, kind, factor, smallest=1) -> List[Mutant]:
    for i, line in enumerate(lines):
        m = next((m for m in pattern.finditer(_code(line)) if int(m.group(2)) >= smallest), None)
        if m:
            v = int(m.group(2))
            out = []
            for new in (v + 1, v * factor):
                new_line = line[: m.start(2)] + str(new) + line[m.end(2):]
                out.append(_replace(lines, i, new_line, kind))
            return out
    return []


def _argument_mutant(lines, pattern, kind, which, limit, min_args=1) -> List[Mutant]:
    out = []
    for i, line in enumerate(lines):
        code = _code(line)
        for m in pattern.finditer(code):
            spans = _split_args(code, m.end())
            if not spans or len(spans) < min_args:
                continue
            a, b = spans[which]
            arg = code[a:b].strip()
            if arg.startswith("*"):  # `nn.Linear(*args, **kwargs)` in a helper: no size written there
                continue
            if "=" in arg.split("(")[0]:  # a keyword argument: its value only
                key, value = arg.split("=", 1)
                new_arg = f"{key}=({value.strip()}) + 1"
            else:
                new_arg = f"({arg}) + 1"
            lead = code[a:b][: len(code[a:b]) - len(code[a:b].lstrip())]
            new_line = line[:a] + lead + new_arg + line[b:]
            out.append(_replace(lines, i, new_line, kind))
            if len(out) >= limit:
                return out
            break
    return out


def _marker_mutants(lines) -> List[Mutant]:
    out = []
    for i, line in enumerate(lines):
        m = _MARKER.search(line)
        if not m:
            continue
        kind, expr = m.group(1), m.group(2)
        code, comment = line[: m.start()], line[m.start():]
        at = code.find(expr)
        if at < 0:
            raise ValueError(f"line {i + 1}: `{expr}` is not in the code of its mutant marker")
        for delta in ("+ 1", "- 1"):
            new_code = code[:at] + f"({expr}) {delta}" + code[at + len(expr):]
            out.append(_replace(lines, i, new_code + comment, kind))
    return out


def mutants(source: str) -> List[Mutant]:
    lines = source.splitlines(keepends=True)
    out = []
    out += _literal_mutants(lines, _HEADS, "n_head", 2)
    out += _literal_mutants(lines, _WIDTH, "n_embd", 2, smallest=4)  # `dim=1` of a reduction is no width
    out += _argument_mutant(lines, _VIEW, "view", -1, 2, min_args=2)  # `.view(shape)` holds no number to change
    out += _argument_mutant(lines, _LINEAR, "in_features", 0, 2)
    out += _marker_mutants(lines)
    return out
