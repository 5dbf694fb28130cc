"""The scoring function's template (lambda/template.yml): linted clean, least privilege, wired as documented.

Rendering uses cloud-radar (parameters, conditions, Refs and Subs resolved as CloudFormation does); the SAM
function is checked on its own properties, which is what the SAM transform turns into the Lambda resources.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path
from typing import Any

import pytest
from cloud_radar.cf.unit import Template
from template_linters import LINTERS, CfnLintRun, CheckovReport
from transaction_scoring import fan_out
from transaction_scoring.s3_objects import ObjectRef
from transaction_scoring.settings import ENVIRONMENT, SLICE_INPUT_BYTES, Settings

REPO_ROOT = Path(__file__).resolve().parents[2]
LAMBDA_DIR = REPO_ROOT / "lambda"
TEMPLATE = LAMBDA_DIR / "template.yml"
REGION, ACCOUNT = "eu-west-1", "555555555555"  # cloud-radar's default account
PARAMETERS = {"EndpointName": "fraud-detection-prod", "InputBucketName": "acme-transactions"}


def _render(**parameters: str) -> Any:
    return Template.from_yaml(str(TEMPLATE), {}).create_stack({**PARAMETERS, **parameters}, region=REGION)


@pytest.fixture(scope="module")
def stack() -> Any:
    return _render()


def _statements(stack: Any) -> dict[str, dict[str, Any]]:
    (policy,) = stack.get_resource("FunctionRole")["Properties"]["Policies"]
    return {statement["Sid"]: statement for statement in policy["PolicyDocument"]["Statement"]}


def _function(stack: Any) -> dict[str, Any]:
    return stack.get_resource("ScoringFunction")["Properties"]


# -- linters -------------------------------------------------------------------------------------------


@LINTERS
@pytest.mark.slow
def test_cfn_lint_reports_nothing(cfn_lint: CfnLintRun) -> None:
    assert cfn_lint.findings(TEMPLATE) == []
    assert cfn_lint.stderr == ""


@LINTERS
@pytest.mark.slow
def test_checkov_reports_no_failed_check_and_every_skip_says_why(checkov: CheckovReport) -> None:
    assert checkov.checks("failed", TEMPLATE) == []
    assert checkov.checks("passed", TEMPLATE) != []
    skipped = {
        check["check_id"]: check["check_result"]["suppress_comment"]
        for check in checkov.checks("skipped", TEMPLATE)
    }
    assert sorted(skipped) == ["CKV_AWS_116", "CKV_AWS_117", "CKV_AWS_173", "CKV_AWS_18"]
    assert all(len(reason) > 60 for reason in skipped.values())


# -- the function --------------------------------------------------------------------------------------


def _environment(stack: Any) -> dict[str, str]:
    """The function's variables, with the key ARN cloud-radar leaves unresolved made real."""
    variables = {k: str(v) for k, v in _function(stack)["Environment"]["Variables"].items()}
    variables["QUARANTINE_KMS_KEY_ID"] = (
        f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    )
    return variables


def test_the_function_environment_is_made_of_settings_the_code_understands(stack: Any) -> None:
    variables = _environment(stack)
    ours = {v.name for v in ENVIRONMENT}
    assert {name for name in variables if not name.startswith("POWERTOOLS_")} <= ours
    settings = Settings.from_environ(variables)  # parses: no ConfigurationError
    assert (settings.endpoint_name, settings.store_personal_data) == ("fraud-detection-prod", False)
    assert (
        settings.fan_out_state_machine_arn
        == f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:transaction-scoring-fan-out"
    )


@pytest.mark.parametrize(
    ("parameters", "records"),
    [
        ({}, 25),  # the default backend, Processing: our monitors join on the IDs inside the records
        ({"MonitoringBackend": "ModelMonitor"}, 1),  # Model Monitor joins on InferenceId = Transaction ID
        ({"MonitoringBackend": "ModelMonitor", "RecordsPerRequest": "10"}, 10),  # an explicit choice wins
    ],
)
def test_records_per_request_derive_from_the_monitoring_backend(
    parameters: dict[str, str], records: int
) -> None:
    assert Settings.from_environ(_environment(_render(**parameters))).records_per_request == records


