"""Leads update status from Slack: buttons on an item, the "delayed" modal, the App Home tab."""

import json

import pytest
import sqlalchemy as sa

from bot.slack.people import NOT_MATCHED
from tests.slack.fake import TEAM
from tracker.domain.status import Actor, update_progress
from tracker.models import Activity, Milestone, Person, Status

MESSAGE_TS = "1578650000.000100"


def item(session, model, code):
    return session.scalars(sa.select(model).where(model.code == code)).one()


def buttons(slack, question, user="U_ILO"):
    """The status buttons of the answer to a question, by action id."""
    blocks = slack.command(question, user=user).get_json()["blocks"]
    actions = next(b for b in blocks if b["type"] == "actions")
    return {e["action_id"]: e["value"] for e in actions["elements"]}


def press(slack, action_id, value, user="U_ILO", *, ephemeral=False):
    return slack.interaction(
        {
            "type": "block_actions",
            "team": {"id": TEAM},
            "user": {"id": user},
            "api_app_id": "A0TEST",
            "trigger_id": "trigger-2",
            "container": {
                "type": "message",
                "message_ts": MESSAGE_TS,
                "channel_id": "C0GENERAL",
                "is_ephemeral": ephemeral,
            },
            "channel": {"id": "C0GENERAL"},
            "response_url": slack.api.response_url("button"),
            "actions": [
                {"action_id": action_id, "block_id": "status", "type": "button", "value": value}
            ],
        }
    )


def choose_on_home(slack, value, user="U_IOM"):
    return slack.interaction(
        {
            "type": "block_actions",
            "team": {"id": TEAM},
            "user": {"id": user},
            "api_app_id": "A0TEST",
            "trigger_id": "trigger-3",
            "container": {"type": "view", "view_id": "V0TEST"},
            "view": {"id": "V0TEST", "type": "home"},
            "actions": [
                {
                    "action_id": "status_menu",
                    "block_id": "item",
                    "type": "overflow",
                    "selected_option": {"value": value},
                }
            ],
        }
    )


def submit_note(slack, metadata, note, user="U_ILO"):
    return slack.interaction(
        {
            "type": "view_submission",
            "team": {"id": TEAM},
            "user": {"id": user},
            "api_app_id": "A0TEST",
            "trigger_id": "trigger-4",
            "view": {
                "id": "V0MODAL",
                "type": "modal",
                "callback_id": "delay_note",
                "private_metadata": metadata,
                "state": {
                    "values": {"note": {"note": {"type": "plain_text_input", "value": note}}}
                },
            },
        }
    )


def test_a_lead_marks_an_item_completed_and_the_message_shows_it(slack, session):
    value = buttons(slack, "status of 3.3 in WS1")["status_completed"]
    response = press(slack, "status_completed", value)
    assert response.status_code == 200
    [lookup] = slack.api.wait_for("users.info")
    assert lookup.body["user"] == "U_ILO"
    [update] = slack.api.wait_for("chat.update")
    assert (update.body["channel"], update.body["ts"]) == ("C0GENERAL", MESSAGE_TS)
    assert update.body["text"].startswith("WS1 3.3 Implement the 20th International Conference")
    assert ": completed." in update.body["text"]
    assert "Last update: completed, by ILO focal point (slack)" in json.dumps(update.json("blocks"))

    activity = item(session, Activity, "3.3")
    session.refresh(activity)
    assert activity.status == Status.COMPLETED
    last = activity.history[-1]
    assert (last.source, last.person.email, last.to_status) == (
        "slack",
        "ilo.focal-point@example.org",
        Status.COMPLETED,
    )
    ilo = session.scalars(sa.select(Person).where(Person.slack_user_id == "U_ILO")).one()
    assert ilo.email == "ilo.focal-point@example.org"


