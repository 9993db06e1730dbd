"""`--trace`: torch's own answer, through the real CLI in a subprocess.

Oracles: `torch_oracle.run_model` (real torch on CPU, in this process) for crash lines,
messages, batch changes and per-module shapes; the fixture's own text for the line a
finding must point at; arithmetic written out for shapes the oracle's hooks do not see.
"""

import json
import os
import subprocess
import sys
import time
import types

import pytest

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch

from conftest import ROOT, run_cli  # noqa: E402
from torch_oracle import declared_inputs, load, run_model, run_module_file  # noqa: E402

FIX = os.path.join(ROOT, "fixtures", "trace")


def fixture(name):
    return os.path.join(FIX, name)


def source_of(name):
    with open(fixture(name)) as fh:
        return fh.read()


def line_of(name, text):
    """1-based line of the fixture holding `text` (exactly one)."""
    hits = [i for i, ln in enumerate(source_of(name).splitlines(), 1) if text in ln]
    assert len(hits) == 1, (name, text, hits)
    return hits[0]


def oracle(name, target):
    src = source_of(name)
    return run_model(src, target, declared_inputs(src)[target], filename=fixture(name))


COMBINED = [
    "crash_in_block.py", "convtranspose_channels.py", "batch_change.py", "static_unknown.py",
    "data_dependent.py", "import_fails.py", "needs_args.py", "sequential_var.py",
]


@pytest.fixture(scope="module")
def combined():
    """One traced run over several fixtures (torch is imported once in the child)."""
    proc = run_cli("--trace", "--explain", "--format", "json", "--init-args", 'Wide={"width": 6}',
                   "--input-shape", "model=2,3,4,5",
                   *[os.path.join("fixtures", "trace", n) for n in COMBINED])
    assert proc.returncode == 1, proc.stderr  # torch errors are error-severity findings
    data = json.loads(proc.stdout)
    return data


def diags(data, name, code=None):
    path = os.path.join("fixtures", "trace", name)
    found = data["diagnostics"] if isinstance(data, dict) else data
    return [d for d in found if d["path"] == path and (code is None or d["code"] == code)]


def model(data, name, cls):
    path = os.path.join("fixtures", "trace", name)
    (m,) = [m for m in data["models"] if m["path"] == path and m["class"] == cls]
    return m


def test_crash_is_reported_at_the_line_torch_fails_with_torchs_message(combined):
    truth = oracle("crash_in_block.py", "Net")
    assert truth.verdict == "crash" and truth.line == line_of("crash_in_block.py", "return F.relu(self.conv(x))")
    (f,) = diags(combined, "crash_in_block.py", "SHP300")
    assert f["line"] == truth.line
    assert truth.error in f["message"]  # torch's CPU message, not the meta kernel's wording
    assert f["source"] == "trace" and f["severity"] == "error"
    (static,) = diags(combined, "crash_in_block.py", "SHP001")  # the same bug, found without torch
    assert f["message"].endswith(f"shapelint found this statically (SHP001 at line {static['line']})")


def test_convtranspose_channel_error_is_found_although_meta_does_not_check_it(combined):
    truth = oracle("convtranspose_channels.py", "Decoder")
    assert truth.verdict == "crash"
    with torch.device("meta"):  # the gap this guards against: meta accepts the wrong channels
        torch.nn.ConvTranspose2d(32, 8, 2, 2)(torch.empty(2, 16, 8, 8))
    (f,) = diags(combined, "convtranspose_channels.py", "SHP300")
    assert f["line"] == truth.line and truth.error in f["message"]


def test_silent_batch_change_is_reported_at_the_view(combined):
    truth = oracle("batch_change.py", "Folding")
    assert truth.verdict == "batch-changed"
    (f,) = diags(combined, "batch_change.py", "SHP301")
    assert f["line"] == line_of("batch_change.py", "x.view(-1, 512)")
    assert f"output batch is {truth.output[0]} for an input batch of 4" in f["message"]
    assert model(combined, "batch_change.py", "Folding")["trace"]["output"] == truth.output


