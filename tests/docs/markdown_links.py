"""Relative links of Markdown pages, checked the way GitHub renders them (issue 9: the README is a front door
and docs/ the manual, so a moved section must not leave a dead link behind).

A link ``[text](target)`` outside code is checked when its target is relative (no scheme, not ``//host``):
the path, resolved against the page's folder, must exist; an ``#anchor`` must be the slug of a heading of the
target page (or of the page itself for ``(#anchor)``). Slugs follow GitHub's rules (github-slugger): the
heading's text as rendered (code spans, emphasis and link syntax removed), lower-cased, every character that
is not a letter, digit, ``-``, ``_`` or space dropped, each space turned into ``-``; a repeated heading gets
``-1``, ``-2``... Pure functions of the text, so they are tested on a temporary tree.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

_FENCE = re.compile(r"^\s{0,3}(```|~~~)")
_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_CODE_SPAN = re.compile(r"(`+)(.+?)\1")
# [text](target "title") — the text may hold code spans; images ![alt](src) are links too.
_LINK = re.compile(r"!?\[(?P<text>[^\]]*)\]\((?P<target><[^>]*>|[^)\s]*)(?:\s+\"[^\"]*\")?\)")
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


@dataclass(frozen=True)
class BrokenLink:
    page: Path
    line: int
    target: str
    reason: str
    destination: Path

    def __str__(self) -> str:
        return f"{self.page}:{self.line}: ({self.target}) {self.reason}"


def lines_outside_fences(text: str) -> Iterator[tuple[int, str]]:
    """(line number, line) of every line outside fenced code blocks."""
    fence: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        opening = _FENCE.match(line)
        if fence is None and opening:
            fence = opening.group(1)
            continue
        if fence is not None:
            if line.strip().startswith(fence):
                fence = None
            continue
        yield number, line


def prose_lines(text: str) -> Iterator[tuple[int, str]]:
    """(line number, line) of every line outside fenced code blocks, code spans blanked out."""
    for number, line in lines_outside_fences(text):
        yield number, _CODE_SPAN.sub(lambda m: " " * len(m.group(0)), line)


def heading_text(raw: str) -> str:
    """A heading as GitHub renders it: code spans keep their text, link syntax and emphasis marks go."""
    pieces: list[str] = []
    position = 0
    for code in _CODE_SPAN.finditer(raw):
        pieces += [_rendered_prose(raw[position : code.start()]), code.group(2)]
        position = code.end()
    return "".join([*pieces, _rendered_prose(raw[position:])])


def _rendered_prose(text: str) -> str:
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)
    return re.sub(r"(\*+|(?<!\w)_+|_+(?!\w))", "", text)


def slug(heading: str) -> str:
    """GitHub's anchor for a heading's rendered text."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(text: str) -> set[str]:
    """Every heading anchor of a page, with GitHub's -1, -2 suffixes for repeated headings."""
    seen: dict[str, int] = {}
    result: set[str] = set()
    for _, line in lines_outside_fences(text):
        heading = _HEADING.match(line)
        if not heading:
            continue
        base = slug(heading_text(heading.group(2)))
        count = seen.get(base, 0)
        seen[base] = count + 1
        result.add(base if count == 0 else f"{base}-{count}")
    return result


def links(text: str) -> Iterator[tuple[int, str]]:
    """(line number, target) of every link outside code."""
    for number, line in prose_lines(text):
        for match in _LINK.finditer(line):
            yield number, match.group("target").strip("<>")


def is_relative(target: str) -> bool:
    return bool(target) and not _SCHEME.match(target) and not target.startswith("//")


def broken_links(page: Path) -> list[BrokenLink]:
    """Every relative link of ``page`` whose file or heading does not exist."""
    problems: list[BrokenLink] = []
    for line, target in links(page.read_text(encoding="utf-8")):
        if not is_relative(target):
            continue
        path_part, _, anchor = target.partition("#")
        destination = (page.parent / unquote(path_part)).resolve() if path_part else page
        if not destination.exists():
            problems.append(BrokenLink(page, line, target, f"no such file: {destination}", destination))
            continue
        if not anchor:
            continue
        if destination.is_dir() or destination.suffix.lower() != ".md":
            problems.append(
                BrokenLink(page, line, target, "an anchor into something that is not a page", destination)
            )
            continue
        if unquote(anchor).lower() not in anchors(destination.read_text(encoding="utf-8")):
            reason = f"no heading with anchor #{anchor} in {destination}"
            problems.append(BrokenLink(page, line, target, reason, destination))
    return problems


def documentation_pages(root: Path) -> list[Path]:
    """README.md and every page under docs/."""
    return [root / "README.md", *sorted((root / "docs").rglob("*.md"))]
