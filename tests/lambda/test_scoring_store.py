"""The predictions table: item shape (no floats), stored-row lookups, batch writes, leases (moto)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import boto3
import pytest
from moto import mock_aws
from scoring_world import REGION
from transaction_scoring import contract, store
from transaction_scoring.retry import RetryPolicy
from transaction_scoring.rows import ValidRow

TABLE = "predictions"
POLICY = RetryPolicy(max_attempts=3, base_delay_s=0.001, max_delay_s=0.002)


def _scored(
    transaction_id: str = "tx-1", *, line: int = 2, personal: dict[str, str] | None = None
) -> store.ScoredRow:
    row = ValidRow(
        line=line,
        cells=[],
        transaction_id=transaction_id,
        customer_id="cust-1",
        record={},
        personal_data=personal,
    )
    return store.ScoredRow(
        row, contract.Prediction(1, 87.125), transaction_id, "AllTraffic", "2026-11-29T10:00:00.000Z"
    )


@pytest.fixture
def dynamodb() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        client.create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "TransactionID", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "TransactionID", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        yield client


def _item(scored: store.ScoredRow, source: str = "s3://b/in.csv") -> dict[str, Any]:
    return store.prediction_item(scored, endpoint_name="fraud-prod", source_object=source)


def test_an_item_holds_the_prediction_and_where_it_came_from() -> None:
    assert _item(_scored()) == {
        "TransactionID": "tx-1",
        "Prediction": Decimal(1),
        "FraudProbabilityPct": Decimal("87.125"),
        "Timestamp": "2026-11-29T10:00:00.000Z",
        "EndpointName": "fraud-prod",
        "EndpointVariant": "AllTraffic",
        "InferenceId": "tx-1",
        "SourceObject": "s3://b/in.csv",
        "SourceLine": Decimal(2),
    }  # no CustomerID: personal data, stored only when the row carries it (STORE_PERSONAL_DATA=true)


def test_the_source_version_is_stored_when_the_object_has_one() -> None:
    item = store.prediction_item(_scored(), endpoint_name="e", source_object="s3://b/k", source_version="v3")
    assert item["SourceVersion"] == "v3"


def test_no_float_reaches_the_item_and_the_probability_is_exact() -> None:
    scored = _scored()
    scored = store.ScoredRow(scored.row, contract.Prediction(0, 0.1 + 0.2), "tx-1", "", scored.scored_at)
    item = _item(scored)
    assert not any(isinstance(value, float) for value in item.values())
    assert item["FraudProbabilityPct"] == Decimal("0.30000000000000004")
    assert "EndpointVariant" not in item


def test_the_wire_format_refuses_floats() -> None:
    with pytest.raises(TypeError, match="Float types are not supported"):
        store.to_dynamodb({"FraudProbabilityPct": 12.5})


def test_personal_data_attributes_appear_only_when_the_row_carries_them() -> None:
    personal = {
        contract.CUSTOMER_ID: "cust-1",
        contract.IP_ADDRESS: "10.0.0.1",
        contract.SHIPPING_ADDRESS: "1 Road",
        contract.BILLING_ADDRESS: "",
    }
    item = _item(_scored(personal=personal))
    assert (item["CustomerID"], item["IPAddress"], item["ShippingAddress"]) == (
        "cust-1",
        "10.0.0.1",
        "1 Road",
    )
    assert "BillingAddress" not in item  # empty cells are not stored


def test_find_stored_reports_source_and_line_of_stored_ids(dynamodb: Any) -> None:
    store.write_items(
        dynamodb, TABLE, [_item(_scored("tx-1", line=5)), _item(_scored("tx-2", line=6))], POLICY
    )
    found = store.find_stored(dynamodb, TABLE, ["tx-1", "tx-2", "tx-3"], POLICY)
    assert found == {
        "tx-1": store.StoredRef("s3://b/in.csv", 5),
        "tx-2": store.StoredRef("s3://b/in.csv", 6),
    }


def test_find_stored_splits_more_than_a_hundred_ids(dynamodb: Any) -> None:
    ids = [f"tx-{i}" for i in range(230)]
    store.write_items(dynamodb, TABLE, [_item(_scored(i, line=n)) for n, i in enumerate(ids)], POLICY)
    assert len(store.find_stored(dynamodb, TABLE, ids, POLICY)) == 230


def test_unprocessed_keys_are_asked_again(dynamodb: Any) -> None:
    store.write_items(dynamodb, TABLE, [_item(_scored("tx-1")), _item(_scored("tx-2"))], POLICY)
    real = dynamodb.batch_get_item
    calls: list[int] = []

    def partial(RequestItems: dict[str, Any]) -> dict[str, Any]:
        calls.append(len(RequestItems[TABLE]["Keys"]))
        if len(calls) > 1:
            return real(RequestItems=RequestItems)
        first, *rest = RequestItems[TABLE]["Keys"]
        answer = real(RequestItems={TABLE: {**RequestItems[TABLE], "Keys": [first]}})
        return {**answer, "UnprocessedKeys": {TABLE: {**RequestItems[TABLE], "Keys": rest}}}

    dynamodb.batch_get_item = partial
    assert set(store.find_stored(dynamodb, TABLE, ["tx-1", "tx-2"], POLICY)) == {"tx-1", "tx-2"}
    assert calls == [2, 1]


def test_writes_still_unprocessed_after_the_attempts_are_a_failure(dynamodb: Any) -> None:
    dynamodb.batch_write_item = lambda RequestItems: {"UnprocessedItems": RequestItems}
    with pytest.raises(
        store.StoreFailure, match="1 items still unprocessed \\(throttled\\) after 3 attempts"
    ):
        store.write_items(dynamodb, TABLE, [_item(_scored())], POLICY)


def test_a_lease_is_exclusive_until_it_expires(dynamodb: Any) -> None:
    source = "s3://b/in.csv"
    assert store.acquire_lease(dynamodb, TABLE, source, owner="req-1", now_s=1000, expires_at_s=1900) is None
    assert store.acquire_lease(dynamodb, TABLE, source, owner="req-2", now_s=1500, expires_at_s=2400) == (
        store.LeaseHolder(owner="req-1", expires_at=1900)
    )
    # Once expired (the holder timed out), another invocation takes over.
    assert store.acquire_lease(dynamodb, TABLE, source, owner="req-2", now_s=2500, expires_at_s=3400) is None


def test_a_second_invocation_with_the_same_request_id_does_not_get_the_lease(dynamodb: Any) -> None:
    # Lambda's queue may deliver one event twice, under one request ID: owners carry a token of their own.
    source = "s3://b/in.csv"
    assert store.acquire_lease(dynamodb, TABLE, source, owner="req-1/aaaa", now_s=0, expires_at_s=900) is None
    holder = store.acquire_lease(dynamodb, TABLE, source, owner="req-1/bbbb", now_s=5, expires_at_s=900)
    assert holder == store.LeaseHolder(owner="req-1/aaaa", expires_at=900)


def test_a_lease_is_only_released_by_its_owner(dynamodb: Any) -> None:
    source = "s3://b/in.csv"
    store.acquire_lease(dynamodb, TABLE, source, owner="req-2", now_s=0, expires_at_s=900)
    store.release_lease(dynamodb, TABLE, source, owner="req-1")  # an older holder whose lease was taken over
    assert store.acquire_lease(dynamodb, TABLE, source, owner="req-3", now_s=10, expires_at_s=900) is not None
    store.release_lease(dynamodb, TABLE, source, owner="req-2")
    assert store.acquire_lease(dynamodb, TABLE, source, owner="req-3", now_s=10, expires_at_s=900) is None
