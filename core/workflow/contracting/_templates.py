"""Contract templates: a brand's standard contracts, versioned.

Each version is a record of its own, ``<template id>@v<version>`` with ``parent`` = the template id, so a
contract can always be re-rendered from the exact version it was drafted from; a revision adds version
*n + 1* and never touches version *n*.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs

from ...converter import structure, unstructure
from ...entities import Actor, ContractTemplate, PartyKind
from ...errors import NotFound, PermissionDenied, Problem, ValidationError
from .._templates import check_template

if TYPE_CHECKING:
    from ..._change import Change, View
    from ...store import Record

__all__ = [
    "TEMPLATE_FIELDS",
    "checked_template",
    "only_brand",
    "revised",
    "store_template",
    "template_key",
    "template_of",
    "template_records",
    "template_version",
]

#: What a revision may change.
TEMPLATE_FIELDS = (
    "name",
    "body",
    "default_revision_limit",
    "default_ip",
    "default_usage_rights",
    "default_cancellation",
)


def template_key(template_id: str, version: int) -> str:
    return f"{template_id}@v{version}"


def only_brand(actor: Actor, action: str) -> None:
    if actor.kind is not PartyKind.BRAND:
        raise PermissionDenied(str(actor), action, "contract templates belong to brands")


def checked_template(**fields: Any) -> ContractTemplate:
    """A template version from its fields; a wrongly typed or invalid field is a ValidationError naming it."""
    if not str(fields.get("name", "")).strip():
        raise ValidationError([Problem("name", "must not be empty")], "contract template")
    check_template(fields["body"], what="contract template")
    # Through the converter, so that a wrongly typed or invalid field is named by its path.
    return structure(unstructure(fields), ContractTemplate, what="contract template")


def revised(latest: ContractTemplate, changes: dict[str, Any]) -> ContractTemplate:
    """The next version of ``latest`` with ``changes``."""
    return checked_template(**{**attrs.asdict(latest, recurse=False), **changes, "version": latest.version + 1})


def store_template(change: Change, template: ContractTemplate, action: str) -> None:
    """Store one template version in the acting brand's workspace and audit ``action`` on it."""
    key = template_key(template.id, template.version)
    change.record(
        "contract_template",
        template,
        action,
        key=key,
        workspace=change.actor.id,
        parent=template.id,
        state=f"v{template.version}",
    )


def template_records(view: View, actor: Actor, template_id: str) -> list[Record]:
    found = view.records("contract_template", parent=template_id, workspace=actor.id)
    if not found:
        raise NotFound("contract_template", template_id)
    return found


def template_of(view: View, actor: Actor, template_id: str, version: int | None) -> ContractTemplate:
    """A version of the actor's template (the latest when ``version`` is None)."""
    versions = {int(r.doc["version"]): r for r in template_records(view, actor, template_id)}
    wanted = max(versions) if version is None else version
    if wanted not in versions:
        raise NotFound("contract_template", template_key(template_id, wanted))
    return view.entity(versions[wanted], ContractTemplate)


def template_version(view: View, template_id: str, version: int) -> ContractTemplate:
    """The exact version a contract was drafted from (whoever is acting)."""
    return view.load("contract_template", template_key(template_id, version), ContractTemplate)