def test_traced_shapes_fill_the_table_where_the_static_engine_has_no_rule(combined):
    truth = oracle("static_unknown.py", "Patches")
    assert truth.verdict == "ok"
    m = model(combined, "static_unknown.py", "Patches")
    rows = {r["module"]: r for r in m["layers"] if r["module"]}
    for name in ("patches", "proj"):
        assert rows[name]["traced_out"] == truth.shapes[name][0]
        assert rows[name]["out"] is None or "?" in rows[name]["out"]  # static did not know it
    (einsum,) = [r for r in m["layers"] if r["op"] == "einsum"]
    # PixelUnshuffle(2) of (2, 3, 8, 8) (CrossMapLRN2d keeps it), flattened: 3*2*2 = 12 values per patch, (8/2)*(8/2) = 16 patches
    assert einsum["traced_out"] == [2, 16, 12]
    assert m["trace"]["method"] == "fx on meta"
    assert diags(combined, "static_unknown.py") == []


def test_data_dependent_forward_falls_back_to_hooks(combined):
    truth = oracle("data_dependent.py", "Gate")
    assert truth.verdict == "ok"
    m = model(combined, "data_dependent.py", "Gate")
    assert m["trace"]["method"].startswith("hooks")
    assert "control flow" in m["trace"]["fx_error"]["message"]
    (head,) = [r for r in m["layers"] if r["module"] == "head"]
    assert head["traced_out"] == truth.shapes["head"][0]
    branches = [r["traced_out"] for r in m["layers"] if r["module"] in ("a", "b")]
    assert sorted(branches, key=str) == [None, [2, 4]]  # Linear(8, 4) on (2, 8); one branch ran
    (relu,) = [r for r in m["layers"] if r["op"] == "torch.relu"]  # a functional op, seen by the hooks run
    assert relu["traced_out"] == [2, 4]
    assert [d for d in diags(combined, "data_dependent.py") if d["source"] == "trace"] == []


def test_import_failure_is_a_clear_warning_and_other_files_are_still_traced(combined):
    (f,) = diags(combined, "import_fails.py", "SHP303")
    assert f["line"] == line_of("import_fails.py", "import shapelint_no_such_module_for_tests")
    assert "ModuleNotFoundError" in f["message"] and "shapelint_no_such_module_for_tests" in f["message"]
    assert f["severity"] == "warning"
    assert diags(combined, "crash_in_block.py", "SHP300")  # the files around it were traced


def test_init_args_from_the_command_line_and_a_note_when_missing(combined):
    wide = model(combined, "needs_args.py", "Wide")
    x = torch.randn(2, 5)
    assert wide["trace"]["output"] == list(torch.nn.Linear(5, 6)(x).shape)
    (note,) = diags(combined, "needs_args.py", "SHP304")
    assert "Deep" in note["message"] and "depth" in note["message"] and note["severity"] == "info"
    assert note["line"] == line_of("needs_args.py", "class Deep(")


def test_model_in_a_variable_fails_inside_sequential_at_the_layer_definition(combined):
    src = source_of("sequential_var.py")
    truth = run_model(src, "model", [2, 3, 4, 5], filename=fixture("sequential_var.py"))
    assert truth.verdict == "crash"
    (f,) = diags(combined, "sequential_var.py", "SHP300")
    assert truth.error in f["message"]
    assert f["line"] == line_of("sequential_var.py", "nn.Linear(48, 10)")  # torch fails in Sequential.forward


def test_every_traced_finding_says_so(combined):
    for d in combined["diagnostics"]:
        assert d["source"] == ("trace" if d["code"].startswith("SHP3") else "static"), d


@pytest.fixture(scope="module")
def limits_run():
    """configured/classifier.py (init-args from its pyproject.toml), hangs.py, then heavy.py
    (traced by a fresh child after the hung one is killed)."""
    start = time.monotonic()
    proc = run_cli("--trace", "--timeout", "3", "--explain", "--format", "json",
                   *[os.path.join("fixtures", "trace", n) for n in ("configured", "hangs.py", "heavy.py")])
    return proc, time.monotonic() - start


