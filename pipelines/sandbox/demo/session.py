"""The running sandbox: moto's server and the SageMaker runtime started, pointed at, quieted, stopped."""

from __future__ import annotations

import logging
import signal
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TextIO

from pipelines.sandbox.aws_emulator import AwsEmulator, patched_environ
from pipelines.sandbox.endpoint import ManualClock, ModelEndpoint
from pipelines.sandbox.progress import Progress
from pipelines.sandbox.runtime_server import RuntimeServer
from pipelines.sandbox.world import AwsClients, World
from pipelines.timewindow import as_utc, utc_now


@dataclass
class Sandbox:
    """The running pieces: emulator, runtime server, clients, the world and its endpoints."""

    aws: AwsEmulator
    runtime: RuntimeServer
    clients: AwsClients
    clock: ManualClock
    world: World | None = None
    endpoints: dict[str, ModelEndpoint] = field(default_factory=dict)


@contextmanager
def running_sandbox(progress: Progress, now: datetime | None = None) -> Iterator[Sandbox]:
    """Start moto and the runtime server, point this process's AWS clients at them, stop both at the end."""
    with progress.step("Start the local AWS emulator (moto) and the SageMaker runtime"):
        aws = AwsEmulator.start()
        # moto keeps its resources in this process, shared by every server it starts: a second demo in the
        # same process (tests, a notebook) would find the first one's buckets and keys.
        aws.reset()
        runtime = RuntimeServer().start()
        progress.note(f"AWS: {aws.endpoint_url}   SageMaker runtime: {runtime.endpoint_url}")
    try:
        with patched_environ({**aws.environment(), **runtime.environment()}):
            yield Sandbox(aws, runtime, AwsClients.create(), ManualClock(as_utc(now) if now else utc_now()))
    finally:
        runtime.stop()
        aws.stop()


def serve_until_interrupted(sandbox: Sandbox, stream: TextIO) -> None:
    """Wait for Ctrl-C (or SIGTERM, e.g. from a container runtime), then write buffered capture."""
    stream.flush()
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        stream.write("\nstopping: writing buffered data capture\n")
        for endpoint in sandbox.endpoints.values():
            endpoint.close()


@contextmanager
def quiet_emulator() -> Iterator[None]:
    """moto's server logs every request and warns about each resource type it skips: keep quiet."""
    loggers = {name: logging.getLogger(name) for name in ("werkzeug", "moto", "moto.stepfunctions")}
    levels = {name: logger.level for name, logger in loggers.items()}
    loggers["werkzeug"].setLevel(logging.WARNING)
    loggers["moto"].setLevel(logging.ERROR)  # "No Moto CloudFormation support for AWS::SageMaker::..."
    # Its interpreter logs each execution that ends in a Fail state (a monitor failed) with the state's dump.
    loggers["moto.stepfunctions"].setLevel(logging.CRITICAL)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Tried to parse AWS")
            yield
    finally:
        for name, logger in loggers.items():
            logger.setLevel(levels[name])
