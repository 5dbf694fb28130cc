"""Writing a stage's parameters and tags in the forms the deploy tools read.

- ``<export>.json``: CodePipeline's template-configuration form ``{"Parameters": {...}, "Tags": {...}}``
  (the CloudFormation deploy action of the project's pipeline reads it).
- ``<export>.parameter-overrides.json`` and ``<export>.tags.json``: JSON lists of ``"Key=Value"``, the only
  file form that ``aws cloudformation deploy --parameter-overrides/--tags file://...`` accepts in the
  pinned AWS CLI v1 (awscli/customizations/cloudformation/deploy.py parses each item with
  ``parse_key_value_arg``; a ``{"Parameters": ...}`` object is not understood there).
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from pathlib import PurePath

from pipelines.jsonio import dumps_pretty
from pipelines.stage_export import StageExport
from pipelines.storage import Storage

PACKAGED_TEMPLATE = "packaged-template.yml"
OVERRIDES_SUFFIX = ".parameter-overrides.json"
TAGS_SUFFIX = ".tags.json"


def key_value_list(values: Mapping[str, str]) -> list[str]:
    """``["Key=Value", ...]`` in key order (the CLI splits each item at its first ``=``)."""
    return [f"{key}={value}" for key, value in sorted(values.items())]


def sibling(export_path: str, suffix: str) -> str:
    """``staging-...-export.json`` -> ``staging-...-export<suffix>``."""
    path = PurePath(export_path)
    stem = path.name[: -len(".json")] if path.name.endswith(".json") else path.name
    return export_path[: len(export_path) - len(path.name)] + stem + suffix


def stack_name(project_name: str, stage_name: str) -> str:
    return f"sagemaker-{project_name}-monitoring-{stage_name}"


def deploy_command(
    project_name: str, stage_name: str, export_path: str, *, creates_roles: bool = False
) -> str:
    """The ``aws cloudformation deploy`` command for one stage's export (docs/deploy.md quotes it).

    ``creates_roles``: the stack creates IAM roles (the Processing backend's), which CloudFormation deploys
    only with ``--capabilities CAPABILITY_IAM``.
    """
    return " ".join(
        [
            "aws cloudformation deploy",
            f"--template-file {PACKAGED_TEMPLATE}",
            f"--stack-name {shlex.quote(stack_name(project_name, stage_name))}",
            f"--parameter-overrides file://{sibling(export_path, OVERRIDES_SUFFIX)}",
            f"--tags file://{sibling(export_path, TAGS_SUFFIX)}",
            *(["--capabilities CAPABILITY_IAM"] if creates_roles else []),
            "--no-fail-on-empty-changeset",
        ]
    )


def write_export(
    storage: Storage, export_path: str, parameters: Mapping[str, str], tags: Mapping[str, str]
) -> list[str]:
    """Write the three files of one stage's export; return their paths."""
    written = [
        storage.write_bytes(export_path, dumps_pretty(StageExport(parameters, tags).to_json())),
        storage.write_bytes(sibling(export_path, OVERRIDES_SUFFIX), dumps_pretty(key_value_list(parameters))),
        storage.write_bytes(sibling(export_path, TAGS_SUFFIX), dumps_pretty(key_value_list(tags))),
    ]
    return written
