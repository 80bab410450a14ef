"""Answers on the seed workplans: what they list, how they read, and the three front ends that
show them (the command line, the chat page; Slack has its own tests)."""

import json
import re
from datetime import date

import sqlalchemy as sa

from bot.answer import JSON_LIMIT, TOP, answer
from tests.conftest import TEST_TODAY
from tests.test_bot_understanding import PHRASINGS
from tracker.demo import generate
from tracker.domain.items import overdue, upcoming
from tracker.domain.status import Actor, update_progress
from tracker.models import LEADING_ROLES, Activity, Milestone, Person, Status, WorkingGroup

BASE = "http://tracker.test"
ITEM_KEYS = {"key", "kind", "code", "title", "working_group", "due", "status", "leads", "url"}
ANSWER_KEYS = {"intent", "text", "items", "total", "shown", "understood"}


def ask(session, question, today=TEST_TODAY, **kwargs):
    return answer(session, question, today, base_url=BASE, **kwargs)


def codes(reply):
    return [(item.working_group, item.code) for item in reply.items]


def test_every_phrasing_gets_an_answer_in_the_promised_shape(session):
    for question, _ in PHRASINGS:
        data = ask(session, question, all_items=True).as_json()
        assert set(data) == ANSWER_KEYS, question
        assert data["text"].strip(), question
        assert data["shown"] <= TOP + 3, question
        assert len(data["items"]) == min(data["total"], JSON_LIMIT), question
        for item in data["items"]:
            assert set(item) == ITEM_KEYS, question
            assert item["due"] is None or date.fromisoformat(item["due"])
            assert re.fullmatch(rf"{BASE}/(activities|milestones)/\d+", item["url"]), question


def test_due_this_month_lists_the_top_items_and_links_to_the_rest(session):
    reply = ask(session, "what's due this month")
    assert reply.intent == "due"
    assert reply.total == 6
    assert len(reply.items) == TOP
    assert all(date(2020, 1, 1) <= item.due <= date(2020, 1, 31) for item in reply.items)
    lines = reply.text.splitlines()
    assert lines[0] == "6 items due this month (January 2020):"
    assert lines[1] == (
        "• EGMS IFMS-2020 International Forum on Migration Statistics (IFMS) — "
        "20-21 January 2020, Cairo, Egypt · IOM · not reported"
    )
    assert lines[-1] == ("…and 1 more: http://tracker.test/chat?q=what%27s+due+this+month&all=1")


def test_the_full_list_has_every_item(session):
    reply = ask(session, "what's due this month", everything=True)
    assert len(reply.items) == reply.total == 6
    assert reply.more_url is None


def test_due_this_week_runs_monday_to_sunday(session):
    # Monday 20 January 2020: the IFMS (20-21) and the Cairo workshop and meeting (22, 23)
    reply = ask(session, "due this week", today=date(2020, 1, 20))
    assert reply.text.splitlines()[0] == "3 items due this week (20-26 January 2020):"
    assert codes(reply) == [("EGMS", "IFMS-2020"), ("EGMS", "37-M2"), ("EGMS", "37-M3")]


def test_due_soon_is_what_the_domain_calls_upcoming(session):
    reply = ask(session, "due soon", everything=True)
    expected = [(i.working_group, i.code) for i in upcoming(session, TEST_TODAY).items]
    assert codes(reply) == expected


def test_overdue_is_what_the_domain_calls_overdue(session):
    reply = ask(session, "what is behind schedule", everything=True)
    assert codes(reply) == [(i.working_group, i.code) for i in overdue(session, TEST_TODAY).items]
    assert all(item.is_overdue(TEST_TODAY) for item in reply.items)
    assert reply.text.startswith("6 overdue items:")


def test_what_an_entity_leads(session):
    reply = ask(session, "what does the International Labour Office lead", everything=True)
    assert reply.text.startswith("6 open items that ILO leads:")
    assert all("ILO" in item.leads for item in reply.items)
    assert all(item.is_open for item in reply.items)


def test_entity_activities_include_partners_unless_leading_is_asked(session):
    involved = ask(session, "show me WHO activities", everything=True)
    assert involved.text.startswith("3 open activities involving WHO:")
    assert ("WS1", "4") in codes(involved)  # WHO is a partner of the IFMS activity
    assert all(item.kind == "activity" for item in involved.items)
    leading = ask(session, "what does WHO lead", everything=True)
    assert ("WS1", "4") not in codes(leading)
    assert {("WS1", "3.17"), ("WS1", "3.18")} <= set(codes(leading))


