"""NUL characters and over-long text arriving from Slack, with a genuine signature: answered
or refused in words, never a failing listener, and nothing stored (PostgreSQL refuses a NUL
in any text it is sent, so one that reached a query would fail there)."""

import pytest
import sqlalchemy as sa

from bot.models import BotConversation
from tests.slack.test_updates import buttons, item, press, submit_note
from tracker.models import Activity, Status, StatusChange

HOSTILE = {"nul": "Waiting\x00 for data", "long": "x" * 20_000}


@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_command_with_hostile_text_is_answered(slack, text):
    response = slack.command(f"what does ILO lead {text}")
    assert response.status_code == 200
    assert response.get_json()["blocks"]


@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_mention_with_hostile_text_is_answered_and_remembered_escaped(slack, session, text):
    thread = "1578650000.000300"
    response = slack.event(
        {
            "type": "app_mention",
            "user": "U_ILO",
            "channel": "C0GENERAL",
            "ts": thread,
            "text": f"<@U0BOT> what does ILO lead {text}",
        }
    )
    assert response.status_code == 200
    [reply] = slack.api.wait_for("chat.postMessage")
    assert reply.body["thread_ts"] == thread
    states = session.scalars(sa.select(BotConversation.state)).all()
    assert all("\x00" not in state for state in states)


@pytest.mark.parametrize(
    ("note", "says"),
    [(HOSTILE["nul"], "NUL character"), (HOSTILE["long"], "5000 characters")],
    ids=HOSTILE.keys(),
)
def test_a_delay_note_with_hostile_text_is_refused_in_the_modal(slack, session, note, says):
    history = session.scalar(sa.select(sa.func.count()).select_from(StatusChange))
    value = buttons(slack, "status of 3.3 in WS1")["status_delayed"]
    press(slack, "status_delayed", value)
    modal = slack.api.wait_for("views.open")[0].json("view")
    response = submit_note(slack, modal["private_metadata"], note)
    assert response.status_code == 200
    errors = response.get_json()["errors"]["note"]
    assert errors.startswith("Nothing was changed") and says in errors
    assert item(session, Activity, "3.3").status == Status.NOT_REPORTED
    assert session.scalar(sa.select(sa.func.count()).select_from(StatusChange)) == history
