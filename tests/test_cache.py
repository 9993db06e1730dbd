"""The content cache (shapelint.core.cache), through the real CLI.

Every other test runs with SHAPELINT_NO_CACHE=1 (tests/conftest.py); these turn it on,
each with its own cache directory. The cache must never change what is reported.
"""

import json
import os
import subprocess
import sys
import textwrap

import pytest

from conftest import ROOT, run_cli

FIX = os.path.join(ROOT, "fixtures")


def cached_env():
    env = dict(os.environ)
    env.pop("SHAPELINT_NO_CACHE", None)
    env.pop("SHAPELINT_CACHE_DIR", None)
    return env


def run_cached(cache, *args, cwd=None):
    return run_cli("--cache-dir", str(cache), *args, cwd=cwd, env=cached_env())


def entries(cache):
    return sorted(os.path.join(d, n) for d, _dirs, names in os.walk(cache) for n in names if n.endswith(".json"))


BLOCK = textwrap.dedent("""\
    import torch.nn as nn


    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, OUT, 3)

        def forward(self, x):
            return self.conv(x)
    """)
NET = textwrap.dedent("""\
    import torch.nn as nn

    from blocks import Block


    class Net(nn.Module):  # shapelint: input=(2, 3, 16, 16)
        def __init__(self):
            super().__init__()
            self.block = Block()
            self.head = nn.Conv2d(8, 4, 3)

        def forward(self, x):
            return self.head(self.block(x))
    """)


def codes(r):
    assert r.returncode in (0, 1), r.stderr
    return [(os.path.basename(d["path"]), d["code"]) for d in json.loads(r.stdout)]


@pytest.mark.torch
def test_a_sibling_change_invalidates_the_file_that_imports_it(tmp_path):
    from torch_oracle import run_model

    cache = tmp_path / "cache"
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "net.py").write_text(NET)
    together = lambda out: BLOCK.replace("OUT", str(out)) + NET.replace("from blocks import Block\n", "")  # noqa: E731
    assert run_model(together(8), "Net", [2, 3, 16, 16]).verdict == "ok"
    assert run_model(together(6), "Net", [2, 3, 16, 16]).verdict == "crash"
    net = str(pkg / "net.py")
    # no blocks.py yet: Block is unknown, nothing to report; then it appears, broken
    assert codes(run_cached(cache, "--format", "json", net)) == []
    (pkg / "blocks.py").write_text(BLOCK.replace("OUT", "6"))
    assert codes(run_cached(cache, "--format", "json", net)) == [("net.py", "SHP001")]
    assert codes(run_cached(cache, "--format", "json", net)) == [("net.py", "SHP001")]  # from the cache
    (pkg / "blocks.py").write_text(BLOCK.replace("OUT", "8"))  # the sibling is fixed: net.py is clean
    assert codes(run_cached(cache, "--format", "json", net)) == []
    (pkg / "blocks.py").write_text(BLOCK.replace("OUT", "6"))
    assert codes(run_cached(cache, "--format", "json", net)) == [("net.py", "SHP001")]
    os.remove(pkg / "blocks.py")  # and gone again
    assert codes(run_cached(cache, "--format", "json", net)) == []


def test_a_change_of_content_or_configuration_is_seen(tmp_path):
    cache = tmp_path / "cache"
    src = tmp_path / "m.py"
    with open(os.path.join(FIX, "shp002_linear_bad.py")) as fh:
        bad = fh.read()
    src.write_text(bad)
    assert codes(run_cached(cache, "--format", "json", str(src))) == [("m.py", "SHP002")]
    assert codes(run_cached(cache, "--format", "json", "--ignore", "SHP002", str(src))) == []
    (tmp_path / "pyproject.toml").write_text('[tool.shapelint]\nignore = ["SHP002"]\n')
    assert codes(run_cached(cache, "--format", "json", str(src))) == []
    (tmp_path / "pyproject.toml").write_text('[tool.shapelint]\n')
    assert codes(run_cached(cache, "--format", "json", str(src))) == [("m.py", "SHP002")]
    src.write_text(bad.replace("# defect", "# noqa: SHP002"))
    assert codes(run_cached(cache, "--format", "json", str(src))) == []


def test_cached_and_uncached_outputs_are_equal_over_the_fixtures(tmp_path):
    cache = tmp_path / "cache"
    for fmt in ("json", "full"):
        plain = run_cli("--format", fmt, FIX)
        cold = run_cached(cache, "--format", fmt, FIX)
        warm = run_cached(cache, "--format", fmt, FIX)
        assert plain.returncode == cold.returncode == warm.returncode
        assert plain.stdout == cold.stdout == warm.stdout
        assert plain.stderr == cold.stderr == warm.stderr
    assert len(entries(cache)) > 100


