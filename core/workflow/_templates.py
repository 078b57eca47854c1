"""Templates users write — outreach messages, contract bodies — rendered with Jinja2 in a sandbox.

A template is the other side's input: it cannot reach object internals (the sandbox), a field that is
missing or empty is an error naming it, so an invitation never goes out with a blank where a name should be,
and it renders within a budget of operations and of text (:mod:`._template_budget`, limits from the call's
``[workflow]`` settings): a template that loops forever, builds a huge text or calls itself is refused with a
``ValidationError`` naming its field, before anything is stored.
"""

from __future__ import annotations

import functools
from typing import Any

from ..config import WorkflowSettings
from ..errors import Problem, ValidationError
from ._template_budget import BudgetedEnvironment, BudgetExceeded, TemplateLimits, rendering

__all__ = ["MAX_CONSTRUCTS", "TemplateLimits", "check_template", "render_template"]

_DEFAULT_LIMITS = TemplateLimits.of(WorkflowSettings())
#: Tags and expressions one template may hold: far more than a message or a contract needs.
MAX_CONSTRUCTS = 2_000


@functools.cache
def _environment() -> BudgetedEnvironment:
    from jinja2 import StrictUndefined

    def no_blanks(value: Any) -> Any:
        if value is None or (isinstance(value, str) and not value.strip()):
            raise _BlankField()
        return value

    return BudgetedEnvironment(undefined=StrictUndefined, finalize=no_blanks, autoescape=False)


@functools.lru_cache(maxsize=1024)
def _compiled(text: str) -> Any:
    """Compiling a template costs far more than rendering it; the same texts are rendered again and again."""
    environment = _environment()
    template = environment.from_string(environment.instrumented(text))
    # Jinja keeps a template's globals as a ChainMap over the environment's and copies it key by key on every
    # render, which cost more than rendering a short template. Our environment's globals never change after
    # it is built, so one plain dict says the same.
    template.globals = dict(template.globals)
    return template


class _BlankField(Exception):
    pass


def check_template(text: str, *, field: str = "body", what: str = "template") -> None:
    """Refuse a template that does not parse, naming the field and line; fields are checked when it is rendered."""
    if not isinstance(text, str):
        raise ValidationError([Problem(field, "must be text")], what)
    _compiled_or_refused(text, field, what)


def _compiled_or_refused(text: str, field: str, what: str) -> Any:
    """The compiled template, or ValidationError naming the field: a syntax error, nesting Python cannot
    parse, or more tags and expressions than :data:`MAX_CONSTRUCTS` (compiling costs about 0.1 ms each, and a
    contract's template is compiled inside its write transaction when this process has not compiled it yet)."""
    from jinja2 import TemplateSyntaxError

    constructs = text.count("{{") + text.count("{%")
    if constructs > MAX_CONSTRUCTS:
        message = f"has {constructs:,} tags and expressions; a template may have at most {MAX_CONSTRUCTS:,}"
        raise ValidationError([Problem(field, message)], what)
    try:
        return _compiled(text)
    except TemplateSyntaxError as exc:
        raise ValidationError([Problem(f"{field}:line {exc.lineno}", exc.message or "syntax error")], what) from None
    except RecursionError:
        raise ValidationError([Problem(field, "the template nests too deeply to be read")], what) from None


def render_template(
    text: str, context: dict[str, Any], *, field: str = "body", limits: TemplateLimits = _DEFAULT_LIMITS
) -> str:
    """Render ``text`` with ``context`` within ``limits`` (services pass ``TemplateLimits.of(their settings)``).

    A missing or empty field, a template error, or a render over its budget raises ValidationError naming
    ``field``.
    """
    if len(text) > limits.max_output_chars:
        message = f"is longer than {limits.max_output_chars:,} characters (workflow.template_max_output_chars)"
        raise ValidationError([Problem(field, message)], "template")
    if "{" not in text and "\r" not in text and not text.endswith("\n"):
        return text  # no template syntax, nothing for Jinja to normalise: an empty subject, a plain note
    from jinja2 import TemplateError, UndefinedError
    from jinja2.exceptions import SecurityError

    template = _compiled_or_refused(text, field, "template")
    try:
        return _render(template, context, limits)
    except BudgetExceeded as exc:
        raise ValidationError([Problem(field, str(exc))], "template") from None
    except RecursionError:
        message = "the template calls itself too deeply (a macro that calls itself?)"
        raise ValidationError([Problem(field, message)], "template") from None
    except UndefinedError as exc:
        raise ValidationError([Problem(field, f"template field is missing: {exc.message}")], "template") from None
    except _BlankField:
        blank = _first_blank(text, context)
        raise ValidationError(
            [Problem(field, f"template field {blank} is empty for this creator")], "template"
        ) from None
    except SecurityError as exc:
        raise ValidationError([Problem(field, f"template is not allowed to do that: {exc}")], "template") from None
    except (TemplateError, ArithmeticError, TypeError, ValueError, LookupError, AttributeError) as exc:
        # A template is user input: whatever its expressions do wrong is a problem with the template.
        raise ValidationError([Problem(field, f"template failed: {type(exc).__name__}: {exc}")], "template") from None


def _render(template: Any, context: dict[str, Any], limits: TemplateLimits) -> str:
    """Generate the text piece by piece, so that output over the limit stops the render where it crosses it."""
    parts = []
    with rendering(limits) as output:
        for chunk in template.generate(**context):
            output(chunk)
            parts.append(chunk)
    return "".join(parts)


def _first_blank(text: str, context: dict[str, Any]) -> str:
    """Name the first ``{{ a.b }}`` expression that renders empty, for the error message."""
    import re

    for expression in re.findall(r"\{\{\s*([\w.]+)\s*\}\}", text):
        value: Any = context
        for part in expression.split("."):
            value = value.get(part) if isinstance(value, dict) else getattr(value, part, None)
        if value is None or (isinstance(value, str) and not value.strip()):
            return str(expression)
    return "(an expression)"