def test_hanging_model_is_stopped_by_the_timeout(limits_run):
    proc, elapsed = limits_run
    assert proc.returncode == 0, proc.stderr  # timeouts and memory are warnings, not shape errors
    (f,) = diags(json.loads(proc.stdout), "hangs.py", "SHP303")
    assert "timed out after 3 s while running Forever" in f["message"]
    assert f["line"] == line_of("hangs.py", "class Forever(")
    assert elapsed < 60  # two torch start-ups + 3 s, not the default 60 s limit


def test_models_finished_before_a_timeout_keep_their_traced_shapes(limits_run):
    proc, _ = limits_run
    truth = oracle("hangs.py", "Quick")
    assert truth.verdict == "ok"
    quick = model(json.loads(proc.stdout), "hangs.py", "Quick")
    assert quick["trace"]["output"] == truth.output
    assert [r["traced_out"] for r in quick["layers"] if r["module"] == "fc"] == truth.shapes["fc"]


def test_heavy_model_runs_out_of_memory_with_a_clear_warning(limits_run):
    """Also: heavy.py comes after hangs.py, so a fresh child traced it after the timeout."""
    proc, _ = limits_run
    (f,) = diags(json.loads(proc.stdout), "heavy.py", "SHP303")
    assert "ran out of memory" in f["message"] and str(160_000 * 160_000 * 4) in f["message"]
    assert f["line"] == line_of("heavy.py", "class Heavy(") and f["severity"] == "warning"


def test_child_memory_cap_is_enforced():
    """The cap the child sets on itself: 256 MiB of address space, then a 512 MiB allocation fails."""
    code = ("from shapelint.frontends.trace.child import _limit_memory; _limit_memory(256 * 1024**2)\n"
            "try:\n    bytearray(512 * 1024**2)\nexcept MemoryError:\n    print('capped')\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60,
                         env=dict(os.environ, PYTHONPATH=ROOT))
    assert out.stdout.strip() == "capped", out.stderr


def test_pyproject_init_args_apply(limits_run):
    proc, _ = limits_run
    data = json.loads(proc.stdout)
    sys.path.insert(0, os.path.join(FIX, "configured"))
    try:
        import classifier
    finally:
        sys.path.pop(0)
    expected = list(classifier.Classifier(num_classes=7)(torch.randn(3, 20)).shape)  # pyproject: num_classes = 7
    (m,) = [m for m in data["models"] if m["class"] == "Classifier"]
    assert m["trace"]["output"] == expected
    (head,) = [r for r in m["layers"] if r["module"] == "head"]
    assert head["traced_out"] == expected


def _fake_torch_env(tmp_path):
    fake = tmp_path / "torch"
    fake.mkdir()
    (fake / "__init__.py").write_text("raise ImportError('No module named torch (simulated)')\n")
    env = dict(os.environ)
    env["PYTHONPATH"] = str(tmp_path)
    return env


def test_missing_torch_gives_one_line_and_exit_2(tmp_path):
    env = _fake_torch_env(tmp_path)
    proc = run_cli("--trace", "examples/simple_cnn.py", env=env)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "pip install '.[trace]'" in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout


def test_static_path_never_imports_torch(tmp_path):
    env = _fake_torch_env(tmp_path)
    proc = run_cli("--explain", "examples/simple_cnn.py", env=env)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr  # the static finding, no import
    code = ("import sys, shapelint.frontends.cli, shapelint.frontends.trace.parent, shapelint.engine.check as a; "
            "a.check_source('x.py', open('examples/simple_cnn.py').read(), explain=True); "
            "assert 'torch' not in sys.modules, 'torch imported'")
    env2 = dict(os.environ, PYTHONPATH=ROOT)
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env2, check=True, timeout=60)


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
def test_device_cuda_without_a_gpu_is_a_clear_usage_error():
    proc = run_cli("--trace", "--device", "cuda", "examples/simple_cnn.py")
    assert proc.returncode == 2
    assert "--device cuda: no CUDA device is available (torch.cuda.is_available() is False)" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_device_cuda_finds_the_crash_on_the_gpu():
    truth = oracle("crash_in_block.py", "Net")
    proc = run_cli("--trace", "--device", "cuda", "--format", "json", os.path.join("fixtures", "trace", "crash_in_block.py"))
    (f,) = [d for d in json.loads(proc.stdout) if d["code"] == "SHP300"]
    assert f["line"] == truth.line and "cuda" in f["message"]


