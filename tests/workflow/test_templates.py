"""User-written templates render within a budget: operations, size of text, nesting — from the call's settings.

Each refused template below finishes on an unbudgeted sandbox too (the sizes are kept small for that), so the
tests show the budget refusing it rather than the machine running out of time or memory.
"""

from __future__ import annotations

import threading
from typing import Any

import attrs
import pytest
from jinja2 import StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

from creatorkit.config import Config, WorkflowSettings
from creatorkit.entities import DealState
from creatorkit.errors import ConfigError, ValidationError
from creatorkit.workflow import TemplateLimits, check_template, render_template
from creatorkit.workflow._templates import MAX_CONSTRUCTS
from world import START, World

LIMITS = TemplateLimits.of(WorkflowSettings())  # the defaults
OPERATIONS = "workflow.template_max_operations"
SIZE = "workflow.template_max_output_chars"

#: Templates a brand could write to hold the service up, and the limit each one runs into.
OVER_BUDGET = {
    "nested loops": ("{% for i in range(1000) %}{% for j in range(1000) %}{% endfor %}{% endfor %}", OPERATIONS),
    "a loop writing text": ("{% for i in range(90000) %}{{ i }}{% endfor %}", OPERATIONS),
    "string multiplication": ("{{ 'x' * 300000 }}", SIZE),
    "list multiplication": ("{{ ['x' * 1000] * 1000 }}", SIZE),
    "doubling with ~": (
        "{% set ns = namespace(s='x') %}{% for i in range(20) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s }}",
        SIZE,
    ),
    "doubling with +": (
        "{% set ns = namespace(s='x') %}{% for i in range(20) %}{% set ns.s = ns.s + ns.s %}{% endfor %}{{ ns.s }}",
        SIZE,
    ),
    "join of shared references": ("{% set s = 'x' * 1000 %}{{ ([s] * 1000)|join }}", SIZE),
    "nested literals": (
        "{% set a = 'x' * 10000 %}{% set b = [a, a, a, a, a, a, a, a, a, a] %}{% set c = [b, b, b] %}{{ c|string }}",
        SIZE,
    ),
    "replace on a big input": ("{{ ('x' * 100000)|replace('x', 'yyyy') }}", SIZE),
    "replace of nothing": ("{{ ('x' * 100000)|replace('', 'yy') }}", SIZE),
    "center": ("{{ 'x'|center(300000) }}", SIZE),
    "indent": ("{{ ('a\n' * 1000)|indent(1000) }}", SIZE),
    "wordwrap": ("{{ ('x' * 10000)|wordwrap(1, wrapstring='----------------------') }}", SIZE),
    "format width": ("{{ '%300000d'|format(1) }}", SIZE),
    "percent with one field many times": ("{{ ('%(a)s' * 1000) % {'a': 'x' * 1000} }}", SIZE),
    "str.format width": ("{{ '{:>300000}'.format(1) }}", SIZE),
    "str.format fields": ("{{ ('{0}' * 1000).format('x' * 1000) }}", SIZE),
    "ljust": ("{{ 'x'.ljust(300000) }}", SIZE),
    "expandtabs": ("{{ ('a\t' * 1000).expandtabs(1000) }}", SIZE),
    "str.join": ("{{ ('x' * 1000).join(['a'] * 1000) }}", SIZE),
    "map into a join": ("{{ range(50000)|map('string')|map('center', 20)|join }}", OPERATIONS),
    "sorting again and again": (
        "{% set l = range(30000)|list %}{% for i in range(5) %}{{ l|sort|first }}{% endfor %}",
        OPERATIONS,
    ),
    "a macro writing in a loop": (
        "{% macro m() %}{% for i in range(100000) %}" + "x" * 1000 + "{% endfor %}{% endmacro %}{{ m()|length }}",
        OPERATIONS,
    ),
    "exponential recursion": (
        "{% macro f(n) %}x{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(15)|length }}",
        OPERATIONS,
    ),
    "comparing with a long text again and again": (
        "{% set s = 'x' * 100000 %}{% for i in range(2000) %}{% if 'zz' in s or s == 'y' %}{% endif %}{% endfor %}",
        OPERATIONS,
    ),
    "a test reading a long text again and again": (
        "{% set s = 'x' * 100000 %}{% for i in range(2000) %}{% if 'zz' is in s %}{% endif %}{% endfor %}",
        OPERATIONS,
    ),
    "a method reading a long text again and again": (
        "{% set s = 'x' * 100000 %}{% for i in range(2000) %}{{ s.count('y') }}{% endfor %}",
        OPERATIONS,
    ),
    "spreading a long list into calls": (
        "{% set l = [0] * 30000 %}{% macro m() %}{{ varargs|length }}{% endmacro %}"
        "{% for i in range(2000) %}{{ m(*l) }}{% endfor %}",
        OPERATIONS,
    ),
    "a large power": ("{{ (3 ** 1000000) % 7 }}", "4096 bits"),
    "a self-recursive macro": ("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}", "a macro calling itself"),
    "a recursive loop that never ends": ("{% for x in [[1]] recursive %}{{ loop([[1]]) }}{% endfor %}", "nests calls"),
}


