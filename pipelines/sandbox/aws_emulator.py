"""Local AWS: moto's server on 127.0.0.1, on a free port, with throw-away credentials.

Everything that talks to AWS in the sandbox and in the tests is pointed here through
``AWS_ENDPOINT_URL`` (boto3 and the AWS CLI both honour it), and the user's own credentials, profiles and
config files are hidden so that nothing can reach a real account by accident.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    # Imported when a server starts: moto takes ~1.5 s and ~45 MB to import, and the modules that only need
    # REGION or patched_environ (the sandbox's world, the Lambda runner, the benchmarks) should not pay it.
    from moto.server import ThreadedMotoServer

REGION = "us-east-1"
ACCOUNT_ID = "123456789012"  # moto's default account

# Variables that could lead a client to real credentials or a real endpoint.
_HIDDEN_VARIABLES = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME",
)


def isolated_environment(endpoint_url: str | None = None, region: str = REGION) -> dict[str, str]:
    """Environment variables that make boto3 and the AWS CLI use fake credentials (and ``endpoint_url``)."""
    variables = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    if endpoint_url:
        variables["AWS_ENDPOINT_URL"] = endpoint_url
    return variables


@contextmanager
def patched_environ(
    variables: Mapping[str, str], remove: tuple[str, ...] = _HIDDEN_VARIABLES
) -> Iterator[None]:
    """Set ``variables`` and remove ``remove`` in ``os.environ`` for the duration of the block."""
    saved = {name: os.environ.get(name) for name in (*variables, *remove)}
    for name in remove:
        os.environ.pop(name, None)
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@dataclass
class AwsEmulator:
    """A running moto server. Use ``with AwsEmulator.start() as aws:`` or call ``stop()``."""

    server: ThreadedMotoServer
    host: str
    port: int
    region: str = REGION
    _log: logging.Logger = field(default_factory=lambda: logging.getLogger(__name__), repr=False)

    @classmethod
    def start(cls, region: str = REGION) -> AwsEmulator:
        from moto.server import ThreadedMotoServer

        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        host, port = server.get_host_and_port()
        emulator = cls(server=server, host=host, port=port, region=region)
        emulator._log.info("moto server listening on %s", emulator.endpoint_url)
        return emulator

    @property
    def endpoint_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def environment(self) -> dict[str, str]:
        """Variables pointing boto3 and the AWS CLI at this emulator with fake credentials."""
        return isolated_environment(self.endpoint_url, self.region)

    @contextmanager
    def activated(self) -> Iterator[AwsEmulator]:
        """Point this process's AWS clients at the emulator for the duration of the block."""
        with patched_environ(self.environment()):
            yield self

    def reset(self) -> None:
        """Forget every resource (moto's reset API), e.g. between tests sharing one server."""
        import urllib.request

        request = urllib.request.Request(f"{self.endpoint_url}/moto-api/reset", method="POST")
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()

    def stop(self) -> None:
        self.server.stop()

    def __enter__(self) -> AwsEmulator:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
