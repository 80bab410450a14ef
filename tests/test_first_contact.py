"""What a newcomer meets first: the command's help, HEAD and the icon, the pinned date, the
calendar page's labels, the edit-conflict message."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner
from flask.cli import ScriptInfo

from tests.webtools import activity, milestone
from tracker.cli import main


def _help(app, *args: str) -> str:
    result = CliRunner().invoke(main, [*args, "--help"], obj=ScriptInfo(create_app=lambda: app))
    assert result.exit_code == 0, result.output
    return result.output


def test_help_lists_the_trackers_commands_only(app):
    page = _help(app)
    commands = re.findall(r"^  ([a-z-]+) ", page.split("Commands:")[1], re.M)
    assert {"serve", "import", "reminders", "login-link", "ask"} <= set(commands)
    assert not {"run", "shell", "routes", "dev"} & set(commands)
    options = page.split("Options:")[1].split("Commands:")[0]
    assert re.findall(r"--[a-z-]+", options) == ["--help"]  # no --env-file, --app, --debug
    # Flask's commands stay reachable for developers, under `tracker dev`
    assert {"run", "shell", "routes"} <= set(re.findall(r"^  ([a-z]+) ", _help(app, "dev"), re.M))


def _pages(session) -> list[str]:
    """One address per GET page: rules without arguments, and an item of each kind."""
    return [
        "/",
        "/login",
        "/items",
        "/items?overdue=1",
        "/timeline",
        "/chat",
        "/chat?q=overdue",
        "/calendar/",
        "/reminders/preferences",
        "/reminders/outbox",
        "/manage/",
        "/groups/WS1",
        f"/activities/{activity(session, 'WS1', '3.4').id}",
        f"/milestones/{milestone(session, 'EGMS', 'EGM-2019').id}",
        "/favicon.ico",
        "/healthz",
        "/api/v1/openapi.json",
    ]


@pytest.mark.parametrize("signed_in", [False, True])
def test_every_get_page_answers_head_alike(client, session, auth, signed_in):
    if signed_in:
        auth.sign_in_as("coordinator@example.org")
    for url in _pages(session):
        with client.get(url) as got, client.head(url) as head:
            assert head.status_code == got.status_code, url
            assert head.headers.get("Content-Type") == got.headers.get("Content-Type"), url
            assert head.get_data() == b"", url
    assert client.head("/login").status_code == (302 if signed_in else 200)


def test_favicon_is_an_icon_and_pages_link_one(client):
    with client.get("/favicon.ico") as icon:
        assert icon.status_code == 200
        assert icon.headers["Content-Type"] in ("image/vnd.microsoft.icon", "image/x-icon")
        assert icon.get_data()[:4] == b"\x00\x00\x01\x00"  # an ICO header
    login = client.get("/login").get_data(as_text=True)
    svg = re.search(r'<link rel="icon" href="([^"]+)"', login).group(1)
    with client.get(svg) as image:
        assert image.headers["Content-Type"].startswith("image/svg+xml")


def test_the_pinned_date_shows_in_every_header(app, client, auth):
    assert "As of 10 January 2020 (date pinned)" in client.get("/login").get_data(as_text=True)
    auth.sign_in_as("member@example.org")
    assert "As of 10 January 2020 (date pinned)" in client.get("/").get_data(as_text=True)
    pinned, app.config["TODAY"] = app.config["TODAY"], None
    try:
        assert "date pinned" not in client.get("/").get_data(as_text=True)
    finally:
        app.config["TODAY"] = pinned


@pytest.mark.parametrize("base", ["http://127.0.0.1:8000", "https://workplans.example.org"])
def test_calendar_page_names_the_scheme_its_addresses_have(app, client, auth, base):
    auth.sign_in_as("coordinator@example.org")
    saved, app.config["BASE_URL"] = app.config["BASE_URL"], base
    try:
        client.post(
            "/calendar/tokens",
            data={"name": "Laptop", "csrf_token": _csrf(client)},
        )
        page = client.get("/calendar/").get_data(as_text=True)
    finally:
        app.config["BASE_URL"] = saved
    scheme = base.split(":")[0]
    other = "https" if scheme == "http" else "http"
    assert f"{scheme}:// address" in page
    assert f">{other}:// address" not in page and f"<strong>{other}://" not in page
    assert re.search(rf'class="feed-url" readonly value="{re.escape(base)}/calendar/', page)


def test_making_a_feed_public_is_a_confirmed_caution_action(client, auth):
    auth.sign_in_as("coordinator@example.org")
    page = client.get("/calendar/").get_data(as_text=True)
    form = re.search(
        r"<form[^>]*/calendar/working-groups/WS1/public[^>]*>.*?</form>", page, re.S
    ).group(0)
    assert 'data-confirm="Make the WS1 feed public? Anyone who has its address' in form
    assert '<button type="submit" class="caution">Make public…</button>' in form


def _csrf(client) -> str:
    from tests.webtools import csrf_token

    return csrf_token(client, "/calendar/")
