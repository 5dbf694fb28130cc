"""The function's environment variables: defaults, one clear line per bad value, cross-checks."""

from __future__ import annotations

import pytest
from transaction_scoring.errors import ConfigurationError
from transaction_scoring.settings import ENVIRONMENT, MonitoringBackend, Settings


def test_every_variable_has_a_default_so_an_empty_environment_works() -> None:
    settings = Settings.from_environ({})
    assert settings == Settings()
    assert (settings.endpoint_name, settings.table_name) == ("fraud-detection-prod", "fraud-predictions")
    # The default backend is Processing (works in every account), whose monitors join on the Transaction ID
    # inside each record: requests carry 25 records.
    assert (settings.monitoring_backend, settings.records_per_request) == ("Processing", 25)
    assert settings.store_personal_data is False


def test_each_variable_sets_its_field() -> None:
    settings = Settings.from_environ(
        {
            "ENDPOINT_NAME": "fraud-staging",
            "DYNAMODB_TABLE_NAME": "predictions.v2",
            "MONITORING_BACKEND": "ModelMonitor",
            "RECORDS_PER_REQUEST": "50",
            "MAX_CONCURRENCY": "64",
            "MAX_ATTEMPTS": "3",
            "RETRY_BASE_DELAY_MS": "20",
            "RETRY_MAX_DELAY_MS": "2000",
            "ENDPOINT_TIMEOUT_S": "30",
            "STORE_PERSONAL_DATA": "Yes",
            "INPUT_PREFIX": "",
            "REJECTED_ROWS_PREFIX": "out/rejected/",
            "FAILED_ROWS_PREFIX": "out/failed/",
            "TIME_RESERVE_S": "45",
            "QUARANTINE_KMS_KEY_ID": "alias/fraud-data",
            "FAN_OUT_STATE_MACHINE_ARN": "arn:aws:states:eu-west-1:123456789012:stateMachine:scoring-fan-out",
            "FAN_OUT_MIN_BYTES": "1000000",
        }
    )
    assert settings == Settings(
        endpoint_name="fraud-staging",
        table_name="predictions.v2",
        monitoring_backend=MonitoringBackend.MODEL_MONITOR,
        records_per_request=50,
        max_concurrency=64,
        max_attempts=3,
        retry_base_delay_ms=20,
        retry_max_delay_ms=2000,
        endpoint_timeout_s=30,
        store_personal_data=True,
        input_prefix="",
        rejected_rows_prefix="out/rejected/",
        failed_rows_prefix="out/failed/",
        time_reserve_s=45,
        quarantine_kms_key_id="alias/fraud-data",
        fan_out_state_machine_arn="arn:aws:states:eu-west-1:123456789012:stateMachine:scoring-fan-out",
        fan_out_min_bytes=1_000_000,
    )


def test_variables_and_fields_correspond_one_to_one() -> None:
    assert sorted(v.field for v in ENVIRONMENT) == sorted(Settings.__dataclass_fields__)
    assert all(v.meaning.endswith(".") for v in ENVIRONMENT)


def test_all_bad_values_are_reported_at_once_one_line_each() -> None:
    with pytest.raises(ConfigurationError) as raised:
        Settings.from_environ(
            {
                "ENDPOINT_NAME": "fraud_prod",
                "DYNAMODB_TABLE_NAME": "",
                "RECORDS_PER_REQUEST": "1000",
                "STORE_PERSONAL_DATA": "maybe",
                "REJECTED_ROWS_PREFIX": "/rejected/",
            }
        )
    assert raised.value.problems == (
        "environment variable ENDPOINT_NAME='fraud_prod': invalid: expected a SageMaker endpoint name "
        "(letters, digits, hyphens; at most 63)",
        "environment variable DYNAMODB_TABLE_NAME='': must not be empty: expected a DynamoDB table name "
        "(3-255 letters, digits, '_', '-', '.')",
        "environment variable RECORDS_PER_REQUEST='1000': out of range: expected 1..500",
        "environment variable STORE_PERSONAL_DATA='maybe': not a boolean: expected true or false",
        "environment variable REJECTED_ROWS_PREFIX='/rejected/': an S3 key prefix does not start with '/': "
        "e.g. 'incoming/'",
    )


def test_an_output_prefix_inside_the_input_prefix_is_refused_because_it_would_retrigger() -> None:
    with pytest.raises(
        ConfigurationError, match="REJECTED_ROWS_PREFIX='incoming/rejected/' is inside INPUT_PREFIX"
    ):
        Settings.from_environ({"REJECTED_ROWS_PREFIX": "incoming/rejected/"})


def test_overlapping_output_prefixes_are_refused() -> None:
    with pytest.raises(ConfigurationError, match="overlap"):
        Settings.from_environ({"REJECTED_ROWS_PREFIX": "out/", "FAILED_ROWS_PREFIX": "out/failed/"})


def test_the_largest_delay_cannot_be_below_the_first() -> None:
    with pytest.raises(ConfigurationError, match="RETRY_MAX_DELAY_MS=10 is below RETRY_BASE_DELAY_MS=100"):
        Settings.from_environ({"RETRY_MAX_DELAY_MS": "10"})


@pytest.mark.parametrize(("backend", "records"), [("ModelMonitor", 1), ("Processing", 25)])
def test_records_per_request_follows_the_monitoring_backend_unless_set(backend: str, records: int) -> None:
    assert Settings.from_environ({"MONITORING_BACKEND": backend}).records_per_request == records
    assert (
        Settings.from_environ({"MONITORING_BACKEND": backend, "RECORDS_PER_REQUEST": "7"}).records_per_request
        == 7
    )


def test_an_unknown_monitoring_backend_names_the_allowed_ones() -> None:
    with pytest.raises(
        ConfigurationError, match="MONITORING_BACKEND='Clarify': expected one of ModelMonitor, Processing"
    ):
        Settings.from_environ({"MONITORING_BACKEND": "Clarify"})


def test_the_time_reserve_must_cover_one_endpoint_attempt_and_writing_the_outputs() -> None:
    with pytest.raises(
        ConfigurationError,
        match=r"TIME_RESERVE_S=30 is less than ENDPOINT_TIMEOUT_S=20 \+ 3 s to connect \+ 10 s to write the "
        r"outputs: raise TIME_RESERVE_S to at least 33",
    ):
        Settings.from_environ({"ENDPOINT_TIMEOUT_S": "20"})


def test_a_state_machine_arn_is_checked_up_front() -> None:
    with pytest.raises(
        ConfigurationError, match="FAN_OUT_STATE_MACHINE_ARN='scoring': invalid: expected a Step"
    ):
        Settings.from_environ({"FAN_OUT_STATE_MACHINE_ARN": "scoring"})
