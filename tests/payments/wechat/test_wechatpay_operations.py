"""The money movements against the sandbox: the host's checks, WeChat's rules, idempotency, errors."""

from __future__ import annotations

import pytest
from creatorkit_payments.wechatpay import _api

from creatorkit import toolkit as tk
from creatorkit.entities import (
    Capability,
    LegRole,
    NextActionKind,
    OperationKind,
    OperationStatus,
    ProviderRequest,
    ReceiverLeg,
    SourceReference,
    new_id,
)
from creatorkit.errors import (
    CapabilityMissing,
    IdempotencyConflict,
    PaymentError,
    PaymentNotSupported,
    RateLimited,
)
from creatorkit.money import Money

from .conftest import AGENCY, CREATOR, fund_request, legs, release_request, sandbox_of, start


def _calls(plugin: object) -> list[str]:
    return list(sandbox_of(plugin).calls)  # type: ignore[arg-type]


def test_a_split_beyond_the_ratio_is_refused_by_the_host_before_any_call() -> None:
    provider, plugin = start()
    fund = provider.execute(fund_request(10_000))
    assert fund.fee == Money(60, "CNY") and fund.net == Money(9_940, "CNY")
    before = _calls(plugin)
    over = release_request(fund, legs((CREATOR, 2_983)))  # 30 % of 99.40 is 29.82
    with pytest.raises(PaymentNotSupported) as caught:
        provider.execute(over)
    assert caught.value.flag == "max_split_bp" and caught.value.limit == 3000
    assert _calls(plugin) == before
    done = provider.execute(release_request(fund, legs((CREATOR, 2_535), (AGENCY, 447))))
    assert done.status is OperationStatus.SUCCEEDED


def test_fifty_one_receivers_are_refused_before_any_call() -> None:
    provider, plugin = start()
    fund = provider.execute(fund_request(100_000))
    before = _calls(plugin)
    many = tuple(
        ReceiverLeg(party_id=f"p{i}", account_ref=f"19000003{i:02d}", amount=Money(10, "CNY"), role=LegRole.AGENCY)
        for i in range(51)
    )
    with pytest.raises(PaymentNotSupported) as caught:
        provider.execute(release_request(fund, many))
    assert caught.value.flag == "max_receivers" and caught.value.limit == 50
    assert _calls(plugin) == before


def test_an_unregistered_receiver_is_refused_by_wechat() -> None:
    provider, _ = start()
    fund = provider.execute(fund_request())
    with pytest.raises(PaymentError) as caught:
        provider.execute(release_request(fund, legs((("stranger", "oStranger_openid_0001"), 100))))
    assert caught.value.provider_code == "PARAM_ERROR" and "分账接收方关系不存在" in str(caught.value)
    assert "Request-ID" in str(caught.value) and not caught.value.outcome_unknown


def test_a_receiver_registered_through_the_api_can_be_paid() -> None:
    provider, plugin = start()
    answer = plugin.add_receiver("1900000299", relation_type="PARTNER", name="示例商户有限公司")
    assert answer == {"type": "MERCHANT_ID", "account": "1900000299", "relation_type": "PARTNER"}
    registered = sandbox_of(plugin).receivers[("MERCHANT_ID", "1900000299")]
    assert registered["name"] == "示例商户有限公司", "the name travels OAEP-encrypted and WeChat reads it"
    fund = provider.execute(fund_request())
    assert provider.execute(release_request(fund, legs((("studio", "1900000299"), 100)))).status.resolved
    plugin.delete_receiver("1900000299")
    with pytest.raises(PaymentError, match="分账接收方关系不存在"):
        provider.execute(release_request(fund, legs((("studio", "1900000299"), 100))))


def test_the_same_release_twice_splits_once() -> None:
    provider, plugin = start()
    fund = provider.execute(fund_request())
    release = release_request(fund, legs((CREATOR, 1_000), (AGENCY, 200)))
    first, again = provider.execute(release), provider.execute(release)
    assert first.provider_ref == again.provider_ref
    assert len(sandbox_of(plugin).splits) == 1
    assert plugin.unsplit_amount(fund.provider_ref) == Money(9_940 - 1_200, "CNY")


def test_a_reused_out_order_no_after_a_restart_is_refused_by_wechat_naming_what_differs() -> None:
    provider, plugin = start()
    fund = provider.execute(fund_request())
    release = release_request(fund, legs((CREATOR, 1_000)))
    provider.execute(release)
    plugin._sent.clear()  # a new process: the plugin's own record of what it sent is gone, WeChat's is not
    other = release_request(fund, legs((CREATOR, 900)), operation_id=release.operation_id)
    with pytest.raises(IdempotencyConflict) as caught:
        provider.execute(other)
    assert set(caught.value.fields) == {"amount", "legs"} and caught.value.provider_code == "INVALID_REQUEST"
    assert release.operation_id in str(caught.value)


