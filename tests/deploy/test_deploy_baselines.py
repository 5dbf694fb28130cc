"""Baseline resolution order per monitor: stage config > DriftCheckBaselines > ModelMetrics > none."""

from __future__ import annotations

import pytest
from registry_world import drift_check_baselines, metrics_source, uri

from pipelines.deploy.baselines import BaselineSource, RegistryFile, parameter_files, resolve_baselines
from pipelines.deploy.errors import RegistryError
from pipelines.monitors import BaselineFile, MonitorType

ARN = "arn:aws:sagemaker:us-east-1:123456789012:model-package/fraud-p/3"


def test_drift_check_baselines_are_used_when_the_config_gives_none() -> None:
    resolved = resolve_baselines({}, {"DriftCheckBaselines": drift_check_baselines("v3")}, ARN)
    assert {r.source for r in resolved.values()} == {BaselineSource.DRIFT_CHECK_BASELINES}
    assert parameter_files(resolved[MonitorType.DATA_QUALITY]) == {
        BaselineFile.CONSTRAINTS: uri("v3", "data_quality/constraints.json"),
        BaselineFile.STATISTICS: uri("v3", "data_quality/statistics.json"),
    }


def test_uris_in_the_stage_config_win_over_the_registry() -> None:
    given = {"ModelQualityConstraintsS3Uri": "s3://mine/constraints.json"}
    resolved = resolve_baselines(given, {"DriftCheckBaselines": drift_check_baselines("v3")}, ARN)
    assert resolved[MonitorType.MODEL_QUALITY].source is BaselineSource.STAGE_CONFIG
    assert parameter_files(resolved[MonitorType.MODEL_QUALITY]) == {
        BaselineFile.CONSTRAINTS: "s3://mine/constraints.json"
    }


def test_model_metrics_stand_in_for_a_missing_data_quality_baseline() -> None:
    description = {
        "ModelMetrics": {
            "ModelDataQuality": {
                "Statistics": metrics_source("s3://metrics-bucket/statistics.json"),
                "Constraints": metrics_source("s3://metrics-bucket/constraints.json"),
            }
        }
    }
    resolved = resolve_baselines({}, description, ARN)[MonitorType.DATA_QUALITY]
    assert resolved.source is BaselineSource.MODEL_METRICS


def test_an_incomplete_drift_check_entry_falls_through_to_model_metrics() -> None:
    description = {
        "DriftCheckBaselines": {
            "ModelDataQuality": {"Statistics": metrics_source("s3://drift-bucket/statistics.json")}
        },
        "ModelMetrics": {
            "ModelDataQuality": {
                "Statistics": metrics_source("s3://metrics-bucket/statistics.json"),
                "Constraints": metrics_source("s3://metrics-bucket/constraints.json"),
            }
        },
    }
    resolved = resolve_baselines({}, description, ARN)[MonitorType.DATA_QUALITY]
    assert resolved.source is BaselineSource.MODEL_METRICS
    assert resolved.files[RegistryFile.STATISTICS] == "s3://metrics-bucket/statistics.json"


def test_a_missing_bias_baseline_says_what_is_missing_where() -> None:
    dcb = drift_check_baselines("v3")
    del dcb["Bias"]["PostTrainingConstraints"]
    resolved = resolve_baselines({}, {"DriftCheckBaselines": dcb}, ARN)[MonitorType.MODEL_BIAS]
    assert not resolved.found
    assert resolved.missing == (
        "DriftCheckBaselines.Bias lacks PostTrainingConstraints; ModelMetrics holds no ModelBias constraints"
    )


def test_no_baselines_at_all_leaves_every_monitor_without_one() -> None:
    resolved = resolve_baselines({}, {}, ARN)
    assert all(not r.found for r in resolved.values())
    assert resolved[MonitorType.MODEL_QUALITY].missing == (
        "no DriftCheckBaselines.ModelQuality; no ModelMetrics.ModelQuality"
    )


def test_a_registry_entry_that_is_not_an_s3_uri_is_a_registry_error() -> None:
    dcb = drift_check_baselines("v3")
    dcb["ModelQuality"]["Constraints"]["S3Uri"] = "/local/constraints.json"
    with pytest.raises(
        RegistryError, match=r"DriftCheckBaselines.ModelQuality.Constraints '/local/constraints.json'"
    ):
        resolve_baselines({}, {"DriftCheckBaselines": dcb}, ARN)


def test_a_registry_entry_without_s3uri_is_a_registry_error() -> None:
    dcb = drift_check_baselines("v3")
    dcb["Explainability"]["ConfigFile"] = "s3://xyz/config.json"
    with pytest.raises(RegistryError, match=r"Explainability.ConfigFile is 's3://xyz/config.json': expected"):
        resolve_baselines({}, {"DriftCheckBaselines": dcb}, ARN)