def test_pyproject_trace_true_turns_trace_on_only_when_named_with_config(tmp_path):
    """configured/pyproject.toml says trace = true: found in the checked tree it is not honoured
    (it would run the checked code, say a pull request's); named with --config it turns the
    trace on, so the (fake, broken) torch is needed."""
    env = _fake_torch_env(tmp_path)
    proc = run_cli(os.path.join("fixtures", "trace", "configured"), env=env)
    assert proc.returncode in (0, 1) and "not honoured" in proc.stderr, proc.stderr
    config = os.path.join("fixtures", "trace", "configured", "pyproject.toml")
    proc = run_cli("--config", config, os.path.join("fixtures", "trace", "configured"), env=env)
    assert proc.returncode == 2 and "pip install '.[trace]'" in proc.stderr
    proc = run_cli("fixtures/trace/hangs.py", env=env)  # its pyproject has no trace
    assert proc.returncode == 0, proc.stderr


def test_explain_text_shows_static_and_traced_side_by_side():
    from shapelint.core.results import ExplainRow, FileResult, ModelReport
    from shapelint.frontends.report import explain_text

    rep = ModelReport("Net", "class", None, [2, 4])
    rep.line = 1
    rep.layers = [ExplainRow("fc", "Linear", [2, 4], ["?", 5], traced=True, traced_out=[2, 5], line=2)]
    rep.trace = {"method": "fx on meta", "status": "ok", "input": [2, 4], "output": [2, 5]}
    r = FileResult("m.py", models=[rep])
    lines = explain_text([r]).splitlines()
    assert "traced with fx on meta: input (2, 4) -> output (2, 5) (ok)" in lines[1]
    assert lines[2].split() == ["line", "module", "op", "in", "out", "traced"]
    assert lines[3].split()[-4:] == ["(?,", "5)", "(2,", "5)"]  # static out, then traced out


def test_disagreement_between_static_and_traced_shapes_is_a_warning():
    """The merge alone, on rows written out by hand: static (2, 5) vs torch (2, 6) at line 3."""
    from shapelint.core.results import ExplainRow, FileResult, ModelReport
    from shapelint.engine.check import Settings
    from shapelint.frontends.trace.parent import TraceJob, _merge_layers

    r = FileResult("m.py", source="a\nb\n        y = self.fc(x)\n")
    rep = ModelReport("Net", "class", None, [2, 4])
    rep.layers = [
        ExplainRow("fc", "Linear", [2, 4], [2, 5], line=2, call_line=3),
        ExplainRow(None, "F.relu", [2, 5], ["?", 5], line=3, call_line=3),
    ]
    traced = {"name": "Net", "layers": [
        {"module": "fc", "op": "Linear", "line": 3, "out": [2, 6]},
        {"module": None, "op": "relu", "line": 3, "out": [2, 6]},
    ]}
    (f,) = _merge_layers(r, TraceJob(r, Settings(isolated=True)), traced, rep, r.source.splitlines())
    assert f.code == "SHP302" and f.severity == "warning" and f.source == "trace"
    assert "(2, 6)" in f.message and "(2, 5)" in f.message and (f.line, f.column) == (3, 9)
    assert [row.traced_out for row in rep.layers] == [[2, 6], [2, 6]]  # unknown static: filled, not flagged


def test_bad_init_args_is_a_usage_error():
    proc = run_cli("--trace", "--init-args", "Net={not json", "examples/simple_cnn.py")
    assert proc.returncode == 2 and "--init-args" in proc.stderr and "Traceback" not in proc.stderr