def test_an_id_used_for_a_release_is_refused_as_a_refund_before_any_call() -> None:
    provider, plugin = start()
    fund = provider.execute(fund_request())
    release = release_request(fund, legs((CREATOR, 1_000)))
    provider.execute(release)
    before = _calls(plugin)
    refund = ProviderRequest(
        operation_id=release.operation_id,
        kind=OperationKind.REFUND,
        amount=Money(1_000, "CNY"),
        deal_id="deal_wechat",
        reason="refund",
        source=SourceReference(ref=fund.provider_ref, amount=fund.amount, released=Money(0, "CNY")),
    )
    with pytest.raises(IdempotencyConflict) as caught:
        provider.execute(refund)
    assert "kind" in caught.value.fields, "WeChat numbers refunds apart from splits: only the plugin can tell"
    assert _calls(plugin) == before


def test_a_refund_waits_for_the_return_of_what_was_split() -> None:
    provider, _ = start()
    fund_req = fund_request()
    fund = provider.execute(fund_req)
    release = release_request(fund, legs((CREATOR, 1_000), (AGENCY, 200)))
    released = provider.execute(release)

    def refund(released_amount: int, amount: int = 10_000) -> ProviderRequest:
        return ProviderRequest(
            operation_id=new_id("op"),
            kind=OperationKind.REFUND,
            amount=Money(amount, "CNY"),
            deal_id="deal_wechat",
            reason="the brand cancelled",
            source=SourceReference(
                ref=fund.provider_ref, amount=fund.amount, fee=fund.fee, released=Money(released_amount, "CNY")
            ),
        )

    with pytest.raises(PaymentNotSupported) as host_refused:
        provider.execute(refund(1_200))
    assert host_refused.value.flag == "refund_requires_reversal"
    with pytest.raises(PaymentError) as wechat_refused:
        provider.execute(refund(0))
    assert wechat_refused.value.provider_code == "NOT_ENOUGH" and not wechat_refused.value.outcome_unknown
    reverse = ProviderRequest(
        operation_id=new_id("op"),
        kind=OperationKind.REVERSE,
        amount=Money(1_200, "CNY"),
        deal_id="deal_wechat",
        reason="return before the refund",
        legs=release.legs,
        source=SourceReference(ref=released.provider_ref, operation_id=release.operation_id, amount=release.amount),
    )
    returned = provider.execute(reverse)
    assert returned.status is OperationStatus.SUCCEEDED and len(returned.legs) == 2
    assert returned.provider_ref.count(",") == 1, "one WeChat return per receiver"
    assert provider.retrieve(release, known=released).status is OperationStatus.REVERSED
    assert provider.execute(refund(0)).status is OperationStatus.SUCCEEDED


def test_a_return_from_a_personal_receiver_is_refused_before_any_call() -> None:
    provider, plugin = start()
    before = _calls(plugin)
    reverse = ProviderRequest(
        operation_id=new_id("op"),
        kind=OperationKind.REVERSE,
        amount=Money(100, "CNY"),
        deal_id="deal_wechat",
        reason="take it back",
        legs=legs((("fan", "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"), 100)),
        source=SourceReference(ref="3008450740201411110007820472", operation_id="P20150806125346"),
    )
    with pytest.raises(PaymentError, match="merchant receivers only"):
        provider.execute(reverse)
    assert _calls(plugin) == before


def test_a_final_split_unfreezes_the_rest_and_nothing_more_splits() -> None:
    provider, plugin = start()
    fund = provider.execute(fund_request())
    done = provider.execute(release_request(fund, legs((CREATOR, 1_000)), final=True))
    assert [leg.account_ref for leg in done.legs] == [CREATOR[1]], "the merchant's unfreeze line is not a leg"
    assert plugin.unsplit_amount(fund.provider_ref) == Money(0, "CNY")
    with pytest.raises(PaymentError) as caught:
        provider.execute(release_request(fund, legs((CREATOR, 1)), released=1_000))
    assert caught.value.provider_code == "NOT_ENOUGH"


