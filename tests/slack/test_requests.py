"""What reaches /slack/events: forged and replayed requests, the slash command, mentions and
direct messages, and Slack's retries."""

import json
import time
from urllib.parse import urlencode

import sqlalchemy as sa
from slack_bolt import BoltRequest

from bot.models import SlackHandled
from tests.slack.conftest import signed_headers
from tracker.models import Person


def command_body(text):
    return urlencode({"command": "/workplan", "text": text, "user_id": "U_ILO", "team_id": "T0"})


def test_bad_signature_is_rejected_before_anything_runs(slack, session):
    body = command_body("what's due this month")
    headers = signed_headers(body, "application/x-www-form-urlencoded")
    headers["X-Slack-Signature"] = "v0=" + "0" * 64
    response = slack.client.post("/slack/events", data=body, headers=headers)
    assert response.status_code == 401
    assert slack.api.calls() == []


def test_a_replayed_request_older_than_five_minutes_is_rejected(slack):
    body = command_body("what's due this month")
    old = int(time.time()) - 6 * 60
    headers = signed_headers(body, "application/x-www-form-urlencoded", timestamp=old)
    response = slack.client.post("/slack/events", data=body, headers=headers)
    assert response.status_code == 401
    # a fresh signature on the same body is fine
    fresh = signed_headers(body, "application/x-www-form-urlencoded")
    assert slack.client.post("/slack/events", data=body, headers=fresh).status_code == 200


def test_the_bolt_app_rejects_a_forged_event_dispatched_to_it(slack, session):
    body = json.dumps({"type": "event_callback", "event_id": "EvForged", "event": {}})
    headers = signed_headers(body, "application/json")
    headers["X-Slack-Signature"] = headers["X-Slack-Signature"][:-4] + "beef"
    response = slack.bolt.dispatch(BoltRequest(body=body, headers=headers))
    assert response.status == 401
    assert session.scalar(sa.select(sa.func.count()).select_from(SlackHandled)) == 0


def test_url_verification_echoes_the_challenge(slack):
    body = json.dumps(
        {
            "type": "url_verification",
            "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
            "token": "x",
        }
    )
    response = slack.post(body, "application/json")
    assert response.status_code == 200
    assert "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" in response.get_data(as_text=True)


def test_slash_command_is_answered_in_the_acknowledgement(slack):
    response = slack.command("What's due this month?")
    assert response.status_code == 200
    reply = response.get_json()
    assert reply["response_type"] == "ephemeral"
    assert reply["text"].startswith("6 items due this month (January 2020):")
    blocks = json.dumps(reply["blocks"])
    assert "20-21 January 2020, Cairo, Egypt" in blocks
    assert "see the full list" in blocks
    # nothing else went to Slack: the answer was the acknowledgement itself
    assert [c.method for c in slack.api.calls()] == ["auth.test"]


def test_the_same_answer_comes_from_the_bolt_app_directly(slack):
    body = command_body("status of 3.2")
    request = BoltRequest(
        body=body, headers=signed_headers(body, "application/x-www-form-urlencoded")
    )
    response = slack.bolt.dispatch(request)
    slack.settle()
    assert response.status == 200
    reply = json.loads(response.body)
    assert reply["text"].startswith("WS1 3.2 Close the data gap towards an efficient remittances")
    actions = next(b for b in reply["blocks"] if b["type"] == "actions")
    assert [e["action_id"] for e in actions["elements"]] == [
        "status_in_progress",
        "status_completed",
        "status_delayed",
    ]


def test_a_question_about_the_asker_is_deferred_to_a_lazy_listener(slack, session):
    response = slack.command("what do I lead?", user="U_IOM", response_url="mine")
    assert response.get_json()["text"] == "Looking you up in the tracker…"
    [lookup] = slack.api.wait_for("users.info")
    assert lookup.body["user"] == "U_IOM"
    [later] = slack.api.wait_for("response:mine")
    assert later.body["replace_original"] is True
    assert "open items that IOM (your entity) leads" in later.body["text"]
    iom = session.scalars(sa.select(Person).where(Person.slack_user_id == "U_IOM")).one()
    assert iom.email == "iom.focal-point@example.org"
    # now known, the next such question is answered in the acknowledgement
    again = slack.command("what do I lead?", user="U_IOM", response_url="again")
    assert "IOM (your entity) leads" in again.get_json()["text"]
    assert len(slack.api.calls("users.info")) == 1


