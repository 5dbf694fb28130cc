"""The scoring function's fan-out in the sandbox: its state machine stored in moto, its executions run here.

The function calls ``StartExecution`` on moto, as it would on AWS. moto records the execution but cannot run a
Distributed Map (see ``distributed_map``), so ``run_started_executions`` runs each execution moto recorded
with the definition moto stores, which is lambda/template.yml's, and the function's real handler for every
Lambda task.
"""

from __future__ import annotations

import json
import time
from collections.abc import MutableSet
from dataclasses import dataclass
from typing import Any

from pipelines.sandbox.aws_emulator import ACCOUNT_ID, REGION
from pipelines.sandbox.distributed_map import (
    ExecutionResult,
    Invoke,
    LocalStepFunctions,
    StateMachineDefinition,
)
from pipelines.sandbox.lambda_runner import FUNCTION_ARN, FUNCTION_NAME

STATE_MACHINE_NAME = f"{FUNCTION_NAME}-fan-out"
RESULTS_PREFIX = "fan-out-results/"


def state_machine_arn(name: str = STATE_MACHINE_NAME, region: str = REGION) -> str:
    return f"arn:aws:states:{region}:{ACCOUNT_ID}:stateMachine:{name}"


def create_state_machine(
    stepfunctions: Any,
    bucket: str,
    *,
    results_prefix: str = RESULTS_PREFIX,
    function_arn: str = FUNCTION_ARN,
    name: str = STATE_MACHINE_NAME,
) -> str:
    """Store lambda/template.yml's fan-out state machine in (emulated) Step Functions; returns its ARN."""
    definition = StateMachineDefinition.from_template(
        {"ScoringFunctionArn": function_arn, "ResultsBucket": bucket, "ResultsPrefix": results_prefix}
    )
    response = stepfunctions.create_state_machine(
        name=name,
        definition=definition.as_json(),
        roleArn=f"arn:aws:iam::{ACCOUNT_ID}:role/{name}",
        type="STANDARD",
    )
    return str(response["stateMachineArn"])


@dataclass(frozen=True)
class FanOutRun:
    """One execution the sandbox ran: its name, what it did, and how long it took."""

    execution_arn: str
    name: str
    result: ExecutionResult
    seconds: float


def run_started_executions(
    stepfunctions: Any,
    s3: Any,
    machine_arn: str,
    invoke: Invoke,
    *,
    already_run: MutableSet[str],
    interval_scale: float = 0.0,
) -> list[FanOutRun]:
    """Run every execution of ``machine_arn`` that moto holds and this process has not run yet."""
    definition = StateMachineDefinition.from_document(
        json.loads(stepfunctions.describe_state_machine(stateMachineArn=machine_arn)["definition"])
    )
    runs: list[FanOutRun] = []
    paginator = stepfunctions.get_paginator("list_executions")
    for page in paginator.paginate(stateMachineArn=machine_arn, statusFilter="RUNNING"):
        for execution in page["executions"]:
            arn = execution["executionArn"]
            if arn in already_run:
                continue
            already_run.add(arn)
            execution_input = json.loads(stepfunctions.describe_execution(executionArn=arn)["input"])
            runner = LocalStepFunctions(
                definition, s3=s3, invoke=invoke, state_machine_arn=machine_arn, interval_scale=interval_scale
            )
            started = time.perf_counter()
            result = runner.run(execution_input, name=execution["name"])
            runs.append(FanOutRun(arn, execution["name"], result, time.perf_counter() - started))
    return runs
