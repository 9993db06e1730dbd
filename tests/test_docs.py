"""Generated documentation matches its generator."""

import os

from conftest import ROOT, run_cli

HEADER = (
    "<!-- Generated from shapelint/core/rules.py by `python -m shapelint rule --all` "
    "(everything below this comment); regenerate, do not edit by hand. -->\n\n"
)


def test_rules_md_is_what_the_generator_prints():
    with open(os.path.join(ROOT, "docs", "rules.md"), encoding="utf-8") as fh:
        text = fh.read()
    generated = run_cli("rule", "--all")
    assert generated.returncode == 0, generated.stderr
    assert "# SHP001: channel-mismatch" in generated.stdout  # the generator really printed the rules
    assert text == HEADER + generated.stdout, "regenerate docs/rules.md with `python -m shapelint rule --all`"
