"""The transaction schema and the fraud endpoint's request/response contract: one definition for all.

The Lambda (client side), the sandbox's endpoint (server side) and the portable monitors (which read the
same bytes back from data capture) all import this module, so the three can never disagree. It uses the
standard library only, because it ships inside the Lambda package.

Contract (see ARCHITECTURE.md, "Endpoint contract"):
- request ``application/json``: one record, or a list of records, keyed by the raw CSV column names,
  numbers as JSON numbers;
- response ``application/json``: a list with one ``{"class": 0|1, "probability": N}`` per record, in request
  order, ``N`` the fraud probability in percent (0-100).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

CONTENT_TYPE = "application/json"
ACCEPT = "application/json"

# Raw transaction columns, in the order the source files use.
TRANSACTION_ID = "Transaction ID"
CUSTOMER_ID = "Customer ID"
TRANSACTION_AMOUNT = "Transaction Amount"
TRANSACTION_DATE = "Transaction Date"
PAYMENT_METHOD = "Payment Method"
PRODUCT_CATEGORY = "Product Category"
QUANTITY = "Quantity"
CUSTOMER_AGE = "Customer Age"
CUSTOMER_LOCATION = "Customer Location"
DEVICE_USED = "Device Used"
IP_ADDRESS = "IP Address"
SHIPPING_ADDRESS = "Shipping Address"
BILLING_ADDRESS = "Billing Address"
IS_FRAUDULENT = "Is Fraudulent"
ACCOUNT_AGE_DAYS = "Account Age Days"
TRANSACTION_HOUR = "Transaction Hour"

TRANSACTION_COLUMNS: tuple[str, ...] = (
    TRANSACTION_ID,
    CUSTOMER_ID,
    TRANSACTION_AMOUNT,
    TRANSACTION_DATE,
    PAYMENT_METHOD,
    PRODUCT_CATEGORY,
    QUANTITY,
    CUSTOMER_AGE,
    CUSTOMER_LOCATION,
    DEVICE_USED,
    IP_ADDRESS,
    SHIPPING_ADDRESS,
    BILLING_ADDRESS,
    IS_FRAUDULENT,
    ACCOUNT_AGE_DAYS,
    TRANSACTION_HOUR,
)
LABEL_COLUMN = IS_FRAUDULENT
# Header spellings accepted for a column, mapped to the canonical name above.
COLUMN_ALIASES: Mapping[str, str] = {"TransactionID": TRANSACTION_ID}
# Columns a scoring file must have (the label is optional: it arrives later, as ground truth).
REQUIRED_INPUT_COLUMNS: tuple[str, ...] = tuple(c for c in TRANSACTION_COLUMNS if c != LABEL_COLUMN)

# Personal data: never sent to the endpoint (so never in data capture) and stored only on request.
PERSONAL_DATA_COLUMNS: tuple[str, ...] = (IP_ADDRESS, SHIPPING_ADDRESS, BILLING_ADDRESS)
IDENTIFIER_COLUMNS: tuple[str, ...] = (TRANSACTION_ID, CUSTOMER_ID)

# Numeric columns and the Python type each must cast to.
INTEGER_COLUMNS: tuple[str, ...] = (QUANTITY, CUSTOMER_AGE, ACCOUNT_AGE_DAYS, TRANSACTION_HOUR)
FRACTIONAL_COLUMNS: tuple[str, ...] = (TRANSACTION_AMOUNT,)
NUMERIC_COLUMNS: tuple[str, ...] = FRACTIONAL_COLUMNS + INTEGER_COLUMNS
CATEGORICAL_FEATURE_COLUMNS: tuple[str, ...] = (
    PAYMENT_METHOD,
    PRODUCT_CATEGORY,
    CUSTOMER_LOCATION,
    DEVICE_USED,
)
DATE_FORMAT = "%Y-%m-%d %H:%M:%S"

# What a request record holds: the record key plus the model's inputs, which are every other column but the
# identifiers, personal data and the label (least data in capture; the label is ground truth, not an input).
FEATURE_COLUMNS: tuple[str, ...] = tuple(
    c for c in TRANSACTION_COLUMNS if c not in {*IDENTIFIER_COLUMNS, *PERSONAL_DATA_COLUMNS, LABEL_COLUMN}
)
REQUEST_COLUMNS: tuple[str, ...] = (TRANSACTION_ID, *FEATURE_COLUMNS)

# Response fields, and the decision threshold in the response's unit (percent).
CLASS_FIELD = "class"
PROBABILITY_FIELD = "probability"
PROBABILITY_THRESHOLD_PCT = 50.0


class ContractError(ValueError):
    """A request or response body that does not follow the endpoint contract."""


@dataclass(frozen=True, slots=True)
class Prediction:
    """One scored record: the predicted class and the fraud probability in percent."""

    label: int
    probability_pct: float

    def to_json(self) -> dict[str, Any]:
        return {CLASS_FIELD: self.label, PROBABILITY_FIELD: self.probability_pct}


def canonical_column(name: str) -> str:
    """The canonical spelling of a header cell (strips spaces and a UTF-8 BOM, resolves aliases)."""
    cleaned = name.strip().lstrip("\ufeff").strip()
    return COLUMN_ALIASES.get(cleaned, cleaned)


def request_record(row: Mapping[str, Any]) -> dict[str, Any]:
    """The request record for a validated row: only ``REQUEST_COLUMNS``, in contract order."""
    return {column: row[column] for column in REQUEST_COLUMNS if column in row}


def encode_request(records: Sequence[Mapping[str, Any]]) -> bytes:
    """Request body for one or more records. Always a JSON list, even for one record."""
    if not records:
        raise ContractError("a request needs at least one record")
    return json.dumps([dict(r) for r in records], separators=(",", ":"), allow_nan=False).encode()


def decode_request(body: bytes | str) -> list[dict[str, Any]]:
    """Records of a request body: a JSON object (one record) or a JSON list of objects."""
    try:
        payload = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ContractError(f"request body is not JSON: {exc}") from None
    records = [payload] if isinstance(payload, dict) else payload
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise ContractError(
            f"request body must be a JSON object or a list of objects, got {type(payload).__name__}"
        )
    if not records:
        raise ContractError("request body is an empty list: send at least one record")
    return records


def encode_response(predictions: Iterable[Prediction]) -> bytes:
    """Response body: a JSON list of ``{"class", "probability"}``, in request order."""
    return json.dumps([p.to_json() for p in predictions], separators=(",", ":")).encode()


def decode_response(body: bytes | str, expected: int | None = None) -> list[Prediction]:
    """Predictions of a response body, checked field by field.

    ``expected`` is the number of records sent; a response of another length is an error, because
    predictions are matched to records by position.
    """
    try:
        payload = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ContractError(f"response body is not JSON: {exc}") from None
    items = [payload] if isinstance(payload, dict) else payload
    if not isinstance(items, list):
        raise ContractError(f"response must be a JSON list of predictions, got {type(payload).__name__}")
    if expected is not None and len(items) != expected:
        raise ContractError(f"response has {len(items)} predictions for {expected} records")
    return [_prediction(item, index) for index, item in enumerate(items)]


def _prediction(item: Any, index: int) -> Prediction:
    if not isinstance(item, dict):
        raise ContractError(f"prediction {index} is {type(item).__name__}, expected an object")
    label, probability = item.get(CLASS_FIELD), item.get(PROBABILITY_FIELD)
    if label not in (0, 1) or isinstance(label, bool):
        raise ContractError(f"prediction {index}: {CLASS_FIELD!r} is {label!r}, expected 0 or 1")
    if (
        not isinstance(probability, int | float)
        or isinstance(probability, bool)
        or not math.isfinite(probability)
        or not 0.0 <= probability <= 100.0
    ):
        raise ContractError(
            f"prediction {index}: {PROBABILITY_FIELD!r} is {probability!r}, expected a number in 0..100"
        )
    return Prediction(label=int(label), probability_pct=float(probability))
