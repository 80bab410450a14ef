"""A reporting round's request in Slack: one direct message per lead with a button per item,
a modal per item, and the submitted report in the item's history (source "slack")."""

from datetime import date

import sqlalchemy as sa

from bot.slack.app import web_client
from bot.slack.rounds import REPORT_CALLBACK, post_round_requests
from tests.rounds_support import open_ws1_round
from tests.slack.fake import TEAM
from tracker.models import Person, Status
from tracker.monitoring.models import RoundItem


def open_ws1_round_with_slack(session):
    round_ = open_ws1_round(session)
    ilo = session.scalars(
        sa.select(Person).where(Person.email == "ilo.focal-point@example.org")
    ).one()
    ilo.slack_user_id = "U_ILO"
    session.commit()
    return round_


def submit(slack, item_id: int, status: str, progress: str):
    def text(value: str) -> dict[str, str]:
        return {"type": "plain_text_input", "value": value}

    return slack.interaction(
        {
            "type": "view_submission",
            "team": {"id": TEAM},
            "user": {"id": "U_ILO"},
            "api_app_id": "A0TEST",
            "trigger_id": "trigger-5",
            "view": {
                "id": "V0MODAL",
                "type": "modal",
                "callback_id": REPORT_CALLBACK,
                "private_metadata": f'{{"round_item": {item_id}}}',
                "state": {
                    "values": {
                        "status": {
                            "status": {
                                "type": "static_select",
                                "selected_option": {"value": status},
                            }
                        },
                        "progress": {"progress": text(progress)},
                        "risks": {"risks": {"type": "plain_text_input", "value": None}},
                        "next": {"next": text("A third region")},
                    }
                },
            },
        }
    )


def test_a_lead_gets_one_message_and_reports_through_the_modal(slack, session, slack_config):
    round_ = open_ws1_round_with_slack(session)
    client = web_client(slack_config)
    assert post_round_requests(client, date(2020, 6, 1)) == 1  # the one lead matched to Slack
    assert post_round_requests(client, date(2020, 6, 2)) == 0
    [message] = slack.api.wait_for("chat.postMessage")
    assert message.body["channel"] == "U_ILO"
    blocks = message.json("blocks")
    assert (
        "*WS1 progress report, 2020, first half*: ILO reports on 5 items"
        in blocks[0]["text"]["text"]
    )
    buttons = {b["text"]["text"].split("*")[1]: b["accessory"]["value"] for b in blocks[1:]}
    assert set(buttons) == {"2", "3.3", "3.4", "3.5", "3.6"}

    slack.interaction(
        {
            "type": "block_actions",
            "team": {"id": TEAM},
            "user": {"id": "U_ILO"},
            "api_app_id": "A0TEST",
            "trigger_id": "trigger-6",
            "container": {"type": "message", "message_ts": "1.1", "channel_id": "D0ILO"},
            "channel": {"id": "D0ILO"},
            "actions": [{"action_id": "round_report", "type": "button", "value": buttons["3.4"]}],
        }
    )
    [opened] = slack.api.wait_for("views.open")
    modal = opened.json("view")
    assert modal["callback_id"] == REPORT_CALLBACK and modal["title"]["text"] == "Report on 3.4"

    empty = submit(slack, int(buttons["3.4"]), "in_progress", "")
    assert empty.get_json()["errors"]["progress"].startswith(
        "Not submitted: 3.4: say what progress"
    )
    done = submit(slack, int(buttons["3.4"]), "in_progress", "Piloted in two regions.")
    assert done.status_code == 200 and not done.get_data()
    item = session.get(RoundItem, int(buttons["3.4"]))
    session.refresh(item)
    assert item.submitted_on is not None and item.report["next_steps"] == "A third region"
    entry = item.activity.history[-1]
    assert (entry.source, entry.to_status, entry.note) == (
        "slack",
        Status.IN_PROGRESS,
        "2020, first half: Piloted in two regions.\nNext steps: A third region",
    )
    other = next(i for i in round_.items if i.entity.acronym == "IOM")
    refused = submit(slack, other.id, "completed", "not mine")
    assert "Not submitted" in refused.get_json()["errors"]["progress"]
