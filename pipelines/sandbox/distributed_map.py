"""Runs the fan-out state machine of ``lambda/template.yml`` on this machine, as Step Functions runs it.

Why not moto: moto (5.2.5, and its main branch in August 2026) executes state machines when configured to
(``mock_aws(config={"stepfunctions": {"execute_state_machine": True}})``, or the server's config API;
``SF_EXECUTION_HISTORY_TYPE`` only shapes the history of its non-executing backend), and its parser runs a
Distributed Map with a CSV ``ItemReader``, but:
- ``ItemBatcher`` is not in its ASL grammar: ``CreateStateMachine`` refuses our definition
  (ASLParserException);
- ``ToleratedFailureCount``/``Percentage`` "currently have no effect";
- ``ResultWriter`` writes an empty ``manifest.json`` and no result files;
- its CSV reader loads the whole object into memory;
- a Lambda task goes to moto's Lambda, which runs code only in Docker (otherwise it answers a canned payload).

So the sandbox stores the state machine in moto (the function's ``StartExecution`` goes there, as on AWS) and
this runner executes the started execution with the definition read from the template, state by state. It
implements the parts of the Amazon States Language the definition uses, and refuses any other field by name,
so a definition it does not understand fails loudly instead of running differently:
- ``Map`` in ``DISTRIBUTED`` mode: ``ItemReader`` (``s3:getObject``, CSV, header on the first row, streamed),
  ``ItemSelector`` (``$$.Map.Item.Index`` / ``Value``), ``ItemBatcher`` (``MaxItemsPerBatch[Path]``,
  ``MaxInputBytesPerBatch[Path]``, ``BatchInput``), ``MaxConcurrency[Path]``,
  ``ToleratedFailure{Count,Percentage}[Path]``, ``ItemProcessor``, ``ResultWriter`` (``s3:putObject``, with
  ``WriterConfig``);
- ``Task`` with ``arn:aws:states:::lambda:invoke``: ``Parameters``, ``ResultSelector``, ``ResultPath``,
  ``Retry``, ``Catch``;
- JSONPath references of the form ``$``, ``$.a.b`` and ``$$.Map.Item.Index|Value``.

Differences from AWS, on purpose: slices run in threads of this process and call the handler in-process (the
function's Powertools metrics of concurrent slices share one buffer, so their EMF lines are approximate);
``Retry`` intervals are multiplied by ``interval_scale`` (the sandbox does not wait a minute); the failure
tolerance is checked when every slice has finished (AWS stops a Map Run as soon as it is exceeded).
"""

from __future__ import annotations

import copy
import csv
import io
import json
import logging
import random
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipelines.deploy.template_parameters import load_template
from pipelines.errors import UserError

_log = logging.getLogger(__name__)

TEMPLATE = Path(__file__).resolve().parents[2] / "lambda" / "template.yml"
STATE_MACHINE_RESOURCE = "FanOutStateMachine"
LAMBDA_INVOKE = "arn:aws:states:::lambda:invoke"
S3_GET_OBJECT = "arn:aws:states:::s3:getObject"
S3_PUT_OBJECT = "arn:aws:states:::s3:putObject"
# Unbounded MaxConcurrency (0) on AWS; threads here.
_UNBOUNDED_CONCURRENCY = 64

_COMMON_FIELDS = {
    "Type",
    "Comment",
    "Next",
    "End",
    "ResultPath",
    "Parameters",
    "ResultSelector",
    "Retry",
    "Catch",
}
_TASK_FIELDS = _COMMON_FIELDS | {"Resource"}
_MAP_FIELDS = _COMMON_FIELDS | {
    "ItemReader",
    "ItemSelector",
    "ItemBatcher",
    "ItemProcessor",
    "MaxConcurrency",
    "MaxConcurrencyPath",
    "ToleratedFailureCount",
    "ToleratedFailureCountPath",
    "ToleratedFailurePercentage",
    "ToleratedFailurePercentagePath",
    "ResultWriter",
    "Label",
}