@pytest.mark.parametrize("name", sorted(OVER_BUDGET))
def test_a_template_over_its_budget_is_refused_naming_its_field(name: str) -> None:
    text, limit = OVER_BUDGET[name]
    with pytest.raises(ValidationError) as refused:
        render_template(text, {}, field="template.body", limits=LIMITS)
    assert refused.value.paths == ["template.body"]
    assert limit in refused.value.problems[0].message


def test_tighter_limits_refuse_what_the_defaults_allow() -> None:
    text = "{% for i in range(50) %}{{ i }} {% endfor %}"
    assert render_template(text, {}, limits=LIMITS).startswith("0 1 2")
    with pytest.raises(ValidationError, match="more than 20 operations"):
        render_template(text, {}, limits=TemplateLimits(max_operations=20, max_output_chars=200_000))
    with pytest.raises(ValidationError, match="longer than 30 characters"):
        render_template(text, {}, limits=TemplateLimits(max_operations=20_000, max_output_chars=30))
    with pytest.raises(ValidationError, match="longer than 5 characters") as refused:
        render_template(
            "plain text, no fields", {}, field="subject", limits=TemplateLimits(max_operations=1, max_output_chars=5)
        )
    assert refused.value.paths == ["subject"]


def test_ways_around_the_sandbox_are_closed() -> None:
    with pytest.raises(ValidationError, match="unsafe"):  # lists cannot grow in place
        render_template("{% set l = [] %}{{ l.append(1) }}", {}, limits=LIMITS)
    with pytest.raises(ValidationError, match="lipsum"):
        render_template("{{ lipsum(1000, max=1000) }}", {}, limits=LIMITS)
    with pytest.raises(ValidationError, match="width from an argument"):
        render_template("{{ '%*d'|format(300000, 1) }}", {}, limits=LIMITS)
    with pytest.raises(ValidationError, match="width from an argument"):
        render_template("{{ '{:{}}'.format(1, 300000) }}", {}, limits=LIMITS)


_SELF_SHARING = "{% set ns = namespace(x=(1,), y=[1]) %}{% for i in range(26) %}{% set ns.x = (ns.x, ns.x) %}"


@pytest.mark.parametrize(
    "reader",
    [
        "{% endfor %}{% set d = {ns.x: 1} %}ok",  # a dict key is hashed whole
        "{% endfor %}{{ {ns.x: 1} }}",
        "{% set ns.y = [ns.y, ns.y] %}{% endfor %}{{ [0, ns.y].index(ns.x) }}",  # index compares with every item
        "{% endfor %}{% for i in range(2) %}{{ loop.changed(ns.x) }}{% endfor %}",
        "{% endfor %}{% with z = ns.x %}{{ z|length }}{% endwith %}",
    ],
    ids=["set-dict-key", "dict-key", "index", "loop-changed", "with"],
)
def test_a_value_built_from_shared_parts_is_refused_as_it_grows(reader: str) -> None:
    """(x, x) nested 26 deep is 2**26 items built in 26 steps: reading it whole in C (a hash, a comparison) took
    seconds within the operation budget. Weighed where it is kept and where a call is given it, it is refused."""
    with pytest.raises(ValidationError, match=r"operations|characters") as refused:
        render_template(_SELF_SHARING + reader, {}, field="body")
    assert refused.value.paths == ["body"]


