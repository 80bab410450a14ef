"""A reporting round's request in Slack: one direct message per lead with a button per item,
a modal per item, and the submitted report in the item's history (source "slack")."""

from datetime import date

import sqlalchemy as sa

from bot.slack.app import web_client
from bot.slack.rounds import REPORT_CALLBACK, post_round_requests, report_modal
from tests.rounds_support import import_output_3_with_k1, open_ws1_round
from tests.slack.fake import TEAM
from tracker.domain.items import apply_timeline
from tracker.models import Activity, Milestone, MilestoneKind, Person, Status, WorkingGroup
from tracker.monitoring.models import Indicator, IndicatorActual, RoundItem
from tracker.timeline import parse_timeline


def open_ws1_round_with_slack(session):
    round_ = open_ws1_round(session)
    ilo = session.scalars(
        sa.select(Person).where(Person.email == "ilo.focal-point@example.org")
    ).one()
    ilo.slack_user_id = "U_ILO"
    session.commit()
    return round_


def submit(slack, item_id: int, status: str, progress: str, extra: dict | None = None):
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
                        **(extra or {}),
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


def test_the_modal_asks_for_milestones_achieved_and_indicator_actuals(
    slack, session, slack_config, tmp_path
):
    """The web form's fields, in Slack: a milestone ticked is completed through the history,
    an indicator's value is recorded for the round's period, a bad value is refused."""
    import_output_3_with_k1(session, tmp_path)
    activity = session.scalars(
        sa.select(Activity)
        .join(WorkingGroup)
        .where(WorkingGroup.short_name == "WS1", Activity.code == "3.4")
    ).one()
    pilot = Milestone(
        working_group=activity.working_group,
        activity=activity,
        code="3.4-M1",
        kind=MilestoneKind.DELIVERABLE,
        title="Pilot report",
    )
    apply_timeline(pilot, parse_timeline("May 2020"))
    session.add(pilot)
    session.commit()
    round_ = open_ws1_round_with_slack(session)
    item = next(i for i in round_.items if i.activity.code == "3.4" and i.entity.acronym == "ILO")
    indicator = session.scalars(sa.select(Indicator).where(Indicator.code == "K1")).one()

    with slack_config.app_context():
        blocks = {b.get("block_id"): b for b in report_modal(item)["blocks"]}
    [option] = blocks["milestones"]["element"]["options"]
    assert option == {
        "text": {"type": "plain_text", "text": "3.4-M1 Pilot report"},
        "value": str(pilot.id),
    }
    assert blocks[f"actual:{indicator.id}"]["label"]["text"] == (
        "K1 Countries trained (countries), 2020, first half"
    )

    def with_fields(value: str) -> dict:
        return {
            "milestones": {
                "milestones": {"type": "checkboxes", "selected_options": [{"value": str(pilot.id)}]}
            },
            f"actual:{indicator.id}": {
                f"actual:{indicator.id}": {"type": "plain_text_input", "value": value}
            },
        }

    refused = submit(slack, item.id, "in_progress", "Piloted.", extra=with_fields("several"))
    assert "'several' is not a number" in refused.get_json()["errors"]["progress"]
    session.refresh(pilot)
    k1_actuals = sa.select(IndicatorActual).where(IndicatorActual.indicator_id == indicator.id)
    assert pilot.status != Status.COMPLETED and session.scalars(k1_actuals).all() == []

    done = submit(slack, item.id, "in_progress", "Piloted in two regions.", extra=with_fields("4"))
    assert done.status_code == 200 and not done.get_data()
    session.refresh(pilot)
    assert pilot.status == Status.COMPLETED and pilot.history[-1].source == "slack"
    [actual] = session.scalars(k1_actuals).all()
    assert (actual.value, actual.period, actual.period_end) == (
        "4",
        "2020, first half",
        date(2020, 6, 30),
    )
