"""fixtures/real/ (models in the shapes real repositories use) against real torch: soundness first.

For every target (see tests/fixture_targets.py), through the CLI only (`--explain --format json`):
(a) with its input declared, shapelint reports an error exactly when torch fails (a crash, or a
    changed batch), and every error points at a `# defect` line of that file (its line, or one of
    its `related` locations);
(b) when torch runs, every named submodule's explain shape is torch's, call by call, or unknown:
    a *known* shape torch never produced is a wrong shape, and so is a shape given for a submodule
    torch's model does not have; dims given as strings (symbols) count as unknown;
(c) with nothing declared (the `# shapelint: input=` comments removed, no --input-shape), a file
    whose models torch runs gets no error; a `_bad` file's errors still point at its defect, and a
    defect marked `# defect: every input` must be found.

Today's engine fails some of these. Each failure is one entry of KNOWN_GAPS, applied as a strict
xfail: the to-do list of whoever fixes the engine. An entry names its kinds ("false alarm", "wrong
shape", "missed error", "misplaced error") and the construct responsible;
test_known_gaps_name_exactly_the_problems_seen keeps the kinds honest, so fixing half of a gap
means editing its entry, and fixing all of it turns the xfail into a failure until it is removed.
"""

from __future__ import annotations

import functools
import glob
import json
import os
import re
import shutil
import tempfile

import pytest
from conftest import ROOT, run_cli
from fixture_targets import (
    defect_lines,
    every_input_defect_lines,
    foreign_lines,
    package_root,
    run_in_torch,
    targets_in,
    torch_module_names,
    undeclared,
)
from shape_compare import compare, contradicts, rows_by_module

REAL = os.path.join(ROOT, "fixtures", "real")

# "file.py::Target": "<kind>: <what> (issue N: <construct>)[; <kind>: ...]", grouped by construct.
# Found on the engine of main at 662564c with `shapelint --explain --show-unknown` on each fixture.
KNOWN_GAPS: dict = {
}

KINDS = ("false alarm", "wrong shape", "missed error", "misplaced error")

FILES = sorted(glob.glob(os.path.join(REAL, "**", "*.py"), recursive=True))
TARGETS = [t for path in FILES for t in targets_in(path)]


def key(target) -> str:
    return f"{os.path.relpath(target.path, REAL).replace(os.sep, '/')}::{target.name}"


def _source(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


# ---------------------------------------------------------------------------------------------
# shapelint's answers: two CLI runs over the plain files, one per file inside a package (its
# findings may land in a sibling module, so they must not mix with another file's)

def _lint(paths, extra=()):
    proc = run_cli("--isolated", "--exit-zero", "--explain", "--format", "json", *extra, *paths)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout)


def _shape_args(paths):
    args = []
    for path in paths:
        for t in targets_in(path):
            if t.kind == "variable":
                args += ["--input-shape", f"{t.name}={','.join(map(str, t.dims))}"]
    return args


def _groups(files):
    plain = [p for p in files if package_root(p) is None]
    return [plain] + [[p] for p in files if package_root(p) is not None]


def _collect(results, rename=lambda p: p):
    """{path: {"models": [...], "diagnostics": [...]}} keyed by absolute path under REAL."""
    out = {p: {"models": [], "diagnostics": []} for p in FILES}
    sources = {}
    for linted, data in results:
        for m in data["models"]:
            out.setdefault(rename(os.path.abspath(os.path.join(ROOT, m["path"]))), {"models": [], "diagnostics": []})["models"].append(m)
        for d in data["diagnostics"]:
            d = dict(d, path=rename(os.path.abspath(os.path.join(ROOT, d["path"]))))
            d["related"] = [dict(r, path=rename(os.path.abspath(os.path.join(ROOT, r["path"]))) if "path" in r else d["path"])
                            for r in d.get("related", [])]
            sources.setdefault(linted, []).append(d)
    return out, sources


@functools.cache
def declared_run():
    results = [(tuple(g), _lint(g, _shape_args(g))) for g in _groups(FILES) if g]
    return _collect(results)


