"""The timeline (Gantt) view laid out as rows of bars and markers, drawn as SVG by a template.

Activities are bars from planned start to planned end, grouped by working group and parent
activity; a side the workplan leaves open ("Ongoing – June 2020") is drawn as an arrow running
off the chart, not as a date. Milestones are markers on their activity's row, or on their
working group's row.

The template draws the frame; the rows and markers, thousands of elements, are drawn here as
strings (`draw_rows`): in Jinja, escaping and routing each attribute cost more than all the
rest of the page.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so
from dateutil.relativedelta import relativedelta
from flask import url_for
from markupsafe import Markup, escape

from tracker.domain.items import ItemFilter, find_item_ids
from tracker.models import Activity, Milestone, MilestoneKind, Status, WorkingGroup

LABEL_WIDTH = 360
#: The label column on a phone: most of the screen stays for the bars; tooltips hold the rest.
NARROW_LABEL_WIDTH = 150
CHART_WIDTH = 840
ROW_HEIGHT = 26
AXIS_HEIGHT = 34
#: Beyond this many activities the chart shows the soonest due and asks for a narrower filter.
MAX_ROWS = 300
#: Characters of "code title" that fit the label column at depth 0.
LABEL_CHARS = 48
#: A group's row has no bar: its label may run across the chart.
GROUP_LABEL_CHARS = 110
_ARROW = 9

_ACTIVITY_COLUMNS = (
    Activity.id,
    Activity.parent_id,
    Activity.working_group_id,
    Activity.code,
    Activity.title,
    Activity.status,
    Activity.planned_start,
    Activity.planned_end,
    Activity.ongoing,
    Activity.timeline_text,
    Activity.recurrence,
)
#: In this order: `markers` unpacks the rows.
_MILESTONE_COLUMNS = (
    Milestone.id,
    Milestone.activity_id,
    Milestone.working_group_id,
    Milestone.code,
    Milestone.title,
    Milestone.kind,
    Milestone.status,
    Milestone.due_date,
)


@dataclass(slots=True)
class Marker:
    x: float
    kind: MilestoneKind
    status: Status
    title: str
    milestone_id: int


@dataclass(slots=True)
class Row:
    kind: str  # "group" or "activity"
    y: float
    label: str
    tooltip: str
    depth: int = 0
    status: Status | None = None
    #: The target's id: the activity's, or the group's short name.
    target: int | str = ""
    bar: str | None = None  # SVG polygon points
    open_start: bool = False
    open_end: bool = False
    note: str = ""
    markers: list[Marker] = field(default_factory=list)


@dataclass(slots=True)
class Tick:
    x: float
    label: str
    major: bool


@dataclass(slots=True)
class Chart:
    start: date
    end: date
    rows: list[Row]
    ticks: list[Tick]
    today_x: float | None
    width: int
    height: int
    label_width: int
    shown: int
    total: int
    #: Rows left out by `dated_only`.
    undated_hidden: int = 0

    @property
    def today_label_left(self) -> bool:
        """Whether "today" goes left of its line: on the right it would run off the chart."""
        return self.today_x is not None and self.today_x + 44 > self.width


def _parse_bound(text: str, *, end: bool) -> date:
    """ "2020", "2020-06" or "2020-06-15"; a year or month stands for its first or last day."""
    parts = text.split("-")
    if len(parts) == 1 and text.isdigit() and len(text) == 4:
        return date(int(text), 12, 31) if end else date(int(text), 1, 1)
    if len(parts) == 2 and all(p.isdigit() for p in parts):
        first = date(int(parts[0]), int(parts[1]), 1)
        return first + relativedelta(months=1, days=-1) if end else first
    return date.fromisoformat(text)


def chart_range(args: Mapping[str, str]) -> tuple[date | None, date | None, dict[str, str]]:
    """The `from` and `to` of the chart from the query string; errors by parameter."""
    bounds: dict[str, date | None] = {"from": None, "to": None}
    errors: dict[str, str] = {}
    for name in bounds:
        text = args.get(name, "").strip()
        if text:
            try:
                bounds[name] = _parse_bound(text, end=name == "to")
            except ValueError:
                errors[name] = f"{text!r} is not a year, month or date such as 2020 or 2020-06"
    if bounds["from"] and bounds["to"] and bounds["to"] <= bounds["from"]:
        errors["to"] = "the end must come after the start"
    return bounds["from"], bounds["to"], errors


def _default_range(dates: list[date], today: date) -> tuple[date, date]:
    """The whole years of the data shown: old workplans are not squeezed into today's years,
    where they would all be "outside the years shown". With no dates, the current year."""
    if not dates:
        return date(today.year, 1, 1), date(today.year, 12, 31)
    lo, hi = min(dates), max(dates)
    if hi - lo > timedelta(days=365 * 10):  # a few far-off dates would squash everything
        centre = min(max(today, lo + relativedelta(years=5)), hi - relativedelta(years=5))
        lo, hi = centre - relativedelta(years=5), centre + relativedelta(years=5)
    return date(lo.year, 1, 1), date(hi.year, 12, 31)


def _ticks(start: date, end: date, x: callable) -> list[Tick]:  # type: ignore[valid-type]
    span_days = (end - start).days
    step = 1 if span_days <= 800 else 3 if span_days <= 2200 else 12
    ticks = []
    month = date(start.year, start.month, 1)
    if month < start:
        month += relativedelta(months=1)
    while month <= end:
        if month.month == 1:
            ticks.append(Tick(x(month), str(month.year), True))
        elif (month.month - 1) % step == 0:
            label = month.strftime("%b") if step == 1 else f"Q{(month.month - 1) // 3 + 1}"
            ticks.append(Tick(x(month), label, False))
        month += relativedelta(months=1)
    return ticks


def _bar(x0: float, x1: float, y: float, open_start: bool, open_end: bool) -> str:
    """A bar whose open sides are arrow points."""
    top, bottom, mid = y + 6, y + ROW_HEIGHT - 6, y + ROW_HEIGHT / 2
    x1 = max(x1, x0 + 2)
    left = (
        [(x0 + _ARROW, bottom), (x0, mid), (x0 + _ARROW, top)]
        if open_start
        else [
            (x0, bottom),
            (x0, top),
        ]
    )
    right = (
        [(x1 - _ARROW, top), (x1, mid), (x1 - _ARROW, bottom)]
        if open_end
        else [
            (x1, top),
            (x1, bottom),
        ]
    )
    return " ".join(f"{px:.1f},{py:.1f}" for px, py in [*left, *right])


def _clip(text: str, room: int) -> str:
    return text if len(text) <= room else text[: room - 1].rstrip() + "…"


def _label(code: str, title: str, depth: int, chars: int = LABEL_CHARS) -> str:
    return _clip(f"{code} {title}".strip(), max(chars - 3 * depth, 8))


def build_chart(
    session: so.Session,
    flt: ItemFilter,
    today: date,
    start: date | None = None,
    end: date | None = None,
    *,
    label_width: int = LABEL_WIDTH,
    dated_only: bool = False,
) -> Chart:
    """The chart of `flt`'s activities; `dated_only` leaves out rows with neither dates nor
    milestones shown, `label_width` narrows the label column (phones)."""
    flt = replace(flt, kinds=frozenset({"activity"}))
    label_chars = LABEL_CHARS * label_width // LABEL_WIDTH
    found = find_item_ids(session, flt, today, limit=MAX_ROWS)
    # an activity recurring within the first rows is one row; its ids rendered into the SQL
    # as literals: hundreds of bound values cost more to compile and send than the queries
    ids = sa.bindparam(
        "ids", list(dict.fromkeys(id_ for _, id_ in found.ids)), literal_execute=True
    )
    total = found.total
    # plain rows of the few columns drawn, not ORM objects: a chart holds thousands of markers
    activities = session.execute(
        sa.select(*_ACTIVITY_COLUMNS).where(Activity.id.in_(ids)).order_by(Activity.sort_key)
    ).all()
    group_ids = {a.working_group_id for a in activities}
    if flt.working_group and not group_ids:
        group_ids = set(
            session.scalars(
                sa.select(WorkingGroup.id).where(WorkingGroup.short_name == flt.working_group)
            )
        )
    groups = session.execute(
        sa.select(WorkingGroup.id, WorkingGroup.short_name, WorkingGroup.name)
        .where(WorkingGroup.id.in_(group_ids))
        .order_by(WorkingGroup.short_name)
    ).all()
    # the shown activities' milestones and their groups' own, in one query
    milestones_of: dict[int, list[sa.Row[Any]]] = {}
    group_milestones: dict[int, list[sa.Row[Any]]] = {}
    for m in session.execute(
        sa.select(*_MILESTONE_COLUMNS)
        .where(
            sa.or_(
                Milestone.activity_id.in_(ids),
                sa.and_(Milestone.activity_id.is_(None), Milestone.working_group_id.in_(group_ids)),
            )
        )
        .order_by(Milestone.due_date, Milestone.id)
    ):
        if m.activity_id is None:
            group_milestones.setdefault(m.working_group_id, []).append(m)
        else:
            milestones_of.setdefault(m.activity_id, []).append(m)

    dates = [d for a in activities for d in (a.planned_start, a.planned_end) if d]
    dates += [
        due
        for by_owner in (milestones_of, group_milestones)
        for ms in by_owner.values()
        for *_, due in ms
        if due
    ]
    default_start, default_end = _default_range(dates, today)
    start, end = start or default_start, end or default_end
    days = (end - start).days + 1

    def x(day: date) -> float:
        offset = min(max((day - start).days, 0), days)
        return label_width + offset / days * CHART_WIDTH

    half_day = CHART_WIDTH / days / 2

    def markers(milestones: list[sa.Row[Any]]) -> list[Marker]:
        # for thousands of markers: rows unpacked, not read by name, and `x` inlined without
        # its clamping (a marker's day is on the chart)
        return [
            Marker(
                label_width + (due - start).days / days * CHART_WIDTH + half_day,
                kind,
                status,
                f"{code} {title}",
                id_,
            )
            for id_, _, _, code, title, kind, status, due in milestones
            if due and start <= due <= end
        ]

    shown = {a.id for a in activities}
    children: dict[int | None, list[sa.Row[Any]]] = {}
    for activity in activities:
        parent = activity.parent_id if activity.parent_id in shown else None
        children.setdefault(parent, []).append(activity)

    # no nested function calls itself: a recursive closure is a reference cycle that kept each
    # chart's thousands of objects alive until a full garbage collection (~100 ms at 10k/50k)
    def activity_row(activity: sa.Row[Any], depth: int, y: float) -> Row:
        row = Row(
            kind="activity",
            y=y,
            label=_label(activity.code, activity.title, depth, label_chars),
            tooltip=f"{activity.code} {activity.title} · {activity.timeline_text or 'no dates'}"
            f" · {activity.status.label}",
            depth=depth,
            status=activity.status,
            target=activity.id,
            markers=markers(milestones_of.get(activity.id, [])),
        )
        s, e = activity.planned_start, activity.planned_end
        if s is None and e is None and not activity.ongoing:
            row.note = "no dates"
        elif (s and s > end) or (e and e < start):
            row.note = "outside the years shown"
        else:
            row.open_start, row.open_end = s is None, e is None
            x0 = x(s) if s else label_width
            x1 = x(e + timedelta(days=1)) if e else label_width + CHART_WIDTH
            row.bar = _bar(x0, x1, y, row.open_start, row.open_end)
        if activity.recurrence:
            row.label = "↻ " + row.label
            row.tooltip += " · repeats"
        return row

    rows: list[Row] = []
    y = float(AXIS_HEIGHT)
    hidden = 0
    for group in groups:
        rows.append(
            Row(
                kind="group",
                y=y,
                label=_clip(f"{group.short_name} · {group.name}", GROUP_LABEL_CHARS),
                tooltip=group.name,
                target=group.short_name,
                markers=markers(group_milestones.get(group.id, [])),
            )
        )
        y += ROW_HEIGHT
        # depth first, each activity followed by its children
        stack = [(a, 0) for a in reversed(children.get(None, [])) if a.working_group_id == group.id]
        while stack:
            activity, depth = stack.pop()
            stack.extend((child, depth + 1) for child in reversed(children.get(activity.id, [])))
            row = activity_row(activity, depth, y)
            if dated_only and row.note == "no dates" and not row.markers:
                hidden += 1
                continue
            rows.append(row)
            y += ROW_HEIGHT

    return Chart(
        start=start,
        end=end,
        rows=rows,
        ticks=_ticks(start, end, x),
        today_x=x(today) if start <= today <= end else None,
        width=label_width + CHART_WIDTH + 10,
        height=int(y) + 8,
        label_width=label_width,
        shown=len(activities),
        total=total,
        undated_hidden=hidden,
    )


#: An id no row has, stood in for the id when a link is built once for every row.
_ANY_ID = 2_147_483_647


def _links(endpoint: str, name: str) -> Callable[[int], str]:
    """Links to `endpoint` by id, routed once: routing each of thousands was a tenth of the page."""
    prefix, _, suffix = url_for(endpoint, **{name: _ANY_ID}).partition(str(_ANY_ID))
    prefix, suffix = escape(prefix), escape(suffix)
    return lambda id_: f"{prefix}{id_}{suffix}"


#: Per status and kind, worked out once rather than for each of thousands of markers.
_MARKER_CLASS = {s: f'class="marker marker-{s.value}"' for s in Status}
_MARKER_TIP = {(k, s): escape(f" ({k.value}, {s.label})") for k in MilestoneKind for s in Status}


def _marker(m: Marker, y: float) -> str:
    """To a tenth of a pixel, as bars are: full floats made a tenth of the page's bytes."""
    shape = _MARKER_CLASS[m.status]
    x, left, right = f"{m.x:.1f}", f"{m.x - 7:.1f}", f"{m.x + 7:.1f}"
    top, mid, bottom = y + 6, y + 13, y + 20
    if m.kind is MilestoneKind.MEETING:
        return f'<circle {shape} cx="{x}" cy="{mid}" r="6"/>'
    if m.kind is MilestoneKind.DEADLINE:
        points = f"{x},{top} {right},{bottom - 1} {left},{bottom - 1}"
    else:
        points = f"{x},{top} {right},{mid} {x},{bottom} {left},{mid}"
    return f'<polygon {shape} points="{points}"/>'