def test_static_error_that_torch_does_not_reproduce_is_flagged():
    """A stub answer (every model ran) against a static error at line 3: SHP305 at line 3."""
    from shapelint.core.findings import Finding
    from shapelint.core.results import FileResult
    from shapelint.engine.check import Settings
    from shapelint.frontends.trace.parent import TraceJob, TraceOptions, apply_answer

    r = FileResult("m.py", source="import torch\nclass A:\n    x = 1\n")
    static = Finding("SHP001", "error", ("x",), line=3, column=5, message="c expects 8 input channels")
    r.findings = [static]
    job = TraceJob(r, Settings(isolated=True))
    job.answer = {"models": [{"name": "A", "status": "ok", "input": [2, 3], "output": [2, 3], "layers": []}]}
    apply_answer(job, TraceOptions())
    (f,) = [f for f in r.findings if f.code == "SHP305"]
    assert (f.line, f.severity, f.source) == (3, "warning", "trace") and "SHP001" in f.message
    job.answer["models"][0]["status"] = "error"  # torch failed too: nothing to contradict
    job.answer["models"][0]["error"] = {"message": "RuntimeError: x", "line": 3}
    r.findings = [static]
    apply_answer(job, TraceOptions())
    assert not [f for f in r.findings if f.code == "SHP305"]


# ----------------------------------------------------------------------------- packages

PROJECT = os.path.join(FIX, "project")  # the root of the two-level package `vision`
CLASSIFIER = os.path.join(PROJECT, "vision", "models", "classifier.py")
IDIOMS = os.path.join(ROOT, "fixtures", "idioms")
PACKAGED_NET = os.path.join(IDIOMS, "pkg", "net.py")


def rel(path):
    return os.path.relpath(path, ROOT)


def model_at(data, path, cls):
    (m,) = [m for m in data["models"] if m["path"] == rel(path) and m["class"] == cls]
    return m


def diags_at(data, path, code=None):
    return [d for d in data["diagnostics"] if d["path"] == rel(path) and (code is None or d["code"] == code)]


@pytest.fixture(scope="module")
def packages_run(tmp_path_factory):
    """Both package fixtures, a plain script between them, and two unrelated roots that each
    hold a package named `pkg` (one child imports them all)."""
    roots = tmp_path_factory.mktemp("roots")
    for i, width in ((1, 5), (2, 7)):
        pkg = roots / f"root{i}" / "pkg"
        pkg.mkdir(parents=True)
        (pkg / "__init__.py").write_text("")
        (pkg / "layers.py").write_text(f"import torch.nn as nn\n\n\ndef head():\n    return nn.Linear(4, {width})\n")
        (pkg / "net.py").write_text(
            "import torch.nn as nn\n\nfrom .layers import head\n\n\n"
            "class Net(nn.Module):  # shapelint: input=(B, 4)\n    def __init__(self):\n        super().__init__()\n"
            "        self.fc = head()\n\n    def forward(self, x):\n        return self.fc(x)\n")
    zoo = roots / "root3" / "zoo"  # a layer with a float channel count, built in a sibling module
    zoo.mkdir(parents=True)
    (zoo / "__init__.py").write_text("")
    (zoo / "blocks.py").write_text(
        "import torch.nn as nn\n\n\nclass Block(nn.Module):\n    def __init__(self, c):\n        super().__init__()\n"
        "        self.conv = nn.Conv2d(c, c / 2, 3)\n\n    def forward(self, x):\n        return self.conv(x)\n")
    for name, tail in (("Net", "\n\nmodel = Net()\n"), ("Net2", "")):
        (zoo / f"{name.lower()}.py").write_text(
            f"import torch.nn as nn\n\nfrom .blocks import Block\n\n\nclass {name}(nn.Module):\n    def __init__(self):\n"
            "        super().__init__()\n        self.b = Block(8)\n\n    def forward(self, x):\n        return self.b(x)\n" + tail)
    others = [str(roots / "root1" / "pkg" / "net.py"), str(roots / "root2" / "pkg" / "net.py")]
    proc = run_cli("--trace", "--explain", "--format", "json", rel(PACKAGED_NET),
                   os.path.join("fixtures", "trace", "batch_change.py"), rel(CLASSIFIER), *others,
                   str(zoo / "net.py"), str(zoo / "net2.py"))
    return json.loads(proc.stdout), others, zoo