def test_a_template_too_large_to_compile_quickly_is_refused_before_it_is_compiled(world: World) -> None:
    """Compiling costs about 0.1 ms per tag or expression, and a contract's template may be compiled inside
    its write transaction: a template with more than MAX_CONSTRUCTS of them is refused unread."""
    crowded = "{{ creator.display_name }} " * (MAX_CONSTRUCTS + 1)
    with pytest.raises(ValidationError, match="at most 2,000") as refused:
        world.kit.outreach.create_template(world.brand, name="crowded", body=crowded)
    assert refused.value.paths == ["body"]
    with pytest.raises(ValidationError, match="at most 2,000") as refused:
        render_template(crowded, {}, field="template.body", limits=LIMITS)
    assert refused.value.paths == ["template.body"]
    render_template("{{ x }}" * MAX_CONSTRUCTS, {"x": "y"}, limits=LIMITS)
    with pytest.raises(ValidationError, match="nests too deeply") as refused:
        check_template("{{ " + "(" * 2000 + "1" + ")" * 2000 + " }}", field="subject")
    assert refused.value.paths == ["subject"]


def test_checking_a_template_does_not_evaluate_it() -> None:
    """Jinja evaluates constant expressions while compiling; here they wait for a budgeted render."""
    text = "{{ 'x'|center(300000) }}"
    check_template(text)
    with pytest.raises(ValidationError, match="longer than 200,000"):
        render_template(text, {}, limits=LIMITS)


CONTEXT = {
    "creator": {"display_name": "Ana Costa", "handle": "ana"},
    "items": [{"name": "video", "n": 2}, {"name": "story", "n": 3}],
    "tree": [{"name": "a", "children": [{"name": "b", "children": []}]}],
    "price": 1234.5,
}
EVERYDAY = (
    "{% macro line(item) %}{{ item.name|title }} x{{ item.n }}{% endmacro %}{{ line(items[0]) }}: "
    "Hi {{ creator.display_name }} (@{{ creator.handle|upper }}),\n"
    "{% for item in items %}{{ loop.index }}. {{ item.name ~ ' x' ~ item.n }}{% if not loop.last %}; {% endif %}"
    "{% endfor %}\n"
    "{{ items|map(attribute='name')|join(', ') }} — {{ items|sum(attribute='n') }} pieces, "
    "{{ '%.2f'|format(price) }} USD, {{ '{:>8}'.format('right') }}, {{ 'Glow' * 2 }}, {{ 2 ** 10 }}, "
    "{{ 'draft text'|replace('draft', 'final')|center(14) }}|{{ 'a\tb'.expandtabs(4) }}|{{ 'x'.ljust(3) }}|\n"
    "{% for node in tree recursive %}{{ node.name }}{% if node.children %}({{ loop(node.children) }}){% endif %}"
    "{% endfor %} "
    "{% set note %}captured {{ creator.handle }}{% endset %}{{ note|wordwrap(5) }} {{ items|length }} "
    "{{ missing|default('fallback') }} {{ [3, 1, 2]|sort|join }} {{ range(3)|list }} {{ {'a': 1}|tojson }}"
)


def test_everyday_templates_render_as_an_unbudgeted_sandbox_renders_them() -> None:
    plain = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)
    expected = plain.from_string(EVERYDAY).render(**CONTEXT)
    assert render_template(EVERYDAY, CONTEXT, limits=LIMITS) == expected
    assert "1. video x2; 2. story x3" in expected and "a(b)" in expected


