"""A local SageMaker runtime: InvokeEndpoint over HTTP on 127.0.0.1, for tests, benchmarks and the sandbox.

boto3's ``sagemaker-runtime`` client talks to it unchanged when ``AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME``
points here (``RuntimeServer.environment()``). Each endpoint name is served by a plain Python ``Handler``: the
sandbox puts the real model behind it; tests put fakes with latency and faults.

The wire format follows the service model (protocol ``rest-json``):
https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_runtime_InvokeEndpoint.html —
``POST /endpoints/{EndpointName}/invocations``, the request's ``Content-Type``/``Accept`` and the
``X-Amzn-SageMaker-*`` headers, the response body as is with ``x-Amzn-Invoked-Production-Variant``.
Errors carry their code in the ``X-Amzn-ErrorType`` header and as ``__type`` in a JSON body, which is
where botocore's rest-json parser reads it, so standard-mode retries see ``ThrottlingException`` and 5xx as
retryable and ``ModelError``/``ValidationError`` as final, exactly as against SageMaker.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import unquote

# The account named in "endpoint not found": the emulator's (moto's default account).
from pipelines.sandbox.aws_emulator import ACCOUNT_ID

_log = logging.getLogger(__name__)

_INVOCATIONS_PATH_PREFIX = "/endpoints/"
_INVOCATIONS_PATH_SUFFIX = "/invocations"
# Request headers of InvokeEndpoint (botocore's service model, input shape members with location "header").
_INFERENCE_ID_HEADER = "X-Amzn-SageMaker-Inference-Id"
_TARGET_VARIANT_HEADER = "X-Amzn-SageMaker-Target-Variant"
_INVOKED_VARIANT_HEADER = "x-Amzn-Invoked-Production-Variant"


@dataclass(frozen=True, slots=True)
class Invocation:
    """One InvokeEndpoint request, as a handler sees it."""

    endpoint_name: str
    body: bytes
    content_type: str  # request Content-Type header ("" if absent)
    accept: str  # request Accept header ("" if absent)
    inference_id: str | None  # X-Amzn-SageMaker-Inference-Id header
    target_variant: str | None  # X-Amzn-SageMaker-Target-Variant header
    received_at: datetime  # UTC


@dataclass(frozen=True, slots=True)
class InvocationResult:
    """A successful answer: the body returned to the caller as is."""

    body: bytes
    content_type: str = "application/json"
    invoked_variant: str = "AllTraffic"


class EndpointFault(Exception):
    """Raised by a handler to answer with a SageMaker runtime error.

    E.g. ``EndpointFault(400, "ThrottlingException", "...")``, ``EndpointFault(424, "ModelError", "...")``,
    ``EndpointFault(503, "ServiceUnavailable", "...")``, ``EndpointFault(400, "ValidationError", "...")``.
    ``details`` are extra members of the error body (e.g. ``OriginalStatusCode`` of a ``ModelError``).
    """

    def __init__(
        self, status: int, code: str, message: str, details: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.details: dict[str, Any] = dict(details or {})


Handler = Callable[[Invocation], InvocationResult]


@dataclass(frozen=True, slots=True)
class ServedCounts:
    """How many requests an endpoint answered, and how many of those were faults."""

    requests: int
    faults: int


@dataclass
class _Counters:
    requests: Counter[str] = field(default_factory=Counter)
    faults: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)


class RuntimeServer:
    """ThreadingHTTPServer on 127.0.0.1, free port, speaking InvokeEndpoint.

    ``POST /endpoints/{name}/invocations`` goes to the handler registered for ``name``; an unknown endpoint is
    answered with 400 ``ValidationError`` like SageMaker. A handler's ``EndpointFault`` becomes that error
    response; any other exception becomes 424 ``ModelError`` (what SageMaker answers when the model container
    fails) and is logged with its traceback.
    """

    def __init__(self, handlers: Mapping[str, Handler] | None = None) -> None:
        self._handlers: dict[str, Handler] = dict(handlers or {})
        self._handlers_lock = threading.Lock()
        self._counters = _Counters()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- endpoints -----------------------------------------------------------------------------------
    def add_endpoint(self, name: str, handler: Handler) -> None:
        """Serve ``name`` with ``handler`` (replaces an existing handler of that name)."""
        with self._handlers_lock:
            self._handlers[name] = handler

    def remove_endpoint(self, name: str) -> None:
        """Stop serving ``name``: later requests get "endpoint not found"."""
        with self._handlers_lock:
            self._handlers.pop(name, None)

    @property
    def endpoint_names(self) -> tuple[str, ...]:
        with self._handlers_lock:
            return tuple(sorted(self._handlers))

    def handler_for(self, name: str) -> Handler | None:
        with self._handlers_lock:
            return self._handlers.get(name)

    # -- lifecycle -----------------------------------------------------------------------------------
    def start(self) -> RuntimeServer:
        if self._server is not None:
            raise RuntimeError("this RuntimeServer is already started")
        server = _Server(("127.0.0.1", 0), _InvocationRequestHandler)
        server.runtime = self
        self._server = server
        # A short poll interval makes stop() return promptly (shutdown waits for the next poll).
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.02},
            name="sagemaker-runtime-server",
            daemon=True,
        )
        self._thread.start()
        _log.info("SageMaker runtime server listening on %s", self.endpoint_url)
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join()
        self._server = self._thread = None

    @property
    def endpoint_url(self) -> str:
        if self._server is None:
            raise RuntimeError("this RuntimeServer is not started: call start() first")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def environment(self) -> dict[str, str]:
        """Variables that point boto3's ``sagemaker-runtime`` client (only that one) at this server."""
        return {"AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME": self.endpoint_url}

    def __enter__(self) -> RuntimeServer:
        return self if self._server is not None else self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # -- counters ------------------------------------------------------------------------------------
    def counts(self, endpoint_name: str) -> ServedCounts:
        """Requests answered for ``endpoint_name`` (including faults), and faults answered."""
        with self._counters.lock:
            return ServedCounts(
                requests=self._counters.requests[endpoint_name], faults=self._counters.faults[endpoint_name]
            )

    @property
    def requests_served(self) -> dict[str, int]:
        """Requests answered per endpoint name, faults included."""
        with self._counters.lock:
            return dict(self._counters.requests)

    @property
    def faults_answered(self) -> dict[str, int]:
        """Error responses per endpoint name (unknown endpoints included)."""
        with self._counters.lock:
            return dict(self._counters.faults)

    def reset_counts(self) -> None:
        with self._counters.lock:
            self._counters.requests.clear()
            self._counters.faults.clear()

    # -- dispatch (called from the server's request threads) -----------------------------------------
    def _answer(self, invocation: Invocation) -> InvocationResult:
        handler = self.handler_for(invocation.endpoint_name)
        try:
            if handler is None:
                # The message SageMaker gives for an endpoint that does not exist.
                raise EndpointFault(
                    400,
                    "ValidationError",
                    f"Endpoint {invocation.endpoint_name} of account {ACCOUNT_ID} not found.",
                )
            result = handler(invocation)
        except EndpointFault:
            self._count(invocation.endpoint_name, fault=True)
            raise
        except Exception as exc:  # a model failure is an answer (424 ModelError), like SageMaker's
            _log.exception("handler of endpoint %s failed", invocation.endpoint_name)
            self._count(invocation.endpoint_name, fault=True)
            raise EndpointFault(
                424,
                "ModelError",
                f'Received server error (500) from primary with message "{type(exc).__name__}: {exc}".',
                {"OriginalStatusCode": 500, "OriginalMessage": f"{type(exc).__name__}: {exc}"},
            ) from exc
        self._count(invocation.endpoint_name, fault=False)
        return result

    def _count(self, endpoint_name: str, *, fault: bool) -> None:
        with self._counters.lock:
            self._counters.requests[endpoint_name] += 1
            if fault:
                self._counters.faults[endpoint_name] += 1


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # Clients keep pools of many connections (one per concurrent request); the default backlog of 5 makes
    # bursts of new connections wait for SYN retries.
    request_queue_size = 256
    runtime: RuntimeServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client closing its pooled keep-alive connection is routine, not an error worth a traceback.
        if isinstance(sys.exc_info()[1], ConnectionError):
            _log.debug("client %s closed the connection", client_address)
            return
        super().handle_error(request, client_address)


