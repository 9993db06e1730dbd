"""nn.Module's own `__setattr__` / `__getattr__` called explicitly (CenterNet registers its heads with
`self.__setattr__(head, fc)` and calls them with `self.__getattr__(head)(x)`): followed as torch runs
them, so the heads have torch's shapes. `__getattr__` of something that is not a submodule, a name
shapelint cannot evaluate, or a class that overrides the method stays unknown or runs the user's
code: never a guessed shape, never a false alarm. Every model is run with torch."""

import pytest

from shapelint.engine.check import check_source
from torch_oracle import run_model

pytestmark = pytest.mark.torch

HEAD = "import os\nimport torch\nimport torch.nn as nn\n\n"


def _model(init, forward, extra=""):
    return HEAD + (
        "class M(nn.Module):  # shapelint: input=(2, 3)\n"
        f"{extra}"
        "    def __init__(self):\n        super().__init__()\n"
        "        self.heads = {'hm': 4, 'wh': 2}\n"
        f"{init}\n\n"
        "    def forward(self, x):\n"
        f"{forward}\n"
    )


HEADS = "        for head in self.heads:\n            self.__setattr__(head, nn.Linear(3, self.heads[head]))"
CALL_ALL = "        ret = {}\n        for head in self.heads:\n            ret[head] = self.__getattr__(head)(x)\n        return torch.cat([ret['hm'], ret['wh']], 1)"


def _lint(src):
    result = check_source("m.py", src, explain=True)
    (report,) = [m for m in result.models if m.name == "M"]
    return report, [f for f in check_source("m.py", src).findings if f.severity == "error"]


def _shapes(report):
    seen = {}
    for row in report.layers:
        if row.module is not None:
            seen.setdefault(row.module, []).append(row.out)
    return seen


def test_heads_set_and_read_through_the_dunders_have_torchs_shapes():
    src = _model(HEADS, CALL_ALL)
    outcome = run_model(src, "M", [2, 3])
    assert outcome.verdict == "ok", outcome.error
    report, errors = _lint(src)
    assert errors == []
    assert report.output == outcome.output == [2, 6]
    seen = _shapes(report)
    for module, shapes in outcome.shapes.items():
        assert seen.get(module) == shapes, (module, seen.get(module), shapes)


def test_a_head_of_the_wrong_width_is_an_error_as_torch_raises():
    src = _model(HEADS + "\n        self.out = nn.Linear(5, 1)", CALL_ALL.replace("return torch.cat([ret['hm'], ret['wh']], 1)",
                                                                             "return self.out(torch.cat([ret['hm'], ret['wh']], 1))"))
    assert run_model(src, "M", [2, 3]).verdict != "ok"
    assert [f.code for f in _lint(src)[1]] == ["SHP002"]


def test_getattr_of_a_plain_attribute_is_unknown_not_the_attribute():
    # nn.Module.__getattr__ does not read the instance dict: torch raises AttributeError here
    src = _model(HEADS, "        return x[:, :len(self.__getattr__('heads'))]")
    assert run_model(src, "M", [2, 3]).verdict != "ok"
    report, errors = _lint(src)
    assert errors == [] and report.output is None


def test_setattr_of_a_name_shapelint_cannot_evaluate_leaves_the_module_unknown():
    init = HEADS + "\n        self.__setattr__(os.environ.get('SHAPELINT_NEVER_SET', 'hm'), nn.Linear(3, 7))"
    src = _model(init, CALL_ALL)
    outcome = run_model(src, "M", [2, 3])
    assert outcome.verdict == "ok" and outcome.output == [2, 9]
    report, errors = _lint(src)
    assert errors == [] and report.output in (None, [2, 9])


def test_a_class_that_overrides_getattr_runs_its_own():
    extra = "    def __getattr__(self, name):\n        return nn.Module.__getattr__(self, 'wh')\n\n"
    src = _model(HEADS, "        return self.__getattr__('hm')(x)", extra)
    outcome = run_model(src, "M", [2, 3])
    assert outcome.verdict == "ok" and outcome.output == [2, 2]
    report, errors = _lint(src)
    assert errors == [] and report.output in (None, [2, 2])