class DefinitionError(UserError):
    """A state machine definition this runner cannot run as Step Functions would."""


class StatesError(Exception):
    """A failure inside an execution, named as Step Functions names it (``error``) with its ``cause``."""

    def __init__(self, error: str, cause: str) -> None:
        super().__init__(f"{error}: {cause}")
        self.error, self.cause = error, cause


# A Lambda invoke: (function name, payload) -> the function's response payload; raises StatesError with the
# function's errorType as ``error`` when it fails.
Invoke = Callable[[str, Any], Any]


@dataclass(frozen=True)
class StateMachineDefinition:
    """A state machine's states, as the template defines them (DefinitionSubstitutions applied)."""

    start_at: str
    states: Mapping[str, Mapping[str, Any]]

    @classmethod
    def from_template(
        cls,
        substitutions: Mapping[str, str],
        template: Path = TEMPLATE,
        resource: str = STATE_MACHINE_RESOURCE,
    ) -> StateMachineDefinition:
        """The definition of ``resource``; ``substitutions`` give each ``DefinitionSubstitutions`` value."""
        document = load_template(template)
        try:
            properties = document["Resources"][resource]["Properties"]
            definition = properties["Definition"]
        except (KeyError, TypeError):
            raise DefinitionError(f"{template}: no Resources.{resource}.Properties.Definition") from None
        names = set(properties.get("DefinitionSubstitutions") or {})
        missing = sorted(names - set(substitutions))
        if missing:
            raise DefinitionError(
                f"{template}: {resource}: give a value for DefinitionSubstitutions {missing}"
            )
        return cls.from_document(_substitute(definition, substitutions))

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> StateMachineDefinition:
        return cls(start_at=str(document["StartAt"]), states=dict(document["States"]))

    def as_json(self) -> str:
        return json.dumps({"StartAt": self.start_at, "States": self.states})


