"""Well-known architectures, written here in their usual style, checked against torch.

For every model with a declared input: shapelint's static shape for every named
submodule equals what torch's forward hooks record, and the lint is clean. Then each
fixture is mutated automatically (a wrong channel count, a wrong Linear in_features, a
wrong view size, a broken residual/skip) and shapelint must flag the mutated line,
exactly when torch fails on the mutant.
"""

import glob
import os
import re

import pytest

from shapelint.engine.check import check_source
from torch_oracle import declared_inputs, run_model

pytestmark = pytest.mark.torch  # every test compares with real torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FILES = sorted(glob.glob(os.path.join(ROOT, "fixtures", "architectures", "*.py")))
CASES = [
    (path, target, shape)
    for path in FILES
    for target, shape in declared_inputs(open(path).read()).items()
]


def _ids(cases):
    return [f"{os.path.basename(p)}::{t}" for p, t, *_ in cases]


def static_rows(source, path, target):
    result = check_source(path, source, explain=True)
    model = next(m for m in result.models if m.name == target)
    rows = {}
    for row in model.layers:
        if row.module is not None:
            rows.setdefault(row.module, []).append(row.out)
    return result, rows


@pytest.mark.parametrize("path,target,shape", CASES, ids=_ids(CASES))
def test_static_shapes_equal_torch(path, target, shape):
    source = open(path).read()
    torch_result = run_model(source, target, shape, filename=path)
    assert torch_result.verdict == "ok", torch_result.error
    result, rows = static_rows(source, path, target)
    assert [f for f in result.findings if f.severity == "error"] == []
    assert torch_result.shapes, "torch saw no submodules"
    for name, outs in torch_result.shapes.items():
        assert name in rows, f"{name}: no static shape (torch saw {outs})"
        assert rows[name] == outs, f"{name}: static {rows[name]} vs torch {outs}"


# ---------------------------------------------------------------- mutants

MUTATIONS = {
    # the first conv/norm whose channel argument we can perturb
    "channels": re.compile(r"(nn\.(?:Conv[123]d|BatchNorm[123]d)\()([^,()]+(?:\([^()]*\))?[^,()]*)([,)])"),
    "in_features": re.compile(r"(nn\.Linear\()([^,()]+(?:\([^()]*\))?[^,()]*)(,)"),
}


def mutants(source):
    """(kind, mutated source, 1-based line of the mutation)."""
    lines = source.splitlines(keepends=True)
    out = []
    for kind, pattern in MUTATIONS.items():
        for i, line in enumerate(lines):
            m = pattern.search(line)
            if m and "__init__" not in line:
                new = line[: m.start()] + m.group(1) + f"({m.group(2)}) + 1" + m.group(3) + line[m.end():]
                out.append((kind, "".join(lines[:i] + [new] + lines[i + 1:]), i + 1))
                break
    for i, line in enumerate(lines):
        if "# flatten" in line:
            indent = line[: len(line) - len(line.lstrip())]
            var = line.strip().split("=")[0].strip() if "=" in line.split("#")[0] and not line.strip().startswith("return") else None
            if var:
                new = line.rstrip("\n") + "\n" + f"{indent}{var} = {var}.view(-1, 1000003)\n"
                out.append(("view", "".join(lines[: i + 1] + [new.split("\n", 1)[1]] + lines[i + 1:]), i + 2))
            break
    for i, line in enumerate(lines):
        m = re.search(r"# residual: (\w+)", line)
        if m:
            name = m.group(1)
            code, comment = line.split("#", 1)
            # drop one row of the skip tensor: its height no longer matches the other branch
            new_code = re.sub(rf"\b{name}\b(?!\s*=)", f"{name}[:, :, 1:]", code, count=1)
            if new_code != code:
                out.append(("residual", "".join(lines[:i] + [new_code + "#" + comment] + lines[i + 1:]), i + 1))
            break
    return out


MUTANTS = [(path, kind, src, line) for path in FILES for kind, src, line in mutants(open(path).read())]


@pytest.mark.parametrize("path,kind,src,line", MUTANTS, ids=[f"{os.path.basename(p)}::{k}" for p, k, _s, _l in MUTANTS])
def test_mutant_flagged_on_its_line(path, kind, src, line):
    # a file's mutant is broken if torch fails on any of the file's models
    outcomes = [run_model(src, t, s, filename=path) for t, s in declared_inputs(src).items()]
    failed = [o for o in outcomes if o.verdict != "ok"]
    errors = [f for f in check_source(path, src).findings if f.severity == "error"]
    if not failed:
        assert errors == [], "torch runs every model of this mutant, so shapelint must not flag it"
        return
    assert errors, f"torch fails ({failed[0].error}) but shapelint reports nothing"
    # the defect's line is the mutated line, or a line where torch itself fails
    expected = {line} | {o.line for o in failed}
    assert expected & {f.line for f in errors}, (expected, [(f.line, f.code, f.message) for f in errors])


def test_every_fixture_has_mutants():
    kinds = {}
    for path, kind, _src, _line in MUTANTS:
        kinds.setdefault(os.path.basename(path), set()).add(kind)
    for path in FILES:
        got = kinds.get(os.path.basename(path), set())
        assert len(got) >= 2, (path, got)
    assert set().union(*kinds.values()) == {"channels", "in_features", "view", "residual"}
