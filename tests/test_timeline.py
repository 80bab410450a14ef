import csv
import json
from datetime import date

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tracker import resource_dir
from tracker.timeline import Precision, TimelineError, format_span, parse_timeline

D = date

# text, start, end, ongoing, recurrence
RULES = [
    # the workplans' own timelines
    ("November 2018 – November 2019", D(2018, 11, 1), D(2019, 11, 30), False, None),
    ("November 2019 – March 2020", D(2019, 11, 1), D(2020, 3, 31), False, None),
    ("March 2019 – 2021", D(2019, 3, 1), D(2021, 12, 31), False, None),
    ("Ongoing – June 2020", None, D(2020, 6, 30), True, None),
    ("2013 – Ongoing", D(2013, 1, 1), None, True, None),
    ("Ongoing", None, None, True, None),
    ("End of 2019 – End of 2020", D(2019, 12, 1), D(2020, 12, 31), False, None),
    (
        "January 2018 – Ongoing (the IFMS takes place every other year)",
        D(2018, 1, 1),
        None,
        True,
        "FREQ=YEARLY;INTERVAL=2",
    ),
    ("20-21 January 2020, Cairo", D(2020, 1, 20), D(2020, 1, 21), False, None),
    ("1-3 July 2019", D(2019, 7, 1), D(2019, 7, 3), False, None),
    # months and years as starts and ends
    ("2021", D(2021, 1, 1), D(2021, 12, 31), False, None),
    ("February 2020", D(2020, 2, 1), D(2020, 2, 29), False, None),
    ("beginning of 2020", D(2020, 1, 1), D(2020, 1, 31), False, None),
    ("end of March 2020", D(2020, 3, 1), D(2020, 3, 31), False, None),
    # quarters, halves, thirds
    ("Q1 2020", D(2020, 1, 1), D(2020, 3, 31), False, None),
    ("Q4 2021", D(2021, 10, 1), D(2021, 12, 31), False, None),
    ("Q2-Q3 2020", D(2020, 4, 1), D(2020, 9, 30), False, None),
    ("H1 2021", D(2021, 1, 1), D(2021, 6, 30), False, None),
    ("second half of 2020", D(2020, 7, 1), D(2020, 12, 31), False, None),
    ("early 2020", D(2020, 1, 1), D(2020, 4, 30), False, None),
    ("mid-2020", D(2020, 5, 1), D(2020, 8, 31), False, None),
    ("late 2020", D(2020, 9, 1), D(2020, 12, 31), False, None),
    # single dates in common forms
    ("2021-03-15", D(2021, 3, 15), D(2021, 3, 15), False, None),
    ("15 March 2021", D(2021, 3, 15), D(2021, 3, 15), False, None),
    ("March 15, 2021", D(2021, 3, 15), D(2021, 3, 15), False, None),
    ("15 Mar. 2021", D(2021, 3, 15), D(2021, 3, 15), False, None),
    ("Sept 2014", D(2014, 9, 1), D(2014, 9, 30), False, None),
    # separators and open sides
    ("November 2019 - March 2020", D(2019, 11, 1), D(2020, 3, 31), False, None),
    ("November 2019 to March 2020", D(2019, 11, 1), D(2020, 3, 31), False, None),
    ("from March to June 2020", D(2020, 3, 1), D(2020, 6, 30), False, None),
    ("November – March 2020", D(2019, 11, 1), D(2020, 3, 31), False, None),
    ("30 September – 2 October 2021", D(2021, 9, 30), D(2021, 10, 2), False, None),
    ("until June 2020", None, D(2020, 6, 30), False, None),
    ("by December 2019", None, D(2019, 12, 31), False, None),
    ("from March 2020", D(2020, 3, 1), None, False, None),
    ("March 2020 – ongoing", D(2020, 3, 1), None, True, None),
    ("TBD", None, None, False, None),
    ("to be determined", None, None, False, None),
    ("", None, None, False, None),
    # recurrences
    ("every other year", None, None, False, "FREQ=YEARLY;INTERVAL=2"),
    ("every two years from 2018", D(2018, 1, 1), None, False, "FREQ=YEARLY;INTERVAL=2"),
    ("biennial", None, None, False, "FREQ=YEARLY;INTERVAL=2"),
    ("annually", None, None, False, "FREQ=YEARLY"),
    ("every year", None, None, False, "FREQ=YEARLY"),
    ("2019 – 2022 (per annum)", D(2019, 1, 1), D(2022, 12, 31), False, "FREQ=YEARLY"),
    ("quarterly", None, None, False, "FREQ=MONTHLY;INTERVAL=3"),
    ("monthly", None, None, False, "FREQ=MONTHLY"),
    # French and Spanish
    ("de mars à juin 2020", D(2020, 3, 1), D(2020, 6, 30), False, None),
    ("15 février 2021", D(2021, 2, 15), D(2021, 2, 15), False, None),
    ("fin 2019", D(2019, 12, 1), D(2019, 12, 31), False, None),
    ("enero – junio 2020", D(2020, 1, 1), D(2020, 6, 30), False, None),
    ("15 de marzo de 2021", D(2021, 3, 15), D(2021, 3, 15), False, None),
    ("septiembre 2019 – en curso", D(2019, 9, 1), None, True, None),
    # seasons: meteorological, northern hemisphere; winter YEAR ends in YEAR
    ("Summer 2022", D(2022, 6, 1), D(2022, 8, 31), False, None),
    ("autumn 2020", D(2020, 9, 1), D(2020, 11, 30), False, None),
    ("hiver 2021", D(2020, 12, 1), D(2021, 2, 28), False, None),
    ("printemps 2020 – automne 2021", D(2020, 3, 1), D(2021, 11, 30), False, None),
    ("otoño de 2020", D(2020, 9, 1), D(2020, 11, 30), False, None),
    # qualifiers written with a hyphen, whole years, open ends
    ("end-2021", D(2021, 12, 1), D(2021, 12, 31), False, None),
    ("mid-2019", D(2019, 5, 1), D(2019, 8, 31), False, None),
    ("mid-2019 – end-2021", D(2019, 5, 1), D(2021, 12, 31), False, None),
    ("throughout 2019", D(2019, 1, 1), D(2019, 12, 31), False, None),
    ("from May 2021 onwards", D(2021, 5, 1), None, True, None),
    ("since 2017", D(2017, 1, 1), None, True, None),
    ("depuis mars 2018", D(2018, 3, 1), None, True, None),
    ("Ongoing (started 2015)", D(2015, 1, 1), None, True, None),
    ("Ongoing (started in March 2015)", D(2015, 3, 1), None, True, None),
    # not dated yet, in three languages
    ("not dated yet", None, None, False, None),
    ("Not yet scheduled", None, None, False, None),
    ("no date yet", None, None, False, None),
    ("pas encore daté", None, None, False, None),
    ("date à déterminer", None, None, False, None),
    ("sin fecha", None, None, False, None),
    ("fecha por confirmar", None, None, False, None),
    # French and Spanish quarters, halves and ordinals
    ("tercer trimestre 2020", D(2020, 7, 1), D(2020, 9, 30), False, None),
    ("premier trimestre 2021", D(2021, 1, 1), D(2021, 3, 31), False, None),
    ("T3 2020", D(2020, 7, 1), D(2020, 9, 30), False, None),
    ("second semestre 2022", D(2022, 7, 1), D(2022, 12, 31), False, None),
    # a year before its part, as reporting rounds are named: not the whole year
    ("2020, first half", D(2020, 1, 1), D(2020, 6, 30), False, None),
    ("2020 H2", D(2020, 7, 1), D(2020, 12, 31), False, None),
    ("2021, Q3", D(2021, 7, 1), D(2021, 9, 30), False, None),
    ("2022, segundo semestre", D(2022, 7, 1), D(2022, 12, 31), False, None),
    ("primer semestre de 2021", D(2021, 1, 1), D(2021, 6, 30), False, None),
    ("1er mars 2021", D(2021, 3, 1), D(2021, 3, 1), False, None),
    # a series that starts at its next occurrence
    (
        "every three years, next in 2023",
        D(2023, 1, 1),
        D(2023, 12, 31),
        False,
        "FREQ=YEARLY;INTERVAL=3",
    ),
    (
        "tous les trois ans, prochaine en 2022",
        D(2022, 1, 1),
        D(2022, 12, 31),
        False,
        "FREQ=YEARLY;INTERVAL=3",
    ),
]


