"""Notebooks the tests write: built with nbformat, validated by nbformat's own validator,
and read back with it (the independent reading of what a notebook holds). Shared by
test_notebooks.py (the CLI) and test_lsp_notebooks.py (the editor).
"""

from __future__ import annotations

import pytest

PYTHON_METADATA = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
                   "language_info": {"name": "python"}}


def _cell(cell):
    """An nbformat cell as given, or one made from (kind, text), kind "code" or "markdown"."""
    if not isinstance(cell, tuple):
        return cell
    from nbformat.v4 import new_code_cell, new_markdown_cell

    kind, text = cell
    return new_code_cell(text) if kind == "code" else new_markdown_cell(text)


def write_notebook(path, cells, **metadata):
    """Write the notebook of `cells` (nbformat cells or (kind, text)) to `path`, a Python
    kernel's metadata updated by `metadata`, after nbformat has validated it; returns path."""
    nbformat = pytest.importorskip("nbformat")
    from nbformat.v4 import new_notebook

    nb = new_notebook(cells=[_cell(c) for c in cells])
    nb.metadata.update(PYTHON_METADATA, **metadata)
    nbformat.validate(nb)
    nbformat.write(nb, str(path))
    return path


def read_cells(path) -> list:
    """(kind, source) of each cell of the notebook at path, as nbformat reads it."""
    nbformat = pytest.importorskip("nbformat")

    nb = nbformat.read(str(path), as_version=4)
    return [("code" if c.cell_type == "code" else "markdown", c.source) for c in nb.cells]


def run_code_cells(cells) -> dict:
    """Run the code cells of (kind, text) in order, line magics left out as Jupyter would not
    run them as Python, and return the names they define."""
    code = "\n".join(t for k, t in cells if k == "code")
    code = "\n".join(ln for ln in code.split("\n") if not ln.lstrip().startswith("%"))
    scope: dict = {}
    exec(compile(code, "<cells>", "exec"), scope)
    return scope


# A model spread over cells, as notebooks grow: its finding (fc's in_features, at the call
# `head(100)` in the last cell) is explained by two other cells, where the incoming size is
# made (Features' flatten) and the helper's layer the call's argument reaches (`n`).
SPLIT_MODEL_CELLS = [
    ("markdown", "# A model over four cells"),
    ("code", "import torch\nimport torch.nn as nn"),
    ("code", "class Features(nn.Module):\n"
             "    def __init__(self):\n"
             "        super().__init__()\n"
             "        self.conv = nn.Conv2d(3, 8, 3)\n"
             "\n"
             "    def forward(self, x):\n"
             "        return self.conv(x).flatten(1)"),
    ("code", "def head(n):\n    return nn.Linear(n, 10)"),
    ("code", "class Net(nn.Module):  # shapelint: input=(2, 3, 32, 32)\n"
             "    def __init__(self):\n"
             "        super().__init__()\n"
             "        self.features = Features()\n"
             "        self.fc = head(100)\n"
             "\n"
             "    def forward(self, x):\n"
             "        return self.fc(self.features(x))"),
]


def place_in(text: str, needle: str) -> tuple:
    """(line, column, end column), 1-based and end exclusive, of the one `needle` in text."""
    (line,) = [i for i, ln in enumerate(text.split("\n"), start=1) if needle in ln]
    column = text.split("\n")[line - 1].index(needle) + 1
    return line, column, column + len(needle)
