"""Monitoring as JSON: a group's results framework, and reporting rounds with their completion."""

from __future__ import annotations

from flask import abort, jsonify
from flask.typing import ResponseReturnValue

from tracker.api import bp
from tracker.auth import current_person
from tracker.clock import today
from tracker.domain.entities import UnknownName, resolve_working_group
from tracker.domain.monitoring import chain_json, results_chain, round_status, rounds_of
from tracker.domain.permissions import can_read, require
from tracker.extensions import db
from tracker.monitoring.models import ReportingRound


@bp.get("/working-groups/<name>/results")
def results(name: str) -> ResponseReturnValue:
    require(can_read(current_person()), "sign in first")
    try:
        group = resolve_working_group(db.session, name)
    except UnknownName:
        abort(404)
    return jsonify(chain_json(results_chain(db.session, group)))


def _round_json(round_: ReportingRound) -> dict[str, object]:
    status = round_status(db.session, round_, today())
    return {
        "id": round_.id,
        "working_group": round_.working_group.short_name,
        "label": round_.label,
        "period": {"start": round_.period_start.isoformat(), "end": round_.period_end.isoformat()},
        "due": round_.due_date.isoformat(),
        "open": round_.is_open,
        "items": status.total,
        "reported": status.reported,
        "entities": [
            {
                "entity": e.entity.acronym,
                "state": e.state.value,
                "items": [
                    {
                        "code": item.subject.code,
                        "kind": "activity" if item.activity_id is not None else "milestone",
                        "activity_id": item.activity_id,
                        "milestone_id": item.milestone_id,
                        "state": state.value,
                        "report": item.report,
                    }
                    for item, state in e.items
                ],
            }
            for e in status.entities
        ],
    }


@bp.get("/rounds")
def rounds() -> ResponseReturnValue:
    require(can_read(current_person()), "sign in first")
    return jsonify(
        {
            "rounds": [
                {k: v for k, v in _round_json(r).items() if k != "entities"}
                for r in rounds_of(db.session)
            ]
        }
    )


@bp.get("/rounds/<int:round_id>")
def round_detail(round_id: int) -> ResponseReturnValue:
    require(can_read(current_person()), "sign in first")
    round_ = db.session.get(ReportingRound, round_id)
    if round_ is None:
        abort(404)
    return jsonify(_round_json(round_))
