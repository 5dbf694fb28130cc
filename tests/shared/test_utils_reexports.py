"""``utils.py``: the seed's helpers, each found in the table and re-exported as the real function."""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import re
from types import ModuleType

import pytest
from paths import REPO_ROOT

# Every function of the seed's utils.py (the SageMaker project template's model-monitor seed code).
SEED_HELPERS = {
    "exception_handler",
    "get_built_in_model_monitor_image_uri",
    "get_project_tags",
    "combine_resource_tags",
    "get_baselines_and_model_name",
    "get_json_file_from_s3",
    "upload_json_to_s3",
    "get_bucket_name_and_file_key",
    "process_bias_baselines",
    "process_explainability_config_file",
    "extend_config",
    "read_config_from_json",
    "write_config_to_json",
}
_ROW = re.compile(r"^\| (?P<seed>[^|]*?) *\| (?P<now>[^|]*?) *\|$")
_PATH = re.compile(r"\bpipelines(?:\.\w+)+")


@pytest.fixture(scope="module")
def utils() -> ModuleType:
    spec = importlib.util.spec_from_file_location("utils", REPO_ROOT / "utils.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _table(utils: ModuleType) -> list[tuple[str, str]]:
    rows = [_ROW.match(line.strip()) for line in (utils.__doc__ or "").splitlines()]
    # The header row is skipped, the separator row left out; continuation rows have an empty seed cell.
    return [(m["seed"], m["now"]) for m in rows if m and not m["seed"].startswith("-")][1:]


def _resolve(path: str) -> object:
    """The object a dotted path names: the longest importable module prefix, then attributes."""
    parts = path.split(".")
    for split in range(len(parts), 0, -1):
        try:
            found: object = importlib.import_module(".".join(parts[:split]))
        except ModuleNotFoundError:
            continue
        for attribute in parts[split:]:
            found = getattr(found, attribute)
        return found
    raise AssertionError(f"{path}: no such module")


def test_every_seed_helper_has_a_row(utils: ModuleType) -> None:
    assert {seed for seed, _ in _table(utils) if seed} >= SEED_HELPERS


def test_every_path_in_the_table_exists(utils: ModuleType) -> None:
    paths = [path for _, now in _table(utils) for path in _PATH.findall(now)]
    assert len(paths) >= len(SEED_HELPERS)
    for path in paths:
        _resolve(path)


def test_every_function_in_the_table_is_re_exported_as_itself(utils: ModuleType) -> None:
    for path in (path for _, now in _table(utils) for path in _PATH.findall(now)):
        target = _resolve(path)
        name = path.rsplit(".", 1)[1]
        if inspect.isfunction(target) and target.__qualname__ == name:  # module-level functions
            assert getattr(utils, name) is target, path


def test_every_name_utils_exports_is_the_object_from_its_home(utils: ModuleType) -> None:
    for name in utils.__all__:
        exported = getattr(utils, name)
        home = importlib.import_module(exported.__module__)
        assert getattr(home, name) is exported, name
        assert exported.__module__.startswith("pipelines."), name