def test_package_module_with_relative_imports_is_traced_as_a_package(packages_run):
    data, _, _ = packages_run
    truth = run_module_file(PACKAGED_NET, IDIOMS, "PackagedNet", [2, 3, 16, 16])
    assert truth.verdict == "ok"
    assert diags_at(data, PACKAGED_NET, "SHP303") == []  # was: "attempted relative import with no known parent package"
    m = model_at(data, PACKAGED_NET, "PackagedNet")
    assert m["trace"]["status"] == "ok" and m["trace"]["output"] == truth.output
    for name in ("b1", "b2", "fc"):
        assert [r["traced_out"] for r in m["layers"] if r["module"] == name] == truth.shapes[name]


def test_two_level_package_is_traced_from_its_root(packages_run):
    """`from ..layers import`, `from .heads import` and `import vision.layers` (the root on sys.path)."""
    data, _, _ = packages_run
    assert diags_at(data, CLASSIFIER, "SHP303") == []
    truth = run_module_file(CLASSIFIER, PROJECT, "TinyClassifier", [2, 3, 32, 32])
    assert truth.verdict == "ok"
    m = model_at(data, CLASSIFIER, "TinyClassifier")
    assert m["trace"]["output"] == truth.output
    for name in ("stem", "stage", "head.fc"):
        assert [r["traced_out"] for r in m["layers"] if r["module"] == name] == truth.shapes[name]
    truth = run_module_file(CLASSIFIER, PROJECT, "WrongHead", [2, 3, 32, 32])
    assert truth.verdict == "crash"  # a block of vision/layers.py gets 16 channels where it expects 32
    (f,) = diags_at(data, CLASSIFIER, "SHP300")
    assert f["line"] == truth.line == line_of("project/vision/models/classifier.py", "return self.stage(self.stem(x))")
    assert truth.error in f["message"]


def test_same_package_name_under_two_roots_is_imported_from_each(packages_run):
    data, others, _ = packages_run
    for path, width in zip(others, (5, 7)):
        (m,) = [m for m in data["models"] if m["path"] == path and m["class"] == "Net"]
        assert m["trace"]["output"] == list(torch.nn.Linear(4, width)(torch.randn(2, 4)).shape)


def test_plain_script_is_still_imported_as_a_script(packages_run):
    data, _, _ = packages_run
    assert diags(data, "batch_change.py", "SHP301")  # traced, between two packages


def test_constructor_error_in_a_sibling_module_is_an_error_in_that_module(packages_run):
    """`model = Net()` at import (and a class built by the trace): the bad layer is built in blocks.py."""
    data, _, zoo = packages_run
    blocks = os.path.realpath(zoo / "blocks.py")
    with pytest.raises(TypeError) as exc:
        torch.nn.Conv2d(8, 8 / 2, 3)
    found = [d for d in data["diagnostics"] if d["code"] == "SHP300" and d["path"] == blocks]
    assert sorted(d["message"].split(":")[0] for d in found) == ["Net", "Net2"]  # net.py's import, net2.py's class
    for d in found:
        assert d["line"] == 7 and d["severity"] == "error" and str(exc.value).splitlines()[0] in d["message"]


# ----------------------------------------------------------------------------- faithful to torch


FAITHFUL = ["lazy_modules.py", "train_eval.py", "ctor_type_error.py"]


@pytest.fixture(scope="module")
def faithful_run():
    proc = run_cli("--trace", "--explain", "--format", "json", "--input-shape", "lazy_mlp=4,3,4,4",
                   *[os.path.join("fixtures", "trace", n) for n in FAITHFUL])
    assert proc.returncode == 1, proc.stderr
    return json.loads(proc.stdout)


def oracle_in_mode(name, target, mode, dims):
    """torch on the fixture's class, put in `mode` first (run_model alone builds it in train mode)."""
    src = source_of(name)
    built = getattr(load(src, fixture(name)), target)()
    built.train(mode == "train")
    return run_model(src, target, dims, filename=fixture(name),
                     namespace=types.SimpleNamespace(**{target: built}), both_modes=False)


IMAGES = [2, 3, 8, 8]  # train_eval.py declares (B, 3, 8, 8): a symbolic batch is traced as 2
SINGLE = [1, 3, 8, 8]


