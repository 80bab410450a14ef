"""The overview page."""

import sqlalchemy as sa

from tracker.models import Activity


def test_dashboard_lists_groups_and_counts(client, auth):
    auth.sign_in_as("member@example.org")
    page = client.get("/").get_data(as_text=True)
    assert "Programme at a glance" in page
    assert "Global Programme on Migration Statistics" in page
    assert 'href="/groups/WS1"' in page


def test_titles_are_escaped(client, session, auth):
    auth.sign_in_as("member@example.org")
    activity = session.scalars(sa.select(Activity).where(Activity.code == "3.4")).one()
    activity.title = "<script>alert(1)</script>"
    session.commit()
    for url in (f"/activities/{activity.id}", "/items?q=alert", "/timeline?working_group=WS1"):
        page = client.get(url).get_data(as_text=True)
        assert "<script>alert(1)</script>" not in page, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page, url
