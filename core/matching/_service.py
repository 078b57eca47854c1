"""``kit.matching``: a brief, from discovery across the enabled platforms and the local sources, to a ranked list
of creators whose every score is explained by named components.

The steps, in order: read the brief as the acting party (a brief's matching is its brand's); refuse a brief
whose filters contradict each other; send its filters to each enabled platform as one discovery query, page
after page, with the platform's own filter report applied locally; add the records of the local sources
(``kit.matching.sources``), to which every brief filter applies; link one person's accounts; fill in past
results with the brand; score each account with the configured ranking plugin; rank each creator by their best
account. Whatever the brief asked that could not be answered is a warning of the result, never an empty list
without one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

import attrs

from .._call_context import CallContext
from .._change import View
from .._service import Service, aware_datetime
from ..analytics import BrandSafetyCheck, CatalogRecord, Scorer, plan_budget, rejections
from ..analytics._scoring import price_cap
from ..entities import (
    Actor,
    BudgetPlan,
    CampaignBrief,
    CreatorCandidate,
    CreatorProfile,
    DiscoveryQuery,
    Match,
    PartyKind,
)
from ..errors import CreatorkitError, NotFound, PermissionDenied, Problem, ValidationError
from ..money import Money
from ..workflow._content_rules import compiled_rules
from ._discovering import Discovered, discover_pages
from ._linking import Found, Person, link
from ._planning import PlanInputs, plan_inputs
from ._query import brief_query, check_match_brief
from ._ranking import DefaultScorer, load_scorer
from ._records import account_of, candidate_record, unknown_figures
from ._results import CreatorMatch, MatchResult
from ._store_reads import CatalogSource, PastDealsSource, brand_results, registered_creators

if TYPE_CHECKING:
    from .._kit import Creatorkit

__all__ = ["MatchSource", "MatchingService"]


class MatchSource(Protocol):
    """A local source of creators for a brief: the workspace's own catalog, an import, a roster."""

    name: str

    def records(self, brief: CampaignBrief) -> Iterable[CatalogRecord]: ...


@attrs.define
class _Gathered:
    found: list[Found] = attrs.field(factory=list)
    excluded: Counter[str] = attrs.field(factory=Counter)
    warnings: list[str] = attrs.field(factory=list)
    #: The record each scored account was scored from, by (creator id, platform).
    scored: dict[tuple[str, str], CatalogRecord] = attrs.field(factory=dict)