def test_each_render_has_its_own_budget() -> None:
    """Renders in other threads at the same time, with other limits, neither share nor disturb the budget."""
    text = "{% for i in range(2000) %}{{ i }}{% endfor %}"
    outcomes: dict[str, Any] = {}

    def render(name: str, limits: TemplateLimits) -> None:
        try:
            outcomes[name] = len(render_template(text, {}, limits=limits))
        except ValidationError as refused:
            outcomes[name] = refused.problems[0].message

    threads = [threading.Thread(target=render, args=(f"loose{i}", LIMITS)) for i in range(4)] + [
        threading.Thread(target=render, args=(f"tight{i}", TemplateLimits(max_operations=500, max_output_chars=10**6)))
        for i in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert {outcomes[f"loose{i}"] for i in range(4)} == {len("".join(map(str, range(2000))))}
    assert all("more than 500 operations" in outcomes[f"tight{i}"] for i in range(4))


# -- the services pass the call's settings, and store nothing when a template is refused ---------------------


def limited(world: World, **limits: Any) -> None:
    kit = world.kit
    kit.config = attrs.evolve(kit.config, workflow=attrs.evolve(kit.config.workflow, **limits))


def test_an_invitation_over_the_limits_is_refused_and_nothing_is_sent_or_stored(world: World) -> None:
    kit = world.kit
    body = "Hi {{ creator.display_name }}!{% for i in range(200) %} Join us.{% endfor %}"
    template = kit.outreach.create_template(world.brand, name="long", body=body, subject="{{ 'Hey ' * 30 }}")
    limited(world, template_max_output_chars=100)
    audited = len(list(kit.store.iter_audit()))
    with pytest.raises(ValidationError) as refused:
        kit.outreach.invite(
            world.brand, brief_id=world.brief.id, creator_id=world.creator.id, platform="echo", template_id=template.id
        )
    assert refused.value.paths == ["subject"]
    limited(world, template_max_output_chars=1000)
    with pytest.raises(ValidationError) as refused:
        kit.outreach.preview(world.brand, template.id, brief_id=world.brief.id, creator_id=world.creator.id)
    assert refused.value.paths == ["body"] and SIZE in refused.value.problems[0].message
    assert len(list(kit.store.iter_audit())) == audited
    assert kit.deals.board(world.brand) == []
    limited(world, template_max_output_chars=10_000)
    deal = kit.outreach.invite(
        world.brand, brief_id=world.brief.id, creator_id=world.creator.id, platform="echo", template_id=template.id
    )
    assert kit.outreach.invitation(world.brand, deal.id).body.count("Join us.") == 200


def test_a_contract_whose_template_is_over_budget_is_not_written(world: World) -> None:
    kit = world.kit
    deal = world.agree()
    body = "{% macro f() %}{{ f() }}{% endmacro %}Agreement with {{ creator.display_name }}: {{ f() }}"
    template = kit.contracts.create_template(world.brand, name="recursive", body=body)
    audited = len(list(kit.store.iter_audit()))
    with pytest.raises(ValidationError) as refused:
        kit.contracts.draft(world.brand, deal.id, template_id=template.id, draft_due=START.replace(day=22))
    assert refused.value.paths == ["template.body"]
    assert kit.contracts.versions(world.brand, deal.id) == []
    assert kit.deals.get(world.brand, deal.id).state is DealState.AGREED
    assert len(list(kit.store.iter_audit())) == audited


def test_the_operations_limit_of_a_contract_comes_from_the_settings(world: World) -> None:
    kit = world.kit
    deal = world.agree()
    body = "{% for i in range(300) %}Clause {{ i }}. {% endfor %}"
    template = kit.contracts.create_template(world.brand, name="many clauses", body=body)
    limited(world, template_max_operations=500)
    with pytest.raises(ValidationError, match="more than 500 operations"):
        kit.contracts.draft(world.brand, deal.id, template_id=template.id, draft_due=START.replace(day=22))
    assert kit.contracts.versions(world.brand, deal.id) == []
    limited(world, template_max_operations=WorkflowSettings().template_max_operations)
    contract = kit.contracts.draft(world.brand, deal.id, template_id=template.id, draft_due=START.replace(day=22))
    assert contract.text.count("Clause") == 300


@pytest.mark.parametrize("key", ["template_max_operations", "template_max_output_chars"])
def test_the_limits_are_read_from_the_config_file(key: str) -> None:
    assert getattr(Config.from_toml(f"[workflow]\n{key} = 1234\n").workflow, key) == 1234
    with pytest.raises(ConfigError) as refused:
        Config.from_toml(f"[workflow]\n{key} = 0\n")
    assert [problem.path for problem in refused.value.problems] == [f"workflow.{key}"]