def test_lazy_modules_trace_with_torchs_shapes(faithful_run):
    src = source_of("lazy_modules.py")
    truth = run_model(src, "LazyNet", [2, 3, 16, 16], filename=fixture("lazy_modules.py"))
    assert truth.verdict == "ok"
    m = model(faithful_run, "lazy_modules.py", "LazyNet")
    assert m["trace"]["output"] == truth.output
    for name in ("conv", "bn", "pool", "fc"):
        assert [r["traced_out"] for r in m["layers"] if r["module"] == name] == truth.shapes[name]
    truth = run_model(src, "LazyThenFixed", [2, 3, 16, 16], filename=fixture("lazy_modules.py"))
    assert truth.verdict == "crash"
    (f,) = diags(faithful_run, "lazy_modules.py", "SHP300")
    assert f["line"] == truth.line and truth.error in f["message"] and "mode" not in f["message"]
    assert model(faithful_run, "lazy_modules.py", "LazyThenFixed")["trace"]["modes"] == ["train"]  # nothing reads .training


def test_lazy_model_in_a_variable_is_run_as_it_is_not_copied(faithful_run):
    """Was SHP300 "uninitialized parameter in Tensor.__deepcopy__" (LazyBatchNorm1d's buffers)."""
    src = source_of("lazy_modules.py")
    truth = run_model(src, "lazy_mlp", [4, 3, 4, 4], filename=fixture("lazy_modules.py"))
    assert truth.verdict == "ok"
    m = model(faithful_run, "lazy_modules.py", "lazy_mlp")
    assert m["trace"]["status"] == "ok" and m["trace"]["output"] == truth.output
    for name in ("1", "2", "4"):
        assert [r["traced_out"] for r in m["layers"] if r["module"] == name] == truth.shapes[name]
    assert not [d for d in diags(faithful_run, "lazy_modules.py") if "lazy_mlp" in d["message"]]


def test_training_only_crash_is_reported_with_the_mode(faithful_run):
    train, evaluated = oracle_in_mode("train_eval.py", "AuxHead", "train", IMAGES), oracle_in_mode("train_eval.py", "AuxHead", "eval", IMAGES)
    assert train.verdict == "crash" and evaluated.verdict == "ok"
    (f,) = [d for d in diags(faithful_run, "train_eval.py", "SHP300") if d["message"].startswith("AuxHead:")]
    assert f["line"] == train.line == line_of("train_eval.py", "return out, self.aux(x)")
    assert "in train mode (model.train(), torch's default" in f["message"] and train.error in f["message"]
    assert f["severity"] == "error"
    m = model(faithful_run, "train_eval.py", "AuxHead")
    assert m["trace"]["modes"] == ["train", "eval"]
    assert m["trace"]["eval"]["status"] == "ok" and m["trace"]["eval"]["output"] == evaluated.output


def test_eval_only_crash_is_reported_with_the_mode(faithful_run):
    train, evaluated = oracle_in_mode("train_eval.py", "EvalDecode", "train", IMAGES), oracle_in_mode("train_eval.py", "EvalDecode", "eval", IMAGES)
    assert train.verdict == "ok" and evaluated.verdict == "crash"
    (f,) = [d for d in diags(faithful_run, "train_eval.py", "SHP300") if d["message"].startswith("EvalDecode:")]
    assert f["line"] == evaluated.line == line_of("train_eval.py", "return p.view(p.shape[0], 3, 7, 8, 8)")
    assert "in eval mode (model.eval()" in f["message"] and evaluated.error in f["message"]
    m = model(faithful_run, "train_eval.py", "EvalDecode")
    assert m["trace"]["status"] == "ok" and m["trace"]["output"] == train.output  # the table is the train run's


def test_a_failure_in_both_modes_is_one_finding(faithful_run):
    train, evaluated = oracle_in_mode("train_eval.py", "DropoutMLP", "train", [2, 20]), oracle_in_mode("train_eval.py", "DropoutMLP", "eval", [2, 20])
    assert train.verdict == evaluated.verdict == "crash" and train.error == evaluated.error
    (f,) = [d for d in diags(faithful_run, "train_eval.py", "SHP300") if d["message"].startswith("DropoutMLP:")]
    assert f["line"] == train.line and train.error in f["message"] and "in train and eval mode" in f["message"]