def test_a_release_without_legs_unfreezes_exactly_what_is_frozen() -> None:
    provider, _ = start()
    fund = provider.execute(fund_request())

    def unfreeze(amount: int) -> ProviderRequest:
        return ProviderRequest(
            operation_id=new_id("op"),
            kind=OperationKind.RELEASE,
            amount=Money(amount, "CNY"),
            deal_id="deal_wechat",
            reason="the deal is done",
            source=SourceReference(ref=fund.provider_ref, operation_id=fund.operation_id, amount=fund.amount),
            final=True,
        )

    with pytest.raises(PaymentError, match=r"99\.40 CNY is still frozen"):
        provider.execute(unfreeze(1_000))
    request = unfreeze(9_940)
    done = provider.execute(request)
    assert done.status is OperationStatus.SUCCEEDED and not done.legs
    assert provider.execute(request).provider_ref == done.provider_ref, "a retry finds the unfreeze made"


def test_a_fund_waits_for_the_payer_with_the_code_to_scan() -> None:
    provider, plugin = start({"sandbox": {"payer_pays": False}})
    request = fund_request()
    waiting = provider.execute(request)
    assert waiting.status is OperationStatus.REQUIRES_ACTION and waiting.raw_status == "NOTPAY"
    assert waiting.next_action is not None and waiting.next_action.kind is NextActionKind.REDIRECT
    assert waiting.next_action.url and waiting.next_action.url.startswith("weixin://wxpay/bizpayurl?pr=")
    plugin._code_urls.clear()  # read back by another process: the code comes from placing the same order again
    assert provider.retrieve(request).next_action == waiting.next_action
    transaction_id = sandbox_of(plugin).pay(_api.trade_number(request.operation_id))
    paid = provider.retrieve(request, known=waiting)
    assert (paid.status, paid.provider_ref, paid.raw_status) == (OperationStatus.SUCCEEDED, transaction_id, "SUCCESS")
    assert paid.hold_expires_at is not None and (paid.hold_expires_at - paid.updated_at).days == 30


def test_an_ecommerce_merchant_holds_for_180_days_and_the_plugin_checks_its_configured_limits() -> None:
    provider, plugin = start({"merchant_type": "ecommerce", "max_split_bp": 2000})
    assert plugin.capabilities.max_hold_days == 180 and plugin.capabilities.max_split_bp == 2000
    fund = provider.execute(fund_request())
    assert fund.hold_expires_at is not None and (fund.hold_expires_at - fund.updated_at).days == 180
    before = _calls(plugin)
    with pytest.raises(PaymentNotSupported) as caught:
        provider.execute(release_request(fund, legs((CREATOR, 1_989))))  # 20 % of 99.40 is 19.88
    assert caught.value.flag == "max_split_bp" and caught.value.limit == 2000
    assert _calls(plugin) == before


def test_throttling_is_rate_limited_and_a_server_error_an_unknown_outcome() -> None:
    provider, plugin = start()
    sandbox = sandbox_of(plugin)
    sandbox.fail(tk.Fault.THROTTLED, times=1)
    with pytest.raises(RateLimited) as throttled:
        provider.execute(fund_request())
    assert throttled.value.code == "FREQUENCY_LIMITED"
    sandbox.fail(tk.Fault.SERVER_ERROR, times=1)
    with pytest.raises(PaymentError) as failed:
        provider.execute(fund_request())
    assert failed.value.outcome_unknown and failed.value.provider_code == "SYSTEM_ERROR"
    assert "Request-ID 08" in str(failed.value), "WeChat's Request-ID is kept for its support"


def test_a_pending_split_resolves_when_queried() -> None:
    provider, _ = start({"sandbox": {"pending_retrieves": 2}})
    request = fund_request()
    fund = provider.execute(request)
    while not fund.status.resolved:
        fund = provider.retrieve(request, known=fund)
    release = release_request(fund, legs((CREATOR, 1_000)))
    split = provider.execute(release)
    assert split.status is OperationStatus.PENDING and split.raw_status == "PROCESSING"
    assert [leg.raw_status for leg in split.legs] == ["PENDING"]
    split = provider.retrieve(release, known=split)
    split = provider.retrieve(release, known=split)
    assert split.status is OperationStatus.SUCCEEDED and split.raw_status == "FINISHED"


def test_it_lists_no_movements_and_says_what_to_use_instead() -> None:
    client, _ = start()
    assert Capability.PAYMENT_LISTING not in client.metadata.capabilities
    why = client.metadata.missing[Capability.PAYMENT_LISTING]
    assert "/v3/profitsharing/bills" in why and "not a list" in why
    with pytest.raises(CapabilityMissing) as missing:
        client.list_movements()
    assert missing.value.alternative == why, "the caller is told the honest alternative"
