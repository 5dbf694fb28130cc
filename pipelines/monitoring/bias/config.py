"""Clarify's bias analysis configuration (``analysis_config.json``): read, validated, written.

Schema: https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-processing-job-configure-analysis.html ::

    {"dataset_type": "text/csv", "headers": [...], "label": "Is Fraudulent",
     "label_values_or_threshold": [1],
     "facet": [{"name_or_index": "Customer Age", "value_or_threshold": [50]}],
     "group_variable": "Device Used",
     "probability_threshold": 50,
     "methods": {"pre_training_bias": {"methods": "all"}, "post_training_bias": {"methods": "all"}},
     "predictor": {...}}

``probability_threshold`` is in the unit of the model's probabilities (percent for our endpoint); a record
whose probability exceeds it is predicted positive ("classify as positive those with a probability
exceeding the threshold", SageMaker SDK ``ModelPredictedLabelConfig``). ``predictor`` is kept as given: it
tells SageMaker's Clarify how to call the model and is not used by our computation. ``predicted_label``
names a dataset column that already holds the model's predictions (Clarify then calls no model; SDK
``DataConfig(predicted_label=...)``), and ``excluded_columns`` the columns that are no model input (SDK
``DataConfig(excluded_columns=...)``): neither is a feature of the flip test.

A JSON Lines dataset (``"dataset_type": "application/jsonlines"``) names with ``features`` the path of each
line's list of feature values and with ``label`` the path of its label; ``headers`` then name the features
in order and, last, the label ("the last header shall be the header of label column"), so the label's
column is the last header (``label_column``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from pipelines.errors import UserError
from pipelines.monitoring.bias.metrics import METRICS, Stage

DEFAULT_DATASET_TYPE = "text/csv"
JSON_LINES_DATASET_TYPE = "application/jsonlines"


class BiasConfigError(UserError):
    """An analysis configuration that Clarify would reject."""


@dataclass(frozen=True, slots=True)
class FacetConfig:
    name_or_index: str | int
    value_or_threshold: tuple[Any, ...] | None = None

    def to_json(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"name_or_index": self.name_or_index}
        if self.value_or_threshold is not None:
            entry["value_or_threshold"] = list(self.value_or_threshold)
        return entry


@dataclass(frozen=True, slots=True)
class BiasAnalysisConfig:
    label: str | int
    label_values_or_threshold: tuple[Any, ...]
    facets: tuple[FacetConfig, ...]
    headers: tuple[str, ...] | None = None
    group_variable: str | int | None = None
    probability_threshold: float | None = None
    methods: Mapping[Stage, str | tuple[str, ...]] = field(
        default_factory=lambda: {Stage.PRE_TRAINING: "all", Stage.POST_TRAINING: "all"}
    )
    dataset_type: str = DEFAULT_DATASET_TYPE
    predictor: Mapping[str, Any] | None = None
    predicted_label: str | int | None = None
    excluded_columns: tuple[str | int, ...] = ()
    features: str | None = None  # JSON Lines: the path of the list of feature values

    @property
    def json_lines(self) -> bool:
        return self.dataset_type == JSON_LINES_DATASET_TYPE

    def column(self, name_or_index: str | int) -> str:
        """A column name, resolving a 0-based index through ``headers``."""
        if isinstance(name_or_index, int):
            if self.headers is None or not 0 <= name_or_index < len(self.headers):
                raise BiasConfigError(
                    f"analysis config: column index {name_or_index} needs 'headers' with that many columns"
                )
            return self.headers[name_or_index]
        return name_or_index

    @property
    def label_column(self) -> str:
        if self.json_lines and self.features is not None and self.headers:
            return self.headers[-1]
        return self.column(self.label)

    @property
    def group_column(self) -> str | None:
        return None if self.group_variable is None else self.column(self.group_variable)

    @property
    def predicted_label_column(self) -> str | None:
        return None if self.predicted_label is None else self.column(self.predicted_label)

    @property
    def excluded_column_names(self) -> list[str]:
        return [self.column(c) for c in self.excluded_columns]

    def stage_methods(self, stage: Stage) -> str | list[str] | None:
        selected = self.methods.get(stage)
        if selected is None or selected == "all":
            return selected
        return list(selected)

    def to_json(self) -> dict[str, Any]:
        document: dict[str, Any] = {"dataset_type": self.dataset_type}
        if self.headers is not None:
            document["headers"] = list(self.headers)
        if self.features is not None:
            document["features"] = self.features
        document["label"] = self.label
        document["label_values_or_threshold"] = list(self.label_values_or_threshold)
        document["facet"] = [facet.to_json() for facet in self.facets]
        if self.group_variable is not None:
            document["group_variable"] = self.group_variable
        if self.probability_threshold is not None:
            document["probability_threshold"] = self.probability_threshold
        document["methods"] = {
            stage.value: {"methods": selected if selected == "all" else list(selected)}
            for stage, selected in self.methods.items()
        }
        if self.predicted_label is not None:
            document["predicted_label"] = self.predicted_label
        if self.excluded_columns:
            document["excluded_columns"] = list(self.excluded_columns)
        if self.predictor is not None:
            document["predictor"] = dict(self.predictor)
        return document

    @classmethod
    def from_json(cls, document: Any, *, where: str = "analysis config") -> BiasAnalysisConfig:
        """Parse and validate; every problem is reported, one line each."""
        if not isinstance(document, dict):
            raise BiasConfigError(f"{where}: expected a JSON object, got {type(document).__name__}")
        problems: list[str] = []
        headers = _headers(document.get("headers"), where, problems)
        label = _name_or_index(document.get("label"), f"{where}: label", problems, required=True)
        label_values = _values(
            document.get("label_values_or_threshold"), f"{where}: label_values_or_threshold", problems
        )
        facets = _facets(document.get("facet"), where, problems)
        group = _name_or_index(document.get("group_variable"), f"{where}: group_variable", problems)
        threshold = document.get("probability_threshold")
        if threshold is not None and (isinstance(threshold, bool) or not isinstance(threshold, int | float)):
            problems.append(f"{where}: probability_threshold is {threshold!r}, expected a number")
        methods = _methods(document.get("methods"), where, problems)
        predictor = document.get("predictor")
        if predictor is not None and not isinstance(predictor, dict):
            problems.append(f"{where}: predictor must be an object")
        dataset_type = document.get("dataset_type", DEFAULT_DATASET_TYPE)
        predicted_label = _name_or_index(
            document.get("predicted_label"), f"{where}: predicted_label", problems
        )
        excluded = _columns(document.get("excluded_columns"), f"{where}: excluded_columns", problems)
        features = document.get("features")
        if features is not None and not (isinstance(features, str) and features.strip()):
            problems.append(f"{where}: features is {features!r}: expected the path of the feature values")
        if problems:
            raise BiasConfigError(problems)
        config = cls(
            label=label,  # type: ignore[arg-type]
            label_values_or_threshold=tuple(label_values or ()),
            facets=tuple(facets),
            headers=headers,
            group_variable=group,
            probability_threshold=None if threshold is None else float(threshold),
            methods=methods,
            dataset_type=str(dataset_type),
            predictor=predictor,
            predicted_label=predicted_label,
            excluded_columns=tuple(excluded),
            features=features,
        )
        for name in [
            config.label,
            *(f.name_or_index for f in config.facets),
            *([] if group is None else [group]),
            *([] if predicted_label is None else [predicted_label]),
            *excluded,
        ]:
            config.column(name)
        return config


def _headers(raw: Any, where: str, problems: list[str]) -> tuple[str, ...] | None:
    if raw is None:
        return None
    if not isinstance(raw, list) or not all(isinstance(h, str) for h in raw):
        problems.append(f"{where}: headers must be a list of column names")
        return None
    return tuple(raw)


def _name_or_index(raw: Any, where: str, problems: list[str], *, required: bool = False) -> str | int | None:
    if raw is None:
        if required:
            problems.append(f"{where} is missing: give a column name or 0-based index")
        return None
    if isinstance(raw, bool) or not isinstance(raw, str | int):
        problems.append(f"{where} is {raw!r}: expected a column name or 0-based index")
        return None
    return raw


def _columns(raw: Any, where: str, problems: list[str]) -> list[str | int]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        problems.append(f"{where} is {raw!r}: expected a list of column names or 0-based indices")
        return []
    columns = [_name_or_index(c, f"{where}[{i}]", problems) for i, c in enumerate(raw)]
    return [c for c in columns if c is not None]


def _values(raw: Any, where: str, problems: list[str]) -> list[Any] | None:
    if not isinstance(raw, list) or not raw:
        problems.append(f"{where} is {raw!r}: expected a non-empty list of values or [threshold]")
        return None
    return raw


def _facets(raw: Any, where: str, problems: list[str]) -> list[FacetConfig]:
    if not isinstance(raw, list) or not raw:
        problems.append(f"{where}: facet must be a non-empty list of {{name_or_index, value_or_threshold}}")
        return []
    facets = []
    for i, entry in enumerate(raw):
        if not isinstance(entry, dict):
            problems.append(f"{where}: facet[{i}] must be an object")
            continue
        name = _name_or_index(
            entry.get("name_or_index"), f"{where}: facet[{i}].name_or_index", problems, required=True
        )
        values = entry.get("value_or_threshold")
        if values is not None and (not isinstance(values, list) or not values):
            problems.append(f"{where}: facet[{i}].value_or_threshold must be a non-empty list when given")
            values = None
        if name is not None:
            facets.append(FacetConfig(name, None if values is None else tuple(values)))
    return facets


def _methods(raw: Any, where: str, problems: list[str]) -> dict[Stage, str | tuple[str, ...]]:
    if raw is None:
        return {Stage.PRE_TRAINING: "all", Stage.POST_TRAINING: "all"}
    if not isinstance(raw, dict):
        problems.append(f"{where}: methods must be an object")
        return {}
    selected: dict[Stage, str | tuple[str, ...]] = {}
    for stage in Stage:
        entry = raw.get(stage.value)
        if entry is None:
            continue
        names = entry.get("methods", "all") if isinstance(entry, dict) else None
        allowed = {m.name for m in METRICS if m.stage is stage}
        if names == "all":
            selected[stage] = "all"
        elif isinstance(names, list) and names and set(names) <= allowed:
            selected[stage] = tuple(names)
        else:
            problems.append(
                f'{where}: methods.{stage.value}.methods is {names!r}; expected "all" or a list of '
                f"{', '.join(sorted(allowed))}"
            )
    if not selected:
        problems.append(f"{where}: methods selects neither pre_training_bias nor post_training_bias")
    return selected


def resolve_headers(config: BiasAnalysisConfig, columns: Sequence[str]) -> BiasAnalysisConfig:
    """``config`` with ``headers`` filled from a table's columns when it had none."""
    if config.headers is not None:
        return config
    return replace(config, headers=tuple(columns))
