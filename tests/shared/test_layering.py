"""The import layering of pipelines/ (``.importlinter``): no module imports a layer above its own."""

from __future__ import annotations

import configparser
import re
import subprocess
import sys

import pytest
from importlinter.cli import lint_imports
from paths import REPO_ROOT

CONTRACTS = REPO_ROOT / ".importlinter"


def layered_names(contract: str) -> set[str]:
    config = configparser.ConfigParser()
    config.read(CONTRACTS)
    layers = config[f"importlinter:contract:{contract}"]["layers"]
    return {name for name in re.split(r"[\s|:]+", layers) if name}


def modules_of(package: str) -> set[str]:
    folder = REPO_ROOT.joinpath(*package.split("."))
    found = {p.stem for p in folder.glob("*.py") if p.stem != "__init__"}
    return found | {p.parent.name for p in folder.glob("*/__init__.py")}


def test_no_module_imports_a_layer_above_its_own(capsys: pytest.CaptureFixture[str]) -> None:
    code = lint_imports(config_filename=str(CONTRACTS), no_cache=True)
    assert code == 0, capsys.readouterr().out


@pytest.mark.parametrize(
    ("contract", "package"), [("pipelines", "pipelines"), ("monitoring", "pipelines.monitoring")]
)
def test_every_module_has_a_layer(contract: str, package: str) -> None:
    # A module left out of the contract could import anything unnoticed.
    assert modules_of(package) <= layered_names(contract)


def test_the_deployment_loads_none_of_the_monitors_code() -> None:
    # The registry names each monitor's hooks by import path (pipelines.monitors), which a static check
    # cannot follow: deploying must not load them.
    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, pipelines.deploy.cli; "
            "print(sorted(m for m in sys.modules if m.startswith('pipelines.monitoring')))",
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO_ROOT,
    )
    assert loaded.stdout.strip() == "[]"
