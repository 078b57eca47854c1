"""The order and import entities hold their rules, and echo's marketplace and partner export keep them.

The entities refuse what no plugin may answer (a handle placed twice, an import whose rows do not add up); echo
shows what a plugin does with the idempotency key and with a file it cannot read.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import attrs
import pytest

from creatorkit import InvalidRequest, NotSupported, PluginContractError, hookimpl
from creatorkit.converter import structure, unstructure
from creatorkit.entities import (
    DeliverableType,
    FailedHandle,
    ImportFormat,
    ImportResult,
    OrderDeliverable,
    OrderPlacement,
    PlatformOrderRequest,
    RejectedRow,
)
from creatorkit.entities._common import FieldValueError
from creatorkit.errors import ValidationError
from creatorkit.host import PluginHost
from creatorkit.testing import network_disabled
from creatorkit_echo import EchoPlatform
from creatorkit_echo.partner_export import SAMPLE_EXPORT, read_creator_list
from samples import SAMPLES

NOW = datetime(2026, 11, 1, tzinfo=UTC)


def _data(name: str) -> Any:
    return json.loads(json.dumps(unstructure(SAMPLES[name])))


def _request(**changes: Any) -> PlatformOrderRequest:
    request = PlatformOrderRequest(
        idempotency_key="order_key_1",
        deal_id="deal_1",
        brand_name="Lumen",
        description="Spring Glow",
        creator_handles=("echo_creator_01",),
        deliverables=(OrderDeliverable(kind=DeliverableType.SHORT_VIDEO),),
    )
    return attrs.evolve(request, **changes) if changes else request


# -- the entities ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (lambda d: d.update(creator_handles=[]), "creator_handles"),
        (lambda d: d.update(creator_handles=["ana", "ana"]), "creator_handles"),
        (lambda d: d.update(deliverables=[]), "deliverables"),
        (lambda d: d.update(idempotency_key="  "), "idempotency_key"),
        (lambda d: d.update(attempt=0), "attempt"),
        (lambda d: d["deliverables"][0].update(ad_authorization_days=0), "deliverables[0].ad_authorization_days"),
    ],
    ids=["no-handles", "handle-twice", "no-deliverables", "blank-key", "attempt-zero", "zero-ad-days"],
)
def test_a_malformed_order_request_is_refused_naming_the_field(change: Any, path: str) -> None:
    data = _data("PlatformOrderRequest")
    change(data)
    with pytest.raises(ValidationError) as refused:
        structure(data, PlatformOrderRequest)
    assert refused.value.paths == [path]


def test_the_schema_refuses_what_it_can_state_too() -> None:
    from creatorkit import schemas

    data = _data("PlatformOrderRequest")
    data.update(creator_handles=[], idempotency_key=" ")
    assert sorted(p.path for p in schemas.errors("PlatformOrderRequest", data)) == [
        "creator_handles",
        "idempotency_key",
    ]


def test_a_placement_speaks_for_each_creator_once() -> None:
    placement = SAMPLES["OrderPlacement"]
    with pytest.raises(FieldValueError, match="'mayacooks' more than once"):
        attrs.evolve(placement, failed=(*placement.failed, FailedHandle(handle="mayacooks", reason="x")))
    data = _data("OrderPlacement")
    data["failed"].append({"handle": "mayacooks", "reason": "busy", "code": None})
    with pytest.raises(ValidationError) as refused:
        structure(data, OrderPlacement)
    assert refused.value.paths == ["failed"]


@pytest.mark.parametrize(
    ("rows", "rejected", "message"),
    [
        (3, (), "3 rows were read but 1 records and 0 rejected"),
        (1, (RejectedRow(line=3, row=2, reason="bad"),), "beyond the 1 rows read"),
    ],
)
def test_an_import_whose_rows_do_not_add_up_is_refused(
    rows: int, rejected: tuple[RejectedRow, ...], message: str
) -> None:
    result = SAMPLES["ImportResult"]
    with pytest.raises(FieldValueError, match=message):
        attrs.evolve(result, rows=rows, rejected=rejected)


def test_several_faults_of_one_row_count_it_once() -> None:
    faults = (RejectedRow(line=2, row=1, field="a", reason="x"), RejectedRow(line=2, row=1, field="b", reason="y"))
    result = ImportResult(platform="echo", format=ImportFormat.CSV, rows=1, rejected=faults)
    assert result.accepted == 0


# -- echo's marketplace and the idempotency key ------------------------------------------------------------------


@pytest.fixture
def echo() -> tuple[PluginHost, EchoPlatform]:
    host = PluginHost(validate_outputs=True)
    plugin = EchoPlatform()
    host.register(plugin, name="echo")
    return host, plugin


def test_the_same_key_yields_the_same_placement_and_another_request_under_it_is_refused(echo: Any) -> None:
    host, plugin = echo
    client = host.platform("echo")
    first = client.place_order(_request())
    assert client.place_order(_request(attempt=2)) == first
    with pytest.raises(InvalidRequest) as refused:
        client.place_order(_request(creator_handles=("echo_creator_02",)))
    assert refused.value.field == "idempotency_key"
    assert len(plugin.orders) == 1


def test_a_new_key_is_a_new_order(echo: Any) -> None:
    host, plugin = echo
    client = host.platform("echo")
    first = client.place_order(_request())
    second = client.place_order(_request(idempotency_key="order_key_2"))
    assert first.orders[0].order_id != second.orders[0].order_id
    assert len(plugin.orders) == 2


def test_an_ad_authorisation_the_marketplace_does_not_offer_is_not_supported(echo: Any) -> None:
    host, plugin = echo
    deliverable = OrderDeliverable(kind=DeliverableType.SHORT_VIDEO, ad_authorization_days=45)
    with pytest.raises(NotSupported, match="45 days"):
        host.platform("echo").place_order(_request(deliverables=(deliverable,)))
    assert plugin.placements == {}


def test_a_reply_naming_a_handle_twice_is_a_contract_breach() -> None:
    class Doubled(EchoPlatform):
        @hookimpl
        def creatorkit_place_order(self, request: PlatformOrderRequest) -> Any:
            data = unstructure(super().creatorkit_place_order(request))
            data["failed"] = [{"handle": request.creator_handles[0], "reason": "also", "code": None}]
            return data

    host = PluginHost()
    host.register(Doubled(), name="echo")
    with pytest.raises(PluginContractError, match="more than once"):
        host.platform("echo").place_order(_request())


# -- echo's partner export -------------------------------------------------------------------------------------


def _read(data: bytes, format: ImportFormat = ImportFormat.CSV) -> ImportResult:
    return read_creator_list("echo", data, format, NOW)


def test_the_import_hook_reads_through_the_host_with_the_contexts_clock(echo: Any) -> None:
    host, _ = echo
    with network_disabled():
        result = host.platform("echo").import_records(SAMPLE_EXPORT, ImportFormat.CSV)
    assert (result.rows, result.accepted, len(result.creators)) == (9, 3, 3)
    ana = next(c for c in result.creators if c.profile.accounts[0].handle == "ana_cooks")
    assert ana.profile.accounts[0].followers is not None
    assert ana.profile.accounts[0].followers.value == 48_200
    assert str(ana.profile.accounts[0].followers.source) == "reported"
    assert ana.profile.rate_card is not None and str(ana.profile.rate_card.tiers[0].price) == "350.00 EUR"


def test_a_header_with_a_byte_order_mark_and_columns_in_any_order_is_read() -> None:
    result = _read("\ufefffollowers,handle\n10,ana\n".encode())
    assert (result.rows, [c.profile.id for c in result.creators]) == (1, ["echo:ana"])


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"handle,followers\nana,10\n\xff\xfe,1\n", ["line 3", "not UTF-8"]),
        (b"handle,fans\nana,10\n", ["header", "unknown column 'fans'", "no 'followers' column"]),
        (b"handle,followers,handle\nana,1,b\n", ["column 'handle' twice"]),
        (b'handle,followers\nana,1\n"' + b"a" * 200_000 + b'",1\n', ["line 3", "field larger than field limit"]),
    ],
    ids=["not-utf8", "bad-header", "doubled-column", "huge-field"],
)
def test_a_file_that_cannot_be_read_is_refused_as_a_whole_naming_where(data: bytes, words: list[str]) -> None:
    with pytest.raises(InvalidRequest) as refused:
        _read(data)
    for word in words:
        assert word in str(refused.value) or word == refused.value.field


def test_an_empty_file_is_no_rows() -> None:
    assert _read(b"").rows == 0
    assert _read(b"\n\n").rows == 0
    assert _read(b"handle,followers\n").rows == 0


def test_a_format_echo_does_not_read_is_not_supported() -> None:
    with pytest.raises(NotSupported, match="CSV, not jsonl"):
        _read(b'{"handle": "ana"}\n', ImportFormat.JSONL)


def test_a_price_must_be_positive_and_in_its_currency() -> None:
    result = _read(b"handle,followers,price,currency\na,1,0,USD\nb,1,5,XYZ\nc,1,1.5,JPY\n")
    assert [(r.line, r.field) for r in result.rejected] == [(2, "price"), (3, "currency"), (4, "price")]