@functools.cache
def undeclared_run():
    """The same files with every input declaration removed, linted from a copy of the tree."""
    tmp = tempfile.mkdtemp(prefix="shapelint-undeclared-")
    copy = os.path.join(tmp, "real")
    shutil.copytree(REAL, copy)
    for path in glob.glob(os.path.join(copy, "**", "*.py"), recursive=True):
        with open(path, encoding="utf-8") as f:
            text = f.read()
        with open(path, "w", encoding="utf-8") as f:
            f.write(undeclared(text))

    def back(p):
        return os.path.join(REAL, os.path.relpath(p, copy)) if p.startswith(copy + os.sep) else p

    try:
        results = []
        for group in _groups(FILES):
            if group:
                copies = [os.path.join(copy, os.path.relpath(p, REAL)) for p in group]
                results.append((tuple(group), _lint(copies)))
        return _collect(results, rename=back)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def errors_of(run, target):
    """Errors reported while linting the target's file (wherever they point), less those inside code
    that only the file's other targets use (tests/fixture_targets.py: foreign_lines)."""
    _, by_lint = run
    source = _source(target.path)
    others = [t.name for t in TARGETS if t.path == target.path]
    foreign = foreign_lines(source, target.name, others)
    for linted, diags in by_lint.items():
        if target.path in linted:
            return [d for d in diags if d["severity"] == "error" and (len(linted) == 1 or d["path"] == target.path)
                    and not (d["path"] == target.path and d["line"] in foreign)]
    return []


@functools.cache
def torch_outcome(target):
    return run_in_torch(target)


# ---------------------------------------------------------------------------------------------
# the criteria, as a list of (kind, what) problems per target

def _where(d):
    return f"{os.path.relpath(d['path'], REAL)}:{d['line']} {d['code']} {d['message'][:140]}"


def _on_defect(d, target, defects):
    spots = [(d["path"], d["line"])] + [(r["path"], r.get("line")) for r in d.get("related", [])]
    return any(p == target.path and line in defects for p, line in spots)


def shape_problems(target, outcome):
    models = declared_run()[0].get(target.path, {"models": []})["models"]
    model = next((m for m in models if m["class"] == target.name), None)
    if model is None:
        return []  # no table at all: unknown, which is allowed (coverage counts it)
    problems = []
    if model.get("input") is not None and model["input"] != list(target.dims):
        problems.append(("wrong shape", f"input {model['input']} but {list(target.dims)} was declared"))
    rows, conditional = rows_by_module(model)
    names = torch_module_names(target) or set()
    for module in sorted(set(rows) - names):
        if any(out is not None for out in rows[module]):  # a shape claimed for a submodule torch does not have
            problems.append(("wrong shape", f"{module}: {rows[module]} for a submodule torch's model does not have"))
    # a fixture that reads `.training` ran in eval mode too: a known shape must be torch's in each mode
    for mode, run in (("", outcome), (" in eval mode", outcome.eval)):
        if run is None:
            continue
        for module, calls in run.shapes.items():
            for s, r in compare(rows.get(module, []), calls, module in conditional).wrong:
                problems.append(("wrong shape", f"{module}: {s}, torch{mode} {r}"))
        if run.output is not None and contradicts(model.get("output"), run.output):
            problems.append(("wrong shape", f"model output {model['output']}, torch{mode} {run.output}"))
    return problems


def verdict_problems(target, outcome, run, label):
    source = _source(target.path)
    defects = defect_lines(source)
    errors = errors_of(run, target)
    if not target.bad:
        return [("false alarm", f"{label}: {_where(d)}") for d in errors]
    problems = [("misplaced error", f"{label}: {_where(d)}; the defect is at line(s) {sorted(defects)}")
                for d in errors if not _on_defect(d, target, defects)]
    must_find = label == "declared" or every_input_defect_lines(source)
    if must_find and not errors:
        problems.append(("missed error", f"{label}: no error; torch: {outcome.error[:140]}"))
    return problems


@functools.cache
def problems_of(target):
    outcome = torch_outcome(target)
    problems = verdict_problems(target, outcome, declared_run(), "declared")
    if outcome.verdict == "ok":
        problems += shape_problems(target, outcome)
    problems += verdict_problems(target, outcome, undeclared_run(), "nothing declared")
    return problems


