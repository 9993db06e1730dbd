"""Every link and install hint shapelint prints, in one place.

shapelint has no public repository URL or package index page yet, so:
- documentation links are file URIs of the docs that ship with the package
  (pyproject installs docs/*.md as shapelint/docs/; a checkout or an editable
  install has them in docs/ beside the package);
- install hints name an install from a shapelint checkout, `pip install '.[extra]'`.
When the project is published, point these at its URLs and its package.
"""

from __future__ import annotations

import os

import shapelint


def docs_dir() -> str:
    package = os.path.dirname(os.path.abspath(shapelint.__file__))
    installed = os.path.join(package, "docs")  # a wheel install
    if os.path.isdir(installed):
        return installed
    return os.path.join(os.path.dirname(package), "docs")  # a checkout or an editable install


def doc_url(name: str, anchor: str = "") -> str:
    """Absolute URL of a documentation file (`rules.md`), with an optional heading anchor."""
    from pathlib import Path

    url = Path(docs_dir(), name).as_uri()
    return f"{url}#{anchor}" if anchor else url


def install_hint(extra: str) -> str:
    """How to install an optional extra (`trace`, `lsp`)."""
    return f"pip install '.[{extra}]' (in a shapelint checkout)"