def _substitute(value: Any, substitutions: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        for name, replacement in substitutions.items():
            value = value.replace("${" + name + "}", replacement)
        return value
    if isinstance(value, list):
        return [_substitute(v, substitutions) for v in value]
    if isinstance(value, dict):
        return {k: _substitute(v, substitutions) for k, v in value.items()}
    return value


@dataclass
class MapRunSummary:
    """What one Map Run did: items read, batches (child executions), and how they ended."""

    arn: str
    items: int = 0
    batches: int = 0
    succeeded: int = 0
    failed: int = 0


@dataclass
class ExecutionResult:
    status: str  # SUCCEEDED or FAILED
    output: Any = None
    error: str | None = None
    cause: str | None = None
    map_runs: list[MapRunSummary] = field(default_factory=list)
    invocations: int = 0  # Lambda invocations, retries included
    retries: int = 0  # task attempts that were retries


class LocalStepFunctions:
    """Executes a ``StateMachineDefinition``: S3 reads and writes on ``s3``, Lambda tasks on ``invoke``."""

    def __init__(
        self,
        definition: StateMachineDefinition,
        *,
        s3: Any,
        invoke: Invoke,
        state_machine_arn: str,
        interval_scale: float = 0.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._definition = definition
        self._s3, self._invoke = s3, invoke
        self._arn = state_machine_arn
        self._interval_scale, self._sleep = interval_scale, sleep
        self._lock = threading.Lock()
        self._invocations = self._retries = 0
        _check_states(definition.states, where="States")

    def run(self, execution_input: Any, name: str | None = None) -> ExecutionResult:
        execution = f"{self._arn.replace(':stateMachine:', ':execution:')}:{name or uuid.uuid4().hex}"
        result = ExecutionResult(status="SUCCEEDED")
        try:
            result.output = self._run_states(
                self._definition.states, self._definition.start_at, execution_input, result, execution
            )
        except StatesError as failure:
            result.status, result.error, result.cause = "FAILED", failure.error, failure.cause
        result.invocations, result.retries = self._invocations, self._retries
        return result

    # -- states ------------------------------------------------------------------------------------------

    def _run_states(
        self,
        states: Mapping[str, Mapping[str, Any]],
        start_at: str,
        state_input: Any,
        result: ExecutionResult,
        execution: str,
    ) -> Any:
        name, data = start_at, state_input
        while True:
            state = states[name]
            try:
                if state["Type"] == "Task":
                    raw = self._task(state, data, result, execution)
                else:
                    raw = self._map(state, data, result, execution)
                output = _apply_result_path(data, _select(state.get("ResultSelector"), raw), state)
            except StatesError as failure:
                handler = _catcher(state, failure.error)
                if handler is None:
                    raise
                output = _apply_result_path(data, {"Error": failure.error, "Cause": failure.cause}, handler)
                name, data = handler["Next"], output
                continue
            if state.get("End"):
                return output
            name, data = state["Next"], output

    def _task(self, state: Mapping[str, Any], data: Any, result: ExecutionResult, execution: str) -> Any:
        if state["Resource"] != LAMBDA_INVOKE:
            raise DefinitionError(f"Task resource {state['Resource']!r}: only {LAMBDA_INVOKE} runs here")
        parameters = evaluate(state.get("Parameters", {}), data, {"Execution": {"Id": execution}})
        attempts_by_retrier: dict[int, int] = {}
        while True:
            try:
                with self._lock:
                    self._invocations += 1
                payload = self._invoke(parameters["FunctionName"], parameters.get("Payload"))
                return {"ExecutedVersion": "$LATEST", "Payload": payload, "StatusCode": 200}
            except StatesError as failure:
                delay = _retry_delay(state.get("Retry", []), failure.error, attempts_by_retrier)
                if delay is None:
                    raise
                with self._lock:
                    self._retries += 1
                self._sleep(delay * self._interval_scale)

    def _map(self, state: Mapping[str, Any], data: Any, result: ExecutionResult, execution: str) -> Any:
        processor = state["ItemProcessor"]
        if processor.get("ProcessorConfig", {}).get("Mode") != "DISTRIBUTED":
            raise DefinitionError("Map: only ItemProcessor.ProcessorConfig.Mode DISTRIBUTED runs here")
        map_runs = self._arn.replace(":stateMachine:", ":mapRun:")
        summary = MapRunSummary(arn=f"{map_runs}/{execution.rsplit(':', 1)[-1]}:{uuid.uuid4()}")
        result.map_runs.append(summary)
        concurrency = int(_number(state, "MaxConcurrency", data, default=0)) or _UNBOUNDED_CONCURRENCY
        tolerated_count = _number(state, "ToleratedFailureCount", data, default=0)
        tolerated_percentage = _number(state, "ToleratedFailurePercentage", data, default=0)
        batcher = state.get("ItemBatcher")
        batch_input = evaluate(batcher.get("BatchInput", {}), data, {}) if batcher else None
        # (status, child input, output or {"Error", "Cause"}); a succeeded child's input is kept only when the
        # results will show it (Transformation NONE): a slice's input is ~200 KB of rows.
        outcomes: list[tuple[str, Any, Any]] = []
        keep_inputs = _transformation(state) == "NONE"
        failed_items = 0

        def child(child_input: Any) -> Any:
            child_execution = f"{summary.arn.replace(':mapRun:', ':execution:')}/{uuid.uuid4()}"
            return self._run_states(
                processor["States"], processor["StartAt"], child_input, result, child_execution
            )

        pending: dict[Future[Any], tuple[Any, int]] = {}
        with ThreadPoolExecutor(concurrency, thread_name_prefix="map-run") as pool:
            for child_input, item_count in self._batches(state, batcher, batch_input, data, summary):
                pending[pool.submit(child, child_input)] = (child_input, item_count)
                while len(pending) >= concurrency:
                    failed_items += self._collect(pending, outcomes, summary, keep_inputs)
            while pending:
                failed_items += self._collect(pending, outcomes, summary, keep_inputs)
        map_output = self._write_results(state, data, outcomes, summary)
        if _exceeded(failed_items, summary.items, tolerated_count, tolerated_percentage):
            raise StatesError(
                "States.ExceedToleratedFailureThreshold",
                f"The specified tolerated failure threshold was exceeded: {failed_items} of {summary.items} "
                f"items failed (tolerated: {tolerated_count} items, {tolerated_percentage}%)",
            )
        return map_output

    def _collect(
        self,
        pending: dict[Future[Any], tuple[Any, int]],
        outcomes: list[tuple[str, Any, Any]],
        summary: MapRunSummary,
        keep_inputs: bool,
    ) -> int:
        """Record the children that finished (waiting for one); returns how many items they failed."""
        done, _ = wait(pending, return_when=FIRST_COMPLETED)
        failed_items = 0
        for future in done:
            child_input, item_count = pending.pop(future)
            try:
                outcomes.append(("SUCCEEDED", child_input if keep_inputs else None, future.result()))
                summary.succeeded += 1
            except StatesError as failure:
                outcomes.append(("FAILED", child_input, {"Error": failure.error, "Cause": failure.cause}))
                summary.failed += 1
                failed_items += item_count
        return failed_items

    def _batches(
        self,
        state: Mapping[str, Any],
        batcher: Mapping[str, Any] | None,
        batch_input: Any,
        data: Any,
        summary: MapRunSummary,
    ) -> Iterator[tuple[Any, int]]:
        """Child inputs with the number of items each holds."""
        selector = state.get("ItemSelector")
        selected = (
            evaluate(selector, data, {"Map": {"Item": {"Index": index, "Value": item}}}) if selector else item
            for index, item in enumerate(self._items(state["ItemReader"], data))
        )
        if batcher is None:
            for item in selected:
                summary.items += 1
                summary.batches += 1
                yield item, 1
            return
        max_items = int(_number(batcher, "MaxItemsPerBatch", data, default=0)) or None
        max_bytes = int(_number(batcher, "MaxInputBytesPerBatch", data, default=256 * 1024))
        batch: list[Any] = []
        size = 0
        for item in selected:
            summary.items += 1
            item_bytes = len(json.dumps(item, separators=(",", ":")).encode())
            if batch and ((max_items and len(batch) >= max_items) or size + item_bytes > max_bytes):
                summary.batches += 1
                yield _batch(batch, batch_input), len(batch)
                batch, size = [], 0
            batch.append(item)
            size += item_bytes
        if batch:
            summary.batches += 1
            yield _batch(batch, batch_input), len(batch)

    def _items(self, reader: Mapping[str, Any], data: Any) -> Iterator[dict[str, str]]:
        """Rows of the CSV object as the Distributed Map's CSV reader yields them: dicts keyed by header."""
        config = reader.get("ReaderConfig", {})
        if reader.get("Resource") != S3_GET_OBJECT or config.get("InputType") != "CSV":
            raise DefinitionError(
                f"ItemReader: only {S3_GET_OBJECT} with ReaderConfig.InputType CSV runs here"
            )
        if config.get("CSVHeaderLocation") != "FIRST_ROW":
            raise DefinitionError("ItemReader: only ReaderConfig.CSVHeaderLocation FIRST_ROW runs here")
        parameters = evaluate(reader.get("Parameters", {}), data, {})
        request = {"Bucket": parameters["Bucket"], "Key": parameters["Key"]}
        if parameters.get("VersionId"):
            request["VersionId"] = parameters["VersionId"]
        body = self._s3.get_object(**request)["Body"]
        try:
            rows = csv.reader(io.TextIOWrapper(body, encoding="utf-8", errors="replace", newline=""))
            header = next(rows, None)
            if header is None:
                return
            if len(set(header)) < len(header):
                raise StatesError("States.ItemReaderFailed", "CSV headers cannot contain duplicates.")
            limit = config.get("MaxItems")
            for count, row in enumerate(rows):
                if limit is not None and count >= int(limit):
                    return
                yield {name: row[i] if i < len(row) else "" for i, name in enumerate(header)}
        finally:
            body.close()

    def _write_results(
        self,
        state: Mapping[str, Any],
        data: Any,
        outcomes: list[tuple[str, Any, Any]],
        summary: MapRunSummary,
    ) -> Any:
        writer = state.get("ResultWriter")
        if writer is None:
            return [output for status, _, output in outcomes if status == "SUCCEEDED"]
        if writer.get("Resource") != S3_PUT_OBJECT:
            raise DefinitionError(f"ResultWriter: only {S3_PUT_OBJECT} runs here")
        parameters = evaluate(writer.get("Parameters", {}), data, {})
        config = writer.get("WriterConfig", {})
        compact = _transformation(state) in ("COMPACT", "FLATTEN")
        if config.get("OutputType", "JSON") != "JSON":
            raise DefinitionError("ResultWriter: only WriterConfig.OutputType JSON runs here")
        bucket, prefix = parameters["Bucket"], parameters.get("Prefix", "")
        if prefix and not prefix.endswith("/"):
            prefix += "/"
        run_id = summary.arn.rsplit(":", 1)[-1]
        files: dict[str, list[dict[str, Any]]] = {"FAILED": [], "PENDING": [], "SUCCEEDED": []}
        for status in ("SUCCEEDED", "FAILED"):
            entries = [
                _result_entry(status, child_input, output, self._arn, compact)
                for entry_status, child_input, output in outcomes
                if entry_status == status
            ]
            if not entries:
                continue
            key = f"{prefix}{run_id}/{status}_0.json"
            body = json.dumps(entries).encode()
            self._s3.put_object(Bucket=bucket, Key=key, Body=body)
            files[status].append({"Key": key, "Size": len(body)})
        manifest_key = f"{prefix}{run_id}/manifest.json"
        manifest = {"DestinationBucket": bucket, "MapRunArn": summary.arn, "ResultFiles": files}
        self._s3.put_object(Bucket=bucket, Key=manifest_key, Body=json.dumps(manifest).encode())
        return {"MapRunArn": summary.arn, "ResultWriterDetails": {"Bucket": bucket, "Key": manifest_key}}


def _transformation(state: Mapping[str, Any]) -> str:
    writer = state.get("ResultWriter")
    return "COMPACT" if writer is None else str(writer.get("WriterConfig", {}).get("Transformation", "NONE"))


def _batch(items: list[Any], batch_input: Any) -> dict[str, Any]:
    return {"Items": items} if batch_input is None else {"BatchInput": batch_input, "Items": items}


def _result_entry(status: str, child_input: Any, output: Any, arn: str, compact: bool) -> Any:
    if status == "SUCCEEDED" and compact:
        return output
    now = datetime.now(UTC).isoformat()
    entry: dict[str, Any] = {
        "ExecutionArn": f"{arn.replace(':stateMachine:', ':execution:')}/{uuid.uuid4()}",
        "Input": json.dumps(child_input),
        "InputDetails": {"Included": True},
        "Name": str(uuid.uuid4()),
        "StartDate": now,
        "StateMachineArn": arn,
        "Status": status,
        "StopDate": now,
    }
    if status == "SUCCEEDED":
        entry.update(Output=json.dumps(output), OutputDetails={"Included": True})
    else:
        entry.update(Error=output["Error"], Cause=output["Cause"])
    return entry


def _exceeded(failed_items: int, items: int, count: float, percentage: float) -> bool:
    """Whether failures pass both tolerances (with neither field set, any failure does)."""
    return failed_items > count and 100.0 * failed_items / max(items, 1) > percentage


def _number(container: Mapping[str, Any], name: str, data: Any, *, default: float) -> float:
    if f"{name}Path" in container:
        value = json_path(container[f"{name}Path"], data, {})
    else:
        value = container.get(name, default)
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise StatesError("States.Runtime", f"{name} must be a number, got {value!r}")
    return value


def _retry_delay(retriers: list[Mapping[str, Any]], error: str, attempts: dict[int, int]) -> float | None:
    for index, retrier in enumerate(retriers):
        if not _matches(retrier["ErrorEquals"], error):
            continue
        made = attempts.get(index, 0)
        if made >= int(retrier.get("MaxAttempts", 3)):
            return None
        attempts[index] = made + 1
        delay = float(retrier.get("IntervalSeconds", 1)) * float(retrier.get("BackoffRate", 2.0)) ** made
        delay = min(delay, float(retrier.get("MaxDelaySeconds", delay)))
        return random.uniform(0, delay) if retrier.get("JitterStrategy") == "FULL" else delay
    return None


def _catcher(state: Mapping[str, Any], error: str) -> Mapping[str, Any] | None:
    return next((c for c in state.get("Catch", []) if _matches(c["ErrorEquals"], error)), None)


def _matches(names: list[str], error: str) -> bool:
    return (
        "States.ALL" in names
        or error in names
        or ("States.TaskFailed" in names and not error.startswith("States."))
    )


def _select(selector: Any, raw: Any) -> Any:
    return raw if selector is None else evaluate(selector, raw, {})


def _apply_result_path(data: Any, result: Any, state: Mapping[str, Any]) -> Any:
    path = state.get("ResultPath", "$")
    if path is None:
        return data
    if path == "$":
        return result
    if not path.startswith("$."):
        raise DefinitionError(f"ResultPath {path!r}: only '$' and '$.a.b' run here")
    merged = copy.deepcopy(data) if isinstance(data, dict) else {}
    target = merged
    *parents, last = path[2:].split(".")
    for part in parents:
        target = target.setdefault(part, {})
    target[last] = result
    return merged


def evaluate(template: Any, data: Any, context: Mapping[str, Any]) -> Any:
    """A payload template: ``"key.$": path`` takes the path's value; other values are copied."""
    if isinstance(template, dict):
        out: dict[str, Any] = {}
        for key, value in template.items():
            if key.endswith(".$"):
                out[key[:-2]] = json_path(value, data, context)
            else:
                out[key] = evaluate(value, data, context)
        return out
    if isinstance(template, list):
        return [evaluate(v, data, context) for v in template]
    return template


def json_path(path: str, data: Any, context: Mapping[str, Any]) -> Any:
    """``$``, ``$.a.b`` on ``data``; ``$$.a.b`` on the context object."""
    if path.startswith("$$"):
        root, rest = context, path[2:]
    elif path.startswith("$"):
        root, rest = data, path[1:]
    else:
        raise DefinitionError(f"path {path!r}: only '$...' and '$$...' run here")
    value: Any = root
    for part in [p for p in rest.split(".") if p]:
        if not isinstance(value, Mapping) or part not in value:
            raise StatesError("States.Runtime", f"The JSONPath '{path}' could not be found in the input")
        value = value[part]
    return value


def _check_states(states: Mapping[str, Mapping[str, Any]], *, where: str) -> None:
    for name, state in states.items():
        kind = state.get("Type")
        allowed = {"Task": _TASK_FIELDS, "Map": _MAP_FIELDS}.get(str(kind))
        if allowed is None:
            raise DefinitionError(f"{where}.{name}: state Type {kind!r} does not run here (Task and Map do)")
        unknown = sorted(set(state) - allowed)
        if unknown:
            raise DefinitionError(f"{where}.{name}: fields {unknown} do not run here")
        if kind == "Map":
            processor = state["ItemProcessor"]
            _check_states(processor["States"], where=f"{where}.{name}.ItemProcessor.States")
