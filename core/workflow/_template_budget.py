"""The budget a user-written template renders within: a number of operations and a size of text.

A template is the other side's input, and Jinja's sandbox only keeps it away from object internals: two nested
``range(100000)`` loops, ``'x' * 200000000`` or a macro that calls itself are all allowed. Here every step a
template can take is counted against :class:`TemplateLimits`, and no value it builds may be larger than the
text it may produce:

- **operations** — each loop iteration, filter, test, operator, attribute or item lookup and output
  expression is one, a call (function, method, macro) five; handling a value costs one more, and one per item
  it holds and per 100 characters of its text (a filter that sorts 5,000 items is over 10,000 operations, not
  one; the filters that go through a text word by word in Python cost one per character). Each costs about a
  microsecond or two, so 20,000 (the default) is at most a few tens of milliseconds. Counting steps rather
  than seconds makes the outcome the same on a loaded machine as on an idle one, and repeatable in tests.
- **size** — what a template produces, and every value it builds on the way, is at most ``max_output_chars``.
  Operations whose result can be far larger than their inputs are checked *before* they run: ``*`` on text or
  lists, ``**``, ``%`` and ``format`` (widths, fields), ``~``, and the filters and ``str`` methods with a count
  or a width (``center``, ``indent``, ``wordwrap``, ``replace``, ``join``, ``batch``, ``slice``, ``tojson``,
  ``urlize``, ``ljust``, ``zfill``, ``expandtabs``, ``translate`` …). ``lipsum`` is not offered, and the
  environment is immutable (``list.append`` and friends are refused), so nothing grows in place.
- **nesting** — calls inside calls go at most :data:`MAX_NESTING` deep: a macro that calls itself is refused
  with a clear message instead of a ``RecursionError``.

How: the hooks Jinja's :class:`~jinja2.sandbox.SandboxedEnvironment` offers (``call``, ``getattr``,
``getitem``, ``call_binop`` with every operator intercepted, ``finalize``), the filters and tests wrapped, and
the constructs that have no hook rewritten in the parsed template before it is compiled (a public path:
``Environment.parse``, :class:`~jinja2.visitor.NodeTransformer`, ``from_string(tree)``): every ``for`` loop
iterates through :meth:`BudgetedEnvironment.budget_loop`, every ``~`` goes through
:meth:`BudgetedEnvironment.budget_concat`, and each operand of a comparison through
:meth:`BudgetedEnvironment.budget_operand`. The environment and compiled templates are shared by every thread,
so the budget of the render in progress is found through a :class:`~contextvars.ContextVar`; the limits
themselves are an argument of each render (from the call's ``[workflow]`` settings). Outside a render every
hook refuses to work, which also stops Jinja from evaluating constant expressions while it compiles.
"""

from __future__ import annotations

import contextlib
import functools
import re
import string
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from contextvars import ContextVar
from types import ModuleType
from typing import TYPE_CHECKING, Any

import attrs
from jinja2 import nodes
from jinja2.runtime import Context, LoopContext, Undefined
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.visitor import NodeTransformer

if TYPE_CHECKING:
    from ..config import WorkflowSettings

__all__ = ["CALL_OPERATIONS", "MAX_NESTING", "BudgetExceeded", "BudgetedEnvironment", "TemplateLimits", "rendering"]

#: How deep calls may nest (a macro calling a macro ...); far above what a message or a contract needs.
MAX_NESTING = 40
#: Characters of text that cost one operation to handle (about the time one template step takes).
CHARS_PER_OPERATION = 100
#: What a call costs: going through the sandbox and Jinja's context to a macro or a method takes about as long
#: as five other steps.
CALL_OPERATIONS = 5
#: The largest whole number a template may compute (``10 ** 300`` fits; ``2 ** 5000`` does not).
MAX_INT_BITS = 4096


@attrs.frozen(kw_only=True)
class TemplateLimits:
    """What one render may spend: ``[workflow]``'s ``template_max_*`` (:meth:`of` takes them from settings)."""

    max_operations: int
    max_output_chars: int

    @classmethod
    def of(cls, settings: WorkflowSettings) -> TemplateLimits:
        return cls(max_operations=settings.template_max_operations, max_output_chars=settings.template_max_output_chars)