def draw_rows(chart: Chart) -> Markup:
    """The chart's rows, each a link with its tooltip, and their milestones' markers."""
    activity_link = _links("main.activity", "activity_id")
    milestone_link = _links("main.milestone", "milestone_id")
    out: list[str] = []
    for row in chart.rows:
        title, label, text_y = escape(row.tooltip), escape(row.label), row.y + 17
        if row.kind == "group":
            href = escape(url_for("main.group", short_name=row.target))
            out.append(
                f'<a href="{href}"><title>{title}</title>'
                f'<text class="group-label" x="6" y="{text_y}">{label}</text></a>'
            )
        else:
            assert isinstance(row.target, int) and row.status is not None
            out.append(
                f'<a href="{activity_link(row.target)}" class="row"><title>{title}</title>'
                f'<rect class="row-hit" x="0" y="{row.y}" width="{chart.width}" height="26"/>'
                f'<text class="row-label" x="{10 + 14 * row.depth}" y="{text_y}">{label}</text>'
            )
            if row.bar:
                open_ = " open" if row.open_start or row.open_end else ""
                out.append(
                    f'<polygon class="bar bar-{row.status.value}{open_}" points="{row.bar}"/>'
                )
            if row.note:
                out.append(
                    f'<text class="row-note" x="{chart.label_width + 6}" y="{text_y}">'
                    f"{escape(row.note)}</text>"
                )
            out.append("</a>")
        for m in row.markers:
            tip = f"{escape(m.title)}{_MARKER_TIP[m.kind, m.status]}"  # str: Markup's + is slow
            out.append(
                f'<a href="{milestone_link(m.milestone_id)}"><title>{tip}</title>'
                f"{_marker(m, row.y)}</a>"
            )
    return Markup("\n".join(out))
