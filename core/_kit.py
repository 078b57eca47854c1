"""``Creatorkit``: one object for an embedding app — store, plugins, configuration, clock and the services.

```python
from creatorkit import Actor, Creatorkit

with Creatorkit.open("creatorkit.toml") as kit:
    deal = kit.outreach.invite(Actor.brand("brand_1"), brief_id=..., creator_id=..., platform="tiktok", ...)
```
"""

from __future__ import annotations

import functools
import os
import warnings
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from ._change import EntityCache
from .config import Config
from .host import PluginHost

if TYPE_CHECKING:
    from .audit._evidence import AuditService
    from .entities import Event
    from .ledger import LedgerService
    from .matching import MatchingService
    from .parties._connections import ConnectionService
    from .parties._creator_pages import CreatorPageService
    from .parties._grants import GrantService
    from .parties._registration import PartyService
    from .parties._roster import RosterService
    from .reports import ReportService
    from .store import Store
    from .tokens import TokenCipher
    from .webhooks import WebhookService
    from .workflow._aftercare import AftercareService
    from .workflow._briefs import BriefService
    from .workflow._catalog import CatalogService
    from .workflow._content import ContentService
    from .workflow._deals import DealService
    from .workflow._metrics_jobs import MetricsQueue
    from .workflow._metrics_sync import MetricsService
    from .workflow._negotiation import NegotiationService
    from .workflow._outreach import OutreachService
    from .workflow._payments import PaymentsService
    from .workflow.contracting._contracts import ContractService
    from .workflow.contracting._usage_rights import UsageRightService

__all__ = ["Creatorkit"]


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _relative_to(url: str, folder: Path) -> str:
    """A relative SQLite path written in a config file means relative to that file, not to the working directory."""
    if url.startswith(("postgresql://", "postgres://")) or url in (":memory:", "sqlite://"):
        return url
    path = url.removeprefix("sqlite:///") if url.startswith("sqlite:///") else url
    if Path(path).is_absolute():
        return url
    return "sqlite:///" + str(folder / path)