def test_an_entity_with_a_window(session):
    reply = ask(session, "what is UNFPA leading that's due this year")
    assert reply.text.splitlines()[0] == "1 item that UNFPA leads, due this year (2020):"
    assert codes(reply) == [("WS1", "1.2")]
    activity = session.scalars(sa.select(Activity).where(Activity.code == "1.2")).one()
    roles = {link.entity.acronym: link.role for link in activity.entity_links}
    assert roles["UNFPA"] in LEADING_ROLES


def test_by_working_group(session):
    reply = ask(session, "what's overdue in GMG-DR", everything=True)
    assert reply.text.startswith(
        "4 overdue items in GMG-DR (GMG Working Group on Data and Research):"
    )
    assert {item.working_group for item in reply.items} == {"GMG-DR"}


def test_status_of_an_item_by_code(session):
    reply = ask(session, "Status of 3.2?")
    assert reply.intent == "item"
    assert reply.single
    assert codes(reply) == [("WS1", "3.2")]
    assert reply.text.splitlines() == [
        "WS1 3.2 Close the data gap towards an efficient remittances market in Africa: "
        "not reported.",
        "Status: not reported",
        "When: September 2019 – ongoing",
        "Led by: IFAD",
        "Working group: Thematic workstream 1 (WS1)",
        "About: This activity will provide meaningful, annually updated, publicly available "
        "remittance-related market intelligence on all African countries (54), with more "
        "detailed information and diagnostics on 9…",
        f"Link: http://tracker.test/activities/{reply.items[0].id}",
    ]


def test_status_shows_the_last_update_with_its_note(session):
    activity = session.scalars(sa.select(Activity).where(Activity.code == "3.2")).one()
    coordinator = session.scalars(
        sa.select(Person).where(Person.email == "coordinator@example.org")
    ).one()
    update_progress(
        session, activity, Actor.of(coordinator, "web"), status=Status.DELAYED, note="No data yet"
    )
    session.commit()
    lines = ask(session, "status of 3.2").text.splitlines()
    assert lines[0].endswith(": delayed.")
    last = next(line for line in lines if line.startswith("Last update:"))
    assert last.startswith("Last update: delayed, by Programme coordinator (web) on ")
    assert last.endswith(": “No data yet”")


def test_status_of_an_item_by_title_words(session):
    reply = ask(session, "status of the rural migration module")
    assert codes(reply) == [("WS1", "3.1")]
    assert "When: September – January 2020" not in reply.text
    assert "When: September 2019 – January 2020, due January 2020" in reply.text


def test_when_is_the_handbook_due(session):
    reply = ask(session, "when is the handbook due")
    assert reply.text.splitlines()[0] == (
        "Draft handbook (GMG-DR NS-1) was due August 2014 and is overdue (not reported)."
    )
    assert reply.notes[0].startswith(
        "Also matching: GMG-DR NS-3 Final handbook (due December 2014)"
    )


def test_when_is_the_next_ifms(session):
    reply = ask(session, "when is the next IFMS")
    assert reply.intent == "next_occurrence"
    assert reply.text.splitlines()[0] == (
        "The next International Forum on Migration Statistics (IFMS) is on 20-21 January 2020 "
        "in Cairo, Egypt (EGMS IFMS-2020)."
    )
    # the workplan dates the 2020 forum only: the next one is expected, with no days or place
    later = ask(session, "when is the next IFMS", today=date(2021, 6, 1))
    assert later.text.splitlines()[0] == (
        "The next International Forum on Migration Statistics (IFMS) is expected January 2022 "
        "(every other year; place not yet known) (EGMS IFMS-2020)."
    )
    assert "Where:" not in later.text and "20-21 January 2022" not in later.text


def test_an_item_code_in_several_groups_asks_which(session):
    egms = session.scalars(sa.select(WorkingGroup).where(WorkingGroup.short_name == "EGMS")).one()
    session.add(
        Activity(
            working_group=egms, code="3.2", sort_key="3.2", title="Another 3.2", timeline_text=""
        )
    )
    session.flush()
    reply = ask(session, "status of 3.2")
    assert reply.text.splitlines()[0] == "2 items are numbered “3.2”:"
    assert "Ask with the working group, e.g. “status of 3.2 in" in reply.text
    assert codes(ask(session, "status of 3.2 in EGMS")) == [("EGMS", "3.2")]


def test_who_asks_decides_what_mine_means(session):
    iom = session.scalars(sa.select(Person).where(Person.email == "iom.focal-point@example.org"))
    reply = ask(session, "what do I lead", person=iom.one())
    assert reply.text.startswith("14 open items that IOM (your entity) leads:")
    nobody = ask(session, "my items")
    assert nobody.items == []
    assert nobody.text.startswith("I need to know who you are")


def test_help_and_unknown_questions_show_what_can_be_asked(session):
    helped = ask(session, "help")
    assert helped.intent == "help"
    assert "what's due this month" in helped.text
    assert "when is the next IFMS" in helped.text
    unknown = ask(session, "blah blah")
    assert unknown.intent == "unknown"
    assert unknown.text.startswith("Sorry, I didn't understand “blah blah”.")
    assert "what does ILO lead" in unknown.text


