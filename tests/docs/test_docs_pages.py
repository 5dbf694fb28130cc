"""What the documentation pages promise about the repository stays true (issue 9)."""

from __future__ import annotations

import argparse
import re

import pytest
import yaml
from markdown_links import lines_outside_fences
from paths import REPO_ROOT
from transaction_scoring import settings

from pipelines import labels
from pipelines.container import wheelhouse
from pipelines.deploy import cli as deploy_cli
from pipelines.monitoring import cli as monitoring_cli
from pipelines.processing import __main__ as processing_cli
from pipelines.processing import job as processing_job
from pipelines.sandbox import demo

CODE_SPAN = re.compile(r"`([^`]+)`")
REQUIREMENT_FILES = (
    "requirements.in",
    "requirements-bench.in",
    "requirements-checkov.in",
    "requirements-spark.in",
    "requirements-job.in",
)


def direct_dependencies() -> set[str]:
    """Distribution names in the requirements*.in files (extras and version bounds removed)."""
    names: set[str] = set()
    for name in REQUIREMENT_FILES:
        for line in (REPO_ROOT / name).read_text().splitlines():
            requirement = line.split("#", 1)[0].strip()
            if requirement and not requirement.startswith("-"):  # not an option line (-c constraints)
                names.add(re.split(r"[\[<>=!~; ]", requirement, maxsplit=1)[0].lower())
    return names


def explained_dependencies() -> set[str]:
    """Names in the first column of the dependencies page's tables (a row says why they are there)."""
    names: set[str] = set()
    for line in (REPO_ROOT / "docs" / "dependencies.md").read_text().lower().splitlines():
        cells = line.split("|")
        if line.startswith("|") and len(cells) > 3 and cells[2].strip() and not set(cells[1]) <= {"-", " "}:
            names |= set(re.findall(r"`([a-z0-9][a-z0-9_.-]*)(?:\[[a-z,]+\])?`", cells[1]))
    return names


def test_every_direct_dependency_is_explained_in_the_dependencies_page() -> None:
    assert sorted(direct_dependencies() - explained_dependencies()) == []


def test_the_dependency_list_reads_every_requirements_file() -> None:
    assert {"boto3", "moto", "evidently", "checkov", "pytest"} <= direct_dependencies()


def option_strings(parser: argparse.ArgumentParser, subcommand: str | None = None) -> set[str]:
    """The long options of a parser (or of one of its subcommands), help left out."""
    if subcommand is not None:
        (choices,) = [a.choices for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        parser = choices[subcommand]
    return {
        option
        for action in parser._actions
        for option in action.option_strings
        if option.startswith("--") and option != "--help"
    }


COMMANDS = {
    "fraud-monitor baseline": (monitoring_cli.build_parser, "baseline", "docs/monitors/index.md"),
    "fraud-monitor run": (monitoring_cli.build_parser, "run", "docs/monitors/index.md"),
    "fraud-monitor report": (monitoring_cli.build_parser, "report", "docs/monitors/index.md"),
    "fraud-monitor capture-csv": (monitoring_cli.build_parser, "capture-csv", "docs/monitors/formats.md"),
    "fraud-monitor": (monitoring_cli.build_parser, None, "docs/monitors/index.md"),
    "get_baselines_and_configs.py": (deploy_cli.build_parser, None, "docs/deploy.md"),
    "python -m pipelines.sandbox demo": (demo.parser, None, "docs/sandbox.md"),
    "python -m pipelines.labels": (labels.parser, None, "docs/monitors/index.md"),
    "python -m pipelines.processing run-now": (processing_cli.build_parser, "run-now", "docs/backends.md"),
    "python -m pipelines.processing backfill": (processing_cli.build_parser, "backfill", "docs/backends.md"),
    "python -m pipelines.processing.job": (processing_job.build_job_parser, None, "docs/backends.md"),
    "python -m pipelines.container.wheelhouse": (wheelhouse.build_parser, None, "docs/backends.md"),
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_flag_of_every_command_is_documented(command: str) -> None:
    factory, subcommand, page = COMMANDS[command]
    # In a code span of the page's prose or tables: an example in a code block does not say what a flag does.
    lines = lines_outside_fences((REPO_ROOT / page).read_text())
    spans = " ".join(span for _, line in lines for span in CODE_SPAN.findall(line))
    flags = option_strings(factory(), subcommand)
    assert sorted(flag for flag in flags if not re.search(rf"{flag}(?![\w-])", spans)) == [], page


def test_every_setting_and_parameter_of_the_lambda_is_documented() -> None:
    text = (REPO_ROOT / "docs" / "lambda.md").read_text()
    template = yaml.load((REPO_ROOT / "lambda" / "template.yml").read_text(), Loader=_CloudFormationLoader)
    names = {variable.name for variable in settings.ENVIRONMENT} | set(template["Parameters"])
    assert sorted(name for name in names if f"`{name}`" not in text) == []


class _CloudFormationLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short tags (``!Ref``, ``!Sub``...) read as plain values."""


_CloudFormationLoader.add_multi_constructor("!", lambda loader, suffix, node: None)
