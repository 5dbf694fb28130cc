"""Clarify's explainability analysis configuration (``analysis_config.json``): read, validated, written.

Schema: https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-processing-job-configure-analysis.html ::

    {"dataset_type": "text/csv", "headers": ["Transaction Amount", ...],
     "methods": {"shap": {"baseline": [[...one row per background record, in headers order...]],
                          "num_samples": 100, "agg_method": "mean_abs", "use_logit": false,
                          "save_local_shap_values": false, "seed": 0}},
     "predictor": {...}}

``headers`` are the features explained (in order); ``baseline`` holds the background rows Kernel SHAP
replaces absent features with (we keep them inline, so every execution uses the same background and the
same expected value). ``predictor`` is kept as given for SageMaker's Clarify; it is not used here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import polars as pl

from pipelines.errors import UserError
from pipelines.monitoring.explainability.attribution import AggregationMethod

DEFAULT_NUM_SAMPLES = 100
DEFAULT_DATASET_TYPE = "text/csv"


class ExplainabilityConfigError(UserError):
    """An explainability analysis configuration that cannot be used."""


@dataclass(frozen=True, slots=True)
class ExplainabilityAnalysisConfig:
    headers: tuple[str, ...]
    baseline: tuple[tuple[Any, ...], ...]
    num_samples: int = DEFAULT_NUM_SAMPLES
    agg_method: AggregationMethod = AggregationMethod.MEAN_ABS
    use_logit: bool = False
    seed: int = 0
    save_local_shap_values: bool = False
    dataset_type: str = DEFAULT_DATASET_TYPE
    predictor: Mapping[str, Any] | None = None

    def background(self, schema: Mapping[str, pl.DataType] | None = None) -> pl.DataFrame:
        """The baseline rows as a table (cast to ``schema``, the instances' column types, when given)."""
        columns = {name: [row[j] for row in self.baseline] for j, name in enumerate(self.headers)}
        frame = pl.DataFrame(columns, strict=False)
        if schema is not None:
            frame = frame.cast({name: schema[name] for name in self.headers}, strict=False)
        return frame

    def to_json(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "dataset_type": self.dataset_type,
            "headers": list(self.headers),
            "methods": {
                "shap": {
                    "baseline": [list(row) for row in self.baseline],
                    "num_samples": self.num_samples,
                    "agg_method": self.agg_method.value,
                    "use_logit": self.use_logit,
                    "save_local_shap_values": self.save_local_shap_values,
                    "seed": self.seed,
                }
            },
        }
        if self.predictor is not None:
            document["predictor"] = dict(self.predictor)
        return document

    @classmethod
    def from_json(
        cls, document: Any, *, where: str = "explainability analysis config"
    ) -> ExplainabilityAnalysisConfig:
        if not isinstance(document, dict):
            raise ExplainabilityConfigError(f"{where}: expected a JSON object, got {type(document).__name__}")
        problems: list[str] = []
        headers = document.get("headers")
        if not isinstance(headers, list) or not headers or not all(isinstance(h, str) for h in headers):
            problems.append(f"{where}: headers must be a non-empty list of the feature names to explain")
            headers = []
        methods = document.get("methods")
        shap = methods.get("shap") if isinstance(methods, dict) else None
        if not isinstance(shap, dict):
            raise ExplainabilityConfigError([*problems, f"{where}: methods.shap is missing"])
        baseline = shap.get("baseline")
        if isinstance(baseline, str):
            problems.append(
                f"{where}: methods.shap.baseline is a location ({baseline}); "
                "give the rows inline (a list of lists)"
            )
        elif not isinstance(baseline, list) or not baseline or not all(isinstance(r, list) for r in baseline):
            problems.append(f"{where}: methods.shap.baseline must be a non-empty list of rows")
        else:
            for i, row in enumerate(baseline):
                if len(row) != len(headers):
                    problems.append(
                        f"{where}: methods.shap.baseline[{i}] has {len(row)} values "
                        f"for {len(headers)} headers"
                    )
        num_samples = shap.get("num_samples", DEFAULT_NUM_SAMPLES)
        if isinstance(num_samples, bool) or not isinstance(num_samples, int) or num_samples < 2:
            problems.append(f"{where}: methods.shap.num_samples is {num_samples!r}, expected an integer >= 2")
        agg = shap.get("agg_method", AggregationMethod.MEAN_ABS.value)
        if agg not in {m.value for m in AggregationMethod}:
            problems.append(
                f"{where}: methods.shap.agg_method is {agg!r}; "
                f"allowed: {', '.join(m.value for m in AggregationMethod)}"
            )
        predictor = document.get("predictor")
        if predictor is not None and not isinstance(predictor, dict):
            problems.append(f"{where}: predictor must be an object")
        if problems:
            raise ExplainabilityConfigError(problems)
        return cls(
            headers=tuple(headers),
            baseline=tuple(tuple(row) for row in baseline),  # type: ignore[union-attr]
            num_samples=int(num_samples),
            agg_method=AggregationMethod(agg),
            use_logit=bool(shap.get("use_logit", False)),
            seed=int(shap.get("seed", 0)),
            save_local_shap_values=bool(shap.get("save_local_shap_values", False)),
            dataset_type=str(document.get("dataset_type", DEFAULT_DATASET_TYPE)),
            predictor=predictor,
        )
