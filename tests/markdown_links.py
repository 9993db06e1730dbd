"""Reading Markdown the way GitHub renders it: heading anchors, links, code spans.

Written from GitHub's documented rules for heading anchors (lowercase; punctuation
other than hyphens and underscores dropped; spaces become hyphens; a repeated
heading gets -1, -2, ...) and CommonMark's fenced code blocks, which are not Markdown.
"""

import os
import re
from urllib.parse import unquote, urlparse

FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
INLINE_LINK = re.compile(r"(?<!!)\[(?:[^\]\\]|\\.)*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
IMAGE_LINK = re.compile(r"!\[[^\]]*\]\(\s*<?([^)\s>]+)>?")
REFERENCE_DEF = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)")
CODE_SPAN = re.compile(r"(`+)(.+?)\1")


def prose_lines(text):
    """(line number, line) for every line outside fenced code blocks.

    Indented code blocks are kept: telling them from list continuations needs a full
    parser, and the docs' indented blocks hold commands, not links or code spans.
    """
    fence = None
    for n, line in enumerate(text.splitlines(), 1):
        m = FENCE.match(line)
        if m:
            marker = m.group(1)
            if fence is None:
                fence = marker
            elif marker[0] == fence[0] and len(marker) >= len(fence):
                fence = None
            continue
        if fence is None:
            yield n, line


def github_slug(heading):
    text = CODE_SPAN.sub(lambda m: m.group(2), heading.strip())
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)  # a link in a heading keeps its text
    return re.sub(r"[^\w\- ]", "", text.lower()).replace(" ", "-")


def anchors(text):
    """Every heading anchor GitHub makes for this Markdown text."""
    seen = {}
    out = set()
    for _, line in prose_lines(text):
        m = HEADING.match(line)
        if not m:
            continue
        slug = github_slug(m.group(2))
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        out.add(slug if count == 0 else f"{slug}-{count}")
    return out


def anchors_of_file(path):
    with open(path, encoding="utf-8") as fh:
        return anchors(fh.read())


def links(text):
    """(line number, target) of every link and image in the prose."""
    for n, line in prose_lines(text):
        bare = CODE_SPAN.sub("", line)
        for pattern in (INLINE_LINK, IMAGE_LINK, REFERENCE_DEF):
            for m in pattern.finditer(bare):
                yield n, m.group(1)


def code_spans(text):
    """(line number, content) of every inline code span in the prose."""
    for n, line in prose_lines(text):
        for m in CODE_SPAN.finditer(line):
            yield n, m.group(2).strip()


def file_url_target(url):
    """The (path, anchor) a file:// URL names; AssertionError unless it is an absolute file URL."""
    parsed = urlparse(url)
    assert parsed.scheme == "file" and parsed.netloc == "", url
    path = unquote(parsed.path)
    assert os.path.isabs(path), url
    return path, parsed.fragment
