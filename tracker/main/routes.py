"""Dashboards, lists, the timeline, and the activity and milestone pages with their updates."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from markupsafe import Markup

from tracker.auth import current_person, login_required
from tracker.clock import today
from tracker.domain.dashboard import dashboard
from tracker.domain.entities import UnknownName
from tracker.domain.items import UPCOMING_DAYS, find_items
from tracker.domain.permissions import can_update_progress, require
from tracker.domain.query import PAGING, ItemFilter, Paging, QueryError, query_args
from tracker.domain.remembered import RememberedAtState
from tracker.domain.rules import row_is_overdue
from tracker.domain.status import (
    Actor,
    EditConflict,
    InvalidUpdate,
    recent_changes,
    update_progress,
)
from tracker.extensions import db
from tracker.main import bp
from tracker.main.filters import DUE_WINDOWS, KINDS, ListQuery
from tracker.main.forms import ActivityProgressForm, MilestoneProgressForm, show_problems
from tracker.main.gantt import (
    LABEL_WIDTH,
    NARROW_LABEL_WIDTH,
    Chart,
    build_chart,
    chart_range,
    draw_rows,
)
from tracker.models import (
    Activity,
    ActivityEntity,
    Entity,
    Milestone,
    Status,
    StatusChange,
    WorkingGroup,
    WorkingGroupEntity,
)
from tracker.monitoring.models import Theme
from tracker.timeline import Precision, format_date

#: Rows per list page and per dashboard section.
PAGE_SIZE = 100
MAX_PAGE_SIZE = 500
SECTION_SIZE = 10


def _groups() -> list[WorkingGroup]:
    return list(db.session.scalars(sa.select(WorkingGroup).order_by(WorkingGroup.short_name)))


def _dashboard(group: WorkingGroup | None) -> dict[str, object]:
    """Counts come from the database; only the first rows of each section are loaded."""
    now = today()
    person = current_person()
    found = dashboard(
        db.session,
        now,
        working_group=group,
        size=SECTION_SIZE,
        leader=person.entity if person is not None else None,
    )
    counts = found.counts.by_status
    totals = dict.fromkeys(Status, 0)
    for per_group in counts.values():
        for status, count in per_group.items():
            totals[status] += count
    return {
        "group": group,
        "counts": counts,
        "totals": totals,
        "total": sum(totals.values()),
        "overdue": found.overdue,
        "upcoming": found.upcoming,
        "led": found.led,
        "by_status": found.by_status,
        "changes": recent_changes(db.session, limit=SECTION_SIZE, working_group=group),
        "mine": found.counts.led,
        "late_by_group": found.counts.overdue,
        "soon_by_group": found.counts.due_soon,
        "upcoming_days": UPCOMING_DAYS,
        "today": now,
    }


@bp.route("/")
@login_required
def index() -> ResponseReturnValue:
    return render_template("main/dashboard.html", groups=_groups(), **_dashboard(None))


@bp.route("/groups/<short_name>")
@login_required
def group(short_name: str) -> ResponseReturnValue:
    found = db.session.scalars(
        sa.select(WorkingGroup)
        .where(WorkingGroup.short_name == short_name)
        .options(so.selectinload(WorkingGroup.entity_links).joinedload(WorkingGroupEntity.entity))
    ).first()
    if found is None:
        abort(404)
    return render_template("main/dashboard.html", groups=[found], **_dashboard(found))


def _choices() -> dict[str, object]:
    return {
        "group_choices": _groups(),
        "entity_choices": db.session.scalars(sa.select(Entity).order_by(Entity.acronym)).all(),
        "theme_choices": db.session.scalars(sa.select(Theme).order_by(Theme.name)).all(),
        "due_windows": DUE_WINDOWS,
        "kinds": KINDS,
    }


@bp.route("/items")
@login_required
def items() -> ResponseReturnValue:
    query = ListQuery.from_args(request.args, extra=PAGING)
    try:
        paging = Paging.parse(request.args, default=PAGE_SIZE, most=MAX_PAGE_SIZE)
    except QueryError as exc:
        query.errors.update(exc.fields)
        paging = Paging(per_page=PAGE_SIZE)
    found, total = [], 0
    if not query.errors:
        try:
            result = find_items(
                db.session, query.filter, today(), limit=paging.per_page, offset=paging.offset
            )
        except UnknownName as exc:
            query.errors["entity" if "entity" in str(exc) else "working_group"] = str(exc)
        else:
            found, total = result.items, result.total
    status = 400 if query.errors else 200
    return render_template(
        "main/items.html",
        query=query,
        items=found,
        total=total,
        page=paging.page,
        page_size=paging.per_page,
        # the page's own links keep a chosen page size
        page_args=query.args(
            per_page=str(paging.per_page) if paging.per_page != PAGE_SIZE else None
        ),
        today=today(),
        **_choices(),
    ), status


def _on_a_phone() -> bool:
    """`?labels=narrow`, or a browser that says it is a phone's (the Sec-CH-UA-Mobile hint that
    Chromium sends, or "Mobi" in the user agent, as Mozilla recommends for this test)."""
    if request.args.get("labels") in ("narrow", "wide"):
        return request.args["labels"] == "narrow"
    return request.headers.get("Sec-CH-UA-Mobile") == "?1" or "Mobi" in request.headers.get(
        "User-Agent", ""
    )


#: Timelines, placed and drawn, by filter, range, label width and day (none depends on who
#: reads it): a group of 500 activities costs tens of ms to place and draw, and a team reads
#: the same chart while nothing changes. Few: each drawing of a large group is hundreds of KB.
_TIMELINES: RememberedAtState[tuple[Chart, Markup]] = RememberedAtState(8)


def _drawn(
    flt: ItemFilter, start: date | None, end: date | None, width: int, dated_only: bool
) -> tuple[Chart, Markup]:
    chart = build_chart(
        db.session, flt, today(), start, end, label_width=width, dated_only=dated_only
    )
    return chart, Markup(render_template("main/_gantt.svg", chart=chart))


@bp.route("/timeline")
@login_required
def timeline() -> ResponseReturnValue:
    query = ListQuery.from_args(request.args, extra=("from", "to", "dated", "labels"))
    start, end, range_errors = chart_range(request.args)
    query.errors.update(range_errors)
    dated_only = request.args.get("dated") == "1"
    chart, drawing = None, Markup()
    if not query.errors:
        width = NARROW_LABEL_WIDTH if _on_a_phone() else LABEL_WIDTH
        try:
            chart, drawing = _TIMELINES.get(
                db.session,
                (query.filter, today(), start, end, width, dated_only),
                lambda: _drawn(query.filter, start, end, width, dated_only),
            )
        except UnknownName as exc:
            query.errors["entity" if "entity" in str(exc) else "working_group"] = str(exc)
    return render_template(
        "main/timeline.html",
        query=query,
        chart=chart,
        drawing=drawing,
        range_from=request.args.get("from", ""),
        range_to=request.args.get("to", ""),
        dated_only=dated_only,
        **_choices(),
    ), (400 if query.errors else 200)


# --- activity and milestone pages ----------------------------------------------------------


def _activity(activity_id: int) -> Activity:
    activity = db.session.scalars(
        sa.select(Activity)
        .where(Activity.id == activity_id)
        .options(
            so.joinedload(Activity.working_group),
            so.joinedload(Activity.parent),
            so.selectinload(Activity.children),
            so.selectinload(Activity.milestones),
            so.selectinload(Activity.entity_links).joinedload(ActivityEntity.entity),
            so.selectinload(Activity.history).joinedload(StatusChange.person),
        )
    ).first()
    if activity is None:
        abort(404)
    return activity


def _milestone(milestone_id: int) -> Milestone:
    milestone = db.session.scalars(
        sa.select(Milestone)
        .where(Milestone.id == milestone_id)
        .options(
            so.joinedload(Milestone.working_group),
            so.joinedload(Milestone.activity),
            so.selectinload(Milestone.history).joinedload(StatusChange.person),
        )
    ).first()
    if milestone is None:
        abort(404)
    return milestone


def _activity_page(
    activity: Activity, form: ActivityProgressForm | None = None, status: int = 200
) -> ResponseReturnValue:
    if form is None:
        form = ActivityProgressForm(
            formdata=None,
            status=activity.status.value,
            actual_start=activity.actual_start,
            actual_end=activity.actual_end,
            version=activity.version,
        )
    return render_template(
        "main/activity.html",
        activity=activity,
        form=form,
        may_update=can_update_progress(current_person(), activity),
        Precision=Precision,
        today=today(),
    ), status


def _milestone_page(
    milestone: Milestone, form: MilestoneProgressForm | None = None, status: int = 200
) -> ResponseReturnValue:
    if form is None:
        form = MilestoneProgressForm(
            formdata=None,
            status=milestone.status.value,
            completed_on=milestone.completed_on,
            version=milestone.version,
        )
    return render_template(
        "main/milestone.html",
        milestone=milestone,
        form=form,
        may_update=can_update_progress(current_person(), milestone),
        today=today(),
    ), status


@bp.route("/activities/<int:activity_id>")
@login_required
def activity(activity_id: int) -> ResponseReturnValue:
    return _activity_page(_activity(activity_id))


@bp.route("/milestones/<int:milestone_id>")
@login_required
def milestone(milestone_id: int) -> ResponseReturnValue:
    return _milestone_page(_milestone(milestone_id))


def _actor() -> Actor:
    person = current_person()
    assert person is not None
    return Actor.of(person, "web")


@bp.route("/activities/<int:activity_id>/progress", methods=["POST"])
@login_required
def update_activity(activity_id: int) -> ResponseReturnValue:
    item = _activity(activity_id)
    require(
        can_update_progress(current_person(), item),
        f"only the leads of {item.code} and the coordinators of "
        f"{item.working_group.short_name} update its progress",
    )
    form = ActivityProgressForm()
    if not form.validate_on_submit():
        return _activity_page(item, form, 400)
    try:
        entry = update_progress(
            db.session,
            item,
            _actor(),
            status=Status(form.status.data),
            note=form.note.data or "",
            actual_start=form.actual_start.data,
            actual_end=form.actual_end.data,
            expected_version=int(form.version.data),
            today=today(),
        )
    except EditConflict as exc:
        return _conflict(exc, _activity(activity_id), form, _activity_page)
    except InvalidUpdate as exc:
        show_problems(form, exc.fields)
        return _activity_page(item, form, 400)
    db.session.commit()
    flash("Saved." if entry else "Nothing changed.", "success")
    return redirect(url_for("main.activity", activity_id=item.id) + "#history")


@bp.route("/milestones/<int:milestone_id>/progress", methods=["POST"])
@login_required
def update_milestone(milestone_id: int) -> ResponseReturnValue:
    item = _milestone(milestone_id)
    require(
        can_update_progress(current_person(), item),
        f"only the leads of {item.code} and the coordinators of "
        f"{item.working_group.short_name} update its progress",
    )
    form = MilestoneProgressForm()
    if not form.validate_on_submit():
        return _milestone_page(item, form, 400)
    extra = {"completed_on": form.completed_on.data} if form.completed_on.data else {}
    try:
        entry = update_progress(
            db.session,
            item,
            _actor(),
            status=Status(form.status.data),
            note=form.note.data or "",
            expected_version=int(form.version.data),
            today=today(),
            **extra,
        )
    except EditConflict as exc:
        return _conflict(exc, _milestone(milestone_id), form, _milestone_page)
    except InvalidUpdate as exc:
        show_problems(form, exc.fields)
        return _milestone_page(item, form, 400)
    db.session.commit()
    flash("Saved." if entry else "Nothing changed.", "success")
    return redirect(url_for("main.milestone", milestone_id=item.id) + "#history")


def _conflict(exc: EditConflict, fresh, form, page) -> ResponseReturnValue:  # type: ignore[no-untyped-def]
    """Nothing was saved: show the latest state, keep what the lead typed, and let them save it
    again deliberately over the newer version."""
    db.session.rollback()
    db.session.refresh(fresh)
    form.version.data = str(fresh.version)
    form.conflict = (
        f"Not saved: {exc}. Below are the latest status and history, and your entries, "
        "kept in the form: check them and save again."
    )
    return page(fresh, form, 409)


bp.add_app_template_global(draw_rows, "gantt_rows")
#: Links to a list are its query's parameters; a stored item's page asks the overdue rule.
bp.add_app_template_global(query_args, "query_args")
bp.add_app_template_global(row_is_overdue, "is_overdue")


@bp.app_template_filter("when_written")
def when_written(value: date | None, precision: Precision | None) -> str:
    """One side of a planned timeline as the workplan meant it; a missing side is open."""
    return format_date(value, precision) if value else "open"
