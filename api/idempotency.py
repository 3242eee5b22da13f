"""`Idempotency-Key` for API writes that create things (call-offs): a procurement system that lost
a response sends the same request again with the same key and gets the first answer back,
instead of placing the call-off twice.

Rules (stated in the OpenAPI description of each such operation):

* the header is required: 1–255 visible ASCII characters; missing or malformed → 400 validation;
* keys belong to one API key: two keys (or two companies) never see each other's records;
* the same key with the same request (method, path and JSON body, whatever its spacing or key
  order) answers the stored status and body again, with `Idempotent-Replayed: true`; nothing is
  placed again;
* the same key with a different request → 409 conflict;
* only a request that created something is remembered. A refused one (over-commit, validation)
  placed nothing and leaves no record, so the client may fix it and send it again under the same
  key.

Concurrency: the record is inserted FIRST, in the same transaction as the call-off it answers,
and filled in once the call-off is placed. A second request with the same key blocks on the
unique index (PostgreSQL) or on the write lock (SQLite, IMMEDIATE transactions) until the first
commits, then finds the finished record and answers it — so of two concurrent requests with one
key exactly one places and the other gets its stored response (or 409 conflict if its body
differs). If the first is refused, its transaction and its record roll back and the second
proceeds as a first request. An order can never be committed without its record, nor a record
without its order.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from .base import Problem
from .models import IdempotencyRecord

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEY_PATTERN = re.compile(r"^[\x21-\x7e]{1,255}$")

HEADER_DOC = {
    "name": HEADER,
    "in": "header",
    "required": True,
    "description": (
        "A unique key per call-off (e.g. a UUID), 1–255 visible ASCII characters. Sending the same key "
        "with the same body again returns the first response without placing again; the same key with "
        "a different body is refused with 409. Only placed call-offs are remembered."
    ),
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[\\x21-\\x7e]+$"},
}


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any
    replayed: bool = False


def key_from(request: HttpRequest) -> str:
    """The request's Idempotency-Key, or a 400 validation problem."""
    key = request.headers.get(HEADER)
    if not key:
        raise Problem(
            400,
            "validation",
            _("Idempotency-Key required"),
            _("Send an '%(header)s' header (e.g. a UUID) so the call-off can be retried safely.") % {"header": HEADER},
            errors=[{"loc": ["header", HEADER], "msg": "missing", "type": "missing"}],
        )
    if not KEY_PATTERN.match(key):
        raise Problem(
            400,
            "validation",
            _("Invalid Idempotency-Key"),
            _("'%(header)s' must be 1–255 visible ASCII characters.") % {"header": HEADER},
            errors=[{"loc": ["header", HEADER], "msg": "invalid", "type": "value_error"}],
        )
    return key


def fingerprint(request: HttpRequest, payload: Any) -> str:
    """SHA-256 of method, path and the parsed body in canonical form (sorted keys, no spacing)."""
    canonical = json.dumps(
        {"method": request.method, "path": request.path, "body": payload},
        sort_keys=True,
        separators=(",", ":"),
        cls=DjangoJSONEncoder,
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _stored_answer(record: IdempotencyRecord, request_hash: str) -> Answer:
    if record.request_hash != request_hash:
        raise Problem(
            409,
            "conflict",
            _("Idempotency-Key reused"),
            _("This '%(header)s' was already used for a different request; use a new key for a new call-off.")
            % {"header": HEADER},
        )
    return Answer(record.response_status, record.response_body, replayed=True)


def run_once(*, api_key, key: str, request_hash: str, action: Callable[[], tuple[int, Any]]) -> Answer:
    """Answer `action()` once per (api_key, key): the first call runs it and stores its
    (status, JSON body) in the same transaction; later calls with the same request get that
    answer back. `action` must do its writes in the current transaction and raise (Problem,
    ValidationError, …) to refuse — a refusal stores nothing."""
    stored = IdempotencyRecord.objects.filter(api_key=api_key, key=key).first()
    if stored is not None:
        return _stored_answer(stored, request_hash)
    with transaction.atomic():
        try:
            with transaction.atomic():
                # Claims the key before the work: a concurrent twin waits here until we commit.
                record = IdempotencyRecord.objects.create(
                    api_key=api_key, key=key, request_hash=request_hash, response_status=0, response_body={}
                )
        except IntegrityError:
            # A concurrent request with this key committed first: its answer is ours.
            stored = IdempotencyRecord.objects.filter(api_key=api_key, key=key).first()
            if stored is None:  # pragma: no cover - it committed, so it is there (READ COMMITTED)
                raise Problem(
                    409,
                    "conflict",
                    _("Request in progress"),
                    _("A request with this '%(header)s' is still running.") % {"header": HEADER},
                ) from None
            return _stored_answer(stored, request_hash)
        status, body = action()
        record.response_status = status
        record.response_body = body
        record.save(update_fields=["response_status", "response_body"])
    return Answer(status, body)
