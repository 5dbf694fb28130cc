"""Serving the world's models behind their endpoint names, capturing as each endpoint is configured.

The capture settings and the variant name are read back from the (emulated) SageMaker control plane, not
taken from the world's own settings, so the endpoint captures what was actually configured, as SageMaker does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from pipelines.sandbox.data_capture import CaptureWriter, describe_endpoint_capture
from pipelines.sandbox.endpoint import Clock, ModelEndpoint, Predictor
from pipelines.sandbox.runtime_server import RuntimeServer
from pipelines.sandbox.world import World
from pipelines.storage import Storage

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sagemaker import SageMakerClient


@dataclass(frozen=True, slots=True)
class CaptureBuffering:
    """When capture files are written: ``max_records`` per file, or after ``max_wait_s``."""

    max_records: int = 1000
    max_wait_s: float = 60.0
    background_flush: bool = False  # a thread that writes waiting buffers every second (for --serve)


def endpoint_from_aws(
    sagemaker: SageMakerClient,
    s3: S3Client,
    endpoint_name: str,
    model: Predictor,
    *,
    clock: Clock | None = None,
    buffering: CaptureBuffering | None = None,
    sampling_seed: int | None = None,
) -> ModelEndpoint:
    """A handler for ``endpoint_name`` serving ``model``, with the endpoint config's variant and capture."""
    buffering = buffering or CaptureBuffering()
    described = describe_endpoint_capture(sagemaker, endpoint_name)
    writer = None
    if described.settings is not None and described.settings.enabled:
        writer = CaptureWriter(
            Storage(s3),
            described.settings.destination,
            endpoint_name,
            described.variant_name,
            max_records=buffering.max_records,
            max_wait_s=buffering.max_wait_s,
        )
        if buffering.background_flush:
            writer.start()
    return ModelEndpoint(
        endpoint_name,
        model,
        variant_name=described.variant_name,
        capture_settings=described.settings,
        capture_writer=writer,
        clock=clock,
        sampling_seed=sampling_seed,
    )


def serve_world(
    world: World,
    server: RuntimeServer,
    sagemaker: SageMakerClient,
    s3: S3Client,
    *,
    clock: Clock | None = None,
    buffering: CaptureBuffering | None = None,
) -> dict[str, ModelEndpoint]:
    """Put each stage's model behind its endpoint name on ``server``; returns the handlers by name."""
    endpoints: dict[str, ModelEndpoint] = {}
    for index, deployment in enumerate(world.stages.values()):
        endpoint = endpoint_from_aws(
            sagemaker,
            s3,
            deployment.endpoint_name,
            deployment.version.model,
            clock=clock,
            buffering=buffering,
            sampling_seed=world.settings.seed + index,
        )
        server.add_endpoint(deployment.endpoint_name, endpoint)
        endpoints[deployment.endpoint_name] = endpoint
    return endpoints