def test_the_function_runs_the_handler_with_powertools_from_its_public_layer(stack: Any) -> None:
    function = _function(stack)
    assert function["Handler"] == "lambda_function.lambda_handler"
    assert (LAMBDA_DIR / function["CodeUri"] / "lambda_function.py").is_file()
    (layer,) = function["Layers"]
    assert (
        layer == f"arn:aws:lambda:{REGION}:017000801446:layer:AWSLambdaPowertoolsPythonV3-python312-x86_64:27"
    )
    assert function["ReservedConcurrentExecutions"] == 5
    assert function["Tracing"] == "Active"


def test_failed_invocations_go_to_an_encrypted_queue_after_lambdas_retries(stack: Any) -> None:
    config = _function(stack)["EventInvokeConfig"]
    assert config["MaximumRetryAttempts"] == 2
    assert config["DestinationConfig"]["OnFailure"]["Type"] == "SQS"
    assert stack.get_resource("FailedInvocationsQueue")["Properties"]["KmsMasterKeyId"]


def test_the_package_needs_nothing_beyond_the_lambda_runtime_and_the_layer() -> None:
    allowed = set(sys.stdlib_module_names) | {
        "boto3",
        "botocore",
        "aws_lambda_powertools",
        "transaction_scoring",
    }
    for path in LAMBDA_DIR.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                roots = {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                roots = {node.module.split(".")[0]}
            else:
                continue
            assert roots <= allowed, f"{path.relative_to(REPO_ROOT)} imports {roots - allowed}"


# -- least privilege -----------------------------------------------------------------------------------


def test_the_role_reads_only_the_input_prefix_and_writes_only_the_output_prefixes(stack: Any) -> None:
    statements = _statements(stack)
    assert statements["ReadTheInputFiles"]["Action"] == ["s3:GetObject", "s3:GetObjectVersion"]
    assert statements["ReadTheInputFiles"]["Resource"] == "arn:aws:s3:::acme-transactions/incoming/*"
    assert statements["TellMissingFromForbidden"] == {
        "Sid": "TellMissingFromForbidden",
        "Effect": "Allow",
        "Action": "s3:ListBucket",
        "Resource": "arn:aws:s3:::acme-transactions",
    }
    assert statements["WriteRejectedAndFailedRows"]["Resource"] == [
        "arn:aws:s3:::acme-transactions/rejected/*",
        "arn:aws:s3:::acme-transactions/failed/*",
    ]


def test_the_role_invokes_only_the_one_endpoint(stack: Any) -> None:
    statement = _statements(stack)["InvokeTheFraudEndpoint"]
    assert statement["Action"] == "sagemaker:InvokeEndpoint"
    assert statement["Resource"] == f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint/fraud-detection-prod"


def test_the_role_writes_only_the_table_and_leases_only_lease_items(stack: Any) -> None:
    statements = _statements(stack)
    table = stack.get_resource("PredictionsTable")
    assert statements["CheckAndWritePredictions"]["Action"] == [
        "dynamodb:BatchGetItem",
        "dynamodb:BatchWriteItem",
    ]
    lease = statements["TakeAndReleaseFileLeases"]
    assert lease["Action"] == ["dynamodb:PutItem", "dynamodb:DeleteItem"]
    assert lease["Condition"] == {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["#lease *"]}}
    checkpoints = statements["ReadAndWriteCheckpoints"]
    assert checkpoints["Action"] == ["dynamodb:GetItem", "dynamodb:PutItem"]
    assert checkpoints["Condition"] == {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["#progress *"]}}
    assert statements["CheckAndWritePredictions"]["Resource"] == lease["Resource"]
    assert table["Properties"]["TableName"] == "fraud-predictions"


