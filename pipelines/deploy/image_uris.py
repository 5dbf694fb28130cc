"""The Model Monitor and Clarify container images for a region, from the SageMaker Python SDK.

SDK v3 split the SDK into distributions; ``image_uris`` now lives in ``sagemaker-core`` as
``sagemaker.core.image_uris`` (v2's ``sagemaker.image_uris`` is gone). ``sagemaker-core`` is the lightest
distribution that ships it together with its per-region image tables; the ``sagemaker`` meta package would
add the training, serving and MLOps distributions for nothing. Importing it takes seconds, so it happens
on first use, never at import time of this module.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from enum import StrEnum
from functools import cache

from pipelines.container import image as processing_image
from pipelines.errors import UserError

log = logging.getLogger(__name__)


class ImageFramework(StrEnum):
    """``framework`` names of the SDK's image tables."""

    MODEL_MONITOR = "model-monitor"
    CLARIFY = "clarify"
    SKLEARN = "sklearn"  # the Processing backend's prebuilt image (``pipelines.container.image``)
    SPARK = "spark"  # ... with ``MonitoringEngine: spark``


class UnsupportedRegion(UserError):
    """The SDK has no monitoring image for the session's region."""


@dataclass(frozen=True, slots=True)
class MonitorImages:
    model_monitor: str
    clarify: str
    processing: str
    spark_processing: str


@cache
def image_uri(
    framework: ImageFramework,
    region: str,
    version: str | None = None,
    scope: str | None = None,
    py_version: str | None = None,
) -> str:
    """The ECR image URI of ``framework`` in ``region`` (cached: the lookup never changes in a run)."""
    with warnings.catch_warnings():
        # First import compiles the SDK, whose docstrings trigger "invalid escape sequence" warnings.
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", SyntaxWarning)
        from sagemaker.core import image_uris  # lazy: importing sagemaker-core takes ~6 s

    try:
        return str(
            image_uris.retrieve(
                framework=framework.value,
                region=region,
                version=version,
                image_scope=scope,
                py_version=py_version,
            )
        )
    except ValueError as error:
        # The SDK raises ValueError("Unsupported region: ...") listing the regions it knows.
        raise UnsupportedRegion(f"no {framework} image for region {region!r}: {error}") from None


def monitor_images(region: str) -> MonitorImages:
    """The images of ``region``; ``spark_processing`` is '' where the SDK lists no Spark 3.5 image (a few
    isolated regions): only a stage with ``MonitoringEngine: spark`` needs it, and the flow refuses it."""
    try:
        spark = image_uri(
            ImageFramework.SPARK,
            region,
            processing_image.SPARK_VERSION,
            processing_image.SPARK_IMAGE_SCOPE,
            processing_image.SPARK_PY_VERSION,
        )
    except UnsupportedRegion:
        spark = ""
    return MonitorImages(
        model_monitor=image_uri(ImageFramework.MODEL_MONITOR, region),
        clarify=image_uri(ImageFramework.CLARIFY, region),
        processing=image_uri(
            ImageFramework.SKLEARN, region, processing_image.VERSION, processing_image.IMAGE_SCOPE
        ),
        spark_processing=spark,
    )
