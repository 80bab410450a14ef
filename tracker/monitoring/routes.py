"""Rounds in the browser: the list and opening form, a round's completion page, and the
lead's one form for all its items (drafts kept, each submitted report one history entry)."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from markupsafe import Markup

from tracker.auth import current_person, login_required
from tracker.clock import today
from tracker.domain.monitoring import (
    REPORT_SECTIONS,
    RoundError,
    close_round,
    draft_from,
    items_to_report,
    open_round,
    programme_report,
    progress_report,
    report_fields_from,
    reportable_indicators,
    reportable_indicators_of,
    reports_in,
    round_status,
    rounds_of,
    save_draft,
    submit_report,
)
from tracker.domain.permissions import (
    PermissionDenied,
    can_edit_workplan,
    can_read,
    coordinates,
    require,
)
from tracker.domain.remembered import RememberedAtState
from tracker.domain.status import Actor, EditConflict
from tracker.extensions import db
from tracker.models import Person, Status, WorkingGroup
from tracker.monitoring.models import ReportingRound, RoundItem
from tracker.monitoring.report import FORMATS, Report, programme_charts, render
from tracker.monitoring.requests import send_requests

bp = Blueprint("monitoring", __name__, url_prefix="/rounds")


def _me() -> Person:
    person = current_person()
    assert person is not None
    return person


def _round(round_id: int) -> ReportingRound:
    round_ = db.session.get(ReportingRound, round_id)
    if round_ is None:
        abort(404)
    return round_


def _date(name: str, errors: dict[str, str]) -> date | None:
    text = request.form.get(name, "").strip()
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors[name] = f"{text or 'nothing'} is not a date such as 2020-07-15"
        return None


@bp.route("/", methods=["GET", "POST"])
@login_required
def index() -> ResponseReturnValue:
    me = _me()
    groups = [g for g in me.working_groups if can_edit_workplan(me, g)]
    errors: dict[str, str] = {}
    if request.method == "POST":
        group = db.session.scalar(
            sa.select(WorkingGroup).where(
                WorkingGroup.short_name == request.form.get("working_group", "")
            )
        )
        if group is None:
            errors["working_group"] = "choose a working group"
        else:
            require(
                can_edit_workplan(me, group), f"only coordinators of {group.short_name} open rounds"
            )
        dates = {n: _date(n, errors) for n in ("period_start", "period_end", "due")}
        if group is not None and not errors:
            try:
                round_ = open_round(
                    db.session,
                    group,
                    me,
                    label=request.form.get("label", ""),
                    period_start=dates["period_start"],  # type: ignore[arg-type]
                    period_end=dates["period_end"],  # type: ignore[arg-type]
                    due=dates["due"],  # type: ignore[arg-type]
                    today=today(),
                )
                sent = send_requests(db.session, round_, today())
            except RoundError as exc:
                db.session.rollback()
                errors["round"] = f"{exc}; nothing was changed"
            else:
                db.session.commit()
                flash(f"Round opened: {sent} requests are on their way.", "success")
                return redirect(url_for("monitoring.round_page", round_id=round_.id))
    rounds = [
        r
        for r in rounds_of(db.session)
        if r.working_group in me.working_groups or coordinates(me, r.working_group)
    ]
    return render_template(
        "monitoring/rounds.html",
        rounds=[(r, round_status(db.session, r, today())) for r in rounds],
        groups=groups,
        errors=errors,
        form=request.form,
    ), (400 if errors else 200)


@bp.get("/<int:round_id>")
@login_required
def round_page(round_id: int) -> ResponseReturnValue:
    round_ = _round(round_id)
    me = _me()
    return render_template(
        "monitoring/round.html",
        round=round_,
        status=round_status(db.session, round_, today()),
        may_manage=can_edit_workplan(me, round_.working_group),
        reports_here=reports_in(db.session, round_, me),
        sections=REPORT_SECTIONS,
    )


@bp.post("/<int:round_id>/close")
@login_required
def close(round_id: int) -> ResponseReturnValue:
    round_ = _round(round_id)
    close_round(db.session, round_, _me())
    db.session.commit()
    flash(f"Round {round_.label} closed.", "success")
    return redirect(url_for("monitoring.round_page", round_id=round_id))


@bp.get("/<int:round_id>/report")
@login_required
def report_form(round_id: int) -> ResponseReturnValue:
    round_ = _round(round_id)
    me = _me()
    entity = request.args.get("entity") or None
    if entity is None and coordinates(me, round_.working_group):
        # a coordinator reports for one lead at a time, as each lead's update comes in: the
        # form of every item of a large group is thousands of fields nobody fills in at once
        return render_template(
            "monitoring/report_for.html",
            round=round_,
            status=round_status(db.session, round_, today()),
        )
    items = items_to_report(db.session, round_, me, entity=entity, with_milestones=True)
    of_entity = f"of {entity} " if entity else ""
    require(bool(items), f"{me.name} has no items {of_entity}to report on in this round")
    return _render_form(round_, items, {}, {}, entity)


def _render_form(
    round_: ReportingRound,
    items: list[RoundItem],
    errors: dict[int, str],
    typed: dict[int, dict[str, object]],
    entity: str | None,
    status: int = 200,
) -> ResponseReturnValue:
    of_activity = reportable_indicators_of(db.session, [i.activity for i in items if i.activity])
    indicators = {i.id: of_activity.get(i.activity_id or 0, []) for i in items}
    return render_template(
        "monitoring/report_form.html",
        round=round_,
        items=items,
        indicators=indicators,
        errors=errors,
        typed=typed,
        statuses=list(Status),
        entity=entity,
        today=today(),
    ), status


@bp.post("/<int:round_id>/items/<int:item_id>")
@login_required
def save_item(round_id: int, item_id: int) -> ResponseReturnValue:
    round_ = _round(round_id)
    me = _me()
    entity = request.args.get("entity") or None
    back = url_for("monitoring.report_form", round_id=round_id, entity=entity)
    item = db.session.get(RoundItem, item_id)
    if item is None or item.round_id != round_.id:
        abort(404)
    if item not in items_to_report(db.session, round_, me):
        raise PermissionDenied(f"{me.name} does not report on {item.subject.code} in this round")
    if request.form.get("action") == "draft":
        save_draft(db.session, item, me, draft_from(request.form))
        db.session.commit()
        flash(f"Draft of {item.subject.code} saved.", "success")
        return redirect(f"{back}#item-{item.id}")
    try:
        indicators = reportable_indicators(db.session, item.activity) if item.activity else []
        fields = report_fields_from(request.form, indicators)
        actor = Actor.of(me, "web")
        submit_report(db.session, round_, item.subject, actor, fields, today(), item.entity_id)
    except (RoundError, EditConflict) as exc:
        db.session.rollback()
        return _render_form(
            round_,
            items_to_report(db.session, round_, me, entity=entity, with_milestones=True),
            {item_id: f"{exc}; nothing was saved"},
            {item_id: draft_from(request.form)},
            entity,
            400,
        )
    db.session.commit()
    flash(f"Report on {item.subject.code} submitted.", "success")
    return redirect(f"{back}#item-{item.id}")


@bp.post("/<int:round_id>/summaries")
@login_required
def summaries(round_id: int) -> ResponseReturnValue:
    """The coordinator's paragraphs for the round's progress report, one per section."""
    round_ = _round(round_id)
    require(
        can_edit_workplan(_me(), round_.working_group),
        f"only coordinators of {round_.working_group.short_name} write the report's summaries",
    )
    round_.summaries = {
        key: text for key in REPORT_SECTIONS if (text := request.form.get(key, "").strip())
    }
    db.session.commit()
    flash("Summaries saved; they appear in the progress report.", "success")
    return redirect(url_for("monitoring.round_page", round_id=round_id) + "#summaries")


reports = Blueprint("reports", __name__, url_prefix="/reports")


def _period(args: Any) -> tuple[date, date]:
    try:
        start = date.fromisoformat(args.get("from", ""))
        end = date.fromisoformat(args.get("to", ""))
    except ValueError:
        abort(400, "give the period as from=YYYY-MM-DD and to=YYYY-MM-DD")
    if end < start:
        abort(400, f"the period ends ({end.isoformat()}) before it starts ({start.isoformat()})")
    return start, end


def _download(report: Report, fmt: str, name: str) -> ResponseReturnValue:
    suffix = f".{fmt}"
    if suffix not in FORMATS:
        abort(400, f"unknown format {fmt!r}; use html, docx or pdf")
    return Response(
        render(report, suffix, today()),
        mimetype=FORMATS[suffix].split(";")[0],
        headers={"Content-Disposition": f'attachment; filename="{name}{suffix}"'},
    )


@reports.get("/")
@login_required
def programme() -> ResponseReturnValue:
    require(can_read(_me()), "sign in first")
    start, end = _period(request.args) if request.args.get("from") else _this_year()
    fmt = request.args.get("format")
    # the documents print every group's report; the page shows only the figures across them
    report = programme_report(db.session, start, end, today(), with_group_reports=bool(fmt))
    if fmt:
        return _download(report, fmt, f"programme-{start}-{end}")
    return render_template(
        "monitoring/programme_page.html",
        programme=report,
        charts=programme_charts(report),
        start=start,
        end=end,
    )


def _this_year() -> tuple[date, date]:
    year = today().year
    return date(year, 1, 1), date(year, 12, 31)


#: A group's progress report as a page, by period, day and whether its reader may edit the
#: group: read at 10,000 activities it costs tens of ms, and coordinators read it again and
#: again while nothing changes. Few: any reader may ask for any period.
_REPORT_PAGES: RememberedAtState[str] = RememberedAtState(32)


@reports.get("/<short_name>")
@login_required
def group_report(short_name: str) -> ResponseReturnValue:
    group = db.session.scalar(sa.select(WorkingGroup).where(WorkingGroup.short_name == short_name))
    if group is None:
        abort(404)
    start, end = _period(request.args) if request.args.get("from") else _this_year()
    if fmt := request.args.get("format"):
        report = progress_report(db.session, group, start, end, today())
        return _download(report, fmt, f"{group.short_name}-{start}-{end}")
    may_edit = can_edit_workplan(_me(), group)
    content = _REPORT_PAGES.get(
        db.session,
        (group.id, start, end, today(), may_edit),
        lambda: render_template(
            "monitoring/_report_page_content.html",
            report=progress_report(db.session, group, start, end, today()),
            start=start,
            end=end,
            may_edit=may_edit,
        ),
    )
    return render_template(
        "monitoring/report_page.html",
        title=f"{group.short_name} progress report",
        content=Markup(content),
    )
