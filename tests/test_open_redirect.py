"""The page after signing in is a page of this site, as the browser reads the redirect.

Each probe is a `next` query value as an attacker would put it in a link (percent-encoded);
it is tried on `GET /login` (already signed in) and on `POST /login/<token>` (the button of a
genuine sign-in mail requested for the victim). None may leave the site or fail with 500.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, unquote, urljoin, urlsplit

import sqlalchemy as sa

from tests.webtools import csrf_token
from tracker.auth.secrets import issue_link, safe_next
from tracker.models import Person

SITE = "tracker.test"

#: Known bypasses of "starts with / but not //" checks, as written in a query string.
BYPASSES = (
    "//evil.example",
    "///evil.example",
    "////evil.example",
    "https://evil.example",
    "http:evil.example",
    "HTTPS://evil.example",
    "/%09/evil.example",
    "/%0A/evil.example",
    "/%0D/evil.example",
    "/%0D%0ALocation:%20https://evil.example",
    "%09//evil.example",
    "%20//evil.example",
    "/%00/evil.example",
    "/%1F/evil.example",
    "/%E2%80%A8/evil.example",
    "/%E2%80%8B/evil.example",
    "/%5Cevil.example",
    "/%5C%5Cevil.example",
    "%5C%5Cevil.example",
    "%5C/evil.example",
    "/%2F/evil.example",
    "/%2F%2Fevil.example",
    "%2F%2Fevil.example",
    "javascript:alert(1)",
    "JaVaScRiPt%3Aalert(1)",
    "data:text/html,<script>alert(1)</script>",
    "//tracker.test@evil.example",
    "https://tracker.test@evil.example",
    "//evil.example%23.tracker.test",
    "//evil.example/%2F..",
    "/.//evil.example",
    "evil.example",
    "@evil.example",
)

#: Paths of this site that must still work.
KEPT = ("/items?status=delayed", "/timeline", "/activities/3", "/@evil.example", "/%252F/x")


def where_a_browser_goes(location: str) -> str:
    """The host a browser opens for a Location header, after its URL parser's clean-up
    (WHATWG: tabs and newlines removed, C0 controls and spaces trimmed, `\\` read as `/`)."""
    cleaned = re.sub(r"[\t\n\r]", "", location).strip("".join(map(chr, range(0x21))))
    cleaned = cleaned.replace("\\", "/")
    return urlsplit(urljoin(f"http://{SITE}/login", cleaned)).hostname or SITE


def refused_outright(probe: str, response) -> bool:
    """A NUL in any address is refused before any view runs (tests/test_hostile_input.py)."""
    if "%00" in probe:
        assert response.status_code == 400, (probe, response.status_code)
        return True
    return False


def _person(session, email: str = "member@example.org") -> Person:
    return session.scalars(sa.select(Person).where(Person.email == email)).one()


def test_signed_in_login_page_never_redirects_off_site(client, auth):
    auth.sign_in_as("member@example.org")
    escaped = []
    for probe in BYPASSES:
        response = client.get(f"/login?next={probe}")
        if refused_outright(probe, response):
            continue
        assert response.status_code == 302, (probe, response.status_code)
        if where_a_browser_goes(response.headers["Location"]) != SITE:
            escaped.append((probe, response.headers["Location"]))
    assert escaped == []
    print(f"GET /login: {len(BYPASSES)} redirect probes tried, {len(BYPASSES)} kept on site")


def test_sign_in_button_never_redirects_off_site(app, client, session):
    escaped = []
    for probe in BYPASSES:
        url = issue_link(session, _person(session), app.config)
        session.commit()
        path = urlsplit(url).path
        response = client.post(f"{path}?next={probe}", data={"csrf_token": csrf_token(client)})
        if refused_outright(probe, response):
            continue
        assert response.status_code == 302, (probe, response.status_code)
        if where_a_browser_goes(response.headers["Location"]) != SITE:
            escaped.append((probe, response.headers["Location"]))
        client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})
    assert escaped == []
    print(f"POST /login/<token>: {len(BYPASSES)} redirect probes tried, all kept on site")


def test_a_requested_link_never_carries_an_off_site_next(app, session):
    """The mailed link itself: `next` is judged before it is written into the mail."""
    for probe in BYPASSES:
        url = issue_link(session, _person(session), app.config, unquote(probe))
        sent_next = parse_qs(urlsplit(url).query).get("next", ["/"])[0]
        assert where_a_browser_goes(sent_next) == SITE, (probe, url)


def test_own_pages_are_kept(client, auth):
    auth.sign_in_as("member@example.org")
    for path in KEPT:
        assert safe_next(path) == path
        response = client.get("/login", query_string={"next": path})
        assert response.status_code == 302
        assert where_a_browser_goes(response.headers["Location"]) == SITE
    response = client.get("/login?next=/items%3Fstatus%3Ddelayed")
    assert response.headers["Location"] == "/items?status=delayed"
