"""The fraud model: an xgboost booster plus its feature spec, scoring raw request records.

``FraudModel`` is what the sandbox's endpoint serves and what the explainability monitor explains: it
satisfies ``pipelines.monitoring.explainability.TreeContributionModel`` (``predict_proba``,
``contributions``, ``raw_feature_names``). Contributions are exact tree SHAP values from xgboost
(``pred_contribs=True``, in log-odds), summed from model features back onto the raw columns they come from
(``pipelines.attributions``).
"""

from __future__ import annotations

import json
import threading
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pandas as pd
import xgboost as xgb
from transaction_scoring import contract

from pipelines.attributions import aggregate_contributions
from pipelines.jsonio import dumps_pretty
from pipelines.model.artifact import BOOSTER_FILE, FEATURE_SPEC_FILE, ModelArtifactError, pack, unpack
from pipelines.model.features import FeatureSpec, Records, encode
from pipelines.storage import Storage

if TYPE_CHECKING:
    from pipelines.storage import S3Client

# One thread: on a busy 2-core machine xgboost's OpenMP threads spin against each other (training 100 rounds
# took 12.9 s with nthread=2 under load, 0.25 s with nthread=1); the sandbox's data sets are small.
DEFAULT_THREADS = 1
PROBABILITY_DECIMALS = 4


class FraudModel:
    """A trained booster and the feature spec that turns raw records into its input. Thread-safe."""

    def __init__(self, booster: xgb.Booster, spec: FeatureSpec, *, threads: int = DEFAULT_THREADS) -> None:
        if list(booster.feature_names or []) != spec.names:
            raise ModelArtifactError(
                f"the booster's features {booster.feature_names} do not match the feature spec's {spec.names}"
            )
        booster.set_param({"nthread": threads})
        self.booster = booster
        self.spec = spec
        self._threads = threads
        # Booster.predict shares state between calls; the endpoint serves requests from several threads.
        self._lock = threading.Lock()

    @property
    def raw_feature_names(self) -> tuple[str, ...]:
        """The raw request columns the model reads (explanations are reported per raw column)."""
        return self.spec.raw_features

    # -- scoring --------------------------------------------------------------------------------------------
    def matrix(self, data: pd.DataFrame | Records) -> xgb.DMatrix:
        """The booster's input for raw records (or a frame of raw columns)."""
        return xgb.DMatrix(encode(self.spec, data), enable_categorical=True, nthread=self._threads)

    def predict_proba(self, data: pd.DataFrame | Records) -> npt.NDArray[np.float64]:
        """Fraud probability (0..1) per record."""
        matrix = self.matrix(data)
        with self._lock:
            return np.asarray(self.booster.predict(matrix), dtype=np.float64)

    def predict(self, data: pd.DataFrame | Records) -> list[contract.Prediction]:
        """Predictions in the endpoint contract's units: class and probability in percent.

        The class is 1 when the rounded percentage is at least ``contract.PROBABILITY_THRESHOLD_PCT``, so the
        class a client reads always agrees with the probability it reads.
        """
        percent = np.round(self.predict_proba(data) * 100.0, PROBABILITY_DECIMALS)
        labels = percent >= contract.PROBABILITY_THRESHOLD_PCT
        return [
            contract.Prediction(label=int(label), probability_pct=float(pct))
            for label, pct in zip(labels.tolist(), percent.tolist(), strict=True)
        ]

    def contributions(self, data: pd.DataFrame | Records) -> tuple[npt.NDArray[np.float64], float]:
        """Exact tree SHAP per raw column (n x ``raw_feature_names``, log-odds) and the expected log-odds."""
        matrix = self.matrix(data)
        with self._lock:
            values = np.asarray(self.booster.predict(matrix, pred_contribs=True), dtype=np.float64)
        per_raw = aggregate_contributions(
            values[:, :-1], self.spec.names, self.spec.source_of, self.raw_feature_names
        )
        expected = float(values[0, -1]) if len(values) else self.expected_value()
        return per_raw, expected

    def expected_value(self) -> float:
        """The booster's base margin: the SHAP expected value (log-odds), for when there are no records."""
        config = json.loads(self.booster.save_config())
        base_score = float(str(config["learner"]["learner_model_param"]["base_score"]).strip("[]"))
        return float(np.log(base_score / (1.0 - base_score)))

    # -- artifact -------------------------------------------------------------------------------------------
    def to_artifact(self) -> bytes:
        """``model.tar.gz`` bytes: the booster as JSON and the feature spec."""
        return pack(
            {
                BOOSTER_FILE: bytes(self.booster.save_raw(raw_format="json")),
                FEATURE_SPEC_FILE: dumps_pretty(self.spec.to_json()),
            }
        )

    @classmethod
    def from_artifact(
        cls, data: bytes, *, where: str = "model artifact", threads: int = DEFAULT_THREADS
    ) -> FraudModel:
        members = unpack(data, (BOOSTER_FILE, FEATURE_SPEC_FILE), where=where)
        try:
            spec_document = json.loads(members[FEATURE_SPEC_FILE])
        except json.JSONDecodeError as exc:
            raise ModelArtifactError(f"{where}: {FEATURE_SPEC_FILE} is not JSON ({exc.msg})") from None
        spec = FeatureSpec.from_json(spec_document, where=f"{where}: {FEATURE_SPEC_FILE}")
        booster = xgb.Booster()
        try:
            booster.load_model(bytearray(members[BOOSTER_FILE]))
        except xgb.core.XGBoostError as exc:
            first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ModelArtifactError(
                f"{where}: {BOOSTER_FILE} is not an xgboost model ({first_line})"
            ) from None
        return cls(booster, spec, threads=threads)

    def save(self, location: str, s3: S3Client | None = None) -> str:
        """Write ``model.tar.gz`` to a local path or an ``s3://`` URI; returns the location."""
        return Storage(s3).write_bytes(location, self.to_artifact(), "application/x-gzip")

    @classmethod
    def load(cls, location: str, s3: S3Client | None = None, *, threads: int = DEFAULT_THREADS) -> FraudModel:
        """Read a ``model.tar.gz`` from a local path or an ``s3://`` URI."""
        return cls.from_artifact(Storage(s3).read_bytes(location), where=location, threads=threads)

    def __repr__(self) -> str:
        return f"FraudModel(features={self.spec.names}, trees={self.booster.num_boosted_rounds()})"
