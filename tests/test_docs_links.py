"""Every link in README.md and docs/*.md points at something that exists.

Relative links must name a file or folder of the repository, and an anchor must be a
heading of the file it names (GitHub's anchors, from markdown_links). Paths written
as code (`scripts/bench.py`) whose first folder is one of the repository's must exist.
"""

import glob
import os
import re

import pytest

from conftest import ROOT
from markdown_links import anchors_of_file, code_spans, links

DOCS = ["README.md"] + sorted(os.path.relpath(p, ROOT) for p in glob.glob(os.path.join(ROOT, "docs", "*.md")))
TOP_FOLDERS = {n for n in os.listdir(ROOT) if os.path.isdir(os.path.join(ROOT, n)) and not n.startswith(".")} | {".ci"}
EXTERNAL = re.compile(r"^[a-z][a-z0-9+.-]*:", re.I)  # https:, mailto:, ...


def read(doc):
    with open(os.path.join(ROOT, doc), encoding="utf-8") as fh:
        return fh.read()


def test_the_docs_are_found():
    assert {"README.md", "docs/usage.md", "docs/rules.md", "docs/contract.md", "docs/editors.md", "docs/trace.md"} <= set(DOCS)


@pytest.mark.parametrize("doc", DOCS)
def test_relative_links_and_anchors_exist(doc):
    broken = []
    for line, target in links(read(doc)):
        if EXTERNAL.match(target):
            continue
        path, _, anchor = target.partition("#")
        full = os.path.normpath(os.path.join(ROOT, os.path.dirname(doc), path)) if path else os.path.join(ROOT, doc)
        if not full.startswith(ROOT + os.sep) or not os.path.exists(full):
            broken.append(f"{doc}:{line}: {target} (no such file)")
        elif anchor and anchor not in anchors_of_file(full):
            broken.append(f"{doc}:{line}: {target} (no such heading in {os.path.relpath(full, ROOT)})")
    assert not broken, "\n".join(broken)


@pytest.mark.parametrize("doc", DOCS)
def test_repository_paths_written_as_code_exist(doc):
    missing = []
    for line, span in code_spans(read(doc)):
        for word in span.split():
            first = word.split("/")[0]
            if "/" in word and first in TOP_FOLDERS and not any(c in word for c in "*?<>{}"):
                if not os.path.exists(os.path.join(ROOT, word.rstrip("/"))):
                    missing.append(f"{doc}:{line}: {word}")
    assert not missing, "\n".join(missing)


def test_a_broken_link_and_anchor_are_caught(tmp_path):
    """The checks above can fail: a missing file and a missing heading are both reported."""
    text = "# Title\n\n[ok](#title) [gone](no_such.md) [bad](#no-such-heading)\n```\n[in code](ignored.md)\n```\n"
    found = [target for _, target in links(text)]
    assert found == ["#title", "no_such.md", "#no-such-heading"]
    (tmp_path / "d.md").write_text(text)
    assert anchors_of_file(str(tmp_path / "d.md")) == {"title"}
