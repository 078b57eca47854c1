"""Templates users write — outreach messages, contract bodies — rendered with Jinja2 in a sandbox.

A template is the other side's input: it cannot reach object internals (the sandbox), and a field that is
missing or empty is an error naming it, so an invitation never goes out with a blank where a name should be.
"""

from __future__ import annotations

import functools
from typing import Any

from ..errors import Problem, ValidationError

__all__ = ["check_template", "render_template"]


@functools.cache
def _environment() -> Any:
    from jinja2 import StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    def no_blanks(value: Any) -> Any:
        if value is None or (isinstance(value, str) and not value.strip()):
            raise _BlankField()
        return value

    return SandboxedEnvironment(undefined=StrictUndefined, finalize=no_blanks, autoescape=False)


@functools.lru_cache(maxsize=1024)
def _compiled(text: str) -> Any:
    """Compiling a template costs far more than rendering it; the same texts are rendered again and again."""
    template = _environment().from_string(text)
    # Jinja keeps a template's globals as a ChainMap over the environment's and copies it key by key on every
    # render, which cost more than rendering a short template. Our environment's globals never change after
    # it is built, so one plain dict says the same.
    template.globals = dict(template.globals)
    return template


class _BlankField(Exception):
    pass


def check_template(text: str, *, field: str = "body", what: str = "template") -> None:
    """Refuse a template that does not parse, naming the field and line; fields are checked when it is rendered."""
    from jinja2 import TemplateSyntaxError

    if not isinstance(text, str):
        raise ValidationError([Problem(field, "must be text")], what)
    try:
        _compiled(text)
    except TemplateSyntaxError as exc:
        raise ValidationError([Problem(f"{field}:line {exc.lineno}", exc.message or "syntax error")], what) from None


def render_template(text: str, context: dict[str, Any], *, field: str = "body") -> str:
    """Render ``text`` with ``context``; a missing or empty field raises ValidationError naming it."""
    if "{" not in text and "\r" not in text and not text.endswith("\n"):
        return text  # no template syntax, nothing for Jinja to normalise: an empty subject, a plain note
    from jinja2 import TemplateError, TemplateSyntaxError, UndefinedError
    from jinja2.exceptions import SecurityError

    try:
        template = _compiled(text)
    except TemplateSyntaxError as exc:
        raise ValidationError(
            [Problem(f"{field}:line {exc.lineno}", exc.message or "syntax error")], "template"
        ) from None
    try:
        return str(template.render(**context))
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
