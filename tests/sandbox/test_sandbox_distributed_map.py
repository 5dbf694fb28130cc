"""The local runner of the fan-out state machine: the States Language it runs, and what it refuses."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from pipelines.sandbox.distributed_map import (
    DefinitionError,
    LocalStepFunctions,
    StateMachineDefinition,
    StatesError,
    evaluate,
)

ARN = "arn:aws:states:us-east-1:123456789012:stateMachine:test"
BUCKET = "runner-bucket"


@pytest.fixture
def s3() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        client.put_object(
            Bucket=BUCKET, Key="rows.csv", Body=b"id,n\n" + b"".join(b"r%d,%d\n" % (i, i) for i in range(10))
        )
        yield client


def _map(**overrides: Any) -> dict[str, Any]:
    state: dict[str, Any] = {
        "Type": "Map",
        "ItemReader": {
            "Resource": "arn:aws:states:::s3:getObject",
            "ReaderConfig": {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"},
            "Parameters": {"Bucket": BUCKET, "Key.$": "$.key"},
        },
        "ItemSelector": {"index.$": "$$.Map.Item.Index", "row.$": "$$.Map.Item.Value"},
        "ItemBatcher": {"MaxItemsPerBatch": 4, "BatchInput": {"tag.$": "$.tag"}},
        "MaxConcurrency": 2,
        "ItemProcessor": {
            "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
            "StartAt": "Work",
            "States": {
                "Work": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::lambda:invoke",
                    "Parameters": {"FunctionName": "f", "Payload.$": "$"},
                    "ResultSelector": {"out.$": "$.Payload"},
                    "Retry": [{"ErrorEquals": ["Flaky"], "MaxAttempts": 2}],
                    "End": True,
                }
            },
        },
        "End": True,
    }
    state.update(overrides)
    return state


def _runner(s3: Any, state: dict[str, Any], invoke: Any) -> LocalStepFunctions:
    definition = StateMachineDefinition.from_document({"StartAt": "Rows", "States": {"Rows": state}})
    return LocalStepFunctions(definition, s3=s3, invoke=invoke, state_machine_arn=ARN)


def test_items_are_read_from_the_csv_selected_and_batched_with_the_batch_input(s3: Any) -> None:
    seen: list[Any] = []

    def invoke(name: str, payload: Any) -> Any:
        seen.append(payload)
        return len(payload["Items"])

    result = _runner(s3, _map(), invoke).run({"key": "rows.csv", "tag": "t"})

    assert result.status == "SUCCEEDED"
    assert sorted(r["out"] for r in result.output) == [2, 4, 4]
    first = min(seen, key=lambda p: p["Items"][0]["index"])
    assert first["BatchInput"] == {"tag": "t"}
    assert first["Items"][0] == {"index": 0, "row": {"id": "r0", "n": "0"}}


def test_batches_are_also_cut_by_their_size_in_bytes(s3: Any) -> None:
    state = _map(ItemBatcher={"MaxItemsPerBatch": 100, "MaxInputBytesPerBatch": 80})
    sizes: list[int] = []
    result = _runner(s3, state, lambda name, p: sizes.append(len(p["Items"]))).run({"key": "rows.csv"})
    assert result.map_runs[0].batches == len(sizes) > 1
    assert sum(sizes) == 10


def test_a_failing_task_is_retried_as_its_retrier_says(s3: Any) -> None:
    failures = {"left": 1}

    def invoke(name: str, payload: Any) -> Any:
        if payload["Items"][0]["index"] == 0 and failures["left"]:
            failures["left"] -= 1
            raise StatesError("Flaky", "once")
        return "ok"

    result = _runner(s3, _map(), invoke).run({"key": "rows.csv", "tag": "t"})
    assert (result.status, result.retries, result.invocations) == ("SUCCEEDED", 1, 4)


def test_failures_beyond_the_tolerance_fail_the_map_run_and_a_catcher_takes_over(s3: Any) -> None:
    def invoke(name: str, payload: Any) -> Any:
        if "Items" in payload:
            raise StatesError("Broken", "always")
        return payload  # the Done task: echo what the catcher passed on

    rows = _map(
        ToleratedFailurePercentage=10,
        ResultPath="$.map_run",
        Catch=[{"ErrorEquals": ["States.ALL"], "ResultPath": "$.map_error", "Next": "Done"}],
        Next="Done",
    )
    rows.pop("End")
    definition = StateMachineDefinition.from_document(
        {"StartAt": "Rows", "States": {"Rows": rows, "Done": _task_done()}}
    )

    result = LocalStepFunctions(definition, s3=s3, invoke=invoke, state_machine_arn=ARN).run(
        {"key": "rows.csv", "tag": "t"}
    )

    assert result.status == "SUCCEEDED"
    error = result.output["Payload"]["map_error"]
    assert error["Error"] == "States.ExceedToleratedFailureThreshold"
    assert "10 of 10 items failed" in error["Cause"]


def _task_done() -> dict[str, Any]:
    return {
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": "f", "Payload.$": "$"},
        "End": True,
    }


def test_failures_within_the_tolerance_let_the_map_run_succeed(s3: Any) -> None:
    def invoke(name: str, payload: Any) -> Any:
        if payload["Items"][0]["index"] == 8:  # the last batch: 2 of 10 items
            raise StatesError("Broken", "this one")
        return "ok"

    result = _runner(s3, _map(ToleratedFailurePercentage=20), invoke).run({"key": "rows.csv", "tag": "t"})
    assert (result.status, result.map_runs[0].failed) == ("SUCCEEDED", 1)


def test_results_are_written_as_step_functions_writes_them(s3: Any) -> None:
    state = _map(
        ResultWriter={
            "Resource": "arn:aws:states:::s3:putObject",
            "Parameters": {"Bucket": BUCKET, "Prefix": "results"},
            "WriterConfig": {"OutputType": "JSON", "Transformation": "COMPACT"},
        }
    )
    result = _runner(s3, state, lambda name, p: {"n": len(p["Items"])}).run({"key": "rows.csv", "tag": "t"})

    details = result.output["ResultWriterDetails"]
    manifest = json.loads(s3.get_object(Bucket=BUCKET, Key=details["Key"])["Body"].read())
    assert manifest["ResultFiles"]["FAILED"] == []
    (succeeded,) = manifest["ResultFiles"]["SUCCEEDED"]
    outputs = json.loads(s3.get_object(Bucket=BUCKET, Key=succeeded["Key"])["Body"].read())
    assert sorted(o["out"]["n"] for o in outputs) == [2, 4, 4]  # COMPACT: the outputs, no inputs


@pytest.mark.parametrize(
    ("state", "message"),
    [
        ({"Type": "Pass", "End": True}, "state Type 'Pass' does not run here"),
        ({**_map(), "ItemsPath": "$.x"}, "fields ['ItemsPath'] do not run here"),
    ],
)
def test_what_the_runner_does_not_implement_is_refused_by_name(
    s3: Any, state: dict[str, Any], message: str
) -> None:
    with pytest.raises(DefinitionError, match=message.replace("[", r"\[").replace("]", r"\]")):
        _runner(s3, state, lambda name, p: None)


def test_payload_templates_take_paths_and_copy_the_rest() -> None:
    template = {"a.$": "$.x.y", "b": {"c.$": "$$.Map.Item.Index"}, "d": [1, "two"]}
    assert evaluate(template, {"x": {"y": 7}}, {"Map": {"Item": {"Index": 3}}}) == {
        "a": 7,
        "b": {"c": 3},
        "d": [1, "two"],
    }


def test_the_templates_definition_is_what_runs() -> None:
    definition = StateMachineDefinition.from_template(
        {
            "ScoringFunctionArn": "arn:aws:lambda:us-east-1:1:function:f",
            "ResultsBucket": "b",
            "ResultsPrefix": "p/",
        }
    )
    task = definition.states["ScoreSlices"]["ItemProcessor"]["States"]["ScoreSlice"]
    assert task["Parameters"]["FunctionName"] == "arn:aws:lambda:us-east-1:1:function:f"
    with pytest.raises(DefinitionError, match=r"give a value for DefinitionSubstitutions \['ResultsBucket'"):
        StateMachineDefinition.from_template({"ScoringFunctionArn": "x"})