class _InvocationRequestHandler(BaseHTTPRequestHandler):
    # HTTP/1.1 keep-alive, so botocore's pooled connections are reused instead of reopened per request.
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; without this, Nagle + delayed ACK add ~40 ms per answer.
    disable_nagle_algorithm = True
    server: _Server

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        endpoint_name = _endpoint_name(self.path)
        if endpoint_name is None:
            self._send_error(
                EndpointFault(404, "UnknownOperationException", f"unknown operation POST {self.path}")
            )
            return
        invocation = Invocation(
            endpoint_name=endpoint_name,
            body=body,
            content_type=self.headers.get("Content-Type", ""),
            accept=self.headers.get("Accept", ""),
            inference_id=self.headers.get(_INFERENCE_ID_HEADER),
            target_variant=self.headers.get(_TARGET_VARIANT_HEADER),
            received_at=datetime.now(UTC),
        )
        try:
            result = self.server.runtime._answer(invocation)
        except EndpointFault as fault:
            self._send_error(fault)
            return
        self._send(
            HTTPStatus.OK,
            result.body,
            {"Content-Type": result.content_type, _INVOKED_VARIANT_HEADER: result.invoked_variant},
        )

    def _send_error(self, fault: EndpointFault) -> None:
        payload = {"__type": fault.code, "message": fault.message, **fault.details}
        self._send(
            fault.status,
            json.dumps(payload).encode(),
            {"Content-Type": "application/json", "X-Amzn-ErrorType": fault.code},
        )

    def _send(self, status: int, body: bytes, headers: Mapping[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        _log.debug("%s " + format, self.address_string(), *args)


def _endpoint_name(path: str) -> str | None:
    """``name`` of ``/endpoints/{name}/invocations`` (URL-decoded), or None for any other path."""
    path = path.split("?", 1)[0]
    if not (path.startswith(_INVOCATIONS_PATH_PREFIX) and path.endswith(_INVOCATIONS_PATH_SUFFIX)):
        return None
    name = unquote(path[len(_INVOCATIONS_PATH_PREFIX) : -len(_INVOCATIONS_PATH_SUFFIX)])
    return name if name and "/" not in name else None
