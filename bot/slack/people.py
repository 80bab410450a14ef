"""Who a Slack user is in the tracker: the Person with the same e-mail address, read through
the Web API (users.info, users.lookupByEmail) and kept in `Person.slack_user_id`."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import sqlalchemy as sa
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from tracker.extensions import db
from tracker.models import Person

logger = logging.getLogger(__name__)

NOT_MATCHED = (
    "I can't match your Slack account to a person in the tracker: the tracker knows people by "
    "their e-mail address, and your Slack address is not one of them. A coordinator can add you."
)


def known_person(slack_user_id: str) -> Person | None:
    """The active person already matched to this Slack user; no Web API call."""
    return db.session.scalars(
        sa.select(Person).where(Person.slack_user_id == slack_user_id, Person.active)
    ).first()


def identify(client: WebClient, slack_user_id: str) -> Person | None:
    """The person behind a Slack user, matched by e-mail on first contact and remembered."""
    person = known_person(slack_user_id)
    if person is not None:
        return person
    try:
        profile = client.users_info(user=slack_user_id)["user"]["profile"]
    except SlackApiError as exc:
        logger.warning("users.info for %s failed: %s", slack_user_id, exc.response.get("error"))
        return None
    email = (profile.get("email") or "").strip()
    if not email:
        return None
    person = _by_email(email)
    if person is None:
        return None
    _remember(person, slack_user_id)
    return person


def _by_email(email: str) -> Person | None:
    return db.session.scalars(
        sa.select(Person).where(sa.func.lower(Person.email) == email.lower(), Person.active)
    ).first()


def _remember(person: Person, slack_user_id: str) -> None:
    # an inactive person may still hold the id: Slack ids are unique in the tracker too
    db.session.execute(
        sa.update(Person)
        .where(Person.slack_user_id == slack_user_id, Person.id != person.id)
        .values(slack_user_id=None)
    )
    person.slack_user_id = slack_user_id
    db.session.commit()


@dataclass(frozen=True)
class Linked:
    email: str
    slack_user_id: str | None
    problem: str = ""


def link_people(client: WebClient) -> list[Linked]:
    """Match every active person not yet matched, by e-mail (`tracker bot link-people`)."""
    outcomes = []
    people = db.session.scalars(
        sa.select(Person)
        .where(Person.active, Person.slack_user_id.is_(None))
        .order_by(Person.email)
    ).all()
    for person in people:
        try:
            user = client.users_lookupByEmail(email=person.email)["user"]
        except SlackApiError as exc:
            problem = str(exc.response.get("error") or exc)
            outcomes.append(Linked(person.email, None, problem))
            continue
        _remember(person, user["id"])
        outcomes.append(Linked(person.email, user["id"]))
    return outcomes