def test_no_statement_allows_every_resource_except_xray_which_cannot_be_scoped(stack: Any) -> None:
    def resources(statement: dict[str, Any]) -> list[str]:
        return [statement["Resource"]] if isinstance(statement["Resource"], str) else statement["Resource"]

    unscoped = [sid for sid, statement in _statements(stack).items() if "*" in resources(statement)]
    assert unscoped == ["SendTraces"]


# -- the table, the trigger ----------------------------------------------------------------------------


def test_the_table_is_on_demand_with_point_in_time_recovery_and_kms_encryption(stack: Any) -> None:
    table = stack.get_resource("PredictionsTable")["Properties"]
    assert table["KeySchema"] == [{"AttributeName": "TransactionID", "KeyType": "HASH"}]
    assert table["AttributeDefinitions"] == [{"AttributeName": "TransactionID", "AttributeType": "S"}]
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert (table["SSESpecification"]["SSEEnabled"], table["SSESpecification"]["SSEType"]) == (True, "KMS")
    assert table["TimeToLiveSpecification"] == {"AttributeName": "LeaseExpiresAt", "Enabled": True}


def test_the_bucket_triggers_the_function_for_the_input_prefix_and_suffix(stack: Any) -> None:
    (trigger,) = stack.get_resource("InputBucket")["Properties"]["NotificationConfiguration"][
        "LambdaConfigurations"
    ]
    assert trigger["Event"] == "s3:ObjectCreated:*"
    assert trigger["Filter"]["S3Key"]["Rules"] == [
        {"Name": "prefix", "Value": "incoming/"},
        {"Name": "suffix", "Value": ".csv"},
    ]
    permission = stack.get_resource("S3InvokesFunction")["Properties"]
    assert (permission["Principal"], permission["SourceArn"]) == (
        "s3.amazonaws.com",
        "arn:aws:s3:::acme-transactions",
    )


def test_an_existing_bucket_gets_the_permission_but_no_new_bucket() -> None:
    stack = _render(CreateInputBucket="no")
    assert "InputBucket" not in stack["Resources"]
    assert (
        stack.get_resource("S3InvokesFunction")["Properties"]["SourceArn"] == "arn:aws:s3:::acme-transactions"
    )


def _fan_out_statements(stack: Any) -> dict[str, dict[str, Any]]:
    (policy,) = stack.get_resource("FanOutRole")["Properties"]["Policies"]
    return {statement["Sid"]: statement for statement in policy["PolicyDocument"]["Statement"]}


def test_the_function_starts_only_its_own_fan_out_state_machine(stack: Any) -> None:
    statement = _statements(stack)["StartFanOut"]
    assert statement["Action"] == "states:StartExecution"
    assert (
        statement["Resource"] == f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:transaction-scoring-fan-out"
    )
    machine = stack.get_resource("FanOutStateMachine")["Properties"]
    assert machine["StateMachineName"] == "transaction-scoring-fan-out"


def test_the_state_machine_reads_only_the_inputs_and_writes_only_its_results(stack: Any) -> None:
    statements = _fan_out_statements(stack)
    assert statements["ReadTheInputFiles"]["Resource"] == "arn:aws:s3:::acme-transactions/incoming/*"
    assert statements["WriteSliceResults"]["Resource"] == "arn:aws:s3:::acme-transactions/fan-out-results/*"
    assert statements["InvokeTheScoringFunction"]["Action"] == "lambda:InvokeFunction"
    unscoped = [sid for sid, statement in statements.items() if statement["Resource"] == "*"]
    assert unscoped == ["DeliverExecutionLogs", "SendTraces"]


def _definition(stack: Any) -> dict[str, Any]:
    definition: dict[str, Any] = stack.get_resource("FanOutStateMachine")["Properties"]["Definition"]
    return definition


