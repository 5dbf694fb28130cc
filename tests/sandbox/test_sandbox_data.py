"""The transaction generator: real schema, realistic and seeded distributions, drift, and stream files."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from transaction_scoring import contract
from transaction_scoring.rows import Header, RowValidator, csv_lines

from pipelines.sandbox import data
from pipelines.sandbox.data import (
    DataGenerationError,
    Defect,
    Drift,
    GeneratorSettings,
    format_timestamps,
    generate_transactions,
    request_records,
    solve_intercept,
    stream_csv,
)


@pytest.fixture(scope="module")
def transactions() -> pd.DataFrame:
    return generate_transactions(GeneratorSettings(rows=60_000, seed=5))


@pytest.fixture(scope="module")
def drifted() -> pd.DataFrame:
    return generate_transactions(GeneratorSettings(rows=60_000, seed=6, drift=Drift.typical()))


def fraud_rate(frame: pd.DataFrame) -> float:
    return float(frame[contract.LABEL_COLUMN].mean())


def test_columns_are_the_transaction_schema_in_order(transactions: pd.DataFrame) -> None:
    assert tuple(transactions.columns) == contract.TRANSACTION_COLUMNS


def test_categorical_values_are_those_of_the_data_set(transactions: pd.DataFrame) -> None:
    assert set(transactions[contract.PAYMENT_METHOD]) == set(data.PAYMENT_METHODS)
    assert set(transactions[contract.PRODUCT_CATEGORY]) == set(data.PRODUCT_CATEGORIES)
    assert set(transactions[contract.DEVICE_USED]) == set(data.DEVICES)
    assert set(transactions[contract.CUSTOMER_LOCATION]) == set(data.LOCATIONS)


def test_numbers_are_in_their_ranges(transactions: pd.DataFrame) -> None:
    assert transactions[contract.TRANSACTION_AMOUNT].min() >= 1.0
    assert transactions[contract.QUANTITY].between(1, 5).all()
    assert transactions[contract.CUSTOMER_AGE].between(18, 80).all()
    assert transactions[contract.ACCOUNT_AGE_DAYS].between(1, 365).all()
    assert set(transactions[contract.LABEL_COLUMN]) == {0, 1}


def test_transaction_ids_are_unique_uuids(transactions: pd.DataFrame) -> None:
    ids = transactions[contract.TRANSACTION_ID]
    assert ids.is_unique
    assert ids.str.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}").all()


def test_customers_come_back(transactions: pd.DataFrame) -> None:
    assert transactions[contract.CUSTOMER_ID].nunique() < len(transactions) / 2


def test_dates_are_in_the_window_in_order_and_carry_the_transaction_hour(transactions: pd.DataFrame) -> None:
    moments = pd.to_datetime(transactions[contract.TRANSACTION_DATE], format=contract.DATE_FORMAT)
    start = data.DEFAULT_START.replace(tzinfo=None)
    assert moments.min() >= start
    assert moments.max() < start + timedelta(days=data.DEFAULT_DAYS)
    assert moments.is_monotonic_increasing
    assert (moments.dt.hour == transactions[contract.TRANSACTION_HOUR]).all()


def test_timestamps_are_formatted_like_python_formats_them() -> None:
    seconds = np.array([0, 951_782_400, 1_772_668_799, 4_102_444_800], dtype=np.int64)  # incl. 29 Feb 2000
    expected = [datetime.fromtimestamp(s, UTC).strftime(contract.DATE_FORMAT) for s in seconds]
    assert format_timestamps(seconds).to_pylist() == expected


def test_a_one_hour_window_puts_every_transaction_in_that_hour() -> None:
    start = datetime(2026, 3, 1, 14, tzinfo=UTC)
    frame = generate_transactions(
        GeneratorSettings(rows=500, seed=1, start=start, end=start + timedelta(hours=1))
    )
    assert frame[contract.TRANSACTION_DATE].str.startswith("2026-03-01 14:").all()


def test_the_same_seed_gives_the_same_rows_and_another_seed_other_rows() -> None:
    first = generate_transactions(GeneratorSettings(rows=2000, seed=3))
    pd.testing.assert_frame_equal(first, generate_transactions(GeneratorSettings(rows=2000, seed=3)))
    other = generate_transactions(GeneratorSettings(rows=2000, seed=4))
    assert not first[contract.TRANSACTION_ID].isin(other[contract.TRANSACTION_ID]).any()


def test_the_fraud_rate_is_the_one_asked_for(transactions: pd.DataFrame) -> None:
    assert fraud_rate(transactions) == pytest.approx(data.DEFAULT_FRAUD_RATE, abs=0.005)
    rare = generate_transactions(GeneratorSettings(rows=60_000, seed=5, fraud_rate=0.01))
    assert fraud_rate(rare) == pytest.approx(0.01, abs=0.002)


def test_the_intercept_solves_for_the_mean_probability() -> None:
    risk = np.random.default_rng(0).normal(0, 2, 10_000)
    intercept = solve_intercept(risk, 0.07)
    assert (1 / (1 + np.exp(-(risk + intercept)))).mean() == pytest.approx(0.07, abs=1e-9)


def test_the_intercept_solves_for_a_weighted_mean_probability() -> None:
    risk = np.array([0.0, 2.0])
    intercept = solve_intercept(risk, 0.3, weights=np.array([3.0, 1.0]))
    probabilities = 1 / (1 + np.exp(-(risk + intercept)))
    assert (3 * probabilities[0] + probabilities[1]) / 4 == pytest.approx(0.3, abs=1e-9)


def hour_of_traffic(hour: int, *, seed: int) -> pd.DataFrame:
    start = datetime(2026, 3, 4, hour, tzinfo=UTC)
    return generate_transactions(
        GeneratorSettings(rows=30_000, seed=seed, start=start, end=start + timedelta(hours=1))
    )


def test_a_night_hour_generated_alone_keeps_the_night_s_higher_fraud_rate() -> None:
    # Solving one hour's rows to the daily rate would give every hour the same 5 %: the model, trained on
    # whole days, would then be wrong about every hour in a way no drift explains.
    night, day = hour_of_traffic(3, seed=1), hour_of_traffic(13, seed=2)
    assert fraud_rate(night) > 2.5 * fraud_rate(day)
    assert fraud_rate(day) < data.DEFAULT_FRAUD_RATE < fraud_rate(night)


def test_amounts_are_skewed_and_depend_on_the_category(transactions: pd.DataFrame) -> None:
    amounts = transactions[contract.TRANSACTION_AMOUNT]
    assert amounts.mean() > amounts.median() * 1.2  # log-normal: a long right tail
    medians = transactions.groupby(contract.PRODUCT_CATEGORY)[contract.TRANSACTION_AMOUNT].median()
    assert medians["electronics"] > 4 * medians["health & beauty"]


def test_nights_are_quiet_and_evenings_busy(transactions: pd.DataFrame) -> None:
    per_hour = transactions[contract.TRANSACTION_HOUR].value_counts()
    assert per_hour[3] * 5 < per_hour[20]


def test_new_accounts_night_hours_and_young_customers_are_riskier(transactions: pd.DataFrame) -> None:
    def rate_where(mask: pd.Series) -> float:
        return fraud_rate(transactions[mask])

    assert rate_where(transactions[contract.ACCOUNT_AGE_DAYS] <= 7) > 3 * rate_where(
        transactions[contract.ACCOUNT_AGE_DAYS] > 90
    )
    night = transactions[contract.TRANSACTION_HOUR] < 6
    assert rate_where(night) > 2 * rate_where(~night)
    young = transactions[contract.CUSTOMER_AGE] < data.YOUNG_CUSTOMER_AGE
    assert rate_where(young) > 1.3 * rate_where(~young)


def test_fraud_more_often_ships_to_another_address(transactions: pd.DataFrame) -> None:
    different = transactions[contract.SHIPPING_ADDRESS] != transactions[contract.BILLING_ADDRESS]
    fraud = transactions[contract.LABEL_COLUMN] == 1
    assert different[fraud].mean() > 3 * different[~fraud].mean()


def test_drift_shifts_amounts(transactions: pd.DataFrame, drifted: pd.DataFrame) -> None:
    ratio = drifted[contract.TRANSACTION_AMOUNT].median() / transactions[contract.TRANSACTION_AMOUNT].median()
    assert ratio == pytest.approx(Drift.typical().amount_factor, rel=0.05)


def test_drift_changes_the_device_mix(drifted: pd.DataFrame) -> None:
    share = drifted[contract.DEVICE_USED].value_counts(normalize=True)
    assert share["mobile"] == pytest.approx(0.78, abs=0.01)


def test_drift_brings_cities_never_seen_in_training(drifted: pd.DataFrame) -> None:
    unseen = ~drifted[contract.CUSTOMER_LOCATION].isin(data.LOCATIONS)
    assert unseen.mean() == pytest.approx(0.25, abs=0.01)
    assert set(drifted.loc[unseen, contract.CUSTOMER_LOCATION]) == set(data.NEW_LOCATIONS)


def test_drift_changes_the_fraud_rate(drifted: pd.DataFrame) -> None:
    assert fraud_rate(drifted) == pytest.approx(0.12, abs=0.01)


def test_drift_makes_taken_over_old_accounts_commit_fraud(
    transactions: pd.DataFrame, drifted: pd.DataFrame
) -> None:
    def old_account_share_of_fraud(frame: pd.DataFrame) -> float:
        fraud = frame[frame[contract.LABEL_COLUMN] == 1]
        return float((fraud[contract.ACCOUNT_AGE_DAYS] > data.TAKEOVER_ACCOUNT_DAYS).mean())

    assert old_account_share_of_fraud(transactions) < 0.35
    assert old_account_share_of_fraud(drifted) > 0.7


def test_impossible_settings_are_reported_one_line_each() -> None:
    settings = GeneratorSettings(
        rows=0,
        fraud_rate=1.5,
        start=datetime(2026, 2, 1, tzinfo=UTC),
        end=datetime(2026, 1, 1, tzinfo=UTC),
        drift=Drift(amount_factor=0, device_weights={"phone": 1.0}),
    )
    with pytest.raises(DataGenerationError) as caught:
        generate_transactions(settings)
    assert caught.value.problems == (
        "rows 0 must be at least 1",
        "end 2026-01-01T00:00:00+00:00 must be after start 2026-02-01T00:00:00+00:00",
        "fraud_rate 1.5 must be strictly between 0 and 1",
        "drift amount_factor 0 must be greater than 0",
        "drift device_weights has unknown devices ['phone']: "
        "expected some of ['desktop', 'mobile', 'tablet']",
    )


def test_request_records_hold_the_request_columns_as_plain_values(transactions: pd.DataFrame) -> None:
    records = request_records(transactions.head(2))
    assert list(records[0]) == list(contract.REQUEST_COLUMNS)
    assert type(records[0][contract.QUANTITY]) is int
    assert type(records[0][contract.TRANSACTION_AMOUNT]) is float
    contract.encode_request(records)  # JSON-serialisable as they are


# -- stream files --------------------------------------------------------------------------------------------


def parse(stream: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(stream.decode(), newline="")))


def test_a_stream_file_has_the_input_columns_and_no_label_by_default(transactions: pd.DataFrame) -> None:
    rows = parse(stream_csv(transactions.head(10)).data)
    assert tuple(rows[0]) == contract.REQUIRED_INPUT_COLUMNS
    assert len(rows) == 11


def test_a_stream_file_can_carry_the_label(transactions: pd.DataFrame) -> None:
    rows = parse(stream_csv(transactions.head(10), include_label=True).data)
    assert tuple(rows[0]) == contract.TRANSACTION_COLUMNS


def test_multi_line_addresses_survive_the_round_trip(transactions: pd.DataFrame) -> None:
    head = transactions.head(20)
    rows = parse(stream_csv(head).data)
    column = rows[0].index(contract.SHIPPING_ADDRESS)
    assert [row[column] for row in rows[1:]] == head[contract.SHIPPING_ADDRESS].tolist()
    assert "\n" in rows[1][column]


def test_bad_rows_are_injected_and_listed_with_their_defect(transactions: pd.DataFrame) -> None:
    stream = stream_csv(transactions.head(50), bad_rows=10, seed=2)
    assert stream.rows == 60
    assert [d.defect for d in stream.defects] == [*Defect, *Defect]
    rows = parse(stream.data)[1:]
    for defect in stream.defects:
        if defect.defect is not Defect.EMPTY_TRANSACTION_ID:
            assert rows[defect.row - 1][0] == defect.transaction_id
            assert defect.transaction_id.endswith("-bad")


def test_the_lambda_rejects_exactly_the_injected_rows(transactions: pd.DataFrame) -> None:
    stream = stream_csv(transactions.head(200), bad_rows=15, seed=9)
    lines = csv_lines(io.StringIO(stream.data.decode(), newline=""))
    header = Header.parse(next(lines).cells, where="stream.csv")
    validator = RowValidator(header, keep_personal_data=False)
    outcomes = [validator.validate(line.line, line.cells) for line in lines]
    rejected_rows = [index + 1 for index, outcome in enumerate(outcomes) if hasattr(outcome, "reason")]
    assert rejected_rows == [d.row for d in stream.defects]


def test_bad_rows_need_good_rows_to_copy() -> None:
    empty = generate_transactions(GeneratorSettings(rows=1)).head(0)
    with pytest.raises(DataGenerationError, match="give at least one transaction"):
        stream_csv(empty, bad_rows=1)