class MatchingService(Service):
    def __init__(self, kit: Creatorkit) -> None:
        super().__init__(kit)
        #: The local sources every match reads besides discovery; append the workspace's own catalogs.
        self.sources: list[MatchSource] = [PastDealsSource(kit), CatalogSource(kit)]

    def match(self, actor: Actor, brief_id: str, *, top: int = 50, as_of: datetime | None = None) -> MatchResult:
        """The ``top`` creators for the brief, best first, each with its explained score (see the module).

        :raises ValidationError: a ``top`` below 1, or a brief whose filters contradict each other.
        :raises PermissionDenied: for anyone but the brief's brand (and the system).
        :raises ConfigError: an unknown ranking plugin or a bad weight in ``[analytics]``.
        """
        return self._match_with_records(actor, brief_id, top=top, as_of=as_of)[0]

    def _match_with_records(
        self, actor: Actor, brief_id: str, *, top: int = 50, as_of: datetime | None = None
    ) -> tuple[MatchResult, dict[tuple[str, str], CatalogRecord]]:
        """:meth:`match`, and the record each ranked account was scored from, by (creator id, platform): what
        the budget planner (:mod:`creatorkit.matching` ``plan``) prices and predicts from."""
        if type(top) is not int or top < 1:
            raise ValidationError([Problem("top", f"must be a whole number of at least 1, got {top!r}")], "match")
        moment = self._now() if as_of is None else aware_datetime(as_of, "as_of", "match")
        brief = self._kit.briefs.get(actor, brief_id)
        self._read(actor, lambda view: _brand_side(actor, brief), "match_brief")
        check_match_brief(brief)
        settings = self._kit.config.analytics
        scorer = load_scorer(settings, safety=self._safety(brief))
        query, asked = brief_query(brief, settings)
        discovered = self._discover(actor, brief, query)
        gathered = _Gathered(warnings=[*asked, *discovered.warnings])
        for platform, candidates in discovered.candidates.items():
            for check in discovered.platforms[platform].checks:
                gathered.excluded[check.filter] += len(check.removed)
            _add_discovered(brief, platform, candidates, gathered)
        for source in self.sources:
            _add_local(brief, source, gathered)
        registered, results = self._read(actor, lambda view: _store_facts(view, brief))
        people = link(gathered.found, registered)
        considered = len(gathered.found) + sum(gathered.excluded.values())
        ranked = _rank(brief, people, gathered, scorer, results, moment)
        gathered.warnings.extend(_unanswered(brief, gathered.found, discovered))
        if not ranked:
            gathered.warnings.append(_why_empty(gathered))
        result = MatchResult(
            brief_id=brief.id,
            as_of=moment,
            ranking=settings.ranking,
            matches=tuple(attrs.evolve(match, rank=place) for place, match in enumerate(ranked[:top], start=1)),
            considered=considered,
            scored=sum(len(match.accounts) for match in ranked),
            excluded={reason: count for reason, count in gathered.excluded.items() if count},
            platforms=discovered.platforms,
            skipped=discovered.skipped,
            warnings=tuple(dict.fromkeys(gathered.warnings)),
        )
        kept = {(m.creator_id, account.platform) for m in result.matches for account in m.accounts}
        return result, {key: record for key, record in gathered.scored.items() if key in kept}

    def plan_inputs(
        self,
        actor: Actor,
        brief_id: str,
        *,
        population: int,
        currency: str | None = None,
        top: int = 40,
        as_of: datetime | None = None,
    ) -> PlanInputs:
        """The budget planner's candidates for the brief: its ``top`` matches, each with a price in ``currency``
        (default: the brief's budget's) and a predicted reach in the brief's target group of ``population``
        people (see :mod:`creatorkit.matching._planning`); the matches that have neither are ``left_out``.

        :raises ValidationError: a ``population`` below 1 or below a candidate's reach, and what :meth:`match`
            refuses.
        """
        matched, records = self._match_with_records(actor, brief_id, top=top, as_of=as_of)
        brief = self._kit.briefs.get(actor, brief_id)
        wanted = brief.budget.total.currency if currency is None else currency

        def work(view: View) -> PlanInputs:
            return plan_inputs(view, brief, matched, records, population=population, currency=wanted)

        inputs = self._read(actor, work)
        return attrs.evolve(inputs, warnings=(*matched.warnings, *inputs.warnings))

    def plan(
        self,
        actor: Actor,
        brief_id: str,
        *,
        population: int,
        budget: Money | None = None,
        top: int = 40,
        independence_bp: int = 10_000,
        as_of: datetime | None = None,
    ) -> tuple[BudgetPlan, PlanInputs]:
        """The budget plan for the brief from its matches (:meth:`plan_inputs`): the creators with the most
        unique target reach that ``budget`` (default: the brief's; fees included, by ``[money.fees]``) buys,
        beside one top creator, several mid-tier and many micro; and the inputs it was planned from.

        :raises ValidationError: no match can be planned (each one's reason named), and what
            :func:`~creatorkit.analytics.plan_budget` and :meth:`plan_inputs` refuse.
        """
        brief = self._kit.briefs.get(actor, brief_id)
        money = brief.budget.total if budget is None else budget
        inputs = self.plan_inputs(actor, brief_id, population=population, currency=money.currency, top=top, as_of=as_of)
        if not inputs.candidates:
            reasons = "; ".join(f"{creator}: {why}" for creator, why in inputs.left_out.items()) or "no match"
            raise ValidationError([Problem("candidates", f"no matched creator can be planned ({reasons})")], "plan")
        result = plan_budget(
            inputs.candidates,
            [inputs.segment],
            money,
            fees=self._kit.payments.fee_policy,
            brand_id=brief.brand_id,
            independence_bp=independence_bp,
            per_creator_max=brief.budget.per_creator_max,
        )
        return attrs.evolve(result, warnings=(*result.warnings, *inputs.warnings)), inputs

    def _discover(self, actor: Actor, brief: CampaignBrief, query: DiscoveryQuery) -> Discovered:
        plugins, wanted = self._kit.plugins, brief.requirements.platforms
        enabled = plugins.platforms()
        chosen = [name for name in enabled if not wanted or name in wanted]
        warnings = [f"the brief asks for {name}, which is not enabled" for name in wanted if name not in enabled]

        def context_of(platform: str) -> CallContext:
            try:
                return self._kit.connections.context(actor, platform=platform)
            except NotFound:  # no connection on that platform: its discovery as the workspace, without one
                pass
            except CreatorkitError as exc:
                warnings.append(f"{platform}: the workspace's connection cannot be used ({exc}); asked without it")
            return CallContext(workspace_id=actor.id, clock=self._kit.clock)

        pages = self._kit.config.analytics.discovery_pages
        found = discover_pages(plugins, query, chosen, context_of=context_of, max_pages=pages)
        if not found.platforms:
            why = "; ".join(f"{name}: {reason}" for name, reason in found.skipped.items()) or "no platform is enabled"
            warnings.append(f"no enabled platform offers discovery ({why}): only the local sources were ranked")
        return attrs.evolve(found, warnings=(*warnings, *found.warnings))

    def _safety(self, brief: CampaignBrief) -> BrandSafetyCheck | None:
        if not brief.content_rules.banned_words:
            return None
        rules = compiled_rules(brief.content_rules, tuple(self._flow.disclosure_tags))

        def banned_words_in(captions: Sequence[str]) -> list[str]:
            found = []
            for caption in captions:
                for result in rules.check(caption=caption):
                    if result.rule.startswith("banned_word:") and not result.passed:
                        found.append(result.rule.removeprefix("banned_word:"))
            return found

        return banned_words_in


