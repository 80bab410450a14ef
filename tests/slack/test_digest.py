"""The weekly digest to each working group's channel, and the `tracker bot` commands."""

import json
from datetime import date

import sqlalchemy as sa
from slack_sdk import WebClient

from bot.slack.digest import post_weekly_digests, weekly_digest_job
from bot.slack.socket_mode import socket_mode_handler
from tests.slack.conftest import TOKEN
from tests.slack.fake import TEAM, FakeSocketMode
from tracker.models import Person, WorkingGroup


def give_channels(session):
    for short_name, channel in (("WS1", "C0WS1"), ("EGMS", "C0EGMS")):
        group = session.scalars(
            sa.select(WorkingGroup).where(WorkingGroup.short_name == short_name)
        )
        group.one().slack_channel = channel
    session.commit()


def test_the_job_posts_each_groups_digest_once_a_week(slack_config, session, fake_slack):
    give_channels(session)
    digests = weekly_digest_job(slack_config)
    assert [(d.working_group, d.channel, d.outcome) for d in digests] == [
        ("EGMS", "C0EGMS", "posted"),
        ("WS1", "C0WS1", "posted"),
    ]
    egms, ws1 = fake_slack.wait_for("chat.postMessage", count=2)
    assert ws1.body["channel"] == "C0WS1"
    assert ws1.body["text"] == "Weekly digest for WS1: 2 overdue, 2 due in the next 30 days."
    blocks = json.dumps(ws1.json("blocks"), ensure_ascii=False)
    assert "Weekly digest: WS1" in blocks
    assert "Thematic workstream 1 · week of 6 January 2020" in blocks
    assert "WS1 1-M1" in blocks  # overdue since December 2019
    assert egms.body["text"] == "Weekly digest for EGMS: 0 overdue, 4 due in the next 30 days."

    again = weekly_digest_job(slack_config)  # a second run in the same week, e.g. after downtime
    assert {d.outcome for d in again} == {"already posted this week"}
    assert len(fake_slack.calls("chat.postMessage")) == 2

    client = WebClient(token=TOKEN, base_url=fake_slack.api_url)
    next_week = post_weekly_digests(date(2020, 1, 13), client=client)
    assert {d.outcome for d in next_week} == {"posted"}
    assert len(fake_slack.calls("chat.postMessage")) == 4


def test_a_digest_slack_refused_is_tried_again_by_the_next_run(slack_config, session, fake_slack):
    give_channels(session)
    client = WebClient(token=TOKEN, base_url=fake_slack.api_url)
    fake_slack.failures["chat.postMessage"] = "channel_not_found"
    failed = post_weekly_digests(date(2020, 1, 10), working_group="WS1", client=client)
    assert [d.outcome for d in failed] == ["not posted: channel_not_found"]
    del fake_slack.failures["chat.postMessage"]
    retried = post_weekly_digests(date(2020, 1, 10), working_group="WS1", client=client)
    assert [d.outcome for d in retried] == ["posted"]


def test_digest_command_dry_run_and_post(slack_config, runner, session, fake_slack):
    give_channels(session)
    dry = runner.invoke(args=["bot", "digest", "--dry-run", "--working-group", "ws1"])
    assert dry.exit_code == 0, dry.output
    assert "WS1 → C0WS1: would post" in dry.output
    assert fake_slack.calls("chat.postMessage") == []
    posted = runner.invoke(args=["bot", "digest", "--today", "2020-01-10"])
    assert posted.exit_code == 0, posted.output
    assert "EGMS → C0EGMS: posted" in posted.output
    assert len(fake_slack.calls("chat.postMessage")) == 2


def test_digest_command_says_what_is_missing(runner, session, app):
    assert runner.invoke(args=["bot", "digest"]).output.startswith("no working group has")
    give_channels(session)
    assert app.config["SLACK_BOT_TOKEN"] is None
    result = runner.invoke(args=["bot", "digest"])
    assert result.exit_code == 1
    assert "SLACK_BOT_TOKEN is not set" in result.output
    unknown = runner.invoke(args=["bot", "digest", "--dry-run", "--working-group", "WS9"])
    assert "unknown working group 'WS9'; did you mean WS1?" in unknown.output


def test_link_people_matches_people_by_email(slack_config, runner, session, fake_slack):
    result = runner.invoke(args=["bot", "link-people"])
    assert result.exit_code == 0, result.output
    assert "ilo.focal-point@example.org: U_ILO" in result.output
    assert "who.focal-point@example.org: not found (users_not_found)" in result.output
    looked_up = {c.body["email"] for c in fake_slack.calls("users.lookupByEmail")}
    assert "coordinator@example.org" in looked_up
    ilo = session.scalars(sa.select(Person).where(Person.email == "ilo.focal-point@example.org"))
    assert ilo.one().slack_user_id == "U_ILO"


def test_socket_mode_needs_an_app_token(slack_config, runner):
    result = runner.invoke(args=["bot", "--socket"])
    assert result.exit_code == 1
    assert "SLACK_APP_TOKEN is not set" in result.output


def test_socket_mode_answers_a_slash_command_over_the_websocket(slack_config, session, fake_slack):
    slack_config.config["SLACK_APP_TOKEN"] = "xapp-test"
    with FakeSocketMode() as socket_server:
        fake_slack.socket_url = socket_server.url
        handler = socket_mode_handler(slack_config)
        handler.connect()
        try:
            socket_server.send(
                {
                    "envelope_id": "env-1",
                    "type": "slash_commands",
                    "accepts_response_payload": True,
                    "payload": {
                        "command": "/workplan",
                        "text": "when is the next IFMS",
                        "user_id": "U_ILO",
                        "channel_id": "C0GENERAL",
                        "team_id": TEAM,
                        "response_url": fake_slack.response_url(),
                        "trigger_id": "trigger-9",
                    },
                }
            )
            ack = socket_server.wait_for_ack("env-1")
        finally:
            # the server hangs up first, so the client's pending read ends at once
            handler.client.auto_reconnect_enabled = False
            socket_server.hang_up()
            handler.close()
            assert handler.app.executor.wait_idle(5)
    assert ack["payload"]["text"].startswith(
        "The next International Forum on Migration Statistics (IFMS) is on 20-21 January 2020"
    )
    [opened] = fake_slack.calls("apps.connections.open")
    assert opened.headers["Authorization"] == "Bearer xapp-test"
