"""Sign-in links and API tokens: made here, checked here, stored only as digests."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import unicodedata
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

import sqlalchemy as sa
import sqlalchemy.orm as so
from itsdangerous import BadSignature, URLSafeTimedSerializer

from tracker.auth.models import ApiToken, SignInLink
from tracker.models import Person, utcnow

_LINK_SALT = "tracker-sign-in-link"
#: API tokens start with this, so a leaked one is easy to recognise in logs and code.
TOKEN_PREFIX = "wpt_"
#: How often a token's "last used" is written: not on every request.
_LAST_USED_RESOLUTION = timedelta(hours=1)
#: Longer `next` paths are refused: no page of the tracker needs one, and it rides in a mail.
_MAX_NEXT_LENGTH = 2000


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _serializer(config: dict[str, Any]) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(config["SECRET_KEY"], salt=_LINK_SALT)


def safe_next(path: str | None) -> str | None:
    """A path on this site to go to after signing in, or None.

    Judged as a browser reads a Location header (WHATWG URL parsing): it drops tabs and
    newlines anywhere, trims control characters and spaces, and takes a backslash for a
    slash, so "/<tab>/evil.example" and "/<backslash>evil.example" both lead to another
    host. Any of those characters refuses the path rather than being cleaned away, and what
    is left must be an absolute path with no scheme and no host.
    """
    if not path or len(path) > _MAX_NEXT_LENGTH or not path.startswith("/"):
        return None
    if "\\" in path or any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in path):
        return None
    if path.startswith("//") or path != path.strip():
        return None
    parts = urlsplit(path)
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return None
    return path


def issue_link(
    session: so.Session, person: Person, config: dict[str, Any], next_path: str | None = None
) -> str:
    """A new single-use sign-in link for `person`, valid for SIGN_IN_LINK_MINUTES.

    The URL is built on BASE_URL, never on the request's Host header, so a forged header
    cannot make the tracker mail someone a link to another site.
    """
    secret = secrets.token_urlsafe(24)
    minutes = config["SIGN_IN_LINK_MINUTES"]
    session.add(
        SignInLink(
            person=person,
            secret_hash=digest(secret),
            expires_at=utcnow() + timedelta(minutes=minutes),
        )
    )
    token = _serializer(config).dumps(secret)
    url = f"{config['BASE_URL'].rstrip('/')}/login/{token}"
    next_path = safe_next(next_path)
    if next_path and next_path != "/":
        url += "?" + urlencode({"next": next_path})
    return url


def _is_canonical(token: str, config: dict[str, Any]) -> bool:
    """The token is exactly the one issued, byte for byte, compared in constant time.

    itsdangerous decodes the signature's base64 leniently (padding, unused low bits), so
    `token + "="` would pass its check; the signature is recomputed and compared whole.
    """
    signed, _, _ = token.rpartition(".")
    signer = _serializer(config).make_signer()
    expected = signed.encode() + b"." + signer.get_signature(signed.encode())
    return hmac.compare_digest(token.encode(), expected)


def valid_link(session: so.Session, token: str, config: dict[str, Any]) -> SignInLink | None:
    """The link a token names, if it is genuine, unused, unexpired and its person active."""
    try:
        secret = _serializer(config).loads(token, max_age=config["SIGN_IN_LINK_MINUTES"] * 60)
    except BadSignature:  # also SignatureExpired
        return None
    if not _is_canonical(token, config):
        return None
    link = session.scalars(
        sa.select(SignInLink).where(SignInLink.secret_hash == digest(str(secret)))
    ).first()
    if link is None or link.used_at is not None or link.expires_at <= utcnow():
        return None
    return link if link.person.active else None


def redeem_link(session: so.Session, token: str, config: dict[str, Any]) -> Person | None:
    """Use a link up: the conditional UPDATE lets exactly one of two racing requests win."""
    link = valid_link(session, token, config)
    if link is None:
        return None
    used = session.execute(
        sa.update(SignInLink)
        .where(SignInLink.id == link.id, SignInLink.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return link.person if used.rowcount == 1 else None


def create_api_token(session: so.Session, person: Person, name: str) -> str:
    """A new token for `person`; the caller shows it once, only its digest is kept."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(person=person, name=name, token_hash=digest(raw), prefix=raw[:10]))
    return raw


def person_for_token(session: so.Session, raw: str) -> Person | None:
    """The active owner of an API token, or None."""
    if not raw.startswith(TOKEN_PREFIX):
        return None
    token = session.scalars(sa.select(ApiToken).where(ApiToken.token_hash == digest(raw))).first()
    if token is None or not token.person.active:
        return None
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at > _LAST_USED_RESOLUTION:
        token.last_used_at = now
    return token.person