class BudgetExceeded(Exception):
    """A render went over its limits; the message says which, in words meant for the template's author."""


class _NotRendering(Exception):
    """A hook ran outside a render: Jinja trying a constant expression at compile time (it then waits)."""


class _Budget:
    """The render in progress: operations spent, how deep calls are nested."""

    __slots__ = ("depth", "limits", "operations")

    def __init__(self, limits: TemplateLimits) -> None:
        self.limits = limits
        self.operations = 0
        self.depth = 0

    def spend(self, operations: int = 1) -> None:
        self.operations += operations
        if self.operations > self.limits.max_operations:
            raise BudgetExceeded(
                f"the template takes more than {self.limits.max_operations:,} operations to render "
                "(workflow.template_max_operations); it loops or calls too much"
            )

    def allow(self, size: int, what: str = "text") -> None:
        """Refuse ``size`` characters (or items) of ``what`` before they are made, if they are too many."""
        if size > self.limits.max_output_chars:
            raise BudgetExceeded(
                f"the template builds {what} longer than {self.limits.max_output_chars:,} characters "
                "(workflow.template_max_output_chars)"
            )

    def take(self, value: Any) -> int:
        """Charge for handling ``value`` (one operation, and one per item and per 100 characters it holds) and
        refuse it when it is too large; its size."""
        items, chars = _weigh(value, self.limits.max_output_chars)
        self.allow(items + chars)
        self.spend(1 + items + chars // CHARS_PER_OPERATION)
        return items + chars

    def taken(self, result: Any) -> Any:
        """What an operation returned, charged; an iterator comes back counting each item it yields."""
        if isinstance(result, Iterator):
            return self.counted(result, 1)
        if isinstance(result, int) and result.bit_length() > MAX_INT_BITS:
            raise BudgetExceeded(f"the template computes a number larger than {MAX_INT_BITS} bits")
        self.take(result)
        return result

    def counted(self, iterable: Iterable[Any], cost: int) -> Iterator[Any]:
        for item in iterable:
            self.spend(cost)
            yield item


_RENDERING: ContextVar[_Budget | None] = ContextVar("creatorkit_template_budget", default=None)


def _active() -> _Budget:
    budget = _RENDERING.get()
    if budget is None:
        raise _NotRendering()
    return budget


@contextlib.contextmanager
def rendering(limits: TemplateLimits) -> Iterator[Callable[[str], None]]:
    """Render within ``limits`` while the block runs; yields the function that counts top-level output."""
    budget = _Budget(limits)
    written = 0

    def output(chunk: str) -> None:
        nonlocal written
        written += len(chunk)
        budget.allow(written)

    token = _RENDERING.set(budget)
    try:
        yield output
    finally:
        _RENDERING.reset(token)


def _weigh(value: Any, limit: int) -> tuple[int, int]:
    """(items, characters) in ``value`` and everything it holds, counted only up to just past ``limit``.

    Text counts its characters; a whole number its digits; a collection (and an attrs entity) one item per
    element plus what the elements hold; anything else one character. Shared references count every time,
    since that is what writing the value out costs (``[s] * 1000`` is a thousand times ``s``).
    """
    items = chars = 0
    pending = [value]
    while pending and items + chars <= limit:
        current = pending.pop()
        if isinstance(current, str | bytes):
            chars += len(current)
        elif isinstance(current, bool | Undefined) or current is None:
            chars += 1  # before the collections: an undefined value pretends to be one, and raises when used
        elif isinstance(current, int):
            chars += current.bit_length() // 3 + 1
        elif isinstance(current, range):
            items += len(current)
        elif isinstance(current, Mapping):
            items += len(current)
            if items + chars <= limit:
                pending.extend(current.keys())
                pending.extend(current.values())
        elif isinstance(current, Collection):  # lists, tuples, sets, dict views
            items += len(current)
            if items + chars <= limit:
                pending.extend(current)
        elif attrs.has(type(current)):
            fields = attrs.fields(type(current))
            items += len(fields)
            pending.extend(getattr(current, field.name) for field in fields)
        elif type(current).__name__ == "Namespace":
            # jinja's namespace() shows its attributes when written out; they are kept in a private dict.
            pending.append(object.__getattribute__(current, "_Namespace__attrs"))
        else:
            chars += 1
    return items, chars


# -- operators -----------------------------------------------------------------------------------------------

_PERCENT_DIRECTIVE = re.compile(r"%(?:\([^)]*\))?[#0\- +]*(\*|\d+)?(?:\.(\*|\d+))?[hlL]?([a-zA-Z%])")
_FORMAT_SPEC = re.compile(r"(?:.?[<>=^])?[-+ ]?z?#?0?(\d*)[,_]?(?:\.(\d+))?")


def _check_percent(budget: _Budget, template: str | bytes, values: Any) -> None:
    """``template % values`` (and the ``format`` filter): each directive's width, and what it writes out."""
    text = template.decode("latin-1") if isinstance(template, bytes) else template
    directives = [d for d in _PERCENT_DIRECTIVE.finditer(text) if d.group(3) != "%"]
    if any("*" in (d.group(1) or "", d.group(2) or "") for d in directives):
        raise BudgetExceeded("the template takes a width from an argument ('%*d'); write the width out")
    widest = max((int(d.group(n) or 0) for d in directives for n in (1, 2)), default=0)
    budget.allow(widest)
    largest = budget.take(values)
    budget.allow(len(text) + len(directives) * (widest + largest))


def _check_str_format(budget: _Budget, template: str, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> None:
    """``template.format(...)``: each field's width, and each field writing out the largest argument."""
    fields = [spec for _, name, spec, _ in string.Formatter().parse(template) if name is not None]
    if any("{" in (spec or "") for spec in fields):
        raise BudgetExceeded("the template takes a format width from an argument ('{:{}}'); write the width out")
    budget.spend(len(fields))  # each field is formatted in Python
    widest = 0
    for spec in fields:
        found = _FORMAT_SPEC.match(spec or "")
        if found:
            widest = max(widest, int(found.group(1) or 0), int(found.group(2) or 0))
    budget.allow(widest)
    largest = max((budget.take(value) for value in (*args, *kwargs.values())), default=0)
    budget.allow(len(template) + len(fields) * (widest + largest))


def _check_binop(budget: _Budget, operator: str, left: Any, right: Any) -> None:
    if operator == "*":
        for sequence, count in ((left, right), (right, left)):
            if isinstance(sequence, str | bytes | list | tuple) and isinstance(count, int):
                budget.allow(count * budget.take(sequence))
    elif operator == "**" and isinstance(left, int) and isinstance(right, int) and right > 0:
        if right * max(left.bit_length(), 1) > MAX_INT_BITS and abs(left) > 1:
            raise BudgetExceeded(f"the template computes a number larger than {MAX_INT_BITS} bits")
    elif operator == "%" and isinstance(left, str | bytes):
        _check_percent(budget, left, right)


# -- filters and str methods whose result can outgrow their input --------------------------------------------

Check = Callable[[_Budget, tuple[Any, ...], dict[str, Any]], None]


def _argument(args: tuple[Any, ...], kwargs: dict[str, Any], index: int, name: str, default: Any = None) -> Any:
    if len(args) > index:
        return args[index]
    return kwargs.get(name, default)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else str(value)  # its size was checked before (take)


def _check_width(position: int, name: str) -> Check:
    def check(budget: _Budget, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        width = _argument(args, kwargs, position, name, 0)
        if isinstance(width, int):
            budget.allow(width)

    return check


def _check_replace(budget: _Budget, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    text, old, new = (_argument(args, kwargs, i, name, "") for i, name in enumerate(("s", "old", "new")))
    haystack: Any = text if isinstance(text, bytes) else _text(text)
    needle: Any = old if isinstance(text, bytes) else _text(old)
    grow = len(new if isinstance(text, bytes) else _text(new)) - len(needle)
    count = _argument(args, kwargs, 3, "count")
    found = haystack.count(needle) if needle else len(haystack) + 1
    if isinstance(count, int) and count >= 0:
        found = min(found, count)
    budget.allow(len(haystack) + found * max(grow, 0))


def _check_indent(budget: _Budget, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    text, width = _text(_argument(args, kwargs, 0, "s", "")), _argument(args, kwargs, 1, "width", 4)
    step = width if isinstance(width, int) else len(_text(width))
    budget.allow(len(text) + (text.count("\n") + 1) * step)


def _check_wordwrap(budget: _Budget, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    text, width = _text(_argument(args, kwargs, 0, "s", "")), _argument(args, kwargs, 1, "width", 79)
    wrap = _text(_argument(args, kwargs, 3, "wrapstring") or "\n")
    lines = len(text) // max(width if isinstance(width, int) else 1, 1) + text.count("\n") + 1
    budget.allow(len(text) + lines * len(wrap))


def _check_join(budget: _Budget, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    values, separator = _argument(args, kwargs, 0, "value", ()), _argument(args, kwargs, 1, "d", "")
    budget.allow(len(values) * len(_text(separator)))


def _check_fill(count_name: str) -> Check:
    def check(budget: _Budget, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        count, fill = _argument(args, kwargs, 1, count_name, 0), _argument(args, kwargs, 2, "fill_with")
        if isinstance(count, int):
            budget.allow(count, "lists")
            budget.allow(count * budget.take(fill))

    return check


def _check_tojson(budget: _Budget, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    indent = _argument(args, kwargs, 1, "indent")
    if isinstance(indent, int) and indent > 16:
        raise BudgetExceeded("the template indents JSON by more than 16 spaces")


def _check_urlize(budget: _Budget, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    text = _text(_argument(args, kwargs, 0, "value", ""))
    extra = sum(len(_text(_argument(args, kwargs, i, n) or "")) for i, n in ((3, "target"), (4, "rel")))
    budget.allow(3 * len(text) + (text.count(" ") + 1) * (extra + 64))


def _check_sum(budget: _Budget, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    start = _argument(args, kwargs, 2, "start", 0)
    if not isinstance(start, int | float):
        raise BudgetExceeded("the template's sum adds something other than numbers")


def _check_round(budget: _Budget, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    precision = _argument(args, kwargs, 1, "precision", 0)
    if isinstance(precision, int) and abs(precision) > 1000:
        raise BudgetExceeded("the template rounds to more than 1,000 digits")


def _check_format_filter(budget: _Budget, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    if args and isinstance(args[0], str):
        _check_percent(budget, args[0], kwargs or args[1:])


def _check_translate(budget: _Budget, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    text, table = _argument(args, kwargs, 0, "self", ""), _argument(args, kwargs, 1, "table", {})
    values = table.values() if isinstance(table, Mapping) else ()
    longest = max((len(v) for v in values if isinstance(v, str | bytes)), default=1)
    budget.allow(len(text) * longest)


def _check_expandtabs(budget: _Budget, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    text, size = _argument(args, kwargs, 0, "self", ""), _argument(args, kwargs, 1, "tabsize", 8)
    budget.allow(len(text) + text.count("\t" if isinstance(text, str) else b"\t") * max(size, 0))


_FILTER_CHECKS: dict[str, Check] = {
    "center": _check_width(1, "width"),
    "indent": _check_indent,
    "wordwrap": _check_wordwrap,
    "replace": _check_replace,
    "join": _check_join,
    "format": _check_format_filter,
    "batch": _check_fill("linecount"),
    "slice": _check_fill("slices"),
    "tojson": _check_tojson,
    "urlize": _check_urlize,
    "sum": _check_sum,
    "round": _check_round,
}
#: str and bytes methods, checked with the string itself as the first argument.
_METHOD_CHECKS: dict[str, Check] = {
    "center": _check_width(1, "width"),
    "ljust": _check_width(1, "width"),
    "rjust": _check_width(1, "width"),
    "zfill": _check_width(1, "width"),
    "replace": _check_replace,
    "join": lambda budget, args, kwargs: budget.allow(len(args[1]) * len(args[0])),
    "translate": _check_translate,
    "expandtabs": _check_expandtabs,
}
#: Filters that read their whole input before checking it: an iterator is listed first (counting its items).
_LISTING_FILTERS = frozenset({"join"})
#: Filters that work through their text word by word in Python (about a hundred times slower than the
#: others): they cost one operation per character of their input rather than per hundred.
_WORD_BY_WORD = frozenset({"pprint", "striptags", "title", "urlencode", "urlize", "wordwrap", "xmlattr"})


def _guarded_filter(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    """``function`` counted and checked: its inputs' size, its own check if it has one, its result."""
    check = _FILTER_CHECKS.get(name)
    passes_context = getattr(function, "jinja_pass_arg", None) is not None
    listing, word_by_word = name in _LISTING_FILTERS, name in _WORD_BY_WORD

    @functools.wraps(function)  # keeps jinja_pass_arg, so Jinja passes the context as it did
    def guarded(*args: Any, **kwargs: Any) -> Any:
        budget = _active()
        budget.spend()
        head, values = (args[:1], args[1:]) if passes_context else ((), args)
        if listing and values and not hasattr(values[0], "__len__"):
            values = (list(values[0]), *values[1:])
        sizes = [budget.take(value) for value in (*values, *kwargs.values())]
        if word_by_word and sizes:
            budget.spend(sizes[0])
        if check is not None:
            check(budget, values, kwargs)
        return budget.taken(function(*head, *values, **kwargs))

    return guarded


def _guarded_test(function: Any) -> Callable[..., Any]:  # jinja's test table is typed loosely
    """``function`` counted, and charged for its inputs (``x is in s`` reads all of ``s``)."""
    passes_context = getattr(function, "jinja_pass_arg", None) is not None

    @functools.wraps(function)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        budget = _active()
        budget.spend()
        for value in (*args[1 if passes_context else 0 :], *kwargs.values()):
            budget.take(value)
        return function(*args, **kwargs)

    return guarded


# -- the environment -----------------------------------------------------------------------------------------


class _Instrument(NodeTransformer):
    """Route each ``for`` loop, each ``~``, each comparison's operands (``'x' in s`` and ``s == t`` read all of
    ``s``), each value a ``set`` keeps and each dict key of a parsed template through the budget."""

    def visit_For(self, node: nodes.For) -> nodes.Node:
        self.generic_visit(node)
        cost = 1 + _literal_chars(node.body) // CHARS_PER_OPERATION
        iterable = node.iter
        assert isinstance(iterable, nodes.Expr)
        node.iter = _budget_call("budget_loop", [iterable, nodes.Const(cost)], node.lineno)
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        self.generic_visit(node)
        return _budget_call("budget_concat", [nodes.List(node.nodes, lineno=node.lineno)], node.lineno)

    def visit_Assign(self, node: nodes.Assign) -> nodes.Node:
        # Weighed where it is kept: a value built from shared parts ({% set ns.x = (ns.x, ns.x) %}) is refused as
        # it outgrows the budget, before a dict key's hash or a method reads all of it in C.
        self.generic_visit(node)
        value = node.node
        assert isinstance(value, nodes.Expr)
        node.node = _budget_call("budget_operand", [value], node.lineno)
        return node

    def visit_With(self, node: nodes.With) -> nodes.Node:
        self.generic_visit(node)
        node.values = [_budget_call("budget_operand", [value], node.lineno) for value in node.values]
        return node

    def visit_Dict(self, node: nodes.Dict) -> nodes.Node:
        self.generic_visit(node)
        for pair in node.items:
            pair.key = _budget_call("budget_operand", [pair.key], node.lineno)  # hashing a key reads all of it
        return node

    def visit_Compare(self, node: nodes.Compare) -> nodes.Node:
        self.generic_visit(node)
        node.expr = _budget_call("budget_operand", [node.expr], node.lineno)
        for operand in node.ops:
            operand.expr = _budget_call("budget_operand", [operand.expr], node.lineno)
        return node


def _budget_call(name: str, args: list[nodes.Expr], lineno: int) -> nodes.Call:
    return nodes.Call(nodes.EnvironmentAttribute(name, lineno=lineno), args, [], None, None, lineno=lineno)


def _literal_chars(body: list[nodes.Node]) -> int:
    """The template text written by one pass through ``body`` (inner loops and macros charge their own)."""
    total = 0
    pending: list[nodes.Node] = list(body)
    while pending:
        node = pending.pop()
        if isinstance(node, nodes.TemplateData):
            total += len(node.data)
        elif not isinstance(node, nodes.For | nodes.Macro | nodes.CallBlock):
            pending.extend(node.iter_child_nodes())
    return total


#: What the rewritten templates call on the environment (see _Instrument).
_REWRITTEN = frozenset({"budget_loop", "budget_concat", "budget_operand"})


class BudgetedEnvironment(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox, counting every step of a render against the budget of :func:`rendering`."""

    intercepted_binops = frozenset({"+", "-", "*", "/", "//", "%", "**"})

    def __init__(self, **options: Any) -> None:
        inner: Callable[[Any], Any] | None = options.pop("finalize", None)

        def finalize(value: Any) -> Any:
            budget = _active()
            budget.spend()
            budget.take(value)
            return value if inner is None else inner(value)

        super().__init__(finalize=finalize, **options)
        self.filters = {name: _guarded_filter(name, function) for name, function in self.filters.items()}
        self.tests = {name: _guarded_test(test) for name, test in self.tests.items()}
        self.globals.pop("lipsum", None)  # n paragraphs of up to m words: nothing an invitation needs

    def instrumented(self, source: str) -> nodes.Template:
        """``source`` parsed, with its loops and ``~`` routed through the budget (compile with from_string)."""
        tree = _Instrument().visit(self.parse(source))
        assert isinstance(tree, nodes.Template)
        tree.set_environment(self)
        return tree

    # -- what the rewritten templates call ---------------------------------------------------------------------

    def budget_loop(self, iterable: Iterable[Any], cost: int) -> Iterator[Any]:
        return _active().counted(iterable, cost)

    def budget_concat(self, parts: list[Any]) -> str:
        budget = _active()
        budget.allow(sum(budget.take(part) for part in parts))
        return "".join(map(str, parts))

    def budget_operand(self, value: Any) -> Any:
        _active().take(value)
        return value

    # -- the sandbox's hooks -----------------------------------------------------------------------------------

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        if getattr(__obj, "__self__", None) is __self and __obj.__name__ in _REWRITTEN:
            return __obj(*args)  # the rewriting's own calls (Jinja adds _loop_vars inside loops)
        budget = _active()
        budget.spend(CALL_OPERATIONS + len(args) + len(kwargs))  # f(*items) copies every item into the call
        if isinstance(__obj, LoopContext) and args:  # a recursive loop's loop(children)
            args = (budget.counted(args[0], 1), *args[1:])
        owner = getattr(__obj, "__self__", None)
        if owner is not None and not isinstance(owner, ModuleType):
            # A method reads its owner (s.count, s.split, l.index, loop.changed ...): a structure that shares
            # parts with itself, (x, x) nested k deep, is 2**k items to read however few steps built it.
            budget.take(owner)
        check = _METHOD_CHECKS.get(getattr(__obj, "__name__", "")) if isinstance(owner, str | bytes) else None
        if check is not None and __obj.__name__ == "join" and args and not hasattr(args[0], "__len__"):
            args = (list(args[0]), *args[1:])
        for value in (*args, *kwargs.values()):
            budget.take(value)  # what a call is given, it may read whole (l.index(x) compares x with each item)
        if check is not None:
            check(budget, (owner, *args), kwargs)
        budget.depth += 1
        try:
            if budget.depth > MAX_NESTING:
                raise BudgetExceeded(f"the template nests calls more than {MAX_NESTING} deep (a macro calling itself?)")
            return budget.taken(super().call(__context, __obj, *args, **kwargs))
        finally:
            budget.depth -= 1

    def getattr(self, obj: Any, attribute: str) -> Any:
        _active().spend()
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        budget = _active()
        budget.spend()
        found = super().getitem(obj, argument)
        return budget.taken(found) if isinstance(argument, slice) else found

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        budget = _active()
        budget.spend()
        _check_binop(budget, operator, left, right)
        return budget.taken(super().call_binop(context, operator, left, right))

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        formatter = super().wrap_str_format(value)
        if formatter is None:
            return None
        template, is_map = value.__self__, value.__name__ == "format_map"

        def guarded(*args: Any, **kwargs: Any) -> str:
            fields = args[0] if is_map and args and isinstance(args[0], Mapping) else kwargs
            _check_str_format(_active(), template, () if is_map else args, fields)
            return formatter(*args, **kwargs)

        return guarded
