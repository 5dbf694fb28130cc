"""Container images come from the SageMaker SDK's tables (sagemaker-core), per region."""

from __future__ import annotations

import pytest

from pipelines.deploy.image_uris import UnsupportedRegion, monitor_images


def test_the_images_of_a_region_come_from_that_regions_registry() -> None:
    images = monitor_images("eu-west-1")
    assert images.model_monitor.endswith(".dkr.ecr.eu-west-1.amazonaws.com/sagemaker-model-monitor-analyzer")
    assert ".dkr.ecr.eu-west-1.amazonaws.com/sagemaker-clarify-processing:" in images.clarify


def test_the_spark_engine_runs_in_the_spark_3_5_processing_image_with_python_3_12() -> None:
    images = monitor_images("eu-west-1")
    assert images.spark_processing.endswith(
        ".dkr.ecr.eu-west-1.amazonaws.com/sagemaker-spark-processing:3.5-cpu-py312"
    )


def test_a_region_the_sdk_does_not_know_is_a_user_error() -> None:
    with pytest.raises(UnsupportedRegion, match="no model-monitor image for region 'xx-nowhere-1'"):
        monitor_images("xx-nowhere-1")