def test_on_an_ephemeral_answer_the_update_replaces_the_answer(slack, session):
    value = buttons(slack, "status of 3.5")["status_in_progress"]
    press(slack, "status_in_progress", value, ephemeral=True)
    [replaced] = slack.api.wait_for("response:button")
    assert replaced.body["replace_original"] is True
    assert (
        "WS1 3.5 Update global and regional estimates of migrant workers: in progress."
        in (replaced.body["text"])
    )
    assert slack.api.calls("chat.update") == []
    assert item(session, Activity, "3.5").status == Status.IN_PROGRESS


@pytest.mark.parametrize(
    ("user", "why"),
    [
        (
            "U_MEMBER",
            "Only people of the entities leading WS1 3.3 (ILO) and the coordinators of WS1",
        ),
        ("U_IOM", "IOM focal point is neither"),
        ("U_STRANGER", NOT_MATCHED),
    ],
)
def test_anyone_but_a_lead_is_told_why_not(slack, session, user, why):
    value = buttons(slack, "status of 3.3 in WS1")["status_completed"]
    press(slack, "status_completed", value, user=user)
    [told] = slack.api.wait_for("response:button")
    assert why in told.body["text"]
    assert told.body["response_type"] == "ephemeral"
    assert told.body["replace_original"] is False
    assert slack.api.calls("chat.update") == []
    activity = item(session, Activity, "3.3")
    assert activity.status == Status.NOT_REPORTED
    assert [entry.source for entry in activity.history] == ["import"]


def test_a_coordinator_may_update_any_item_of_their_groups(slack, session):
    value = buttons(slack, "status of 3.3 in WS1")["status_completed"]
    press(slack, "status_completed", value, user="U_COORD")
    slack.api.wait_for("chat.update")
    assert item(session, Activity, "3.3").history[-1].person.email == "coordinator@example.org"


def test_a_button_drawn_before_someone_else_changed_the_item_changes_nothing(slack, session):
    value = buttons(slack, "status of 3.3 in WS1")["status_completed"]
    activity = item(session, Activity, "3.3")
    coordinator = session.scalars(
        sa.select(Person).where(Person.email == "coordinator@example.org")
    ).one()
    update_progress(session, activity, Actor.of(coordinator, "web"), status=Status.DELAYED)
    session.commit()

    press(slack, "status_completed", value)
    [told] = slack.api.wait_for("response:button")
    assert told.body["text"].startswith("Nothing was changed: WS1 3.3 was changed by someone else")
    [redrawn] = slack.api.wait_for("chat.update")
    assert ": delayed." in redrawn.body["text"]
    session.refresh(activity)
    assert activity.status == Status.DELAYED


def test_pressing_the_same_button_twice_records_one_change(slack, session):
    value = buttons(slack, "status of 3.3 in WS1")["status_in_progress"]
    press(slack, "status_in_progress", value)
    slack.api.wait_for("chat.update")
    fresh = buttons(slack, "status of 3.3 in WS1")["status_in_progress"]
    press(slack, "status_in_progress", fresh)
    [told] = slack.api.wait_for("response:button")
    assert told.body["text"] == "WS1 3.3 is already in progress."
    sources = [entry.source for entry in item(session, Activity, "3.3").history]
    assert sources == ["import", "slack"]


def test_delayed_asks_for_a_note_and_records_it(slack, session):
    value = buttons(slack, "status of 3.3 in WS1")["status_delayed"]
    press(slack, "status_delayed", value)
    [opened] = slack.api.wait_for("views.open")
    modal = opened.json("view")
    assert opened.body["trigger_id"] == "trigger-2"
    assert modal["callback_id"] == "delay_note"
    assert item(session, Activity, "3.3").status == Status.NOT_REPORTED  # not before the note

    response = submit_note(slack, modal["private_metadata"], "  Waiting for the survey data  ")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == ""  # the modal closes
    activity = item(session, Activity, "3.3")
    session.refresh(activity)
    assert activity.status == Status.DELAYED
    assert activity.progress_note == "Waiting for the survey data"
    entry = activity.history[-1]
    assert (entry.source, entry.note, entry.person.email) == (
        "slack",
        "Waiting for the survey data",
        "ilo.focal-point@example.org",
    )
    [redrawn] = slack.api.wait_for("chat.update")
    assert "Waiting for the survey data" in redrawn.body["text"]


