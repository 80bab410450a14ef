"""Cross-cutting themes (gender, capacity building, ...): how they are named, and which
activities a filter by theme keeps. Below both the item query and the results framework,
which each need it."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from tracker.models import Activity
from tracker.monitoring.models import ActivityTheme, Theme


def theme_key(name: str) -> str:
    """ "Capacity building" -> "capacity-building": how files and filters name a theme."""
    return "-".join(name.strip().lower().replace("_", " ").replace("-", " ").split())


def activities_with_themes(keys: Iterable[str]) -> sa.Select[tuple[int]]:
    """Ids of the activities tagged with any of the themes, and of their sub-activities: the
    condition a list filtered by theme keeps (`Activity.id.in_(...)`)."""
    tagged = (
        sa.select(ActivityTheme.activity_id)
        .join(Theme, Theme.id == ActivityTheme.theme_id)
        .where(Theme.key.in_([theme_key(k) for k in keys]))
    )
    children = sa.select(Activity.id).where(Activity.parent_id.in_(tagged))
    return sa.union(tagged, children).subquery().select()  # type: ignore[return-value]