@pytest.mark.parametrize(("text", "start", "end", "ongoing", "recurrence"), RULES)
def test_rules(text, start, end, ongoing, recurrence):
    timeline = parse_timeline(text)
    assert (timeline.start, timeline.end, timeline.ongoing, timeline.recurrence) == (
        start,
        end,
        ongoing,
        recurrence,
    )
    assert timeline.text == text


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("31 February 2020", "not a real date"),
        ("2020-02-30", "not a real date"),
        ("June 2020 – March 2020", "before it starts"),
        ("blah", "cannot read 'blah'"),
        ("Foo – 2020", "cannot read 'foo'"),
        ("March", "no year"),
        ("March 20", "no year"),
        ("3 – 4", "no month"),
        ("20 2020", "cannot read"),
        ("January 2020 – March 2020 – May 2020", "more than one range"),
        ("– 2020", "nothing on one side"),
        ("1850", "out of range"),
        ("March 99", "four digits"),
        ("(2020", "unbalanced"),
        ("31 février 2021", "not a real date"),
        ("été 2021 – printemps 2021", "before it starts"),
        ("since 2021 – 2019", "before it starts"),
        ("Planned (started 2015)", "goes with 'ongoing'"),
    ],
)
def test_errors_name_what_could_not_be_read(text, complaint):
    with pytest.raises(TimelineError) as caught:
        parse_timeline(text)
    assert complaint in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_precision_is_kept_for_writing_back():
    timeline = parse_timeline("March 2019 – 2021")
    assert (timeline.start_precision, timeline.end_precision) == (Precision.MONTH, Precision.YEAR)
    assert parse_timeline("20-21 January 2020").start_precision == Precision.DAY


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("20-21 January 2020", "20-21 January 2020"),
        ("29 September 2021", "29 September 2021"),
        ("November 2019 – March 2020", "November 2019 – March 2020"),
        ("September 2019 – January 2020", "September 2019 – January 2020"),
        ("enero – junio 2020", "January – June 2020"),
        ("2021", "2021"),
        ("2020 – 2021", "2020 – 2021"),
        ("March 2019 – 2021", "March 2019 – 2021"),
        ("Ongoing – June 2020", "ongoing – June 2020"),
        ("2013 – Ongoing", "2013 – ongoing"),
        ("by December 2019", "until December 2019"),
        ("30 September – 2 October 2021", "30 September – 2 October 2021"),
        ("30 December 2021 – 2 January 2022", "30 December 2021 – 2 January 2022"),
    ],
)
def test_format_span_writes_dates_as_people_do(text, written):
    t = parse_timeline(text)
    assert (
        format_span(t.start, t.end, t.start_precision, t.end_precision, ongoing=t.ongoing)
        == written
    )


