"""What the explainability monitor needs from a model, as small protocols, plus an xgboost adapter.

- ``ProbabilityModel``: ``predict_proba(records) -> array`` of positive-class probabilities (0..1) for
  request records (dicts keyed by raw column names). Any model works, including an endpoint
  (``pipelines.monitoring.explainability.endpoint.EndpointModel``); attributions then come from Kernel SHAP.
- ``TreeContributionModel``: additionally ``contributions(records) -> (array[n, raw features], expected
  value)``: exact tree SHAP from the model artifact, per raw input column. The sandbox's ``FraudModel``
  provides it; ``XGBoostTreeModel`` builds it from any xgboost booster.

xgboost's ``pred_contribs=True`` gives exact (path-dependent) tree SHAP values in the booster's margin
(log-odds for ``binary:logistic``) for each *model* feature, plus a bias column equal to the expected
margin. Model features engineered from one raw column (e.g. day-of-week and hour from a timestamp) are
summed back onto that column (``pipelines.attributions``): SHAP values are additive, so the sum is the
attribution of the raw input.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from pipelines.attributions import aggregate_contributions

if TYPE_CHECKING:
    import xgboost

Records = Sequence[Mapping[str, Any]]


@runtime_checkable
class ProbabilityModel(Protocol):
    def predict_proba(self, records: Records) -> npt.NDArray[np.float64]: ...


@runtime_checkable
class TreeContributionModel(Protocol):
    raw_feature_names: Sequence[str]

    def predict_proba(self, records: Records) -> npt.NDArray[np.float64]: ...

    def contributions(self, records: Records) -> tuple[npt.NDArray[np.float64], float]: ...


class XGBoostTreeModel:
    """An xgboost booster (binary:logistic) with the function that turns raw records into its input."""

    def __init__(
        self,
        booster: xgboost.Booster,
        encode: Callable[[Records], xgboost.DMatrix],
        raw_feature_names: Sequence[str],
        source_of: Mapping[str, str] | None = None,
    ) -> None:
        self.booster = booster
        self.encode = encode
        self.raw_feature_names = tuple(raw_feature_names)
        self.source_of = dict(source_of or {})

    def predict_proba(self, records: Records) -> npt.NDArray[np.float64]:
        return np.asarray(self.booster.predict(self.encode(records)), dtype=np.float64)

    def contributions(self, records: Records) -> tuple[npt.NDArray[np.float64], float]:
        matrix = self.encode(records)
        values = np.asarray(self.booster.predict(matrix, pred_contribs=True), dtype=np.float64)
        names = list(matrix.feature_names or [f"f{i}" for i in range(values.shape[1] - 1)])
        per_raw = aggregate_contributions(values[:, :-1], names, self.source_of, self.raw_feature_names)
        expected = float(values[0, -1]) if values.shape[0] else 0.0
        return per_raw, expected
