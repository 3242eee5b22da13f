"""API keys for the buyer API: made, found, re-issued and revoked here only.

A key reads `mkt_<prefix>_<secret>`: the 8-character prefix is kept in clear so people can tell
keys apart; the whole key is stored only as its SHA-256 (a leaked row cannot be used). The key
is shown once, when it is made.

A key belongs to its company and acts as its creator, who must be an admin of the company when
it is made; `ApiKey.refusal()` says, at each request, whether it still works.
"""

from __future__ import annotations

import datetime
import hashlib
import re
import secrets
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from marketplace import audit

from .models import ApiKey, ApiKeyRefusal, ApiKeyScope, Company, CompanyMembership, CompanyRole

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


def end_of_day(day: datetime.date) -> datetime.datetime:
    """The `expires_at` of a key that works through `day` (local time): the next midnight."""
    return timezone.make_aware(datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min))


def check_can_make_keys(*, company: Company, user) -> None:
    """ValueError unless `user` is, now, an admin of the active `company`: a key acts as its
    creator, so only an admin may make one (asked of the database, not of the user's cached roles)."""
    if not company.is_active:
        raise ValueError(_("This company is suspended."))
    is_admin = (
        user is not None
        and getattr(user, "is_active", False)
        and CompanyMembership.objects.filter(company=company, user=user, role=CompanyRole.ADMIN).exists()
    )
    if not is_admin:
        raise ValueError(_("Only an admin of the company may make its API keys."))


def _make(*, company: Company, name: str, scopes: list[str], created_by, expires_at) -> tuple[ApiKey, str]:
    # Call inside a transaction, after check_can_make_keys().
    prefix, key = _new_key()
    row = ApiKey.objects.create(
        company=company,
        name=name.strip()[:100],
        prefix=prefix,
        key_hash=hash_key(key),
        scopes=scopes,
        created_by=created_by,
        expires_at=expires_at,
    )
    return row, key


def create_key(
    *,
    company: Company,
    name: str,
    scopes: Iterable[str],
    created_by,
    expires_at: datetime.datetime | None = None,
) -> tuple[ApiKey, str]:
    """Make a key in the name of `created_by`, an admin of the company; returns (row, the key in
    clear). The clear key exists only in the return value. ValueError for unknown scopes, a
    creator who is not an admin, a suspended company or an expiry in the past."""
    scopes = clean_scopes(scopes)
    if expires_at is not None and expires_at <= timezone.now():
        raise ValueError(_("The expiry must be in the future."))
    with transaction.atomic():
        check_can_make_keys(company=company, user=created_by)
        row, key = _make(company=company, name=name, scopes=scopes, created_by=created_by, expires_at=expires_at)
        audit.record(
            "api_key.created",
            row,
            actor=created_by,
            details={"company": company.pk, "prefix": row.prefix, "scopes": scopes},
        )
    return row, key


def revoke_key(key: ApiKey, *, actor=None) -> bool:
    """Revoke; False when it already was. Requests with it answer 401 from then on."""
    with transaction.atomic():
        updated = ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
        if not updated:
            return False
        key.refresh_from_db(fields=["revoked_at"])
        audit.record("api_key.revoked", key, actor=actor, details={"company": key.company_id})
    return True


def reissue_key(key: ApiKey, *, actor) -> tuple[ApiKey, str]:
    """Replace `key` with a new secret of the same name and scopes, made in the name of `actor`
    (an admin of the company), and revoke the old one, in one transaction; returns (new row, the
    new key in clear). An expiry still ahead is kept; a past one is dropped (re-issuing an expired
    key is how it is renewed). ValueError when `actor` may not make keys or the key was already
    re-issued."""
    with transaction.atomic():
        old = ApiKey.objects.select_for_update().select_related("company").get(pk=key.pk)
        if old.replaced_by_id is not None:
            raise ValueError(_("This key was already re-issued."))
        check_can_make_keys(company=old.company, user=actor)
        now = timezone.now()
        expires_at = old.expires_at if old.expires_at and old.expires_at > now else None
        new, clear = _make(
            company=old.company, name=old.name, scopes=old.scopes, created_by=actor, expires_at=expires_at
        )
        old.replaced_by = new
        old.revoked_at = old.revoked_at or now
        old.save(update_fields=["replaced_by", "revoked_at"])
        audit.record("api_key.created", new, actor=actor, details={"company": old.company_id, "replaces": old.pk})
        audit.record("api_key.revoked", old, actor=actor, details={"company": old.company_id, "replaced_by": new.pk})
    key.replaced_by, key.revoked_at = old.replaced_by, old.revoked_at
    return new, clear


# Details of the API's 401 for each refusal, in English: api.base translates them.
REFUSAL_DETAILS = {
    ApiKeyRefusal.REVOKED: gettext_noop("This API key was revoked."),
    ApiKeyRefusal.EXPIRED: gettext_noop("This API key has expired."),
    ApiKeyRefusal.COMPANY_SUSPENDED: gettext_noop("This company's account is suspended."),
    ApiKeyRefusal.CREATOR_LEFT: gettext_noop(
        "The person who made this API key is no longer a member of the company: an admin must re-issue it."
    ),
    ApiKeyRefusal.CREATOR_NOT_ADMIN: gettext_noop(
        "The person who made this API key is no longer an admin of the company: an admin must re-issue it."
    ),
    ApiKeyRefusal.CREATOR_DEACTIVATED: gettext_noop(
        "The account of the person who made this API key is deactivated: an admin must re-issue it."
    ),
}
# Also said of a malformed token; kept as it was (clients may match it).
UNKNOWN_KEY_DETAIL = gettext_noop("Unknown or revoked API key.")


def find_key(token: str) -> ApiKey | None:
    """The key for a presented token, with its company, its creator (API writes act as the
    creator) and the creator's current role in the company (`refusal()` needs it), all in one
    query; None when no key matches. The key may be one that no longer works: ask `refusal()`."""
    if not token or len(token) > 200 or not KEY_PATTERN.match(token):
        return None
    return (
        ApiKey.objects.with_creator_role()
        .select_related("company", "created_by")
        .filter(key_hash=hash_key(token))
        .first()
    )


def refusal(key: ApiKey) -> str | None:
    """Why the key may not be used now, as the (untranslated) detail of the API's 401; None when
    it may."""
    reason = key.refusal()
    return REFUSAL_DETAILS[reason] if reason else None


def touch(
    key: ApiKey, *, ip: str | None = None, precision: datetime.timedelta = datetime.timedelta(seconds=60)
) -> None:
    """Record the time and address of use, at most once per `precision` (one UPDATE a minute per
    busy key, not one a request): the address shown is that of the first request of the minute."""
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at >= precision:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now, last_used_ip=ip)
        key.last_used_at, key.last_used_ip = now, ip