#: The columns of seed tables read as timelines: a workplan's, and a results table's dates.
_WHEN_COLUMNS = ("timeline", "baseline_date", "target_date", "period", "raised_on")


def _seed_timelines():
    for path in sorted(resource_dir("seeds").glob("*.csv")):
        with path.open(encoding="utf-8") as f:
            for number, row in enumerate(csv.DictReader(f), start=2):
                for column in _WHEN_COLUMNS:
                    if row.get(column):
                        yield pytest.param(row[column], id=f"{path.name}:{number}:{column}")


@pytest.mark.parametrize("text", list(_seed_timelines()))
def test_every_seed_timeline_parses(text):
    parse_timeline(text)


_WORDS = st.sampled_from(
    [
        "January",
        "2020",
        "20",
        "21",
        "-",
        "–",
        "to",
        "until",
        "by",
        "from",
        "Ongoing",
        "Q1",
        "H2",
        "end of",
        "early",
        "mid-",
        "(",
        ")",
        "every other year",
        "31",
        "February",
        ",",
        "Cairo",
        "2019-01-40",
        "2020-02",
        "0000",
        "9" * 25,
        "9:00",
        "Monday",
        "de",
        "marzo",
        "à",
        "TBD",
        "1st",
        "quarter",
        "of",
        "every 0 years",
        "every 500 months",
    ]
)


@settings(max_examples=400, deadline=None)
@example("0:10000000000000000000000000000")  # dateutil raised decimal.InvalidOperation
@given(
    st.one_of(
        st.text(max_size=60),
        st.lists(_WORDS, max_size=8).map(" ".join),
        st.lists(_WORDS, max_size=8).map("".join),
    )
)
def test_any_text_parses_or_raises_timeline_error(text):
    try:
        timeline = parse_timeline(text)
    except TimelineError:
        return
    if timeline.start and timeline.end:
        assert timeline.start <= timeline.end


def test_cli_prints_json(runner):
    result = runner.invoke(args=["timeline", "Ongoing – June 2020", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {
        "text": "Ongoing – June 2020",
        "start": None,
        "end": "2020-06-30",
        "ongoing": True,
        "recurrence": None,
    }


def test_cli_reports_unreadable_text_with_exit_2(runner):
    result = runner.invoke(args=["timeline", "31 February 2020", "--json"])
    assert result.exit_code == 2
    assert "not a real date" in json.loads(result.output)["error"]
