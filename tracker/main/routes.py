from __future__ import annotations

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import render_template

from tracker.clock import today
from tracker.extensions import db
from tracker.main import bp
from tracker.models import Activity, ActivityEntity, Milestone, WorkingGroup, WorkingGroupEntity


@bp.route("/")
def index() -> str:
    groups = db.session.scalars(
        sa.select(WorkingGroup)
        .options(
            so.selectinload(WorkingGroup.entity_links).joinedload(WorkingGroupEntity.entity),
            so.selectinload(WorkingGroup.activities)
            .selectinload(Activity.entity_links)
            .joinedload(ActivityEntity.entity),
            so.selectinload(WorkingGroup.milestones),
        )
        .order_by(WorkingGroup.name)
    ).all()
    return render_template("index.html", groups=groups, today=today(), Milestone=Milestone)
