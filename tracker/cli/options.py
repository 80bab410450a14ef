"""Options shared by several commands."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

import click
from flask.cli import ScriptInfo

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
