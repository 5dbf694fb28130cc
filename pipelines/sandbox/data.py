"""Seeded, vectorised generator of e-commerce transactions with the real schema, and stream CSV files.

The columns and values follow the Kaggle "Fraudulent E-Commerce Transactions" data set this pipeline's model
was built for (``transaction_scoring.contract.TRANSACTION_COLUMNS``, label ``Is Fraudulent``). The
distributions are chosen so that a model and the monitors have something real to learn and to find:

- amounts are log-normal with a median that depends on the product category;
- the hour of day follows a daily pattern (quiet at night, peaks at lunch and in the evening);
- fraud is drawn from a logistic risk score: new accounts, night-time hours, large amounts for the category,
  some payment methods and devices, very young customers and a few "hot" cities are riskier; the intercept is
  solved so that the fraud rate over whole days of such traffic is what was asked for (a few percent by
  default), so a window of a few hours keeps the fraud rate of its hours (a night hour alone is riskier than
  a daytime hour alone, as in a month of data);
- ``Drift`` shifts amounts, changes the device mix, sends part of the traffic from cities never seen in
  training, makes taken-over old accounts commit fraud and changes the fraud rate, so the data-quality,
  model-quality and bias monitors have something to flag.

Every column is built with numpy (no per-row Python except where a column is inherently per-row text), so a
million rows take seconds, and the same seed always gives the same rows.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from transaction_scoring import contract

from pipelines.errors import UserError
from pipelines.timewindow import as_utc

PAYMENT_METHODS: tuple[str, ...] = ("credit card", "debit card", "PayPal", "bank transfer")
PAYMENT_WEIGHTS: tuple[float, ...] = (0.40, 0.27, 0.23, 0.10)
PAYMENT_RISK: tuple[float, ...] = (0.0, -0.3, 0.4, 0.8)

# Category -> median amount in the data set's currency; the spread is the same log-normal sigma for all.
PRODUCT_CATEGORIES: tuple[str, ...] = (
    "electronics",
    "clothing",
    "home & garden",
    "health & beauty",
    "toys & games",
)
CATEGORY_WEIGHTS: tuple[float, ...] = (0.22, 0.26, 0.20, 0.17, 0.15)
CATEGORY_MEDIAN_AMOUNT: tuple[float, ...] = (260.0, 65.0, 120.0, 38.0, 45.0)
AMOUNT_SIGMA = 0.75

DEVICES: tuple[str, ...] = ("desktop", "mobile", "tablet")
DEVICE_WEIGHTS: tuple[float, ...] = (0.45, 0.40, 0.15)
DEVICE_RISK: tuple[float, ...] = (-0.3, 0.35, 0.0)

# Where customers shop from in training; "hot" cities carry extra fraud risk.
LOCATIONS: tuple[str, ...] = (
    "New York", "Los Angeles", "Chicago", "Houston", "Phoenix", "Philadelphia", "San Antonio", "San Diego",
    "Dallas", "San Jose", "Austin", "Jacksonville", "Fort Worth", "Columbus", "Charlotte", "San Francisco",
    "Indianapolis", "Seattle", "Denver", "Washington", "Boston", "El Paso", "Nashville", "Detroit",
    "Oklahoma City", "Portland", "Las Vegas", "Memphis", "Louisville", "Baltimore", "Milwaukee",
    "Albuquerque", "Tucson", "Fresno", "Sacramento", "Miami",
)  # fmt: skip
HOT_LOCATIONS: frozenset[str] = frozenset({"Las Vegas", "Miami", "Detroit"})
HOT_LOCATION_RISK = 1.2
# Cities that only appear under drift: values the training data (and the baseline) never saw.
NEW_LOCATIONS: tuple[str, ...] = ("Lagos", "Bucharest", "Manila", "Caracas")
STATES: tuple[str, ...] = ("NY", "CA", "IL", "TX", "AZ", "PA", "FL", "WA", "CO", "MA", "TN", "MI", "OR", "NV")
STREETS: tuple[str, ...] = (
    "Maple", "Oak", "Pine", "Cedar", "Elm", "Washington", "Lake", "Hill", "Park", "Sunset", "River", "Ridge",
)  # fmt: skip
STREET_SUFFIXES: tuple[str, ...] = ("Street", "Avenue", "Road", "Lane", "Drive", "Court", "Boulevard")

# Relative transaction volume per hour of day (UTC, 0..23): quiet at night, lunch and evening peaks.
HOUR_WEIGHTS: tuple[float, ...] = (
    1.2, 0.8, 0.6, 0.5, 0.5, 0.7, 1.2, 2.0, 3.0, 3.6, 4.0, 4.4,
    5.0, 4.8, 4.2, 4.0, 4.1, 4.5, 5.2, 5.8, 6.0, 5.4, 3.8, 2.2,
)  # fmt: skip
NIGHT_HOURS = range(0, 6)
NIGHT_RISK = 1.8

QUANTITY_WEIGHTS: tuple[float, ...] = (0.45, 0.25, 0.15, 0.10, 0.05)  # quantities 1..5
MAX_ACCOUNT_AGE_DAYS = 365
NEW_ACCOUNT_SHARE = 0.12  # share of transactions from accounts at most NEW_ACCOUNT_DAYS old
NEW_ACCOUNT_DAYS = 30
NEW_ACCOUNT_RISK = 3.0
TAKEOVER_ACCOUNT_DAYS = 180  # under Drift.takeover_risk, accounts older than this are taken over
AMOUNT_RISK_PER_LOG = 1.5  # risk per unit of log(amount / category median)
LARGE_QUANTITY_RISK = 0.6  # quantity of 4 or more
YOUNG_CUSTOMER_AGE = 25
YOUNG_CUSTOMER_RISK = 0.8
CUSTOMER_AGE_MEAN, CUSTOMER_AGE_SD, CUSTOMER_AGE_RANGE = 36.0, 11.0, (18, 80)
DIFFERENT_SHIPPING_SHARE = (0.08, 0.55)  # share with shipping != billing address, for (legit, fraud)

DEFAULT_FRAUD_RATE = 0.05
DEFAULT_START = datetime(2026, 1, 5, tzinfo=UTC)
DEFAULT_DAYS = 28


class DataGenerationError(UserError):
    """Generator settings that cannot produce a data set (e.g. a fraud rate outside 0..1)."""


@dataclass(frozen=True, slots=True)
class Drift:
    """How production traffic differs from the training data.

    ``amount_factor`` multiplies every amount; ``device_weights`` replaces the device mix (missing devices get
    weight 0); ``new_location_share`` of the rows come from ``NEW_LOCATIONS``, cities the model and the
    baseline never saw; ``takeover_risk`` is extra fraud risk (log-odds) for accounts older than
    ``TAKEOVER_ACCOUNT_DAYS``: account takeovers, a fraud pattern the model cannot know (in its training data
    old accounts are the safe ones); ``fraud_rate`` replaces the fraud rate.
    """

    amount_factor: float = 1.0
    device_weights: Mapping[str, float] | None = None
    new_location_share: float = 0.0
    takeover_risk: float = 0.0
    fraud_rate: float | None = None

    @classmethod
    def typical(cls) -> Drift:
        """A drift every monitor should notice: larger amounts, mostly mobile, new cities, more fraud, and
        much of it from taken-over old accounts, which the model was trained to trust."""
        return cls(
            amount_factor=1.8,
            device_weights={"desktop": 0.12, "mobile": 0.78, "tablet": 0.10},
            new_location_share=0.25,
            takeover_risk=3.0,
            fraud_rate=0.12,
        )

    def problems(self) -> list[str]:
        found: list[str] = []
        if not self.amount_factor > 0:
            found.append(f"drift amount_factor {self.amount_factor!r} must be greater than 0")
        if not 0.0 <= self.new_location_share <= 1.0:
            found.append(f"drift new_location_share {self.new_location_share!r} must be within 0..1")
        if self.fraud_rate is not None:
            found += _fraud_rate_problems(self.fraud_rate, "drift fraud_rate")
        if self.device_weights is not None:
            unknown = sorted(set(self.device_weights) - set(DEVICES))
            if unknown:
                found.append(
                    f"drift device_weights has unknown devices {unknown}: expected some of {list(DEVICES)}"
                )
            if any(w < 0 for w in self.device_weights.values()) or sum(self.device_weights.values()) <= 0:
                found.append("drift device_weights must be non-negative with a positive sum")
        return found


@dataclass(frozen=True, slots=True)
class GeneratorSettings:
    """What to generate: ``rows`` transactions between ``start`` and ``end`` (UTC, end exclusive)."""

    rows: int
    seed: int = 0
    start: datetime = DEFAULT_START
    end: datetime = DEFAULT_START + timedelta(days=DEFAULT_DAYS)
    fraud_rate: float = DEFAULT_FRAUD_RATE
    drift: Drift | None = None
    customers: int | None = None  # distinct customers; default: one per three transactions

    def validate(self) -> None:
        problems: list[str] = []
        if self.rows < 1:
            problems.append(f"rows {self.rows} must be at least 1")
        if as_utc(self.end) <= as_utc(self.start):
            problems.append(f"end {self.end.isoformat()} must be after start {self.start.isoformat()}")
        problems += _fraud_rate_problems(self.fraud_rate, "fraud_rate")
        if self.customers is not None and self.customers < 1:
            problems.append(f"customers {self.customers} must be at least 1")
        if self.drift is not None:
            problems += self.drift.problems()
        if problems:
            raise DataGenerationError(problems)


def _fraud_rate_problems(rate: float, what: str) -> list[str]:
    return [] if 0.0 < rate < 1.0 else [f"{what} {rate!r} must be strictly between 0 and 1"]


def generate_transactions(settings: GeneratorSettings) -> pd.DataFrame:
    """Transactions with ``contract.TRANSACTION_COLUMNS`` (label included), in time order.

    Numbers are numpy columns (``Transaction Amount`` float rounded to cents, the integer columns int64);
    text columns are strings, ``Transaction Date`` formatted with ``contract.DATE_FORMAT``.
    """
    settings.validate()
    drift = settings.drift or Drift()
    n = settings.rows
    rng = np.random.default_rng(settings.seed)

    seconds = _timestamps(rng, n, as_utc(settings.start), as_utc(settings.end))
    hour = (seconds // 3600) % 24
    category = _choice(rng, n, CATEGORY_WEIGHTS)
    median = np.asarray(CATEGORY_MEDIAN_AMOUNT)[category]
    amount = np.round(median * np.exp(rng.normal(0.0, AMOUNT_SIGMA, n)) * drift.amount_factor, 2)
    amount = np.maximum(amount, 1.0)
    payment = _choice(rng, n, PAYMENT_WEIGHTS)
    device_weights = (
        tuple(drift.device_weights.get(d, 0.0) for d in DEVICES) if drift.device_weights else DEVICE_WEIGHTS
    )
    device = _choice(rng, n, device_weights)
    all_locations = LOCATIONS + NEW_LOCATIONS
    location = rng.integers(0, len(LOCATIONS), n)
    if drift.new_location_share > 0:
        moved = rng.random(n) < drift.new_location_share
        location[moved] = len(LOCATIONS) + rng.integers(0, len(NEW_LOCATIONS), int(moved.sum()))
    quantity = _choice(rng, n, QUANTITY_WEIGHTS) + 1
    new_account = rng.random(n) < NEW_ACCOUNT_SHARE
    account_age = np.where(
        new_account, rng.integers(1, NEW_ACCOUNT_DAYS + 1, n), rng.integers(1, MAX_ACCOUNT_AGE_DAYS + 1, n)
    )
    low, high = CUSTOMER_AGE_RANGE
    age = np.clip(np.round(rng.normal(CUSTOMER_AGE_MEAN, CUSTOMER_AGE_SD, n)), low, high).astype(np.int64)

    # The fraud label: a logistic risk score whose intercept gives the requested fraud rate.
    hot = np.isin(location, [all_locations.index(city) for city in HOT_LOCATIONS])
    night = np.isin(hour, list(NIGHT_HOURS))
    risk = (
        NEW_ACCOUNT_RISK * np.exp(-account_age / NEW_ACCOUNT_DAYS)
        + NIGHT_RISK * night
        + AMOUNT_RISK_PER_LOG * np.log(amount / median)
        + np.asarray(PAYMENT_RISK)[payment]
        + np.asarray(DEVICE_RISK)[device]
        + LARGE_QUANTITY_RISK * (quantity >= 4)
        + YOUNG_CUSTOMER_RISK * (age < YOUNG_CUSTOMER_AGE)
        + HOT_LOCATION_RISK * hot
        + drift.takeover_risk * (account_age > TAKEOVER_ACCOUNT_DAYS)
    )
    target_rate = drift.fraud_rate if drift.fraud_rate is not None else settings.fraud_rate
    # Solved over a whole day of these rows (each row at night with the daily night share, else by day), not
    # over the window's own hours: solving a single hour's rows to the daily rate would make every night hour
    # as risky as every daytime hour, a pattern the model (trained on whole days) does not know.
    by_day = risk - NIGHT_RISK * night
    night_share = sum(HOUR_WEIGHTS[h] for h in NIGHT_HOURS) / sum(HOUR_WEIGHTS)
    intercept = solve_intercept(
        np.concatenate([by_day, by_day + NIGHT_RISK]),
        target_rate,
        weights=np.repeat([1.0 - night_share, night_share], n),
    )
    probability = _sigmoid(risk + intercept)
    fraud = (rng.random(n) < probability).astype(np.int64)

    customers = settings.customers or max(1, n // 3)
    customer = rng.integers(0, customers, n)
    customer_ids = _uuid_strings(rng, customers)
    billing = _addresses(rng, n)
    other_address = _addresses(rng, n)
    different = rng.random(n) < np.where(fraud == 1, DIFFERENT_SHIPPING_SHARE[1], DIFFERENT_SHIPPING_SHARE[0])
    ip_addresses = _ip_addresses(rng, n)
    transaction_ids = _uuid_strings(rng, n)

    order = np.argsort(seconds, kind="stable")
    sorted_ = pa.array(order)
    text: dict[str, pa.Array] = {
        contract.TRANSACTION_ID: transaction_ids,
        contract.CUSTOMER_ID: pc.take(customer_ids, pa.array(customer[order])),
        contract.TRANSACTION_DATE: format_timestamps(seconds[order]),
        contract.PAYMENT_METHOD: _pick(PAYMENT_METHODS, payment[order]),
        contract.PRODUCT_CATEGORY: _pick(PRODUCT_CATEGORIES, category[order]),
        contract.CUSTOMER_LOCATION: _pick(all_locations, location[order]),
        contract.DEVICE_USED: _pick(DEVICES, device[order]),
        contract.IP_ADDRESS: pc.take(ip_addresses, sorted_),
        contract.SHIPPING_ADDRESS: pc.take(pc.if_else(pa.array(different), other_address, billing), sorted_),
        contract.BILLING_ADDRESS: pc.take(billing, sorted_),
    }
    numbers: dict[str, npt.NDArray[np.generic]] = {
        contract.TRANSACTION_AMOUNT: amount[order],
        contract.QUANTITY: quantity[order].astype(np.int64),
        contract.CUSTOMER_AGE: age[order],
        contract.IS_FRAUDULENT: fraud[order],
        contract.ACCOUNT_AGE_DAYS: account_age[order].astype(np.int64),
        contract.TRANSACTION_HOUR: hour[order].astype(np.int64),
    }
    return pd.DataFrame(
        {
            column: pd.array(text[column], dtype="str") if column in text else numbers[column]
            for column in contract.TRANSACTION_COLUMNS
        }
    )


def solve_intercept(
    risk: npt.NDArray[np.float64],
    rate: float,
    iterations: int = 60,
    weights: npt.NDArray[np.float64] | None = None,
) -> float:
    """The intercept ``b`` for which the (weighted) mean of ``sigmoid(risk + b)`` is ``rate``.

    Bisection: the mean is monotone in ``b``.
    """
    low, high = -30.0 - float(risk.max()), 30.0 - float(risk.min())
    for _ in range(iterations):
        middle = (low + high) / 2
        if np.average(_sigmoid(risk + middle), weights=weights) < rate:
            low = middle
        else:
            high = middle
    return (low + high) / 2


def _sigmoid(x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    return 1.0 / (1.0 + np.exp(-x))


def _choice(rng: np.random.Generator, n: int, weights: Sequence[float]) -> npt.NDArray[np.int64]:
    p = np.asarray(weights, dtype=np.float64)
    return rng.choice(len(p), size=n, p=p / p.sum()).astype(np.int64)


def _timestamps(rng: np.random.Generator, n: int, start: datetime, end: datetime) -> npt.NDArray[np.int64]:
    """Unix seconds in ``[start, end)``: a uniform day, an hour from ``HOUR_WEIGHTS``, a uniform second.

    Draws falling outside the range (partial first/last day) are redrawn uniformly inside it, so short
    ranges such as a single hour work too.
    """
    first, last = int(start.timestamp()), int(end.timestamp())
    day0 = first - first % 86400
    days = (last - 1 - day0) // 86400 + 1
    seconds = (
        day0
        + rng.integers(0, days, n) * 86400
        + _choice(rng, n, HOUR_WEIGHTS) * 3600
        + rng.integers(0, 3600, n)
    )
    outside = (seconds < first) | (seconds >= last)
    seconds[outside] = rng.integers(first, last, int(outside.sum()))
    return seconds.astype(np.int64)


# -- text columns without Python objects: numpy builds bytes, pyarrow's kernels join and cast ----------------
# (Millions of Python str objects make the garbage collector rescan them over and over: 1M rows took 16 s
# with object arrays and take about 2 s this way.)

_HEX_DIGITS = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
_DECIMAL_DIGITS = np.frombuffer(b"0123456789", dtype=np.uint8)


def _fixed_width_text(chars: npt.NDArray[np.uint8]) -> pa.Array:
    """An (n, width) array of ASCII bytes as n strings, without a copy per row."""
    n, width = chars.shape
    buffer = pa.py_buffer(np.ascontiguousarray(chars).tobytes())
    return pa.FixedSizeBinaryArray.from_buffers(pa.binary(width), n, [None, buffer]).cast(pa.string())


def _pick(values: Sequence[str], indices: npt.NDArray[np.int64]) -> pa.Array:
    return pc.take(pa.array(list(values), type=pa.string()), pa.array(indices))


def _number_text(values: npt.NDArray[np.int64]) -> pa.Array:
    return pa.array(values).cast(pa.string())


def _uuid_strings(rng: np.random.Generator, n: int) -> pa.Array:
    """``n`` random version-4 UUIDs as text (deterministic per generator state)."""
    nibbles = rng.integers(0, 16, (n, 32), dtype=np.uint8)
    nibbles[:, 12] = 4  # version 4
    nibbles[:, 16] = 8 + (nibbles[:, 16] & 3)  # RFC 4122 variant
    chars = np.full((n, 36), ord("-"), dtype=np.uint8)
    positions = [i for i in range(36) if i not in (8, 13, 18, 23)]
    chars[:, positions] = _HEX_DIGITS[nibbles]
    return _fixed_width_text(chars)


def _digits(values: npt.NDArray[np.int64], width: int) -> npt.NDArray[np.uint8]:
    """Zero-padded decimal digits of non-negative integers, as an (n, width) ASCII array."""
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return _DECIMAL_DIGITS[(values[:, None] // powers) % 10]


def format_timestamps(seconds: npt.NDArray[np.int64]) -> pa.Array:
    """Unix seconds as ``contract.DATE_FORMAT`` text (``2026-01-05 14:03:59``), vectorised."""
    moments = seconds.astype("datetime64[s]")
    days = moments.astype("datetime64[D]")
    months = moments.astype("datetime64[M]")
    year = months.astype("datetime64[Y]").astype(np.int64) + 1970
    month = months.astype(np.int64) % 12 + 1
    day = (days - months.astype("datetime64[D]")).astype(np.int64) + 1
    in_day = seconds - days.astype(np.int64) * 86400
    parts = [
        (year, 4), (month, 2), (day, 2), (in_day // 3600, 2), (in_day // 60 % 60, 2), (in_day % 60, 2),
    ]  # fmt: skip
    separators = b"-- ::"
    chars = np.empty((len(seconds), 19), dtype=np.uint8)
    position = 0
    for index, (values, width) in enumerate(parts):
        chars[:, position : position + width] = _digits(values.astype(np.int64), width)
        position += width
        if index < len(separators):
            chars[:, position] = separators[index]
            position += 1
    return _fixed_width_text(chars)


def _ip_addresses(rng: np.random.Generator, n: int) -> pa.Array:
    octets = rng.integers(1, 255, (n, 4))
    return pc.binary_join_element_wise(*(_number_text(octets[:, i]) for i in range(4)), ".")


def _addresses(rng: np.random.Generator, n: int) -> pa.Array:
    """Two-line postal addresses (a line break inside the cell, as in the original data set)."""
    number = _number_text(rng.integers(1, 9999, n))
    street = _pick(STREETS, rng.integers(0, len(STREETS), n))
    suffix = _pick(STREET_SUFFIXES, rng.integers(0, len(STREET_SUFFIXES), n))
    city = _pick(LOCATIONS, rng.integers(0, len(LOCATIONS), n))
    state = _pick(STATES, rng.integers(0, len(STATES), n))
    zip_code = _number_text(rng.integers(10000, 99999, n))
    first_line = pc.binary_join_element_wise(number, street, suffix, " ")
    second_line = pc.binary_join_element_wise(pc.binary_join_element_wise(city, state, ", "), zip_code, " ")
    return pc.binary_join_element_wise(first_line, second_line, "\n")


def request_records(transactions: pd.DataFrame) -> list[dict[str, Any]]:
    """The endpoint request records of transactions (``contract.REQUEST_COLUMNS``), as the Lambda sends them.

    Plain Python values (pandas boxes numpy scalars), so the records encode as JSON directly.
    """
    return transactions[list(contract.REQUEST_COLUMNS)].to_dict(orient="records")


# -- stream files ------------------------------------------------------------------------------------------


class Defect(StrEnum):
    """Kinds of bad rows injected into a stream file, each one the Lambda must reject with a reason."""

    AMOUNT_NOT_A_NUMBER = "amount is not a number"
    DATE_NOT_A_DATE = "date is not a date"
    HOUR_OUT_OF_RANGE = "hour is out of range"
    EMPTY_TRANSACTION_ID = "transaction id is empty"
    MISSING_CELL = "row has a cell too few"


@dataclass(frozen=True, slots=True)
class InjectedDefect:
    """A bad row: its 1-based data-row number in the file (header excluded) and what is wrong with it."""

    row: int
    defect: Defect
    transaction_id: str


@dataclass(frozen=True, slots=True)
class StreamFile:
    """A CSV stream file's bytes, the good transactions it holds and the bad rows injected into it."""

    data: bytes
    transactions: pd.DataFrame
    defects: tuple[InjectedDefect, ...] = field(default=())

    @property
    def rows(self) -> int:
        return len(self.transactions) + len(self.defects)


