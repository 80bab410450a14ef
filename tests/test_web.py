"""The overview page."""

import sqlalchemy as sa

from tracker.models import Activity


def test_index_lists_groups_activities_and_timelines(client):
    page = client.get("/").get_data(as_text=True)
    assert "Thematic workstream 1" in page
    assert "Ongoing – June 2020" in page
    assert "International Forum on Migration Statistics (IFMS)" in page


def test_titles_are_escaped(client, session):
    activity = session.scalars(sa.select(Activity).where(Activity.code == "3.4")).one()
    activity.title = "<script>alert(1)</script>"
    session.commit()
    page = client.get("/").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
