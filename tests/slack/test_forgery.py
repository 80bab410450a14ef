"""Forged, stale and malformed Slack requests, and what the bot's messages may make Slack do.

The matrix signs (or fails to sign) one slash command with every kind of signature and
timestamp; only a genuine signature on a fresh whole-number timestamp is answered, the rest
get 401 with nothing run and nothing sent to Slack.
"""

from __future__ import annotations

import itertools
import time
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

from tests.slack.conftest import SECRET
from tests.webtools import activity

BODY = urlencode(
    {"command": "/workplan", "text": "status of 3.4", "user_id": "U_ILO", "team_id": "T0TEST"}
)


FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def _timestamps() -> dict[str, str]:
    now = int(time.time())
    return {
        "fresh": str(now),
        "six minutes old": str(now - 6 * 60),
        "six minutes ahead": str(now + 6 * 60),
        "zero": "0",
        "not a number": "yesterday",
        "empty": "",
        "float": f"{now}.5",
        "exponent": "1.7e9",
        "signed": f"+{now}",
        "negative": "-1",
        "spaces": f" {now} ",
        "full-width digits": str(now).translate(FULL_WIDTH),
        "huge": "9" * 400,
    }


def _signatures(timestamp: str, body: str) -> dict[str, str | None]:
    genuine = SignatureVerifier(SECRET).generate_signature(timestamp=timestamp, body=body)
    assert genuine is not None
    other = SignatureVerifier("another-app").generate_signature(timestamp=timestamp, body=body)
    return {
        "genuine": genuine,
        "another app's secret": other,
        "zeros": "v0=" + "0" * 64,
        "other version": "v1=" + genuine.removeprefix("v0="),
        "truncated": genuine[:-2],
        "missing": None,
    }


def test_forgery_matrix(slack):
    outcomes: dict[tuple[str, str], int] = {}
    for (ts_name, timestamp), sig_name in itertools.product(
        _timestamps().items(), _signatures("0", BODY)
    ):
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        headers["X-Slack-Request-Timestamp"] = timestamp
        signature = _signatures(timestamp, BODY)[sig_name]
        if signature is not None:
            headers["X-Slack-Signature"] = signature
        response = slack.client.post("/slack/events", data=BODY, headers=headers)
        outcomes[(ts_name, sig_name)] = response.status_code
    # the body changed after signing
    fresh = _timestamps()["fresh"]
    tampered = slack.client.post(
        "/slack/events",
        data=BODY.replace("U_ILO", "U_COORD"),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": fresh,
            "X-Slack-Signature": _signatures(fresh, BODY)["genuine"] or "",
        },
    )
    outcomes[("fresh", "genuine, body changed")] = tampered.status_code

    answered = [key for key, status in outcomes.items() if status == 200]
    refused = [key for key, status in outcomes.items() if status == 401]
    assert answered == [("fresh", "genuine")]
    assert len(refused) == len(outcomes) - 1, outcomes
    assert (len(outcomes), len(refused)) == (79, 78)
    print(f"Slack forgery matrix: {len(outcomes)} requests tried, {len(refused)} refused")
    # only the genuine request reached Slack's Web API (its answer is the acknowledgement)
    assert [c.method for c in slack.api.calls()] == ["auth.test"]


def _planted(session) -> str:
    item = activity(session, "WS1", "3.4")
    item.title = "Census <!channel> <http://evil.example|click here> & more"
    session.commit()
    return item.code


def _unescaped(text: str) -> list[str]:
    return [markup for markup in ("<!channel>", "<http://evil.example|", " & ") if markup in text]


def test_fallback_text_of_an_answer_is_escaped_like_its_blocks(slack, session):
    code = _planted(session)
    reply = slack.command(f"status of {code}").get_json()
    assert "&lt;!channel&gt;" in reply["text"], reply["text"]
    assert _unescaped(reply["text"]) == []
    slack.event(
        {
            "type": "app_mention",
            "user": "U_MEMBER",
            "text": f"<@UBOT> status of {code}",
            "channel": "C0GENERAL",
            "ts": "1578650000.000100",
        }
    )
    [post] = slack.api.wait_for("chat.postMessage")
    assert "&lt;http://evil.example|click here&gt;" in post.body["text"]
    assert _unescaped(post.body["text"]) == []