def test_a_delay_without_a_note_is_refused_in_the_modal(slack, session):
    value = buttons(slack, "status of 3.3 in WS1")["status_delayed"]
    press(slack, "status_delayed", value)
    modal = slack.api.wait_for("views.open")[0].json("view")
    response = submit_note(slack, modal["private_metadata"], "   ")
    assert response.get_json() == {
        "response_action": "errors",
        "errors": {"note": "Say what delays it."},
    }
    assert item(session, Activity, "3.3").status == Status.NOT_REPORTED


def test_a_delay_submitted_by_someone_not_leading_is_refused_in_the_modal(slack, session):
    value = buttons(slack, "status of 3.3 in WS1")["status_delayed"]
    press(slack, "status_delayed", value)
    modal = slack.api.wait_for("views.open")[0].json("view")
    member = session.scalars(sa.select(Person).where(Person.email == "member@example.org")).one()
    member.slack_user_id = "U_MEMBER"
    session.commit()
    response = submit_note(slack, modal["private_metadata"], "not mine to say", user="U_MEMBER")
    errors = response.get_json()["errors"]["note"]
    assert "Working group member is neither" in errors
    assert item(session, Activity, "3.3").status == Status.NOT_REPORTED


def test_home_shows_what_is_overdue_and_due_in_the_next_30_days(slack):
    slack.event({"type": "app_home_opened", "user": "U_IOM", "channel": "D0IOM", "tab": "home"})
    [published] = slack.api.wait_for("views.publish")
    assert published.body["user_id"] == "U_IOM"
    view = published.json("view")
    assert view["type"] == "home"
    text = json.dumps(view, ensure_ascii=False)
    assert "IOM focal point · items IOM leads · today is 10 January 2020" in text
    assert "*Overdue (1)*" in text
    assert "WS1 1.1" in text
    assert "*Due in the next 30 days (5)*" in text
    assert "20-21 January 2020, Cairo, Egypt" in text
    menus = [b["accessory"] for b in view["blocks"] if "accessory" in b]
    assert menus and all(m["action_id"] == "status_menu" for m in menus)


def test_the_home_menu_updates_the_item_and_the_tab(slack, session):
    slack.event({"type": "app_home_opened", "user": "U_IOM", "channel": "D0IOM", "tab": "home"})
    view = slack.api.wait_for("views.publish")[0].json("view")
    workshop = next(
        option["value"]
        for block in view["blocks"]
        if "accessory" in block and "37-M2" in block["text"]["text"]
        for option in block["accessory"]["options"]
        if option["value"].startswith("completed:")
    )
    choose_on_home(slack, workshop)
    [_, republished] = slack.api.wait_for("views.publish", count=2)
    assert "37-M2" not in json.dumps(republished.json("view"))  # completed: no longer due
    milestone = item(session, Milestone, "37-M2")
    session.refresh(milestone)
    assert milestone.status == Status.COMPLETED
    assert milestone.completed_on is not None
    assert milestone.history[-1].source == "slack"


def test_on_home_a_refusal_opens_a_notice(slack, session):
    value = f"completed:milestone:{item(session, Milestone, '37-M2').id}:1"
    choose_on_home(slack, value, user="U_MEMBER")
    [opened] = slack.api.wait_for("views.open")
    assert opened.body["trigger_id"] == "trigger-3"
    assert "Working group member is neither" in json.dumps(opened.json("view"))
    assert item(session, Milestone, "37-M2").status == Status.NOT_REPORTED


def test_home_for_someone_the_tracker_does_not_know(slack):
    slack.event({"type": "app_home_opened", "user": "U_STRANGER", "channel": "D0X", "tab": "home"})
    view = slack.api.wait_for("views.publish")[0].json("view")
    assert "can't match your Slack account" in json.dumps(view)
