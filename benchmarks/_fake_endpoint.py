"""A fraud endpoint with a fixed latency per request, served by the local SageMaker runtime in a process
of its own.

Run by the Lambda benchmark as ``python -m benchmarks._fake_endpoint --latency-ms 10``: it prints its URL on
the first line of stdout and serves until stdin closes. A separate process, like a real endpoint, so that
the server's own CPU does not compete with the function under test for the GIL.
"""

from __future__ import annotations

import argparse
import sys
import time

from transaction_scoring import contract

from pipelines.sandbox.runtime_server import (
    EndpointFault,
    Handler,
    Invocation,
    InvocationResult,
    RuntimeServer,
)

ENDPOINT_NAME = "fraud-detection-bench"


def fixed_latency_model(latency_s: float) -> Handler:
    """A handler that sleeps ``latency_s`` per request and scores each record by its amount."""

    def handler(invocation: Invocation) -> InvocationResult:
        try:
            records = contract.decode_request(invocation.body)
        except contract.ContractError as error:
            raise EndpointFault(400, "ValidationError", str(error)) from None
        time.sleep(latency_s)
        predictions = [
            contract.Prediction(
                label=int(record["Transaction Amount"] > 900),
                probability_pct=min(99.0, record["Transaction Amount"] / 10),
            )
            for record in records
        ]
        return InvocationResult(body=contract.encode_response(predictions))

    return handler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--latency-ms", type=float, default=10.0)
    args = parser.parse_args()
    with RuntimeServer({ENDPOINT_NAME: fixed_latency_model(args.latency_ms / 1000)}) as server:
        print(server.endpoint_url, flush=True)
        sys.stdin.read()  # serve until the parent closes our stdin (or exits)
        counts = server.counts(ENDPOINT_NAME)
        print(f"{counts.requests} {counts.faults}", flush=True)


if __name__ == "__main__":
    main()