class Creatorkit:
    """The SDK's entry point. Services are attributes: ``kit.roster``, ``kit.outreach``, ``kit.contracts``, ...

    ``kit.connections`` and ``kit.grants`` hold the workspaces' platform accounts and the creators' own
    authorisations, with their tokens sealed by :attr:`token_cipher`.
    """

    def __init__(
        self,
        *,
        store: Store,
        plugins: PluginHost | None = None,
        config: Config | None = None,
        clock: Callable[[], datetime] = _utcnow,
        token_cipher: TokenCipher | None = None,
    ) -> None:
        self.store = store
        self.plugins = plugins or PluginHost()
        self.config = config or Config()
        self.clock = clock
        # Read from the environment when a token is first sealed or opened (see token_cipher).
        self._token_cipher = token_cipher
        # Entities built from stored records, shared by every service and thread of this kit (see EntityCache).
        self._entities = EntityCache()

    @classmethod
    def open(
        cls,
        config: Config | str | os.PathLike[str] | None = None,
        *,
        store: str | None = None,
        clock: Callable[[], datetime] = _utcnow,
        create: bool = True,
        token_cipher: TokenCipher | None = None,
    ) -> Creatorkit:
        """Load the config (a path, a :class:`Config`, or the default lookup), load its plugins, open its store.

        The first open creates the store; ``create=False`` opens only one that exists (a missing SQLite file is a
        :class:`~creatorkit.errors.StoreError` naming it), as the CLI's commands do. Plugins load first: a plugin
        that fails in strict mode leaves no store behind. ``token_cipher`` seals platform tokens (default: the keys
        in ``CREATORKIT_TOKEN_KEY`` and ``CREATORKIT_TOKEN_OLD_KEYS``, read when a token is first needed).
        """
        from .store import open_store

        loaded = config if isinstance(config, Config) else Config.load(config)
        if store is None and loaded.source:
            store = _relative_to(loaded.store, Path(loaded.source).resolve().parent)
        plugins = PluginHost.from_config(loaded)
        loaded = loaded.with_secret_settings(plugins.marked_secrets())  # what the plugins' schemas mark secret
        return cls(
            store=open_store(store or loaded.store, create=create),
            plugins=plugins,
            config=loaded,
            clock=clock,
            token_cipher=token_cipher,
        )

    def close(self) -> None:
        self.store.close()

    @property
    def token_cipher(self) -> TokenCipher:
        """What seals platform tokens in the store: the one given, else the keys in the environment.

        The environment is read on first use, so a kit that never touches a token needs no key; a malformed key
        is a :class:`~creatorkit.errors.ConfigError` naming its variable.
        """
        if self._token_cipher is None:
            from .tokens import TokenKeys

            self._token_cipher = TokenKeys.from_environment()
        return self._token_cipher

    @functools.cached_property
    def _moves_money(self) -> bool:
        """Whether deals' money moves with them: a payment provider is named in ``[money]`` or is the one enabled."""
        named = self.config.money.provider
        if named is not None:
            return True
        return len(self.config.enabled("payments")) == 1

    def _sync_payments(self, events: Sequence[Event]) -> None:
        """After a commit that moved deals, move their money (``kit.payments.sync``).

        The deal's change is committed whatever happens here: a provider's refusal or an outage is warned about
        and stays visible in ``kit.payments.money``; the next sync (the deadline run, ``creatorkit payments sync``)
        tries again, from the same operation ids.
        """
        deal_ids = dict.fromkeys(e.entity_id for e in events if e.name == "deal.state_changed")
        # A payment webhook is a hint, never the truth: the operation it names is re-read from the provider.
        notices = [e for e in events if e.name == "webhook.accepted" and e.data.get("operation_id")]
        if not deal_ids and not notices:
            return
        from .entities import Actor
        from .errors import CreatorkitError

        system = Actor.system("payments")
        for deal_id in deal_ids:
            try:
                self.payments.sync(system, deal_id)
            except CreatorkitError as exc:
                warnings.warn(f"payments for deal {deal_id}: {type(exc).__name__}: {exc}", RuntimeWarning, stacklevel=3)
        for notice in notices:
            try:
                self.payments.refresh_from_notice(system, str(notice.data["source"]), str(notice.data["operation_id"]))
            except CreatorkitError as exc:
                message = f"payment operation {notice.data['operation_id']}: {type(exc).__name__}: {exc}"
                warnings.warn(message, RuntimeWarning, stacklevel=3)

    def __enter__(self) -> Creatorkit:
        return self

    def __exit__(self, *exc: object | TracebackType | None) -> None:
        self.close()

    # -- services (built on first use) -------------------------------------------------------------------------

    @functools.cached_property
    def parties(self) -> PartyService:
        from .parties._registration import PartyService

        return PartyService(self)

    @functools.cached_property
    def roster(self) -> RosterService:
        from .parties._roster import RosterService

        return RosterService(self)

    @functools.cached_property
    def connections(self) -> ConnectionService:
        from .parties._connections import ConnectionService

        return ConnectionService(self)

    @functools.cached_property
    def grants(self) -> GrantService:
        from .parties._grants import GrantService

        return GrantService(self)

    @functools.cached_property
    def creators(self) -> CreatorPageService:
        from .parties._creator_pages import CreatorPageService

        return CreatorPageService(self)

    @functools.cached_property
    def briefs(self) -> BriefService:
        from .workflow._briefs import BriefService

        return BriefService(self)

    @functools.cached_property
    def outreach(self) -> OutreachService:
        from .workflow._outreach import OutreachService

        return OutreachService(self)

    @functools.cached_property
    def negotiation(self) -> NegotiationService:
        from .workflow._negotiation import NegotiationService

        return NegotiationService(self)

    @functools.cached_property
    def contracts(self) -> ContractService:
        from .workflow.contracting._contracts import ContractService

        return ContractService(self)

    @functools.cached_property
    def content(self) -> ContentService:
        from .workflow._content import ContentService

        return ContentService(self)

    @functools.cached_property
    def deals(self) -> DealService:
        from .workflow._deals import DealService

        return DealService(self)

    @functools.cached_property
    def audit(self) -> AuditService:
        from .audit._evidence import AuditService

        return AuditService(self)

    @functools.cached_property
    def aftercare(self) -> AftercareService:
        from .workflow._aftercare import AftercareService

        return AftercareService(self)

    @functools.cached_property
    def webhooks(self) -> WebhookService:
        from .webhooks import WebhookService

        return WebhookService(self)

    @functools.cached_property
    def usage_rights(self) -> UsageRightService:
        from .workflow.contracting._usage_rights import UsageRightService

        return UsageRightService(self)

    @functools.cached_property
    def ledger(self) -> LedgerService:
        from .ledger import LedgerService

        return LedgerService(self)

    @functools.cached_property
    def payments(self) -> PaymentsService:
        """Fund, release, refund and settle deals' money by their payment schedules (``docs/payments.md``)."""
        from .workflow._payments import PaymentsService

        return PaymentsService(self)

    @functools.cached_property
    def metrics(self) -> MetricsService:
        """Sync rounds of post metrics into snapshots, and each post's history (``docs/analytics.md``)."""
        from .workflow._metrics_sync import MetricsService

        return MetricsService(self)

    @functools.cached_property
    def catalog(self) -> CatalogService:
        """The local catalog: creators imported from files, loaded column-wise for ranking (``docs/analytics.md``)."""
        from .workflow._catalog import CatalogService

        return CatalogService(self)

    @functools.cached_property
    def matching(self) -> MatchingService:
        """A brief's creators from discovery and the local sources, ranked and explained (``docs/analytics.md``)."""
        from .matching import MatchingService

        return MatchingService(self)

    def metrics_queue(self) -> MetricsQueue:
        """The job queue the metrics sync runs on when the store is PostgreSQL (``creatorkit worker`` shares it).

        A SQLite store has none: its rounds run in the caller's process (:meth:`MetricsService.sync`).
        """
        from .errors import StoreError
        from .store._postgres import PostgresStore

        if not isinstance(self.store, PostgresStore):
            raise StoreError(
                f"the store {self.store.url} is not PostgreSQL: its metrics sync runs in-process, without workers"
            )
        try:
            from .workflow._metrics_jobs import MetricsQueue
        except ImportError as missing:  # procrastinate comes with the postgres extra
            raise StoreError(f"the metrics job queue needs pip install 'creatorkit[postgres]' ({missing})") from None
        return MetricsQueue(self, self.store._unmasked_url())

    # -- campaign reports ---------------------------------------------------------------------------------------

    @functools.cached_property
    def reports(self) -> ReportService:
        """Campaign reports: KPIs, attainment, cost per result, views, audience match (``docs/analytics.md``)."""
        from .reports import ReportService

        return ReportService(self)
