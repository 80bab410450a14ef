"""A large synthetic programme for benchmarks and load tests (`tracker demo-data`).

The mix follows the seed workplans: working groups with lead and member entities, activities
two levels deep with fuzzy timelines as people write them, milestones of every kind (some
timed, in a time zone), a few recurring items, and statuses spread over the whole range.
Rows are written with bulk inserts; the same `seed` gives the same programme.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from datetime import time

import sqlalchemy as sa
import sqlalchemy.orm as so

from tracker.domain.items import milestone_due
from tracker.models import (
    Activity,
    ActivityEntity,
    Entity,
    EntityRole,
    GroupRole,
    Milestone,
    MilestoneKind,
    Status,
    WorkingGroup,
    WorkingGroupEntity,
    code_sort_key,
    utcnow,
)
from tracker.timeline import Timeline, parse_timeline

_MONTHS = [
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
]  # fmt: skip
_TOPICS = [
    "census questions", "household survey module", "remittance market data",
    "labour migration statistics", "recruitment cost indicator", "migrant health indicators",
    "data portal", "capacity building workshop", "trafficking report", "smuggling observatory",
    "administrative data integration", "big data pilot", "disaggregation guidance",
    "national migration data strategy", "regional observatory",
]  # fmt: skip
_VERBS = ["Prepare", "Develop", "Maintain", "Implement", "Assess", "Produce", "Convene", "Review"]
_STATUSES = [Status.NOT_REPORTED] * 4 + [Status.PLANNED, Status.IN_PROGRESS] * 2 + [
    Status.COMPLETED, Status.DELAYED, Status.CANCELLED,
]  # fmt: skip


def _timeline_text(rng: random.Random) -> str:
    year = rng.randint(2018, 2027)
    month = rng.randint(1, 12)
    span = rng.randint(1, 30)
    end_year, end_month = year + (month - 1 + span) // 12, (month - 1 + span) % 12 + 1
    return rng.choice(
        [
            f"{_MONTHS[month - 1]} {year} – {_MONTHS[end_month - 1]} {end_year}",
            f"{_MONTHS[month - 1]} {year} – Ongoing",
            f"Ongoing – {_MONTHS[end_month - 1]} {end_year}",
            f"{year} – {end_year}",
            f"End of {year} – End of {end_year}",
            f"Q{rng.randint(1, 4)} {year}",
            f"by {_MONTHS[end_month - 1]} {end_year}",
            "Ongoing",
        ]
    )


def _milestone_text(rng: random.Random) -> str:
    year, month, day = rng.randint(2018, 2028), rng.randint(1, 12), rng.randint(1, 27)
    return rng.choice(
        [
            f"{day} {_MONTHS[month - 1]} {year}",
            f"{day}-{day + 1} {_MONTHS[month - 1]} {year}",
            f"{_MONTHS[month - 1]} {year}",
        ]
    )


def _activity_ids(session: so.Session, group_ids: list[int]) -> dict[tuple[int, str], int]:
    """(working group id, code) -> activity id, for the groups just generated."""
    query = sa.select(Activity.id, Activity.working_group_id, Activity.code).where(
        Activity.working_group_id.in_(group_ids)
    )
    return {(r.working_group_id, r.code): r.id for r in session.execute(query)}


def generate(
    session: so.Session,
    *,
    activities: int,
    milestones: int,
    groups: int = 20,
    seed: int = 2020,
    progress: Callable[[int], None] | None = None,
) -> None:
    """Add a synthetic programme of `activities` activities and `milestones` milestones."""
    rng = random.Random(seed)
    entities = session.scalars(sa.select(Entity).order_by(Entity.id)).all()
    if len(entities) < 4:
        raise ValueError("load the seed registry first: demo data uses its entities")
    now = utcnow()
    prefix = f"D{seed}-"
    group_rows = [
        {
            "short_name": f"{prefix}{g + 1:02d}",
            "name": f"Demo working group {g + 1}",
            "description": "Synthetic programme for benchmarks.",
            "objectives": "",
            "reminder_lead_days": "30,7,1,0",
            "feed_public": False,
            "created_at": now,
            "updated_at": now,
        }
        for g in range(groups)
    ]
    session.execute(sa.insert(WorkingGroup), group_rows)
    group_ids = session.scalars(
        sa.select(WorkingGroup.id)
        .where(WorkingGroup.short_name.startswith(prefix))
        .order_by(WorkingGroup.id)
    ).all()
    session.execute(
        sa.insert(WorkingGroupEntity),
        [
            {
                "working_group_id": gid,
                "entity_id": e.id,
                "role": GroupRole.LEAD if i < 2 else GroupRole.MEMBER,
            }
            for gid in group_ids
            for i, e in enumerate(rng.sample(entities, min(6, len(entities))))
        ],
    )

    timelines: dict[str, Timeline] = {}

    def parsed(text: str) -> Timeline:
        if text not in timelines:
            timelines[text] = parse_timeline(text)
        return timelines[text]

    activity_rows, chosen_entities = [], []
    per_group = max(activities // len(group_ids), 1)
    for n in range(activities):
        group_index = min(n // per_group, len(group_ids) - 1)
        gid = group_ids[group_index]
        local = n - group_index * per_group
        top, sub = divmod(local, 10)
        code = f"{top + 1}" if sub == 0 else f"{top + 1}.{sub}"
        recurring = rng.random() < 0.01
        text = _timeline_text(rng)
        if recurring:
            text = f"January {rng.randint(2016, 2020)} – Ongoing (every other year)"
        t = parsed(text)
        chosen = rng.sample(entities, rng.randint(1, 3))
        partners = ", ".join(e.acronym for e in chosen[1:])
        chosen_entities.append(chosen)
        activity_rows.append(
            {
                "uid": str(uuid.UUID(int=rng.getrandbits(128))),
                "working_group_id": gid,
                "code": code,
                "sort_key": code_sort_key(code),
                "title": f"{rng.choice(_VERBS)} {rng.choice(_TOPICS)} ({n + 1})",
                "description": "Synthetic activity.",
                "entities_text": chosen[0].acronym + (f" ({partners})" if partners else ""),
                "status": rng.choice(_STATUSES),
                "progress_note": "",
                "version": 1,
                "timeline_text": text,
                "planned_start": t.start,
                "planned_end": t.end,
                "planned_start_precision": t.start_precision,
                "planned_end_precision": t.end_precision,
                "ongoing": t.ongoing,
                "recurrence": t.recurrence,
                "created_at": now,
                "updated_at": now,
            }
        )
    # parents first, so children can carry their parent's id
    parents = [row for row in activity_rows if "." not in row["code"]]
    session.execute(sa.insert(Activity), parents)
    parent_ids = _activity_ids(session, group_ids)
    children = [
        row | {"parent_id": parent_ids[(row["working_group_id"], row["code"].split(".")[0])]}
        for row in activity_rows
        if "." in row["code"]
    ]
    if children:
        session.execute(sa.insert(Activity), children)
    ids = _activity_ids(session, group_ids)
    rows = [ids[(row["working_group_id"], row["code"])] for row in activity_rows]
    session.execute(
        sa.insert(ActivityEntity),
        [
            {
                "activity_id": activity_id,
                "entity_id": e.id,
                "role": EntityRole.LEAD if i == 0 else EntityRole.PARTNER,
            }
            for activity_id, chosen in zip(rows, chosen_entities, strict=True)
            for i, e in enumerate(chosen)
        ],
    )
    if progress:
        progress(activities)

    activity_ids = rows
    group_of = {
        ids[(row["working_group_id"], row["code"])]: row["working_group_id"]
        for row in activity_rows
    }
    kinds = list(MilestoneKind)
    milestone_rows = []
    for n in range(milestones):
        aid = activity_ids[n % len(activity_ids)]
        kind = kinds[n % len(kinds)]
        text = _milestone_text(rng)
        t = parsed(text)
        timed = kind == MilestoneKind.MEETING and rng.random() < 0.2
        milestone_rows.append(
            {
                "uid": str(uuid.UUID(int=rng.getrandbits(128))),
                "working_group_id": group_of[aid],
                "activity_id": aid,
                "code": f"M{n + 1}",
                "kind": kind,
                "title": f"{kind.value.title()} {n + 1}: {rng.choice(_TOPICS)}",
                "description": "",
                "date_text": text,
                "start_date": t.start,
                "end_date": t.end,
                "start_precision": t.start_precision,
                "end_precision": t.end_precision,
                "start_time": time(9, 0) if timed else None,
                "end_time": time(11, 30) if timed else None,
                "timezone": "Europe/Paris" if timed else None,
                "location": rng.choice(["", "Online", "New York", "Geneva", "Cairo, Egypt"]),
                "recurrence": "FREQ=YEARLY;INTERVAL=2" if rng.random() < 0.002 else None,
                "due_date": milestone_due(kind, t.start, t.end),
                "status": rng.choice(_STATUSES),
                "progress_note": "",
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
        )
        if len(milestone_rows) == 5000:
            session.execute(sa.insert(Milestone), milestone_rows)
            milestone_rows = []
            if progress:
                progress(5000)
    if milestone_rows:
        session.execute(sa.insert(Milestone), milestone_rows)
        if progress:
            progress(len(milestone_rows))
