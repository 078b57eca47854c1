"""The plugin reads WeChat Pay's answers as recorded (the shapes and example values of WeChat's documentation)."""

from __future__ import annotations

from datetime import datetime

import attrs
import pytest

from creatorkit.entities import (
    LegRole,
    NextAction,
    NextActionKind,
    OperationKind,
    OperationStatus,
    ProviderRequest,
    ReceiverLeg,
    SourceReference,
)
from creatorkit.errors import PaymentError
from creatorkit.money import Money

from .conftest import FIXTURES, RecordedWeChat, answering, fixture, start

TRANSACTION = "4208450740201411110007820472"


def _request(kind: OperationKind, amount: int, *, operation_id: str, **fields: object) -> ProviderRequest:
    return ProviderRequest(
        operation_id=operation_id,
        kind=kind,
        amount=Money(amount, "CNY"),
        deal_id="deal_fixture",
        reason="recorded",
        **fields,  # type: ignore[arg-type]
    )


def _split_request(source_amount: int | None = None) -> ProviderRequest:
    shares = (
        ReceiverLeg(party_id="studio", account_ref="1900000110", amount=Money(100, "CNY"), role=LegRole.CREATOR),
        ReceiverLeg(
            party_id="fan", account_ref="oQmYq5JeVTjrrnFv1nL_jK5kBr3Y", amount=Money(50, "CNY"), role=LegRole.AGENCY
        ),
    )
    return _request(
        OperationKind.RELEASE,
        150,
        operation_id="P20150806125346",
        legs=shares,
        source=SourceReference(
            ref=TRANSACTION, amount=Money(source_amount, "CNY") if source_amount else None, released=Money(0, "CNY")
        ),
    )


def _read(name: str, request: ProviderRequest, status: int = 200, known: object = None):
    _, plugin = start()
    recorded = RecordedWeChat(fixture(name), status)
    answering(plugin, recorded)
    return plugin.creatorkit_payment_retrieve(request, known, None), recorded  # type: ignore[arg-type]


def test_every_fixture_is_used() -> None:
    names = {path.name for path in FIXTURES.glob("*.json")}
    used = {
        "split_order_processing.json",
        "split_order_finished.json",
        "return_order_success.json",
        "refund_processing.json",
        "payment_success.json",
        "payment_notpay.json",
        "error_not_enough.json",
    }
    assert names == used


def test_a_processing_split() -> None:
    operation, recorded = _read("split_order_processing.json", _split_request())
    assert (operation.status, operation.raw_status) == (OperationStatus.PENDING, "PROCESSING")
    assert operation.provider_ref == "3008450740201411110007820472"
    assert [(leg.account_ref, leg.raw_status, leg.provider_ref) for leg in operation.legs] == [
        ("1900000110", "PENDING", "36011111111111111111111"),
        ("oQmYq5JeVTjrrnFv1nL_jK5kBr3Y", "PENDING", "36011111111111111111112"),
    ]
    (sent,) = recorded.requests
    assert sent.url.raw_path == f"/v3/profitsharing/orders/P20150806125346?transaction_id={TRANSACTION}".encode()


def test_a_finished_split_with_a_closed_receiver_and_the_merchants_unfreeze_line() -> None:
    operation, _ = _read("split_order_finished.json", _split_request())
    assert operation.status is OperationStatus.PARTIALLY_SUCCEEDED
    assert [leg.status for leg in operation.legs] == [OperationStatus.SUCCEEDED, OperationStatus.FAILED]
    assert operation.legs[1].failure_reason == "ACCOUNT_ABNORMAL" and operation.failure_code == "CLOSED"
    assert sum(leg.amount.amount for leg in operation.legs) == 150, "the 解冻给分账方 line is not a leg"
    assert operation.updated_at == datetime.fromisoformat("2015-05-20T13:29:37+08:00")


def test_a_successful_return() -> None:
    leg = ReceiverLeg(party_id="studio", account_ref="1900000110", amount=Money(100, "CNY"), role=LegRole.CREATOR)
    request = _request(
        OperationKind.REVERSE,
        100,
        operation_id="R20190516001",
        legs=(leg,),
        source=SourceReference(ref="3008450740201411110007820472", operation_id="P20150806125346"),
    )
    answer = fixture("return_order_success.json")
    answer["out_return_no"] = "R20190516001-0"  # the plugin numbers one return per leg
    _, plugin = start()
    recorded = RecordedWeChat(answer)
    answering(plugin, recorded)
    operation = plugin.creatorkit_payment_retrieve(request, None, None)
    assert (operation.status, operation.provider_ref) == (OperationStatus.SUCCEEDED, "3008450740201411110007820472")
    assert recorded.requests[0].url.params["out_order_no"] == "P20150806125346"


def test_a_processing_refund() -> None:
    request = _request(
        OperationKind.REFUND, 1000, operation_id="1217752501201407033233368018", source=SourceReference(ref=TRANSACTION)
    )
    operation, _ = _read("refund_processing.json", request)
    assert (operation.status, operation.raw_status) == (OperationStatus.PENDING, "PROCESSING")
    assert operation.provider_ref == "50000000382019052709732678859"


def test_a_paid_order() -> None:
    request = _request(OperationKind.FUND, 1000, operation_id="1217752501201407033233368018")
    operation, _ = _read("payment_success.json", request)
    assert (operation.status, operation.provider_ref) == (OperationStatus.SUCCEEDED, "1217752501201407033233368018")
    assert operation.fee == Money(6, "CNY") and operation.net == Money(994, "CNY")
    assert operation.updated_at == datetime.fromisoformat("2018-06-08T10:34:56+08:00")


def test_an_unpaid_order_keeps_the_code_the_core_already_has() -> None:
    request = _request(OperationKind.FUND, 1000, operation_id="1217752501201407033233368018")
    first, recorded = _read("payment_notpay.json", request)
    assert first.status is OperationStatus.REQUIRES_ACTION and first.next_action is not None
    assert first.next_action.kind is NextActionKind.OTHER, "the recorded answer to placing it again has no code"
    known = attrs.evolve(
        first, next_action=NextAction(kind=NextActionKind.REDIRECT, url="weixin://wxpay/bizpayurl?pr=kept")
    )
    again, recorded = _read("payment_notpay.json", request, known=known)
    assert again.next_action is not None and again.next_action.url == "weixin://wxpay/bizpayurl?pr=kept"
    assert [r.method for r in recorded.requests] == ["GET"], "no order placed again when the code is known"


def test_a_refusal_keeps_wechats_code_message_and_request_id() -> None:
    _, plugin = start()
    answering(plugin, RecordedWeChat(fixture("error_not_enough.json"), 403))
    with pytest.raises(PaymentError) as caught:
        plugin.creatorkit_payment_operation(_split_request(source_amount=1000), None)
    assert caught.value.provider_code == "NOT_ENOUGH" and not caught.value.outcome_unknown
    assert "分账金额不足" in str(caught.value) and "HTTP 403" in str(caught.value)
    assert "Request-ID 08DE8EB3B90610A0D5A1E1C30118A9AE0B" in str(caught.value)