def test_the_fan_out_is_a_distributed_map_over_the_files_csv_in_bounded_slices(stack: Any) -> None:
    slices = _definition(stack)["States"]["ScoreSlices"]
    assert slices["ItemProcessor"]["ProcessorConfig"]["Mode"] == "DISTRIBUTED"
    assert slices["ItemReader"]["ReaderConfig"] == {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"}
    assert slices["ItemReader"]["Parameters"]["VersionId.$"] == "$.source.version_id"  # exactly that version
    assert slices["ItemSelector"] == {"index.$": "$$.Map.Item.Index", "row.$": "$$.Map.Item.Value"}
    assert slices["ItemBatcher"]["MaxInputBytesPerBatch"] == SLICE_INPUT_BYTES
    assert slices["ResultWriter"]["Parameters"] == {
        "Bucket": "${ResultsBucket}",
        "Prefix": "${ResultsPrefix}",
    }
    (task,) = slices["ItemProcessor"]["States"].values()
    assert task["Parameters"] == {
        "FunctionName": "${ScoringFunctionArn}",
        # The slice, and its child execution (the lease owner a retry of the slice may take over).
        "Payload": {"BatchInput.$": "$.BatchInput", "Items.$": "$.Items", "Execution.$": "$$.Execution.Id"},
    }
    assert any(retry["ErrorEquals"] == ["RowsFailed"] for retry in task["Retry"])


def test_the_bounds_of_the_map_come_from_the_execution_input_the_function_writes(stack: Any) -> None:
    # The definition reads MaxConcurrency, the slice size and the tolerated failures from the execution input
    # (CloudFormation would substitute numbers as strings); the function fills them from its settings.
    settings = Settings.from_environ(_environment(stack))
    execution = fan_out.execution_input(
        settings, ObjectRef("acme-transactions", "incoming/big.csv", "v1", "e", 10), ["Transaction ID"], 3
    )
    slices = _definition(stack)["States"]["ScoreSlices"]
    paths = {
        "MaxConcurrencyPath": slices["MaxConcurrencyPath"],
        "ToleratedFailurePercentagePath": slices["ToleratedFailurePercentagePath"],
        "MaxItemsPerBatchPath": slices["ItemBatcher"]["MaxItemsPerBatchPath"],
    }
    values = {name: _json_path(execution, path) for name, path in paths.items()}
    assert values == {
        "MaxConcurrencyPath": 4,
        "ToleratedFailurePercentagePath": 10,
        "MaxItemsPerBatchPath": 400,
    }
    for path in ("$.source.bucket", "$.source.key", "$.source.version_id", "$.header"):
        assert _json_path(execution, path) is not None


def _json_path(document: Any, path: str) -> Any:
    for part in path.removeprefix("$.").split("."):
        document = document[part]
    return document


def test_the_bucket_is_encrypted_with_the_stacks_key_tls_only_and_expires_quarantine_files(
    stack: Any,
) -> None:
    bucket = stack.get_resource("InputBucket")["Properties"]
    (rule,) = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    rules = {r["Id"]: r for r in bucket["LifecycleConfiguration"]["Rules"]}
    for rule_id, prefix in (("expire-rejected-rows", "rejected/"), ("expire-failed-rows", "failed/")):
        assert (rules[rule_id]["Prefix"], rules[rule_id]["ExpirationInDays"]) == (prefix, 30)
        assert rules[rule_id]["NoncurrentVersionExpiration"] == {"NoncurrentDays": 1}
    assert rules["expire-replaced-inputs"]["NoncurrentVersionExpiration"] == {"NoncurrentDays": 7}
    assert rules["abort-unfinished-uploads"]["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 1}
    (deny,) = stack.get_resource("InputBucketPolicy")["Properties"]["PolicyDocument"]["Statement"]
    assert (deny["Effect"], deny["Action"], deny["Condition"]) == (
        "Deny",
        "s3:*",
        {"Bool": {"aws:SecureTransport": "false"}},
    )
    # Quarantine files are written with the same key (cloud-radar leaves Fn::GetAtt unresolved, as 'X.Arn').
    assert _function(stack)["Environment"]["Variables"]["QUARANTINE_KMS_KEY_ID"] == "DataKey.Arn"
