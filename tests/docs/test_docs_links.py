"""README.md stays a front door and every relative link of the documentation resolves (issue 9).

The checker itself is tested first on a temporary tree, so a checker that cannot fail cannot pass.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from markdown_links import anchors, broken_links, documentation_pages, heading_text, links, slug
from paths import REPO_ROOT

README_MAX_LINES = 260
# Pages another branch of issue 9 writes, linked from here before they exist. A pending page may be missing;
# once it exists the entry must go (the last test fails until it does), so no dead link hides here for long.
PENDING_PAGES: set[str] = set()


# -- the checker ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("heading", "anchor"),
    [
        ("Quick start", "quick-start"),
        ("What runs where", "what-runs-where"),
        ("`baseline`", "baseline"),
        ("The demo: `make demo` (no AWS account needed)", "the-demo-make-demo-no-aws-account-needed"),
        (
            "Deploying the monitors (`get_baselines_and_configs.py`, `model-monitor-template.yml`)",
            "deploying-the-monitors-get_baselines_and_configspy-model-monitor-templateyml",
        ),
        ("Batching and monitoring (RECORDS_PER_REQUEST)", "batching-and-monitoring-records_per_request"),
        ("statistics.json — what matches", "statisticsjson--what-matches"),
        ("**Bold** and [a link](x.md)", "bold-and-a-link"),
    ],
)
def test_a_heading_gets_githubs_anchor(heading: str, anchor: str) -> None:
    assert slug(heading_text(heading)) == anchor


def test_a_repeated_heading_gets_a_numbered_anchor() -> None:
    assert anchors("# Tests\n## Tests\n### Tests\n") == {"tests", "tests-1", "tests-2"}


def test_headings_and_links_inside_code_do_not_count() -> None:
    page = "```bash\n# not a heading\n[x](missing.md)\n```\nSee `[y](missing.md)` and [z](there.md).\n"
    assert anchors(page) == set()
    assert list(links(page)) == [(5, "there.md")]


def test_the_checker_reports_a_missing_file_and_a_missing_anchor(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "page.md").write_text("# Page\n## A section\n")
    readme = tmp_path / "README.md"
    readme.write_text(
        "# Front\n"
        "[ok](docs/page.md) [ok anchor](docs/page.md#a-section) [self](#front) [web](https://example.com/x)\n"
        "[gone](docs/missing.md)\n"
        "[bad anchor](docs/page.md#no-such-section)\n"
        "[bad self](#nowhere)\n"
    )
    problems = broken_links(readme)
    assert [(p.line, p.target) for p in problems] == [
        (3, "docs/missing.md"),
        (4, "docs/page.md#no-such-section"),
        (5, "#nowhere"),
    ]
    assert "no such file" in problems[0].reason
    assert "no heading with anchor #no-such-section" in problems[1].reason


def test_a_link_from_a_docs_page_resolves_against_its_own_folder(tmp_path: Path) -> None:
    (tmp_path / "docs" / "monitors").mkdir(parents=True)
    (tmp_path / "README.md").write_text("# Front\n")
    page = tmp_path / "docs" / "monitors" / "index.md"
    page.write_text("[up](../../README.md#front) [wrong level](../README.md)\n")
    assert [p.target for p in broken_links(page)] == ["../README.md"]


# -- the repository's pages ----------------------------------------------------------------------------------
def test_every_relative_link_and_anchor_of_the_documentation_resolves() -> None:
    pages = documentation_pages(REPO_ROOT)
    assert len(pages) > 10, "docs/ should hold the manual"
    pending = {(REPO_ROOT / page).resolve() for page in PENDING_PAGES}
    problems = [
        str(p)
        for page in pages
        for p in broken_links(page)
        if not (p.reason.startswith("no such file") and p.destination in pending)
    ]
    assert problems == []


def test_the_readme_stays_a_front_door() -> None:
    lines = (REPO_ROOT / "README.md").read_text(encoding="utf-8").count("\n")
    assert lines <= README_MAX_LINES, f"README.md has {lines} lines; move detail to docs/"


def test_every_docs_page_is_reachable_from_the_docs_index() -> None:
    index = REPO_ROOT / "docs" / "README.md"
    linked = {(index.parent / target.partition("#")[0]).resolve() for _, target in links(index.read_text())}
    pages = {page.resolve() for page in (REPO_ROOT / "docs").rglob("*.md")} - {index.resolve()}
    assert sorted(str(p.relative_to(REPO_ROOT)) for p in pages - linked) == []
    assert {(REPO_ROOT / page).resolve() for page in PENDING_PAGES} <= linked


def test_a_pending_page_leaves_the_pending_list_once_it_exists() -> None:
    written = sorted(page for page in PENDING_PAGES if (REPO_ROOT / page).exists())
    assert written == [], f"{written} exist now: remove them from PENDING_PAGES"