def test_a_mention_is_answered_in_its_thread(slack):
    response = slack.event(
        {
            "type": "app_mention",
            "user": "U_MEMBER",
            "text": "<@UBOT> what's overdue?",
            "channel": "C0GENERAL",
            "ts": "1578650000.000100",
        }
    )
    assert response.status_code == 200
    [post] = slack.api.wait_for("chat.postMessage")
    assert post.body["channel"] == "C0GENERAL"
    assert post.body["thread_ts"] == "1578650000.000100"
    assert post.body["text"].startswith("6 overdue items:")
    assert "users.info" not in [c.method for c in slack.api.calls()]


def test_a_reply_in_a_thread_stays_in_that_thread(slack):
    slack.event(
        {
            "type": "app_mention",
            "user": "U_MEMBER",
            "text": "<@UBOT> when is the next IFMS",
            "channel": "C0GENERAL",
            "ts": "1578650000.000300",
            "thread_ts": "1578650000.000200",
        }
    )
    [post] = slack.api.wait_for("chat.postMessage")
    assert post.body["thread_ts"] == "1578650000.000200"
    assert "20-21 January 2020 in Cairo, Egypt" in post.body["text"]


def test_a_direct_message_is_answered_in_thread(slack):
    slack.event(
        {
            "type": "message",
            "channel_type": "im",
            "user": "U_ILO",
            "text": "status of the rural migration module",
            "channel": "D0ILO",
            "ts": "1578650000.000400",
        }
    )
    [post] = slack.api.wait_for("chat.postMessage")
    assert post.body["channel"] == "D0ILO"
    assert post.body["thread_ts"] == "1578650000.000400"
    assert post.body["text"].startswith("WS1 3.1 Develop a standard module on rural migration")


def test_the_bots_own_messages_and_edits_get_no_answer(slack):
    own = slack.event(
        {
            "type": "message",
            "channel_type": "im",
            "user": "UBOT",
            "bot_id": "BBOT",
            "text": "6 overdue items:",
            "channel": "D0ILO",
            "ts": "1578650000.000500",
        }
    )
    edit = slack.event(
        {
            "type": "message",
            "subtype": "message_changed",
            "channel_type": "im",
            "channel": "D0ILO",
            "ts": "1578650000.000600",
            "message": {"text": "overdue"},
        }
    )
    assert own.status_code == edit.status_code == 200
    assert slack.api.calls("chat.postMessage") == []


def test_a_retried_event_is_answered_once(slack, session):
    event = {
        "type": "app_mention",
        "user": "U_MEMBER",
        "text": "<@UBOT> due soon",
        "channel": "C0GENERAL",
        "ts": "1578650000.000700",
    }
    first = slack.event(event, event_id="Ev0RETRY1")
    retry = slack.event(
        event,
        event_id="Ev0RETRY1",
        **{"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"},
    )
    assert first.status_code == retry.status_code == 200
    assert len(slack.api.calls("chat.postMessage")) == 1
    keys = session.scalars(sa.select(SlackHandled.key)).all()
    assert keys == ["event:Ev0RETRY1"]
    # another event is answered
    slack.event(event, event_id="Ev0OTHER")
    assert len(slack.api.calls("chat.postMessage")) == 2


def test_without_slack_settings_the_endpoint_says_what_is_missing(client, app):
    assert app.config["SLACK_BOT_TOKEN"] is None
    response = client.post("/slack/events", data="{}", content_type="application/json")
    assert response.status_code == 503
    assert "SLACK_BOT_TOKEN" in response.get_json()["error"]
