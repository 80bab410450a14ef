"""The understanding engine over many phrasings, on the seed workplans, with today pinned to
Friday 10 January 2020 (the week runs Monday 6 to Sunday 12 January)."""

from datetime import date

import pytest

from bot.dates import find_window
from bot.understand import Vocabulary, asks_about_self, normalize, understand
from tests.conftest import TEST_TODAY
from tracker.extensions import db
from tracker.models import Status

D = date
JAN = (D(2020, 1, 1), D(2020, 1, 31))
SOON = (D(2020, 1, 10), D(2020, 2, 9))
YEAR_2020 = (D(2020, 1, 1), D(2020, 12, 31))
ACTIVITIES = frozenset({"activity"})

#: (question, what the query must hold). `window` is (start, end); other keys are Query fields.
PHRASINGS: list[tuple[str, dict]] = [
    # --- due in a window
    ("what's due this month", {"intent": "due", "window": JAN}),
    ("What's due this month?", {"intent": "due", "window": JAN}),
    ("WHATS DUE THIS MONTH", {"intent": "due", "window": JAN}),
    ("whats due this month", {"intent": "due", "window": JAN}),
    ("what’s due this month…", {"intent": "due", "window": JAN}),
    ("what is due in the current month", {"intent": "due", "window": JAN}),
    ("deadlines this month", {"intent": "due", "window": JAN}),
    ("anything due next month?", {"intent": "due", "window": (D(2020, 2, 1), D(2020, 2, 29))}),
    ("Anything due next month", {"intent": "due", "window": (D(2020, 2, 1), D(2020, 2, 29))}),
    ("due last month", {"intent": "due", "window": (D(2019, 12, 1), D(2019, 12, 31))}),
    ("what's due this week", {"intent": "due", "window": (D(2020, 1, 6), D(2020, 1, 12))}),
    ("due this week", {"intent": "due", "window": (D(2020, 1, 6), D(2020, 1, 12))}),
    ("Due this week.", {"intent": "due", "window": (D(2020, 1, 6), D(2020, 1, 12))}),
    ("what is due next week", {"intent": "due", "window": (D(2020, 1, 13), D(2020, 1, 19))}),
    ("due last week", {"intent": "due", "window": (D(2019, 12, 30), D(2020, 1, 5))}),
    ("due in March 2020", {"intent": "due", "window": (D(2020, 3, 1), D(2020, 3, 31))}),
    ("what's due in march 2020?", {"intent": "due", "window": (D(2020, 3, 1), D(2020, 3, 31))}),
    ("due March 2020", {"intent": "due", "window": (D(2020, 3, 1), D(2020, 3, 31))}),
    ("what is due in March", {"intent": "due", "window": (D(2020, 3, 1), D(2020, 3, 31))}),
    ("anything due in december", {"intent": "due", "window": (D(2020, 12, 1), D(2020, 12, 31))}),
    ("due in jan 2021", {"intent": "due", "window": (D(2021, 1, 1), D(2021, 1, 31))}),
    ("due on 15 March 2020", {"intent": "due", "window": (D(2020, 3, 15), D(2020, 3, 15))}),
    (
        "what is due between March and June 2020",
        {"intent": "due", "window": (D(2020, 3, 1), D(2020, 6, 30))},
    ),
    (
        "What is due between march and june 2020?",
        {"intent": "due", "window": (D(2020, 3, 1), D(2020, 6, 30))},
    ),
    ("due from March to June 2020", {"intent": "due", "window": (D(2020, 3, 1), D(2020, 6, 30))}),
    ("due March–June 2020", {"intent": "due", "window": (D(2020, 3, 1), D(2020, 6, 30))}),
    ("due march - june 2020", {"intent": "due", "window": (D(2020, 3, 1), D(2020, 6, 30))}),
    (
        "what's due between March 2020 and June 2021",
        {"intent": "due", "window": (D(2020, 3, 1), D(2021, 6, 30))},
    ),
    (
        "due between november and february",
        {"intent": "due", "window": (D(2020, 11, 1), D(2021, 2, 28))},
    ),
    (
        "due between 1 March and 15 April 2020",
        {"intent": "due", "window": (D(2020, 3, 1), D(2020, 4, 15))},
    ),
    ("due in 2021", {"intent": "due", "window": (D(2021, 1, 1), D(2021, 12, 31))}),
    ("What is due in 2021?", {"intent": "due", "window": (D(2021, 1, 1), D(2021, 12, 31))}),
    ("2021 deadlines", {"intent": "due", "window": (D(2021, 1, 1), D(2021, 12, 31))}),
    ("due during 2021", {"intent": "due", "window": (D(2021, 1, 1), D(2021, 12, 31))}),
    ("due this year", {"intent": "due", "window": YEAR_2020}),
    ("due next year", {"intent": "due", "window": (D(2021, 1, 1), D(2021, 12, 31))}),
    ("due this quarter", {"intent": "due", "window": (D(2020, 1, 1), D(2020, 3, 31))}),
    ("due next quarter", {"intent": "due", "window": (D(2020, 4, 1), D(2020, 6, 30))}),
    ("due in Q3 2020", {"intent": "due", "window": (D(2020, 7, 1), D(2020, 9, 30))}),
    (
        "due in the first half of 2021",
        {"intent": "due", "window": (D(2021, 1, 1), D(2021, 6, 30))},
    ),
    (
        "due late 2020",
        {"intent": "due", "window": (D(2020, 9, 1), D(2020, 12, 31)), "overdue": False},
    ),
    ("due today", {"intent": "due", "window": (D(2020, 1, 10), D(2020, 1, 10))}),
    ("anything due tomorrow?", {"intent": "due", "window": (D(2020, 1, 11), D(2020, 1, 11))}),
    ("due soon", {"intent": "due", "window": SOON}),
    ("What's due soon?", {"intent": "due", "window": SOON}),
    ("anything coming up?", {"intent": "due", "window": SOON}),
    ("upcoming deadlines", {"intent": "due", "window": SOON}),
    ("what's due", {"intent": "due", "window": SOON}),
    (
        "what's coming up in the next 10 days",
        {"intent": "due", "window": (D(2020, 1, 10), D(2020, 1, 20))},
    ),
    ("next 10 days", {"intent": "due", "window": (D(2020, 1, 10), D(2020, 1, 20))}),
    (
        "What's coming up in the next ten days?",
        {"intent": "due", "window": (D(2020, 1, 10), D(2020, 1, 20))},
    ),
    ("due in the next two weeks", {"intent": "due", "window": (D(2020, 1, 10), D(2020, 1, 24))}),
    ("due within 3 months", {"intent": "due", "window": (D(2020, 1, 10), D(2020, 4, 10))}),
    ("due in 5 days", {"intent": "due", "window": (D(2020, 1, 10), D(2020, 1, 15))}),
    (
        "what's due in the next fortnight",
        {"intent": "due", "window": (D(2020, 1, 10), D(2020, 1, 24))},
    ),
    ("due by June 2020", {"intent": "due", "window": (D(2020, 1, 10), D(2020, 6, 30))}),
    ("due before March 2020", {"intent": "due", "window": (D(2020, 1, 10), D(2020, 2, 29))}),
    ("due after June 2020", {"intent": "due", "window": (D(2020, 7, 1), None)}),
    ("due by the end of the month", {"intent": "due", "window": (D(2020, 1, 10), D(2020, 1, 31))}),
    # --- overdue
    ("overdue", {"intent": "overdue", "overdue": True, "window": None}),
    ("Overdue?", {"intent": "overdue", "overdue": True}),
    ("what's overdue", {"intent": "overdue", "overdue": True}),
    ("What is overdue?", {"intent": "overdue", "overdue": True}),
    ("what's late", {"intent": "overdue", "overdue": True}),
    ("What's late?", {"intent": "overdue", "overdue": True}),
    ("anything late", {"intent": "overdue", "overdue": True}),
    ("what is behind schedule", {"intent": "overdue", "overdue": True}),
    ("What is behind schedule?", {"intent": "overdue", "overdue": True}),
    ("what has missed its deadline", {"intent": "overdue", "overdue": True}),
    ("which activities are past due", {"intent": "overdue", "kinds": ACTIVITIES}),
    ("overdue items in WS1", {"intent": "overdue", "working_group": "WS1"}),
    ("WS1 overdue", {"intent": "overdue", "working_group": "WS1"}),
    ("what is ILO late on", {"intent": "overdue", "entity": "ILO"}),
    # --- by entity: acronym, name or alias, with or without a window
    ("what does ILO lead", {"intent": "entity", "entity": "ILO", "leading": True}),
    ("What does ILO lead?", {"intent": "entity", "entity": "ILO", "leading": True}),
    ("what does ilo lead", {"intent": "entity", "entity": "ILO", "leading": True}),
    (
        "what does the International Labour Organization lead",
        {"intent": "entity", "entity": "ILO", "leading": True},
    ),
    (
        "what does the international labour office lead",
        {"intent": "entity", "entity": "ILO", "leading": True},
    ),
    (
        "activities led by IOM",
        {"intent": "entity", "entity": "IOM", "leading": True, "kinds": ACTIVITIES},
    ),
    ("Activities led by IOM.", {"intent": "entity", "entity": "IOM", "leading": True}),
    (
        "activities led by the International Organization for Migration",
        {"intent": "entity", "entity": "IOM", "leading": True},
    ),
    ("what is GMDAC leading", {"intent": "entity", "entity": "IOM", "leading": True}),
    (
        "show me WHO activities",
        {"intent": "entity", "entity": "WHO", "leading": False, "kinds": ACTIVITIES},
    ),
    ("show me who activities", {"intent": "entity", "entity": "WHO", "leading": False}),
    ("WHO activities", {"intent": "entity", "entity": "WHO"}),
    ("what does who lead", {"intent": "entity", "entity": "WHO", "leading": True}),
    (
        "what is UNFPA leading that's due this year",
        {"intent": "entity", "entity": "UNFPA", "leading": True, "window": YEAR_2020},
    ),
    (
        "what is unfpa leading thats due this year",
        {"intent": "entity", "entity": "UNFPA", "leading": True, "window": YEAR_2020},
    ),
    ("what does UN DESA lead", {"intent": "entity", "entity": "UN DESA", "leading": True}),
    ("what does DESA lead", {"intent": "entity", "entity": "UN DESA", "leading": True}),
    ("what does un/desa lead", {"intent": "entity", "entity": "UN DESA", "leading": True}),
    ("UNSD activities", {"intent": "entity", "entity": "UN DESA", "leading": False}),
    ("what does the World Bank lead", {"intent": "entity", "entity": "World Bank"}),
    ("what is UN Women working on", {"intent": "entity", "entity": "UN Women", "leading": False}),
    ("items led by ECA", {"intent": "entity", "entity": "UN ECA", "leading": True}),
    (
        "IOM's activities due next month",
        {"intent": "entity", "entity": "IOM", "window": (D(2020, 2, 1), D(2020, 2, 29))},
    ),
    (
        "what is IOM leading in WS1",
        {"intent": "entity", "entity": "IOM", "working_group": "WS1", "leading": True},
    ),
    (
        "what do ILO and IOM lead",
        {"intent": "entity", "entity": "ILO", "other_entities": ("IOM",)},
    ),
    # --- by working group
    ("what's in WS1", {"intent": "working_group", "working_group": "WS1"}),
    ("ws1", {"intent": "working_group", "working_group": "WS1"}),
    ("WS1 activities", {"intent": "working_group", "working_group": "WS1", "kinds": ACTIVITIES}),
    ("show me the EGMS workplan", {"intent": "working_group", "working_group": "EGMS"}),
    (
        "what is due in the Global Programme on Migration Statistics this year",
        {"intent": "working_group", "working_group": "GPMS", "window": YEAR_2020},
    ),
    (
        "thematic workstream 1 items due this month",
        {"intent": "working_group", "working_group": "WS1", "window": JAN},
    ),
    ("what's overdue in GMG-DR", {"intent": "overdue", "working_group": "GMG-DR"}),
    ("status of WS1", {"intent": "working_group", "working_group": "WS1"}),
    ("how is EGMS doing", {"intent": "working_group", "working_group": "EGMS"}),
    # --- by status
    ("what is delayed", {"intent": "status", "statuses": frozenset({Status.DELAYED})}),
    (
        "which activities are in progress",
        {"intent": "status", "statuses": frozenset({Status.IN_PROGRESS}), "kinds": ACTIVITIES},
    ),
    ("what has been completed", {"intent": "status", "statuses": frozenset({Status.COMPLETED})}),
    ("what's open in WS1", {"intent": "working_group", "open_only": True}),
    (
        "what was completed this year",
        {"intent": "due", "statuses": frozenset({Status.COMPLETED}), "window": YEAR_2020},
    ),
    # --- the person asking
    ("what do I lead", {"intent": "mine", "leading": True}),
    ("my items", {"intent": "mine"}),
    ("what's due for me this month", {"intent": "mine", "window": JAN}),
    ("am I late on anything", {"intent": "mine", "overdue": True}),
    # --- one item, by code or by title words
    ("status of 3.2", {"intent": "item", "subject": "3.2", "aspect": "status"}),
    ("Status of 3.2?", {"intent": "item", "subject": "3.2"}),
    ("status of 3.2.", {"intent": "item", "subject": "3.2"}),
    ("STATUS OF 3.2", {"intent": "item", "subject": "3.2"}),
    ("what's the status of 3.2", {"intent": "item", "subject": "3.2"}),
    ("what is the status of activity 3.2", {"intent": "item", "subject": "3.2"}),
    ("3.2 status", {"intent": "item", "subject": "3.2"}),
    ("how is 3.2 going", {"intent": "item", "subject": "3.2"}),
    ("any update on 3.2?", {"intent": "item", "subject": "3.2"}),
    ("status of 3.2 in WS1", {"intent": "item", "subject": "3.2", "working_group": "WS1"}),
    ("status of WS1 3.2", {"intent": "item", "subject": "3.2", "working_group": "WS1"}),
    ("status of 3.2 (WS1)", {"intent": "item", "subject": "3.2", "working_group": "WS1"}),
    (
        "status of the rural migration module",
        {"intent": "item", "subject": "rural migration module"},
    ),
    (
        "Status of the rural migration module?",
        {"intent": "item", "subject": "rural migration module"},
    ),
    (
        "how is the rural migration module going",
        {"intent": "item", "subject": "rural migration module"},
    ),
    (
        "tell me about the rural migration module",
        {"intent": "item", "subject": "rural migration module"},
    ),
    ("when is the handbook due", {"intent": "item", "subject": "handbook", "aspect": "when"}),
    ("how long does 3.4 run", {"intent": "item", "subject": "3.4", "aspect": "when"}),
    ("who is involved in 3.10", {"intent": "item", "subject": "3.10", "aspect": "involved"}),
    ("When is the handbook due?", {"intent": "item", "subject": "handbook", "aspect": "when"}),
    ("when's the handbook due", {"intent": "item", "subject": "handbook", "aspect": "when"}),
    ("when is the final handbook due", {"intent": "item", "subject": "final handbook"}),
    ("when does 3.9 end", {"intent": "item", "subject": "3.9", "aspect": "when"}),
    ("deadline for 3.4", {"intent": "item", "subject": "3.4", "aspect": "when"}),
    ("who leads 3.2", {"intent": "item", "subject": "3.2", "aspect": "who"}),
    ("who is leading the rural migration module", {"intent": "item", "aspect": "who"}),
    ("is 3.4 late", {"intent": "item", "subject": "3.4"}),
    ("status of Output 1.2 (1)", {"intent": "item", "subject": "output 1.2 (1)"}),
    ("status of IFMS-2020", {"intent": "item", "subject": "ifms-2020"}),
    ("status of 36(a)", {"intent": "item", "subject": "36(a)"}),
    ("status of the 2030 agenda webinar", {"intent": "item", "subject": "2030 agenda webinar"}),
    (
        "rural migration module",
        {"intent": "item", "subject": "rural migration module", "loose": True},
    ),
    ("3.2", {"intent": "item", "subject": "3.2", "loose": True}),
    # --- the next occurrence of a recurring item
    ("when is the next IFMS", {"intent": "next_occurrence", "subject": "ifms", "aspect": "next"}),
    ("When is the next IFMS?", {"intent": "next_occurrence", "subject": "ifms"}),
    ("when's the next ifms", {"intent": "next_occurrence", "subject": "ifms"}),
    ("when will the next IFMS take place", {"intent": "next_occurrence", "subject": "ifms"}),
    ("when is IFMS next", {"intent": "next_occurrence", "subject": "ifms"}),
    (
        "when is the next International Forum on Migration Statistics",
        {
            "intent": "next_occurrence",
            "subject": "international forum on migration statistics",
        },
    ),
    # --- help and greetings
    ("help", {"intent": "help"}),
    ("Help!", {"intent": "help"}),
    ("HELP", {"intent": "help"}),
    ("help me", {"intent": "help"}),
    ("?", {"intent": "help"}),
    ("", {"intent": "help"}),
    ("what can you do", {"intent": "help"}),
    ("What can you do?", {"intent": "help"}),
    ("how does this work", {"intent": "help"}),
    ("hi", {"intent": "help", "greeting": True}),
    ("Hello there!", {"intent": "help", "greeting": True}),
    ("hi, what's due this week?", {"intent": "due", "window": (D(2020, 1, 6), D(2020, 1, 12))}),
    ("history of 3.2", {"intent": "item", "subject": "3.2"}),
    ("show me the rural migration module", {"intent": "item", "subject": "rural migration module"}),
    ("show me who is late", {"intent": "overdue", "entity": None}),
    ("please, what's overdue?", {"intent": "overdue"}),
    ("can you tell me what's due next month", {"intent": "due"}),
    # --- what it cannot place
    ("what does UNESCO lead", {"intent": "unknown", "unknown_name": "UNESCO"}),
    ("activities led by the statistics office", {"intent": "unknown"}),
    ("what's due in WS9", {"intent": "due", "unknown_name": "WS9", "suggestions": ("WS1",)}),
    ("blah blah", {"intent": "item", "loose": True}),
]


