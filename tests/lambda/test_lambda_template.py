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
from transaction_scoring.settings import ENVIRONMENT, Settings

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


def test_the_function_environment_is_made_of_settings_the_code_understands(stack: Any) -> None:
    variables = {k: str(v) for k, v in _function(stack)["Environment"]["Variables"].items()}
    ours = {v.name for v in ENVIRONMENT}
    assert {name for name in variables if not name.startswith("POWERTOOLS_")} <= ours
    settings = Settings.from_environ(variables)  # parses: no ConfigurationError
    assert (settings.endpoint_name, settings.records_per_request, settings.store_personal_data) == (
        "fraud-detection-prod",
        1,
        False,
    )


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
    assert statements["ReadTheInputFiles"]["Action"] == "s3:GetObject"
    assert statements["ReadTheInputFiles"]["Resource"] == "arn:aws:s3:::acme-transactions/incoming/*"
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