def test_batch_norm_needs_two_values_only_where_a_batch_of_one_is_declared(faithful_run):
    """A symbolic batch is traced as 2, never 1: train-mode BatchNorm1d after pooling runs;
    the subclass that declares (1, 3, 8, 8) fails in train mode, as torch does."""
    truth = oracle_in_mode("train_eval.py", "PooledNorm", "train", IMAGES)
    assert truth.verdict == "ok"
    m = model(faithful_run, "train_eval.py", "PooledNorm")
    assert m["trace"]["input"][0] == 2 and m["trace"]["status"] == "ok" and m["trace"]["eval"]["status"] == "ok"
    assert not [d for d in diags(faithful_run, "train_eval.py", "SHP300") if d["message"].startswith("PooledNorm:")]
    single_train = oracle_in_mode("train_eval.py", "PooledNormSingle", "train", SINGLE)
    assert single_train.verdict == "crash" and "Expected more than 1 value per channel" in single_train.error
    assert oracle_in_mode("train_eval.py", "PooledNormSingle", "eval", SINGLE).verdict == "ok"
    (f,) = [d for d in diags(faithful_run, "train_eval.py", "SHP300") if d["message"].startswith("PooledNormSingle:")]
    assert f["line"] == single_train.line and single_train.error in f["message"] and "in train mode" in f["message"]


def test_constructor_type_error_at_import_is_an_error_at_the_layer_line(faithful_run):
    with pytest.raises(TypeError) as exc:
        torch.nn.Conv2d(3, 48 / 2, 3)
    assert diags(faithful_run, "ctor_type_error.py", "SHP303") == []  # was: a warning, "could not trace"
    (f,) = diags(faithful_run, "ctor_type_error.py", "SHP300")
    assert f["line"] == line_of("ctor_type_error.py", "self.conv = nn.Conv2d(cin, WIDTH, 3)")
    assert f["severity"] == "error" and f["message"].startswith("Stem: torch raises while building it")
    assert f"TypeError: {str(exc.value).splitlines()[0]}" in f["message"]


# ---------------------------------------------------------------------------- several forward inputs

SEVERAL = "several_inputs.py"


@pytest.fixture(scope="module")
def several_run():
    proc = run_cli("--trace", "--explain", "--format", "json", os.path.join("fixtures", "trace", SEVERAL))
    assert proc.returncode == 1, proc.stderr
    return json.loads(proc.stdout)


def test_a_forward_with_several_declared_inputs_is_traced_with_each(several_run):
    from torch_oracle import InputSpec, run_declared

    src = source_of(SEVERAL)
    specs = [InputSpec("x", [2, 3, 8, 8]), InputSpec("t", [2, 1])]
    truth = run_declared(src, "CondNet", specs, filename=fixture(SEVERAL))
    assert truth.verdict == "ok"
    assert model(several_run, SEVERAL, "CondNet")["trace"]["output"] == truth.output
    truth = run_declared(src, "CondWrongWidth", specs, filename=fixture(SEVERAL))
    assert truth.verdict == "crash"
    (f,) = [d for d in diags(several_run, SEVERAL, "SHP300") if "CondWrongWidth" in d["message"]]
    assert f["line"] == truth.line and truth.error in f["message"]


def test_an_input_left_to_its_default_is_traced_as_that_constant(several_run):
    """`forward(idx, targets=None)`: fx traced `targets` as a proxy before, took the `if targets
    is not None` branch, and reported a crash torch never has (SHP300 on a correct model)."""
    src = source_of(SEVERAL)
    truth = run_model(src, "TinyLM", [2, 8], filename=fixture(SEVERAL), int_input=True)
    assert truth.verdict == "ok"
    assert not [d for d in diags(several_run, SEVERAL) if "TinyLM" in d["message"]]
    assert model(several_run, SEVERAL, "TinyLM")["trace"]["output"] == truth.output


def test_a_required_input_that_is_not_declared_is_a_note_naming_it(several_run):
    (f,) = [d for d in diags(several_run, SEVERAL, "SHP304") if "OnlyFirstDeclared" in d["message"]]
    assert "`t` is not declared" in f["message"]