@pytest.fixture(scope="module")
def vocabulary(app):
    """The seed workplans' names, read once: understanding needs no other database access."""
    with app.app_context():
        return Vocabulary.load(db.session)


@pytest.mark.parametrize(
    ("question", "expected"), PHRASINGS, ids=[q or "<empty>" for q, _ in PHRASINGS]
)
def test_understands(vocabulary, question, expected):
    query = understand(question, vocabulary, TEST_TODAY)
    for key, value in expected.items():
        if key == "window":
            window = query.window
            got = None if window is None else (window.start, window.end)
        else:
            got = getattr(query, key)
        assert got == value, f"{question!r}: {key} is {got!r}, not {value!r} ({query})"


def test_window_labels_write_dates_as_people_do(vocabulary):
    def label(question):
        return understand(question, vocabulary, TEST_TODAY).window.label

    assert label("due this week") == "this week (6-12 January 2020)"
    assert label("due this month") == "this month (January 2020)"
    assert label("due between March and June 2020") == "between March and June 2020"
    assert label("due in 2021") == "in 2021"
    assert label("due soon") == "in the next 30 days (10 January – 9 February 2020)"
    assert label("next 10 days") == "in the next 10 days (10-20 January 2020)"
    assert label("due this quarter") == "this quarter (January – March 2020)"
    assert label("due by June 2020") == "by June 2020"


def test_a_month_without_a_year_is_the_next_one():
    # In November 2020, "March" is March 2021.
    window, rest = find_window("due in march", date(2020, 11, 5))
    assert (window.start, window.end) == (D(2021, 3, 1), D(2021, 3, 31))
    assert rest == "due"


def test_normalize_keeps_what_codes_and_names_need():
    assert normalize("What’s the status of 3.2?") == "what is the status of 3.2"
    assert normalize("Status of Output 1.2 (1).") == "status of output 1.2 (1)"
    assert normalize("UN/DESA's IFMS-2020 work!") == "un/desa ifms-2020 work"
    assert normalize("March–June 2020") == "march - june 2020"


def test_asks_about_self():
    assert asks_about_self("What do I lead?")
    assert asks_about_self("my items due this month")
    assert not asks_about_self("show me WHO activities")
    assert not asks_about_self("what does ILO lead")
