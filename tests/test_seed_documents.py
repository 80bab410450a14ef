"""The seed workplans, pinned item by item against the documents in ../shared/seeds/: codes,
leads (and where a milestone inherits them from), other entities and planned dates.

`tests/data/seed-items.tsv` is the reading checked against the documents; a change to a seed
file or to how the importer reads one shows here as a difference to look at.
"""

from __future__ import annotations

from pathlib import Path

from tests.conftest import TEST_TODAY
from tracker.domain.items import ItemFilter, find_items
from tracker.models import LEADING_ROLES

PINNED = Path(__file__).parent / "data" / "seed-items.tsv"


def _row(item) -> str:
    leads = ",".join(item.leads) or "-"
    if item.leads_from:
        leads += f" <{item.leads_from}>"
    others = ",".join(a for a, role in item.entities if role not in LEADING_ROLES) or "-"
    start = item.start.isoformat() if item.start else "-"
    end = item.end.isoformat() if item.end else "-"
    ongoing = "ongoing" if item.ongoing else ""
    return "\t".join([item.working_group, item.kind, item.code, leads, others, start, end, ongoing])


def test_every_seed_item_lead_and_date_as_pinned(session):
    items = find_items(session, ItemFilter(), TEST_TODAY).items
    found = sorted(_row(i) for i in items)
    pinned = sorted(
        line for line in PINNED.read_text(encoding="utf-8").splitlines() if line[:1] != "#"
    )
    assert found == pinned


def test_the_corrections_read_against_the_documents(session):
    by_code = {
        (i.working_group, i.code): i for i in find_items(session, ItemFilter(), TEST_TODAY).items
    }
    # the July 2019 report, paragraphs 24-25: one questionnaire from the two task forces' drafts
    questionnaire = by_code[("EGMS", "24")]
    assert questionnaire.title.startswith("Global consultation questionnaire")
    assert "report back to UNSD" in questionnaire.description
    assert questionnaire.leads == ()  # the report names nobody who runs it
    # the 2014 work programme: "Collaboration with GMG members ... as well as the OECD"
    handbook = by_code[("GMG-DR", "Output 1.2 (1)")]
    assert [(a, r.value) for a, r in handbook.entities] == [("OECD", "partner")]
    # milestones say where their leads come from instead of asserting them
    assert by_code[("EGMS", "IFMS-2020")].leads_from == "activity 37"
    # the July 2019 report: "organised by the UN Statistics Division" (UNSD, of UN DESA)
    egm = by_code[("EGMS", "EGM-2019")]
    assert (egm.leads, egm.leads_from) == (("UN DESA",), None)
    assert by_code[("EGMS", "IFMS-2020")].leads == ("IOM",)  # still its activity's
    assert by_code[("WS1", "3.4")].leads_from is None


def test_inherited_leads_are_said_so_on_the_page_and_in_the_api(client, session, auth):
    from tests.webtools import milestone

    auth.sign_in_as("member@example.org")
    item = milestone(session, "EGMS", "IFMS-2020")
    page = client.get(f"/milestones/{item.id}").get_data(as_text=True)
    assert "(inherited from activity 37: the workplan names no lead for this meeting)" in page


def test_a_milestones_own_entities_replace_the_inherited_ones_in_queries(session):
    """The SQL of "what X leads" follows the same rule as the items' leads."""

    def led_by(acronym: str) -> set[str]:
        flt = ItemFilter(entity=acronym, leading_only=True)
        return {f"{i.working_group}:{i.code}" for i in find_items(session, flt, TEST_TODAY).items}

    assert "EGMS:EGM-2019" in led_by("UN DESA")
    assert "EGMS:EGM-2019" not in led_by("IOM")  # the group's lead, no longer inherited
    assert "EGMS:IFMS-2020" in led_by("IOM")  # activity 37's, still
