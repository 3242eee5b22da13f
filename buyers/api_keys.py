"""API keys for the buyer API: made, found and revoked here only.

A key reads `mkt_<prefix>_<secret>`: the 8-character prefix is kept in clear so people can tell
keys apart; the whole key is stored only as its SHA-256 (a leaked row cannot be used). The key
is shown once, when it is made.
"""

from __future__ import annotations

import datetime
import hashlib
import re
import secrets
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from marketplace import audit

from .models import ApiKey, ApiKeyScope, Company

KEY_PREFIX = "mkt_"
KEY_PATTERN = re.compile(r"^mkt_([A-Za-z0-9]{8})_([A-Za-z0-9_-]{20,100})$")
SCOPES = tuple(ApiKeyScope.values)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _new_key() -> tuple[str, str]:
    prefix = "".join(secrets.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(8))
    return prefix, f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"


def clean_scopes(scopes: Iterable[str]) -> list[str]:
    """The scopes in canonical order; ValueError for an unknown or empty list."""
    wanted = {scope.strip() for scope in scopes if scope and scope.strip()}
    unknown = wanted - set(SCOPES)
    if unknown:
        raise ValueError(f"Unknown scope(s): {', '.join(sorted(unknown))}. Choose from {', '.join(SCOPES)}.")
    if not wanted:
        raise ValueError("Give at least one scope.")
    return [scope for scope in SCOPES if scope in wanted]


def create_key(*, company: Company, name: str, scopes: Iterable[str], created_by=None) -> tuple[ApiKey, str]:
    """Make a key; returns (row, the key in clear). The clear key exists only in the return value."""
    scopes = clean_scopes(scopes)
    prefix, key = _new_key()
    with transaction.atomic():
        row = ApiKey.objects.create(
            company=company,
            name=name.strip()[:100],
            prefix=prefix,
            key_hash=hash_key(key),
            scopes=scopes,
            created_by=created_by,
        )
        audit.record(
            "api_key.created",
            row,
            actor=created_by,
            details={"company": company.pk, "name": row.name, "prefix": prefix, "scopes": scopes},
        )
    return row, key


def revoke_key(key: ApiKey, *, actor=None) -> bool:
    """Revoke; False when it already was. Requests with it answer 401 from then on."""
    with transaction.atomic():
        updated = ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
        if not updated:
            return False
        key.refresh_from_db(fields=["revoked_at"])
        audit.record(
            "api_key.revoked",
            key,
            actor=actor,
            details={"company": key.company_id, "name": key.name, "prefix": key.prefix},
        )
    return True


def find_key(token: str) -> ApiKey | None:
    """The active key for a presented token, with its company and creator (API writes act as the
    creator), or None."""
    if not token or len(token) > 200 or not KEY_PATTERN.match(token):
        return None
    return ApiKey.objects.active().select_related("company", "created_by").filter(key_hash=hash_key(token)).first()


def touch(key: ApiKey, *, precision: datetime.timedelta = datetime.timedelta(seconds=60)) -> None:
    """Record use, at most once per `precision` (one UPDATE a minute per busy key, not one a request)."""
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at >= precision:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