def stream_csv(
    transactions: pd.DataFrame,
    *,
    include_label: bool = False,
    bad_rows: int = 0,
    seed: int = 0,
) -> StreamFile:
    """A stream file as users drop them in S3: the transaction columns, optionally the label, and bad rows.

    ``bad_rows`` rows (cycling through every ``Defect``) are copies of real rows with one defect each, placed
    at random positions; their Transaction IDs get a ``-bad`` suffix so they never collide with good rows.
    """
    columns = [c for c in contract.TRANSACTION_COLUMNS if include_label or c != contract.LABEL_COLUMN]
    missing = [c for c in columns if c not in transactions.columns]
    if missing:
        raise DataGenerationError(f"transactions lack the columns {missing} needed for a stream file")
    if bad_rows < 0:
        raise DataGenerationError(f"bad_rows {bad_rows} must be 0 or more")
    if bad_rows and transactions.empty:
        raise DataGenerationError("bad rows are copies of good rows: give at least one transaction")
    good = [[_cell(v) for v in row] for row in transactions[columns].itertuples(index=False, name=None)]
    rng = np.random.default_rng(seed)
    kinds = list(Defect)
    bad: list[tuple[Defect, list[str]]] = []
    for index in range(bad_rows):
        source = good[int(rng.integers(0, len(good)))] if good else []
        bad.append(_with_defect(kinds[index % len(kinds)], list(source), columns))
    positions = sorted(rng.choice(len(good) + bad_rows, size=bad_rows, replace=False).tolist())
    rows: list[list[str]] = []
    defects: list[InjectedDefect] = []
    good_iter, bad_iter = iter(good), iter(bad)
    position_set = set(positions)
    id_index = columns.index(contract.TRANSACTION_ID)
    for position in range(len(good) + bad_rows):
        if position in position_set:
            defect, cells = next(bad_iter)
            defects.append(
                InjectedDefect(position + 1, defect, cells[id_index] if len(cells) > id_index else "")
            )
            rows.append(cells)
        else:
            rows.append(next(good_iter))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(rows)
    return StreamFile(buffer.getvalue().encode(), transactions.reset_index(drop=True), tuple(defects))


def _cell(value: object) -> str:
    if isinstance(value, float | np.floating):
        return f"{float(value):.2f}"
    return str(value)


def _with_defect(defect: Defect, cells: list[str], columns: list[str]) -> tuple[Defect, list[str]]:
    cells[columns.index(contract.TRANSACTION_ID)] += "-bad"
    if defect is Defect.AMOUNT_NOT_A_NUMBER:
        cells[columns.index(contract.TRANSACTION_AMOUNT)] = "12,50 EUR"
    elif defect is Defect.DATE_NOT_A_DATE:
        cells[columns.index(contract.TRANSACTION_DATE)] = "31/02/2026 25:00"
    elif defect is Defect.HOUR_OUT_OF_RANGE:
        cells[columns.index(contract.TRANSACTION_HOUR)] = "24"
    elif defect is Defect.EMPTY_TRANSACTION_ID:
        cells[columns.index(contract.TRANSACTION_ID)] = ""
    elif defect is Defect.MISSING_CELL:
        del cells[columns.index(contract.IP_ADDRESS)]
    return defect, cells
