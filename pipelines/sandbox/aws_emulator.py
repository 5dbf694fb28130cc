"""Local AWS: moto's server on 127.0.0.1, on a free port, with throw-away credentials.

Everything that talks to AWS in the sandbox and in the tests is pointed here through
``AWS_ENDPOINT_URL`` (boto3 and the AWS CLI both honour it), and the user's own credentials, profiles and
config files are hidden so that nothing can reach a real account by accident.

Two extensions for what moto does not do on its own (the Processing backend, ``processing_backend``):
``observe`` hands each JSON-protocol request moto answered to a callback, before the answer is sent (how the
stand-in for SageMaker Processing sees a CreateProcessingJob exactly as it was sent), and
``execute_state_machines`` turns on moto's Step Functions interpreter, which calls the other services back
through ``MOTO_PORT`` (set in ``environment``).
"""

from __future__ import annotations

import gzip
import io
import json
import logging
import os
import urllib.request
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

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
        """Variables pointing boto3 and the AWS CLI at this emulator with fake credentials.

        ``MOTO_PORT`` is where moto's Step Functions interpreter sends the calls of a state machine's tasks.
        S3 is addressed as ``localhost``: ``aws cloudformation package`` writes a nested stack's
        ``TemplateURL`` with the S3 endpoint's host, and moto finds the template of such a URL only when that
        host is ``localhost`` (moto/cloudformation/utils.py, ``get_stack_from_s3_url``).
        """
        return {
            **isolated_environment(self.endpoint_url, self.region),
            "AWS_ENDPOINT_URL_S3": f"http://localhost:{self.port}",
            "MOTO_PORT": str(self.port),
        }

    def observe(self, callback: RequestObserver) -> None:
        """Call ``callback(target, request, status)`` for every JSON-protocol request (``X-Amz-Target``, e.g.
        ``SageMaker.CreateProcessingJob``) once moto has answered it, before the answer is sent back."""
        server = self.server._server  # werkzeug's server calls its ``app`` attribute for every request
        assert server is not None
        if not isinstance(server.app, _ObservedApp):
            server.app = _ObservedApp(server.app)
        server.app.observers.append(callback)

    def stop_observing(self, callback: RequestObserver) -> None:
        server = self.server._server
        if server is not None and isinstance(server.app, _ObservedApp) and callback in server.app.observers:
            server.app.observers.remove(callback)

    def execute_state_machines(self, enabled: bool = True) -> None:
        """Turn moto's Step Functions interpreter on (off: state machines are stored, never run).

        While it is on, Step Functions calls go to a second backend that CloudFormation does not create state
        machines in (``processing_backend.activate_state_machine`` copies one over).
        """
        self._post("/moto-api/config", {"stepfunctions": {"execute_state_machine": enabled}})

    def _post(self, path: str, document: Any) -> None:
        request = urllib.request.Request(
            f"{self.endpoint_url}{path}", data=json.dumps(document).encode(), method="POST"
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()

    @contextmanager
    def activated(self) -> Iterator[AwsEmulator]:
        """Point this process's AWS clients at the emulator for the duration of the block."""
        with patched_environ(self.environment()):
            yield self

    def reset(self) -> None:
        """Forget every resource (moto's reset API), e.g. between tests sharing one server."""
        request = urllib.request.Request(f"{self.endpoint_url}/moto-api/reset", method="POST")
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()

    def stop(self) -> None:
        self.server.stop()

    def __enter__(self) -> AwsEmulator:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


RequestObserver = Callable[[str, dict[str, Any], int], None]


class _ObservedApp:
    """A WSGI wrapper around moto's application that shows each JSON-protocol request to the observers."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self.observers: list[RequestObserver] = []

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if not target or not self.observers:
            return self.app(environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        status: list[int] = []

        def recording_start_response(status_line: str, headers: Any, *args: Any) -> Any:
            status.append(int(status_line.split()[0]))
            return start_response(status_line, headers, *args)

        answer = b"".join(self.app(environ, recording_start_response))
        request = _json_body(body, environ.get("HTTP_CONTENT_ENCODING", ""))
        for observer in self.observers:
            observer(target, request, status[0] if status else 0)
        return [answer]


def _json_body(body: bytes, encoding: str) -> dict[str, Any]:
    """A JSON-protocol request's body; botocore gzips some (CloudWatch's PutMetricData). Not JSON: {}."""
    if "gzip" in encoding:
        body = gzip.decompress(body)
    try:
        document = json.loads(body or b"{}")
    except ValueError:  # not JSON (or not UTF-8): nothing an observer looks for
        return {}
    return document if isinstance(document, dict) else {}