def kinds_named(reason: str):
    return set(re.findall(r"(?:^|; )(" + "|".join(KINDS) + r"):", reason))


def _param(target):
    k = key(target)
    marks = [pytest.mark.xfail(strict=True, reason=KNOWN_GAPS[k])] if k in KNOWN_GAPS else []
    return pytest.param(target, id=k, marks=marks)


# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("target", [_param(t) for t in TARGETS])
def test_real_model_is_sound(target):
    problems = problems_of(target)
    assert not problems, "\n".join(f"{kind}: {what}" for kind, what in problems)


def test_fixtures_behave_in_torch_as_their_names_say():
    wrong = []
    for t in TARGETS:
        outcome = torch_outcome(t)
        defects = defect_lines(_source(t.path))
        if (outcome.verdict != "ok") != t.bad:
            wrong.append(f"{key(t)}: torch {outcome.verdict} {outcome.error[:100]}")
        elif t.bad != bool(defects):
            wrong.append(f"{key(t)}: mark the defect of a _bad fixture (and only there)")
        elif outcome.verdict == "ok" and not outcome.shapes:
            wrong.append(f"{key(t)}: torch ran no named submodule; the fixture checks nothing")
    assert not wrong, wrong
    assert sum(t.bad for t in TARGETS) >= 20 and sum(not t.bad for t in TARGETS) >= 60


def test_variable_targets_have_unique_names():
    """Targets are declared to one CLI run with --input-shape NAME=...; a shared name would mix them."""
    names = [t.name for t in TARGETS if t.kind == "variable"]
    assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)


def test_known_gaps_name_exactly_the_problems_seen():
    keys = {key(t): t for t in TARGETS}
    stale = sorted(set(KNOWN_GAPS) - set(keys))
    assert not stale, f"KNOWN_GAPS entries for targets that do not exist: {stale}"
    wrong = {}
    for k, reason in KNOWN_GAPS.items():
        seen = {kind for kind, _ in problems_of(keys[k])}
        if kinds_named(reason) != seen:
            wrong[k] = (sorted(kinds_named(reason)), sorted(seen))
    assert not wrong, f"entry kinds (named, seen) differ: {wrong}"