def test_two_concurrent_runs_share_a_cache(tmp_path):
    cache = tmp_path / "cache"
    args = [sys.executable, "-m", "shapelint", "--cache-dir", str(cache), "--format", "json", "--jobs", "1",
            os.path.join(FIX, "real")]
    env = dict(cached_env(), PYTHONPATH=ROOT)
    procs = [subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
             for _ in range(2)]
    outs = [p.communicate(timeout=600) for p in procs]
    plain = run_cli("--format", "json", os.path.join(FIX, "real"))
    assert [o[0] for o in outs] == [plain.stdout, plain.stdout], [o[1] for o in outs]
    assert not [n for _d, _s, names in os.walk(cache) for n in names if n.startswith(".tmp-")]
    assert run_cached(cache, "--format", "json", "--jobs", "1", os.path.join(FIX, "real")).stdout == plain.stdout


def test_a_corrupt_entry_is_ignored_and_rewritten(tmp_path):
    cache = tmp_path / "cache"
    target = os.path.join(FIX, "shp002_linear_bad.py")
    first = run_cached(cache, "--format", "json", target)
    (entry,) = entries(cache)
    for garbage in (b"", b"\x80\x04garbage", b"{", b"[]", b'{"content": 1}', b"null",
                    json.dumps({"path": 1, "content": None, "dependencies": [], "findings": "x"}).encode()):
        with open(entry, "wb") as fh:
            fh.write(garbage)
        again = run_cached(cache, "--format", "json", target)
        assert (again.returncode, again.stdout) == (first.returncode, first.stdout)
        assert "Traceback" not in again.stderr
        with open(entry, "rb") as fh:
            assert json.loads(fh.read())["findings"]  # rewritten
    # an entry whose findings were tampered with is not served: the content must match
    with open(entry) as fh:
        data = json.load(fh)
    data["content"] = "0" * 40
    data["findings"] = []
    with open(entry, "w") as fh:
        json.dump(data, fh)
    assert run_cached(cache, "--format", "json", target).stdout == first.stdout


def test_where_the_cache_lives_and_when_it_is_off(tmp_path):
    project = tmp_path / "project"
    (project / "src").mkdir(parents=True)
    (project / "pyproject.toml").write_text("[tool.shapelint]\n")
    with open(os.path.join(FIX, "shp002_linear_bad.py")) as fh:
        (project / "src" / "m.py").write_text(fh.read())
    env = cached_env()
    run_cli("m.py", cwd=str(project / "src"), env=env)  # the project is where its pyproject.toml is
    with open(project / ".shapelint_cache" / ".gitignore") as fh:
        assert fh.read().splitlines()[-1] == "*"
    assert len(entries(project / ".shapelint_cache")) == 1
    # the cache is never a file to check, even outside git
    r = run_cli("--format", "json", ".", cwd=str(project), env=env)
    assert [os.path.basename(d["path"]) for d in json.loads(r.stdout)] == ["m.py"]
    (project / "pyproject.toml").write_text('[tool.shapelint]\ncache-dir = "build/cache"\n')
    run_cli("m.py", cwd=str(project / "src"), env=env)
    assert len(entries(project / "build" / "cache")) == 1
    (project / "pyproject.toml").write_text('[tool.shapelint]\ncache-dir = "../elsewhere"\n')  # not outside
    run_cli("m.py", cwd=str(project / "src"), env=env)
    assert not (tmp_path / "elsewhere").exists()
    other = tmp_path / "off"
    run_cli("--no-cache", "--cache-dir", str(other), "src/m.py", cwd=str(project), env=env)
    run_cli("--cache-dir", str(other), "src/m.py", cwd=str(project), env=dict(env, SHAPELINT_NO_CACHE="1"))
    run_cli("--cache-dir", str(other), "--fix", "--diff", "src/m.py", cwd=str(project), env=env)
    run_cli("--cache-dir", str(other), "--explain", "src/m.py", cwd=str(project), env=env)
    assert not other.exists()


@pytest.mark.torch
def test_trace_results_are_never_cached(tmp_path):
    cache = tmp_path / "cache"
    r = run_cached(cache, "--trace", "--format", "json", os.path.join(FIX, "shp002_linear_bad.py"))
    assert r.returncode == 1, r.stderr
    assert entries(cache) == []


