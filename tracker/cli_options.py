"""Options every command line shares: `--today`, dates, and the item query's filters.

Here rather than under `tracker/cli/`, so the commands of every front end (feeds, reminders,
the bot) import them without reaching into the command root. `item_query_options` spells the
item query's parameters (`tracker.domain.query.PARAMETERS`) as options, `--working-group`
for `working_group`, and reads them with the same parser as a query string.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

import click
from flask.cli import ScriptInfo
from werkzeug.datastructures import MultiDict

from tracker.domain.query import ItemFilter, QueryError, parse_query
from tracker.domain.rules import UPCOMING_DAYS

F = TypeVar("F", bound=Callable[..., Any])


class DateType(click.ParamType):
    name = "DATE"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> date:
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(value)
        except ValueError:
            self.fail(f"{value!r} is not an ISO date such as 2020-01-15", param, ctx)


DATE = DateType()


def today_option(command: F) -> F:
    """`--today DATE`: answer as if it were that day (demos, tests, looking back)."""

    def pin(ctx: click.Context, _param: click.Parameter, value: date | None) -> date | None:
        if value is not None:  # parameters are read before the app context exists
            ctx.ensure_object(ScriptInfo).load_app().config["TODAY"] = value
        return value

    return click.option(
        "--today",
        type=DATE,
        callback=pin,
        expose_value=False,
        is_eager=False,
        help="Pretend today is DATE (ISO); defaults to TRACKER_TODAY or the real date.",
    )(command)


#: (option, parameter it fills, click settings); `--text`, `--overdue` and `--upcoming` are
#: the older spellings of `--q` and `--due`, as on feed addresses.
_QUERY_OPTIONS: list[tuple[str, str, dict[str, Any]]] = [
    ("--working-group", "working_group", {"help": "Short or full name."}),
    ("--entity", "entity", {"help": "Acronym, name or alias."}),
    ("--leading", "leading", {"is_flag": True, "help": "With --entity: only what it leads."}),
    ("--status", "status", {"multiple": True, "help": "Repeat for several statuses."}),
    ("--q", "q", {"help": "Words that must appear in the code, title or description."}),
    ("--text", "text", {"help": "The same as --q."}),
    ("--kind", "kind", {"type": click.Choice(["activity", "milestone"])}),
    ("--theme", "theme", {"multiple": True, "help": "A cross-cutting theme; repeat for several."}),
    ("--due", "due", {"help": "overdue, or N: open items due in the next N days."}),
    ("--overdue", "overdue", {"is_flag": True, "help": "The same as --due overdue."}),
    (
        "--upcoming",
        "upcoming",
        {
            "type": int,
            "is_flag": False,
            "flag_value": UPCOMING_DAYS,
            "help": f"The same as --due N (default {UPCOMING_DAYS}).",
        },
    ),
    ("--due-from", "due_from", {"type": DATE}),
    ("--due-to", "due_to", {"type": DATE}),
    ("--open", "open", {"is_flag": True, "help": "Only items neither completed nor cancelled."}),
]
_OPTION_OF = {parameter: option for option, parameter, _ in _QUERY_OPTIONS}


def query_from_options(values: dict[str, Any]) -> ItemFilter:
    """The item query of parsed options (parameter -> value), through `parse_query`."""
    args: MultiDict[str, str] = MultiDict()
    for name, value in values.items():
        if value is None or value is False or value == ():
            continue
        for one in value if isinstance(value, tuple) else (value,):
            args.add(
                name, "1" if one is True else one.isoformat() if isinstance(one, date) else str(one)
            )
    try:
        return parse_query(args)
    except QueryError as exc:
        problems = "; ".join(f"{_OPTION_OF[n]}: {p}" for n, p in exc.fields.items())
        raise click.UsageError(problems) from None


def item_query_options(command: F) -> F:
    """The item query's filters as options; the command receives them as `query`."""

    @functools.wraps(command)
    def read(*args: Any, **kwargs: Any) -> Any:
        values = {parameter: kwargs.pop(f"query_{parameter}") for _, parameter, _ in _QUERY_OPTIONS}
        return command(*args, query=query_from_options(values), **kwargs)

    for option, parameter, settings in reversed(_QUERY_OPTIONS):
        read = click.option(option, f"query_{parameter}", **settings)(read)
    return read  # type: ignore[return-value]