def _brand_side(actor: Actor, brief: CampaignBrief) -> None:
    if actor.kind is not PartyKind.SYSTEM and actor.id != brief.brand_id:
        raise PermissionDenied(str(actor), "match_brief", "matching a brief is its brand's", f"brief {brief.id}")


def _store_facts(view: View, brief: CampaignBrief) -> tuple[list[CreatorProfile], dict[str, float]]:
    return registered_creators(view), brand_results(view, brief.brand_id)


def _add_discovered(
    brief: CampaignBrief, platform: str, candidates: Iterable[CreatorCandidate], into: _Gathered
) -> None:
    """The kept candidates of one platform; the brief filters no discovery filter carries are applied here."""
    for candidate in candidates:
        record = candidate_record(brief, candidate, candidate.profile.id)
        if record is None:
            into.excluded["followers_unknown"] += 1
            continue
        if "availability" in rejections(brief, record):
            into.excluded["availability"] += 1
            continue
        found = Found(record=record, source=platform, account=account_of(candidate), profile=candidate.profile)
        into.found.append(found)


def _add_local(brief: CampaignBrief, source: MatchSource, into: _Gathered) -> None:
    """A local source's records, each held to every filter of the brief (no platform applied any)."""
    name = getattr(source, "name", type(source).__name__)
    try:
        records = list(source.records(brief))
    except CreatorkitError as exc:
        into.warnings.append(f"local source {name} failed ({type(exc).__name__}: {exc}); the others are ranked")
        return
    for record in records:
        failed = rejections(brief, record)
        if failed:
            into.excluded[failed[0]] += 1
            continue
        into.found.append(Found(record=record, source=name, local=True))


def _rank(
    brief: CampaignBrief,
    people: Sequence[Person],
    gathered: _Gathered,
    scorer: Scorer,
    results: dict[str, float],
    moment: datetime,
) -> list[CreatorMatch]:
    """Each person's accounts scored (each account once, discovery before local), best person first."""
    ranked = []
    for person in people:
        matches: list[Match] = []
        for record in _accounts(person, gathered):
            if person.creator_id in results:
                record = attrs.evolve(record, brand_results={brief.brand_id: results[person.creator_id]})
            match = scorer.score(brief, record, as_of=moment)
            if isinstance(scorer, DefaultScorer):
                match = unknown_figures(record, match)
            vetoes = [component.name for component in match.components if component.veto]
            if vetoes:
                gathered.excluded[vetoes[0]] += 1
                continue
            matches.append(match)
            gathered.scored[(person.creator_id, record.platform)] = record
        if matches:
            matches.sort(key=lambda m: -m.score)
            ranked.append(
                CreatorMatch(
                    rank=0,
                    creator_id=person.creator_id,
                    display_name=person.display_name,
                    accounts=tuple(matches),
                    linked_by=person.reasons,
                )
            )
    ranked.sort(key=lambda m: (-m.score, m.creator_id))
    return ranked


def _accounts(person: Person, gathered: _Gathered) -> list[CatalogRecord]:
    """The person's records as ``person.creator_id``: an account found twice, or a local record of a platform
    discovery already answered for the person, counts once (the discovered figures are the fresher)."""
    members = sorted(person.members, key=lambda index: (gathered.found[index].local, index))
    seen: set[tuple[str, str]] = set()
    discovered_on: set[str] = set()
    records = []
    for index in members:
        item = gathered.found[index]
        platform = item.record.platform
        key = (platform, item.account.account_id if item.account else f"local:{item.record.creator_id}")
        if key in seen or (item.local and platform in discovered_on):
            gathered.excluded["duplicate"] += 1
            continue
        seen.add(key)
        if not item.local:
            discovered_on.add(platform)
        records.append(attrs.evolve(item.record, creator_id=person.creator_id))
    return records


def _unanswered(brief: CampaignBrief, found: Sequence[Found], discovered: Discovered) -> list[str]:
    """What the brief asked that the accounts found cannot answer: a price in another currency than the
    budget, an audience target no account has figures for."""
    warnings = []
    currency = price_cap(brief).currency
    others = Counter(
        f.record.price.currency for f in found if f.record.price is not None and f.record.price.currency != currency
    )
    if others:
        listed = ", ".join(f"{count} in {code}" for code, count in sorted(others.items()))
        warnings.append(
            f"the budget is in {currency} but {listed} are priced otherwise: their price is not scored "
            "(no exchange rate is guessed)"
        )
    for target in brief.target_audience:
        if found and not any(f.record.audience.get(target.dimension) for f in found):
            asked = ", ".join(sorted(discovered.platforms)) or "no platform"
            warnings.append(
                f"no account found has {target.dimension} audience figures (asked: {asked}): "
                f"the {target.dimension} target is not scored for anyone"
            )
    return warnings


def _why_empty(gathered: _Gathered) -> str:
    if not gathered.excluded:
        return "no creator was found for this brief: no platform or local source returned any"
    reasons = ", ".join(f"{name} {count}" for name, count in gathered.excluded.most_common())
    return f"no creator fits the brief: every account found was turned away ({reasons})"
