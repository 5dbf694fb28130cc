"""Bias and explainability baselines prepared for their monitors, under content-addressed keys."""

from __future__ import annotations

import json

import pytest
from registry_world import baseline_documents

from pipelines.deploy.clarify import (
    BIAS_MONITOR_KEYS,
    bias_monitoring_config,
    derived_file,
    explainability_monitoring_config,
    merge_bias_constraints,
)
from pipelines.deploy.errors import BaselineError
from pipelines.s3uri import S3Uri

DOCS = baseline_documents("v1")


def test_pre_and_post_training_constraints_merge_into_one_file() -> None:
    merged = merge_bias_constraints(
        DOCS["bias/pre_training_constraints.json"],
        DOCS["bias/post_training_constraints.json"],
        pre_source="s3://b/pre.json",
        post_source="s3://b/post.json",
    )
    assert merged == {
        "version": "1.0",
        "pre_training_bias_metrics": {"v": "v1"},
        "post_training_bias_metrics": {"v": "v1"},
    }


def test_post_training_constraints_alone_are_used_as_they_are() -> None:
    post = DOCS["bias/post_training_constraints.json"]
    assert merge_bias_constraints(None, post, pre_source=None, post_source="s3://b/post.json") == post


def test_constraints_that_disagree_on_a_section_are_not_merged() -> None:
    with pytest.raises(BaselineError, match=r"s3://b/pre.json and s3://b/post.json disagree on version"):
        merge_bias_constraints(
            {"version": "1.0"},
            {"version": "2.0"},
            pre_source="s3://b/pre.json",
            post_source="s3://b/post.json",
        )


def test_constraints_that_are_not_an_object_are_refused() -> None:
    with pytest.raises(BaselineError, match=r"s3://b/post.json: the post-training bias constraints is list"):
        merge_bias_constraints(None, [], pre_source=None, post_source="s3://b/post.json")


def test_the_bias_config_keeps_only_what_the_bias_drift_monitor_reads() -> None:
    config = bias_monitoring_config(DOCS["bias/analysis_config.json"], source="s3://b/analysis_config.json")
    assert set(config) <= set(BIAS_MONITOR_KEYS)
    assert config["facet"] == [{"name_or_index": "Customer Age", "value_or_threshold": [40]}]
    assert "predictor" not in config
    assert "dataset_type" not in config


def test_a_bias_config_without_facet_is_refused() -> None:
    with pytest.raises(BaselineError, match="has no facet and no label_values_or_threshold"):
        bias_monitoring_config({"label": "Is Fraudulent"}, source="s3://b/c.json")


def test_the_explainability_config_names_the_stage_model() -> None:
    original = DOCS["explainability/analysis_config.json"]
    config = explainability_monitoring_config(original, model_name="fraud-prod-model", source="s3://b/c.json")
    assert config["predictor"]["model_name"] == "fraud-prod-model"
    assert config["methods"] == original["methods"]
    assert original["predictor"]["model_name"] == "training-model-v1"  # the input is not modified


def test_an_endpoint_name_in_the_predictor_gives_way_to_the_model() -> None:
    original = {"methods": {"shap": {}}, "predictor": {"endpoint_name": "training-endpoint"}}
    config = explainability_monitoring_config(original, model_name="m", source="s3://b/c.json")
    assert config["predictor"] == {"model_name": "m"}


@pytest.mark.parametrize(
    ("config", "message"),
    [({"methods": {"shap": {}}}, "no 'predictor' object"), ({"predictor": {}}, "no methods.shap section")],
)
def test_an_explainability_config_missing_a_section_is_refused(config, message) -> None:
    with pytest.raises(BaselineError, match=message):
        explainability_monitoring_config(config, model_name="m", source="s3://b/c.json")


def test_derived_files_go_to_the_given_folder_named_by_content() -> None:
    folder = S3Uri.parse("s3://outputs/monitoring-baselines")
    first = derived_file("kind", {"b": 1, "a": 2}, folder, ("s3://bucket/v1/bias/post.json",))
    same = derived_file("kind", {"a": 2, "b": 1}, folder, ())
    other = derived_file("kind", {"a": 3}, folder, ())
    assert first.location.startswith("s3://outputs/monitoring-baselines/kind-")
    assert first.location.endswith(".json")
    assert first.location == same.location
    assert other.location != first.location
    assert json.loads(first.content) == {"b": 1, "a": 2}