def test_a_cached_notebook_reports_as_an_uncached_one(tmp_path):
    cache = tmp_path / "cache"
    with open(os.path.join(FIX, "shp002_linear_bad.py")) as fh:
        code = fh.read()
    nb = {"cells": [{"cell_type": "markdown", "id": "m", "metadata": {}, "source": ["# Net"]},
                    {"cell_type": "code", "id": "c", "metadata": {}, "execution_count": None, "outputs": [],
                     "source": ["%matplotlib inline\n"] + code.splitlines(True)}],
          "metadata": {"language_info": {"name": "python"}}, "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps(nb, indent=1) + "\n")
    for fmt in ("full", "github", "sarif", "json"):
        plain = run_cli("--format", fmt, str(path))
        cold = run_cached(cache, "--format", fmt, str(path))
        warm = run_cached(cache, "--format", fmt, str(path))
        assert plain.returncode == cold.returncode == warm.returncode == 1
        assert plain.stdout == cold.stdout == warm.stdout, fmt
    assert len(entries(cache)) == 1


def test_a_cached_notebook_keeps_its_related_locations_in_other_cells(tmp_path):
    """The related locations' cells and places in the JSON text (SARIF) come back from an entry."""
    pytest.importorskip("nbformat")
    from notebook_helpers import SPLIT_MODEL_CELLS, write_notebook

    cache = tmp_path / "cache"
    path = write_notebook(tmp_path / "split.ipynb", SPLIT_MODEL_CELLS)
    for fmt in ("sarif", "json"):
        plain = run_cli("--format", fmt, str(path))
        cold = run_cached(cache, "--format", fmt, str(path))
        warm = run_cached(cache, "--format", fmt, str(path))
        assert plain.returncode == cold.returncode == warm.returncode == 1
        assert plain.stdout == cold.stdout == warm.stdout, fmt
    (f,) = json.loads(plain.stdout)
    assert [x["cell"] for x in f["related"]] == [3, 4]


# ---------------------------------------------------------------------------- what the key holds

# The CLI as a user runs it, with shapelint's version set to argv[1] (the version the cache's
# key reads, shapelint.__version__) and each analysis of a file counted on stderr.
_AS_VERSION = """\
import sys
import shapelint
shapelint.__version__ = sys.argv.pop(1)
import shapelint.frontends.cli as cli
real = cli.lint_source
def counted(path, data, settings):
    sys.stderr.write("ANALYSED " + str(path) + "\\n")
    return real(path, data, settings)
cli.lint_source = counted
cli.main(sys.argv[1:])
"""


def run_as_version(version, cache, *args):
    env = dict(cached_env(), PYTHONPATH=ROOT)
    r = subprocess.run([sys.executable, "-c", _AS_VERSION, version, "--cache-dir", str(cache), "--jobs", "1", *args],
                       capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert r.returncode in (0, 1), r.stderr
    return r, r.stderr.count("ANALYSED ")


def test_another_shapelint_version_does_not_reuse_an_entry(tmp_path):
    """The key holds shapelint's version: the same file, configuration and shapelint modules
    under another version are analysed again (a new entry); back at the first version, its
    entry is served without an analysis."""
    cache = tmp_path / "cache"
    target = os.path.join(FIX, "shp002_linear_bad.py")
    first, analysed = run_as_version("0.1.0", cache, "--format", "json", target)
    assert analysed == 1 and len(entries(cache)) == 1
    again, analysed = run_as_version("0.1.0", cache, "--format", "json", target)
    assert analysed == 0 and again.stdout == first.stdout  # the spy sees a hit
    other, analysed = run_as_version("0.2.0", cache, "--format", "json", target)
    assert analysed == 1 and len(entries(cache)) == 2 and other.stdout == first.stdout
    back, analysed = run_as_version("0.1.0", cache, "--format", "json", target)
    assert analysed == 0 and back.stdout == first.stdout and len(entries(cache)) == 2


@pytest.mark.torch
def test_a_trace_asked_for_by_the_configuration_is_never_cached(tmp_path):
    """`trace = true` in a configuration named with --config runs torch like --trace: its
    results depend on the installed torch, so none is stored and none can be served to a run
    under another torch (the key holds no torch version because nothing traced is kept)."""
    cache = tmp_path / "cache"
    config = tmp_path / "pyproject.toml"
    config.write_text("[tool.shapelint]\ntrace = true\n")
    target = os.path.join(FIX, "shp002_linear_bad.py")
    for _ in range(2):
        r = run_cached(cache, "--config", str(config), "--format", "json", target)
        assert r.returncode == 1, r.stderr
        assert entries(cache) == []


# in_features fixed for 32x32 inputs: 8 channels of 30x30 after the 3x3 conv
SIZED = textwrap.dedent("""\
    import torch.nn as nn


    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 8, 3)
            self.fc = nn.Linear(8 * 30 * 30, 10)

        def forward(self, x):
            return self.fc(self.conv(x).flatten(1))
    """)


@pytest.mark.torch
def test_a_change_of_pyproject_input_shapes_or_selection_is_seen(tmp_path):
    """Each pyproject.toml edit below changes what must be reported for an unchanged file,
    and the cached run reports what torch says; going back serves the earlier entry."""
    from torch_oracle import run_model

    assert run_model(SIZED, "Net", [2, 3, 32, 32]).verdict == "ok"
    assert run_model(SIZED, "Net", [2, 3, 16, 16]).verdict == "crash"
    cache = tmp_path / "cache"
    src = tmp_path / "m.py"
    src.write_text(SIZED)
    pyproject = tmp_path / "pyproject.toml"

    def check(table: str):
        pyproject.write_text("[tool.shapelint]\n" + table)
        r = run_cached(cache, "--format", "json", str(src), cwd=str(tmp_path))
        assert r.returncode in (0, 1), r.stderr
        return [d["code"] for d in json.loads(r.stdout) if d["severity"] == "error"]

    small = '[tool.shapelint.input-shapes]\nNet = [2, 3, 16, 16]\n'
    large = '[tool.shapelint.input-shapes]\nNet = [2, 3, 32, 32]\n'
    assert check(small) == ["SHP002"]
    assert check(large) == []
    assert check(small) == ["SHP002"]
    assert check('select = ["SHP001"]\n' + small) == []
    assert check('ignore = ["SHP002"]\n' + small) == []
    assert check('[tool.shapelint.per-file-ignores]\n"m.py" = ["SHP002"]\n' + small) == []
    assert check(small) == ["SHP002"]
    assert len(entries(cache)) == 5  # one per configuration; the repeats were served


SUB_LAYERS = textwrap.dedent("""\
    import torch.nn as nn


    class ConvBN(nn.Module):
        def __init__(self, in_ch, out_ch, stride=1):
            super().__init__()
            self.conv = nn.Conv2d(in_ch, out_ch, 3, stride=stride, padding=1, bias=False)
            self.bn = nn.BatchNorm2d(out_ch)

        def forward(self, x):
            return self.bn(self.conv(x))
    """)
SUB_BACKBONE = textwrap.dedent("""\
    import torch.nn as nn

    from .layers import ConvBN


    class Backbone(nn.Module):
        def __init__(self):
            super().__init__()
            self.stem = ConvBN(3, 32, stride=2)
            self.stage = ConvBN(64, 64)

        def forward(self, x):
            return self.stage(self.stem(x))
    """)
SUB_NET = textwrap.dedent("""\
    import torch.nn as nn

    from cfgsib_sub.backbone import Backbone


    class Net(nn.Module):  # shapelint: input=(2, 3, 16, 16)
        def __init__(self):
            super().__init__()
            self.body = Backbone()

        def forward(self, x):
            return self.body(x)
    """)


@pytest.mark.torch
def test_a_siblings_own_configuration_is_part_of_the_key(tmp_path):
    """A finding published on a sibling obeys the sibling's configuration, which may be a
    pyproject.toml of its own directory: its appearance, change and removal are each seen by
    a cached run of the unchanged file that found it (before, the stale finding was served)."""
    from torch_oracle import run_module_file

    cache = tmp_path / "cache"
    project = tmp_path / "project"
    (project / "cfgsib_sub").mkdir(parents=True)
    (project / "pyproject.toml").write_text("[tool.shapelint]\n")
    (project / "cfgsib_sub" / "__init__.py").write_text("")
    (project / "cfgsib_sub" / "layers.py").write_text(SUB_LAYERS)
    (project / "cfgsib_sub" / "backbone.py").write_text(SUB_BACKBONE)
    (project / "cfgsib_net.py").write_text(SUB_NET)
    assert run_module_file(str(project / "cfgsib_net.py"), str(project), "Net", [2, 3, 16, 16]).verdict == "crash"
    nested = project / "cfgsib_sub" / "pyproject.toml"

    def found():
        r = run_cached(cache, "--format", "json", "cfgsib_net.py", cwd=str(project))
        assert r.returncode in (0, 1), r.stderr
        return [(d["path"], d["code"]) for d in json.loads(r.stdout)]

    broken = [(os.path.join("cfgsib_sub", "backbone.py"), "SHP001")]
    assert found() == broken
    assert found() == broken  # served
    nested.write_text('[tool.shapelint]\nignore = ["SHP001"]\n')  # appears: the sibling ignores it
    assert found() == []
    nested.write_text('[tool.shapelint]\nignore = ["SHP002"]\n')  # changes
    assert found() == broken
    nested.write_text('[tool.shapelint]\nignore = ["SHP001"]\n')
    assert found() == []
    os.remove(nested)  # goes away: the project's configuration applies again
    assert found() == broken