# the constructs issues 10 and 16 require fixtures for, and where this corpus writes them
REQUIRED_CONSTRUCTS = {
    "Conv2dNormActivation(nn.Sequential) with partial(nn.BatchNorm2d, eps=...)": ("conv_norm_activation.py", r"class Conv2dNormActivation\(nn\.Sequential\)[\s\S]*partial\(nn\.BatchNorm2d, eps="),
    "a `while repeats:` stage builder": ("while_builders.py", r"while repeats:"),
    "a config dataclass": ("config_dataclass.py", r"@dataclass[\s\S]*field\(default_factory="),
    "a VAE decoder built with reverse()": ("vae.py", r"hidden_dims\.reverse\(\)"),
    "a module-level `if hasattr`": ("module_guards.py", r"^if hasattr\(nn, \"SiLU\"\):"),
    "Lazy modules": ("lazy_modules.py", r"nn\.LazyConv2d[\s\S]*nn\.LazyLinear"),
    "an aux head under `if self.training`": ("training_branches.py", r"if self\.training and self\.aux_logits:"),
    "an aux head under a plain `if self.training:`": ("training_modes.py", r"if self\.training:\n\s+aux = self\.aux_fc"),
    "`if not self.training:`": ("training_branches.py", r"if not self\.training:"),
    "`x if self.training else y`": ("training_modes.py", r"self\.up\(x\) if self\.training else self\.down\(x\)"),
    "dropout under `if self.training:`": ("training_modes.py", r"if self\.training:\n\s+x = self\.dropout\(x\)"),
    "a timm-style DropPath reading self.training": ("training_modes.py", r"return drop_path\(x, self\.drop_prob, self\.training\)"),
    "a training-only bug": ("training_aux_bad.py", r"self\.aux\(x\) if self\.training else None"),
    "an eval-only bug": ("training_eval_bad.py", r"if not self\.training:\n\s+return self\.eval_fc\(x\)"),
    "torch.nn through sys.modules and importlib.import_module": ("module_aliases.py", r"^nn = sys\.modules\[\"torch\.nn\"\]\nF = importlib\.import_module\(\"torch\.nn\.functional\"\)"),
    "`try: from timm.layers import DropPath except ImportError: class DropPath`": ("module_guards_try.py", r"try:\n    from timm\.layers import DropPath\nexcept ImportError:\n\n    class DropPath\(nn\.Module\)"),
    "a width chosen by an optional import": ("module_guards_try.py", r"WIDTH = 64\nexcept ImportError:\n    WIDTH = 32"),
    "a module-level `if torch.__version__ >= ...` with a class in both branches": ("module_guards_classes.py", r"^if torch\.__version__ >= \"1\.7\":\n\n    class Act\(nn\.Module\)[\s\S]*^else:\n\n    class Act\(nn\.Module\)"),
    "a model class defined inside an undecided module-level `if`": ("module_guards_classes.py", r"^if os\.environ\.get[^\n]*:\n\n    class Block\(nn\.Module\):  # shapelint: input="),
    "an alias chain of nn.Module as a base": ("module_aliases.py", r"^Module = tnn\.Module\nBase = Module[\s\S]*class AliasNet\(Base\)"),
    "the quickstart model with Linear(256, 10) after 512": ("quickstart_bad.py", r"nn\.Linear\(512, 512\)[\s\S]*nn\.Linear\(256, 10\)"),
    "a module-level nn.Sequential(nn.Flatten(), ...) mismatch": ("sequential_module_level_bad.py", r"^flat_model = nn\.Sequential\([\s\S]*nn\.Flatten\(\)"),
    "Head(in_ch, num_classes) with 64 channels into BatchNorm2d(32)": ("head_bad.py", r"nn\.Conv2d\(in_ch, 64[\s\S]*nn\.BatchNorm2d\(32\)"),
    "attention whose rank is read from `B, N, C = x.shape`": ("attention_rank_bad.py", r"B, N, C = x\.shape"),
    "a wrong argument to a shared helper double_conv(base, base)": ("unet_helper_bad.py", r"double_conv\(base, base\)  # defect"),
    "a wrong argument to ConvBNAct from a sibling file": ("convbn_pkg/net_bad.py", r"from \.layers import ConvBNAct[\s\S]*ConvBNAct\(256, 256\)  # defect"),
    "ShuffleNet with the out_planes/4 float": ("shufflenet_bad.py", r"mid_planes = out_planes / 4  # defect"),
}


@pytest.mark.parametrize("construct", sorted(REQUIRED_CONSTRUCTS))
def test_required_construct_has_a_fixture_torch_checks(construct):
    name, pattern = REQUIRED_CONSTRUCTS[construct]
    path = os.path.join(REAL, name)
    assert re.search(pattern, _source(path), re.MULTILINE), f"{name} no longer writes {construct}"
    assert [t for t in TARGETS if t.path == path], f"{name} declares no target"


def test_comparison_flags_contradictions_and_only_them():
    """The measuring stick itself: what counts as wrong, equal and unknown."""
    assert contradicts([2, 8, 4, 4], [2, 16, 4, 4]) and contradicts([2, 8], [2, 8, 1])
    assert not contradicts(None, [2, 8]) and not contradicts(["B", 8], [2, 8]) and not contradicts([2, 8], [2, 8])
    assert compare([[2, 8]], [[2, 8]]).equal and not compare([[2, 8]], [[2, 8]]).wrong
    assert compare([["?", 32, 8, 8]], [[2, 8, 8, 8]]).wrong  # a partly known shape can still be wrong
    assert not compare([None], [[2, 8]]).known and not compare([], [[2, 8]]).wrong  # unknown is allowed
    # one row for a module torch called twice: wrong only if it matches neither call
    assert not compare([[2, 8]], [[2, 8], [2, 4]]).wrong and compare([[2, 3]], [[2, 8], [2, 4]]).wrong
    assert compare([[2, 8], [2, 4]], [[2, 4]], conditional=True).equal  # both undecided paths, torch took one
