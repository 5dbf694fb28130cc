"""The model sits below the monitors and the sandbox: it imports neither (issue 9)."""

from __future__ import annotations

import ast

from paths import REPO_ROOT

ABOVE_THE_MODEL = ("pipelines.monitoring", "pipelines.sandbox", "pipelines.deploy")


def _imported_modules(source: str) -> set[str]:
    modules: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module)
    return modules


def test_no_model_module_imports_the_monitors_the_sandbox_or_the_deployment() -> None:
    upward = {
        f"{path.relative_to(REPO_ROOT)} imports {module}"
        for path in sorted((REPO_ROOT / "pipelines" / "model").rglob("*.py"))
        for module in _imported_modules(path.read_text())
        if module.startswith(ABOVE_THE_MODEL)
    }
    assert not upward
