"""Feature engineering: raw request records -> the booster's input, and the spec that remembers how."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from transaction_scoring import contract

from pipelines.model.features import (
    DAY_OF_WEEK_FEATURE,
    FeatureInputError,
    FeatureKind,
    FeatureSpec,
    FeatureSpecError,
    encode,
    fraud_feature_spec,
)
from pipelines.sandbox.data import request_records

RECORD = {
    contract.TRANSACTION_ID: "t-1",
    contract.TRANSACTION_AMOUNT: 42.5,
    contract.TRANSACTION_DATE: "2026-03-04 23:10:00",  # a Wednesday
    contract.PAYMENT_METHOD: "PayPal",
    contract.PRODUCT_CATEGORY: "electronics",
    contract.QUANTITY: 2,
    contract.CUSTOMER_AGE: 30,
    contract.CUSTOMER_LOCATION: "Boston",
    contract.DEVICE_USED: "mobile",
    contract.ACCOUNT_AGE_DAYS: 12,
    contract.TRANSACTION_HOUR: 23,
}


@pytest.fixture(scope="module")
def spec(training_frame: pd.DataFrame) -> FeatureSpec:
    return fraud_feature_spec(training_frame)


def test_every_raw_feature_column_feeds_exactly_one_model_feature(spec: FeatureSpec) -> None:
    assert spec.raw_features == contract.FEATURE_COLUMNS
    assert sorted(spec.source_of.values()) == sorted(contract.FEATURE_COLUMNS)


def test_day_of_week_is_derived_from_transaction_date(spec: FeatureSpec) -> None:
    assert spec.source_of[DAY_OF_WEEK_FEATURE] == contract.TRANSACTION_DATE
    encoded = encode(spec, [RECORD])
    assert encoded[DAY_OF_WEEK_FEATURE].tolist() == [2.0]


def test_categorical_features_keep_the_training_categories(
    spec: FeatureSpec, training_frame: pd.DataFrame
) -> None:
    categorical = [f for f in spec.features if f.kind is FeatureKind.CATEGORICAL]
    assert [f.name for f in categorical] == list(contract.CATEGORICAL_FEATURE_COLUMNS)
    devices = next(f for f in categorical if f.name == contract.DEVICE_USED)
    assert devices.categories == tuple(sorted(training_frame[contract.DEVICE_USED].unique()))


def test_a_category_unseen_in_training_becomes_missing(spec: FeatureSpec) -> None:
    encoded = encode(spec, [{**RECORD, contract.CUSTOMER_LOCATION: "Atlantis"}])
    assert pd.isna(encoded[contract.CUSTOMER_LOCATION].iloc[0])


def test_null_values_become_missing_values(spec: FeatureSpec) -> None:
    record = {
        **RECORD,
        contract.TRANSACTION_AMOUNT: None,
        contract.DEVICE_USED: None,
        contract.TRANSACTION_DATE: None,
    }
    encoded = encode(spec, [record])
    assert math.isnan(encoded[contract.TRANSACTION_AMOUNT].iloc[0])
    assert pd.isna(encoded[contract.DEVICE_USED].iloc[0])
    assert math.isnan(encoded[DAY_OF_WEEK_FEATURE].iloc[0])


def test_records_and_a_frame_of_the_same_rows_encode_identically(
    spec: FeatureSpec, training_frame: pd.DataFrame
) -> None:
    rows = training_frame.head(200)
    from_frame = encode(spec, rows)
    from_records = encode(spec, request_records(rows))
    pd.testing.assert_frame_equal(from_frame.reset_index(drop=True), from_records)


def test_a_record_without_a_feature_column_is_refused_naming_record_and_column(spec: FeatureSpec) -> None:
    incomplete = {k: v for k, v in RECORD.items() if k != contract.QUANTITY}
    with pytest.raises(FeatureInputError) as caught:
        encode(spec, [RECORD, incomplete])
    assert caught.value.problems == ("record 1: has no 'Quantity' (send null for a missing value)",)


def test_a_text_amount_is_refused_with_its_value(spec: FeatureSpec) -> None:
    with pytest.raises(FeatureInputError) as caught:
        encode(spec, [{**RECORD, contract.TRANSACTION_AMOUNT: "12.50"}])
    assert caught.value.problems == ("record 0: 'Transaction Amount' is '12.50': expected a number or null",)


def test_a_boolean_is_not_a_number(spec: FeatureSpec) -> None:
    with pytest.raises(FeatureInputError, match="'Quantity' is True"):
        encode(spec, [{**RECORD, contract.QUANTITY: True}])


def test_a_date_in_another_format_is_refused(spec: FeatureSpec) -> None:
    with pytest.raises(FeatureInputError) as caught:
        encode(spec, [{**RECORD, contract.TRANSACTION_DATE: "04/03/2026"}])
    assert "record 0: 'Transaction Date' is '04/03/2026': expected a date like" in caught.value.problems[0]


def test_many_bad_records_are_summarised_after_the_first_five(spec: FeatureSpec) -> None:
    bad = [{**RECORD, contract.CUSTOMER_AGE: "old"}] * 8
    with pytest.raises(FeatureInputError) as caught:
        encode(spec, bad)
    assert len(caught.value.problems) == 6
    assert caught.value.problems[-1] == "... and 3 more problems"


def test_the_spec_round_trips_through_json(spec: FeatureSpec) -> None:
    assert FeatureSpec.from_json(spec.to_json()) == spec


def test_a_spec_of_another_version_is_refused() -> None:
    with pytest.raises(FeatureSpecError, match="not a version-1 feature spec"):
        FeatureSpec.from_json({"version": 7, "features": []})


def test_a_spec_feature_with_an_unknown_kind_is_reported(spec: FeatureSpec) -> None:
    document = spec.to_json()
    document["features"][0]["kind"] = "embedding"
    with pytest.raises(FeatureSpecError, match=r"features\[0\] is .*expected name, source and kind"):
        FeatureSpec.from_json(document)


def test_numbers_from_a_frame_are_passed_through_as_floats(
    spec: FeatureSpec, training_frame: pd.DataFrame
) -> None:
    rows = training_frame.head(5)
    encoded = encode(spec, rows)
    np.testing.assert_array_equal(encoded[contract.CUSTOMER_AGE], rows[contract.CUSTOMER_AGE].astype(float))