def test_a_very_long_question_is_cut_and_still_answered(session):
    reply = ask(session, "status of the " + "rural migration module " * 400)
    assert reply.question == ("status of the " + "rural migration module " * 400)[:500].strip()
    assert codes(reply) == [("WS1", "3.1")]


def test_an_unknown_name_gets_suggestions(session):
    reply = ask(session, "what does UNESCO lead")
    assert reply.intent == "unknown"
    assert reply.text.startswith("I don't know an entity or working group called “UNESCO”.")
    # an unknown name is said to be unknown, never turned into a confident "no items"
    typo = ask(session, "what's due in WS9")
    assert typo.intent == "unknown"
    assert typo.text.splitlines()[0] == (
        "I don't know an entity or working group called “WS9”. Did you mean WS1?"
    )


def test_answer_query_counts_do_not_grow_with_the_data(session, count_queries):
    questions = [
        "what's due this month",
        "what is UNFPA leading that's due this year",
        "status of 3.1 in WS1",
        "status of the rural migration module",
        "when is the next IFMS",
    ]

    def counts():
        found = []
        for question in questions:
            with count_queries() as counter:
                ask(session, question)
            found.append(counter.count)
        return found

    ask(session, "warm up")
    seeded = counts()
    assert seeded == [18, 20, 21, 22, 18]
    generate(session, activities=300, milestones=300, groups=3)
    assert counts() == seeded


# --- front ends -------------------------------------------------------------------------------


def test_tracker_ask_prints_the_answer(runner):
    result = runner.invoke(args=["ask", "what's", "due", "this", "month"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("6 items due this month (January 2020):\n")


def test_tracker_ask_json(runner, session):
    milestone_id = session.scalars(
        sa.select(Milestone.id).where(Milestone.code == "IFMS-2020")
    ).one()
    result = runner.invoke(args=["ask", "when is the next IFMS", "--json", "--today", "2021-06-01"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data) == ANSWER_KEYS
    assert data["intent"] == "next_occurrence"
    [item] = data["items"]
    assert item == {
        "key": "EGMS:IFMS-2020",
        "kind": "milestone",
        "code": "IFMS-2020",
        "title": "International Forum on Migration Statistics (IFMS)",
        "working_group": "EGMS",
        "due": "2022-01-20",
        "status": "not_reported",
        "leads": ["IOM"],
        "url": f"http://tracker.test/milestones/{milestone_id}",
    }


def test_chat_page_needs_a_signed_in_person(client):
    response = client.get("/chat/answer?q=overdue", headers={"Accept": "application/json"})
    assert response.status_code == 401


def test_chat_page_answers_in_the_page(client, auth):
    auth.sign_in_as("member@example.org")
    page = client.get("/chat?q=what%27s+due+this+month").get_data(as_text=True)
    assert "Ask the workplan" in page
    assert "6 items due this month (January 2020):" in page
    assert "20-21 January 2020, Cairo, Egypt" in page
    # links within the app are relative, whatever TRACKER_BASE_URL says
    assert 'href="/chat?q=what%27s+due+this+month&amp;all=1"' in page
    assert "http://tracker.test" not in page
    assert '<a href="/chat?q=when+is+the+next+IFMS">when is the next IFMS</a>' in page
    full = client.get("/chat?q=what%27s+due+this+month&all=1").get_data(as_text=True)
    assert len(re.findall(r'<li><a href="/(activities|milestones)/\d+"', full)) == 6


def test_chat_page_partial_and_json(client, auth):
    auth.sign_in_as("iom.focal-point@example.org")
    partial = client.get("/chat?q=what+do+I+lead&partial=1").get_data(as_text=True)
    assert "<html" not in partial
    assert "open items that IOM (your entity) leads" in partial
    data = client.get("/chat/answer?q=status+of+3.2").get_json()
    assert data["intent"] == "item"
    assert [i["code"] for i in data["items"]] == ["3.2"]
    assert client.get("/chat/answer").status_code == 400


def test_chat_page_escapes_what_it_shows(client, auth, session):
    auth.sign_in_as("member@example.org")
    activity = session.scalars(sa.select(Activity).where(Activity.code == "3.2")).one()
    activity.title = "<script>alert(1)</script> remittances"
    session.commit()
    page = client.get("/chat?q=status+of+3.2").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; remittances" in page
    odd = client.get("/chat?q=%3Cb%3Ehello%3C/b%3E").get_data(as_text=True)
    assert "<b>hello</b>" not in odd
    assert "Sorry, I didn&#39;t understand “&lt;b&gt;hello&lt;/b&gt;”." in odd
