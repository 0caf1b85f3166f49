"""API tokens for the HTTP API: issued per staff id, stored hashed, revocable.

A token is 32 random bytes (URL-safe base64, prefixed ``okot_``), shown once
when it is created; the table keeps only its SHA-256, so a database leak gives
no usable token. :func:`verify` turns a presented token into the staff id it
was issued for (None when unknown, revoked or expired).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Engine

from okot.db.staff import require_staff
from okot.db.tables import API_TOKEN

PREFIX = "okot_"
MAX_TOKEN_LENGTH = 200


@dataclass(frozen=True)
class TokenInfo:
    id: int
    staff_id: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None

    def active(self, now: datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


def create_token(
    engine: Engine, staff_id: str, expires_days: int | None = None
) -> tuple[int, str]:
    """Issue a token for ``staff_id`` (who must be in the directory); returns (id, token)."""
    require_staff(engine, staff_id)
    if expires_days is not None and expires_days < 1:
        raise ValueError("expires_days must be at least 1")
    token = PREFIX + secrets.token_urlsafe(32)
    now = _now()
    expires = now + timedelta(days=expires_days) if expires_days is not None else None
    with engine.begin() as conn:
        result = conn.execute(
            insert(API_TOKEN).values(
                token_hash=_hash(token), staff_id=staff_id, created_at=now, expires_at=expires
            )
        )
        token_id = result.inserted_primary_key[0] if result.inserted_primary_key else None
    assert isinstance(token_id, int)
    return token_id, token


def list_tokens(engine: Engine) -> list[TokenInfo]:
    t = API_TOKEN.c
    with engine.connect() as conn:
        rows = conn.execute(
            select(t.id, t.staff_id, t.created_at, t.expires_at, t.revoked_at)
            .order_by(t.id)
        ).all()
    return [TokenInfo(r.id, r.staff_id, r.created_at, r.expires_at, r.revoked_at) for r in rows]


def revoke_token(engine: Engine, token_id: int) -> bool:
    """Revoke token ``token_id``; False if there is no such (unrevoked) token."""
    t = API_TOKEN.c
    with engine.begin() as conn:
        result = conn.execute(
            update(API_TOKEN).where(t.id == token_id, t.revoked_at.is_(None))
            .values(revoked_at=_now())
        )
    return bool(result.rowcount)


def verify(engine: Engine, token: str) -> str | None:
    """The staff id ``token`` was issued for, if it is known, unrevoked and unexpired."""
    if not token.startswith(PREFIX) or len(token) > MAX_TOKEN_LENGTH:
        return None
    t = API_TOKEN.c
    now = _now()
    with engine.connect() as conn:
        row = conn.execute(
            select(t.staff_id, t.expires_at, t.revoked_at).where(t.token_hash == _hash(token))
        ).first()
    if row is None or row.revoked_at is not None:
        return None
    if row.expires_at is not None and row.expires_at <= now:
        return None
    staff_id: str = row.staff_id
    return staff_id
