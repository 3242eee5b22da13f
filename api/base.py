"""The buyer API's foundation: the NinjaAPI object, key authentication, rate limiting, RFC 9457
problem responses and pagination. Routers (api/products.py, api/orders.py, …) build on it.

Every error leaves as `application/problem+json` with one of the stable `PROBLEM_TYPES`; no input
may produce a 500 (the catch-all handler still answers a problem, and logs, if one slips through).
Problem titles and details are in the language `Accept-Language` asks for (Thai unless it asks
for English; see `api_language`); the `type` never changes with the language.
"""

from __future__ import annotations

import datetime
import logging
import math
import time
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import translation
from django.utils.translation import gettext as _
from ninja import Field, NinjaAPI, Schema, Swagger
from ninja.errors import AuthenticationError, HttpError, Throttled
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import HttpBearer

logger = logging.getLogger(__name__)

PROBLEM_BASE = "https://marketplace.example/problems/"
PROBLEM_TYPES: dict[str, str] = {
    name: PROBLEM_BASE + name
    for name in (
        "validation",
        "not-found",
        "forbidden",
        "over-commit",
        "conflict",
        "refused",
        "rate-limited",
        "unauthorized",
        "method-not-allowed",
        "server-error",
    )
}
PROBLEM_CONTENT_TYPE = "application/problem+json"

# last_used_at is written at most this often per key.
LAST_USED_PRECISION = datetime.timedelta(seconds=60)

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20
# Far past any real list, and small enough that (page - 1) × page_size fits the databases' OFFSET.
MAX_PAGE = 1_000_000

API_VERSION = "1.1.0"


class Problem(Exception):
    """Raise anywhere under the API to answer an RFC 9457 problem. `type` is a key of
    PROBLEM_TYPES ("not-found", "over-commit", …) or a full URI; `extra` members are added to the
    body (e.g. remaining=…); `headers` are set on the response (e.g. Retry-After)."""

    def __init__(
        self,
        status: int,
        type: str,
        title: str,
        detail: str = "",
        *,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ):
        self.status = status
        self.type = PROBLEM_TYPES.get(type, type)
        self.title = str(title)
        self.detail = str(detail)
        self.headers = headers or {}
        self.extra = extra
        super().__init__(status, self.type, self.title)

    def body(self, request: HttpRequest | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"type": self.type, "title": self.title, "status": self.status}
        if self.detail:
            body["detail"] = self.detail
        if request is not None:
            body["instance"] = request.path
        body.update(self.extra)
        return body


class ProblemSchema(Schema):
    """The RFC 9457 problem document every error answers."""

    type: str
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None


def problem_response(request: HttpRequest | None, problem: Problem) -> HttpResponse:
    import json

    response = HttpResponse(
        json.dumps(problem.body(request), cls=DjangoJSONEncoder, ensure_ascii=False),
        status=problem.status,
        content_type=f"{PROBLEM_CONTENT_TYPE}; charset=utf-8",
    )
    for name, value in problem.headers.items():
        response[name] = value
    return response


def not_found(detail: str = "") -> Problem:
    return Problem(404, "not-found", _("Not found"), detail)


def forbidden(detail: str = "") -> Problem:
    # The key authentication passes its messages untranslated: they are looked up here (their Thai
    # is in the catalogue); an already translated detail is not in it and passes unchanged.
    return Problem(403, "forbidden", _("Forbidden"), _(detail) if detail else "")


def require_scope(request: HttpRequest, scope: str) -> None:
    """403 unless the request's key carries `scope` ("read" or "order")."""
    key = getattr(request, "auth", None)
    if key is None or not key.has_scope(scope):
        raise forbidden(_("This API key lacks the '%(scope)s' scope.") % {"scope": scope})


# --- Authentication and rate limiting --------------------------------------------------------


def _unauthorized(detail: str) -> Problem:
    # As in forbidden(): the key authentication's messages are translated here.
    return Problem(401, "unauthorized", _("Unauthorized"), _(detail), headers={"WWW-Authenticate": "Bearer"})


def _rate_limit(key) -> None:
    """Fixed window per key (in the Django cache): at most settings.API_RATE_LIMIT requests in
    each settings.API_RATE_WINDOW seconds."""
    limit, window = settings.API_RATE_LIMIT, settings.API_RATE_WINDOW
    now = time.time()
    window_start = int(now // window) * window
    cache_key = f"api:rate:{key.pk}:{window_start}"
    # add() is a no-op when the counter exists; incr() is atomic on Redis and locmem.
    cache.add(cache_key, 0, timeout=window + 5)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # evicted between add and incr
        cache.set(cache_key, 1, timeout=window + 5)
        count = 1
    if count > limit:
        retry_after = max(1, math.ceil(window_start + window - now))
        raise Problem(
            429,
            "rate-limited",
            _("Too many requests"),
            _("This API key may make %(limit)s requests every %(window)s seconds.")
            % {"limit": limit, "window": window},
            headers={"Retry-After": str(retry_after)},
            retry_after=retry_after,
        )


class ApiKeyAuth(HttpBearer):
    """`Authorization: Bearer mkt_<prefix>_<secret>` → the buyers.models.ApiKey row (so views read
    request.auth.company and request.auth.scopes). Unknown or malformed keys answer 401, and so
    does a key that no longer works (revoked, expired, its company suspended, its creator no longer
    an admin of the company), with a detail that says why; too many requests answer 429."""

    def __call__(self, request: HttpRequest):
        value = request.headers.get(self.header, "")
        if not value:
            raise _unauthorized("Send an API key as 'Authorization: Bearer <key>'.")
        scheme, _, token = value.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise _unauthorized("The Authorization header must be 'Bearer <key>'.")
        return self.authenticate(request, token.strip())

    def authenticate(self, request: HttpRequest, token: str):
        from buyers import api_keys
        from marketplace.audit import client_ip

        key = api_keys.find_key(token)
        if key is None:
            raise _unauthorized(api_keys.UNKNOWN_KEY_DETAIL)
        refusal = api_keys.refusal(key)
        if refusal:
            raise _unauthorized(refusal)
        _rate_limit(key)
        api_keys.touch(key, ip=client_ip(request), precision=LAST_USED_PRECISION)
        return key


# --- The API object and its error handlers ---------------------------------------------------


def api_language(request: HttpRequest) -> str:
    """The language of the API's answers: the first of `Accept-Language` (by q-value) that is
    Thai or English ("en-US" counts as English), else Thai. Unlike the web pages (which follow
    the language cookie and the signed-in user's preference), an API client says what it reads
    in each request: neither a cookie nor a saved preference overrides it."""
    header = request.headers.get("Accept-Language", "")
    for code, quality in translation.trans_real.parse_accept_lang_header(header):
        if code == "*" or not quality:
            continue
        try:
            return translation.get_supported_language_variant(code)
        except LookupError:
            continue
    return settings.LANGUAGE_CODE


CONTENT_LANGUAGE_HEADER = {
    "description": "The language of `title` and `detail` in a problem (th or en, from Accept-Language).",
    "schema": {"type": "string", "enum": [code for code, _name in settings.LANGUAGES]},
}


ACCEPT_LANGUAGE_PARAMETER = {
    "name": "Accept-Language",
    "in": "header",
    "required": False,
    "description": "th (the default) or en: the language of problem titles and details.",
    "schema": {"type": "string"},
    "example": "en",
}


class MarketplaceAPI(NinjaAPI):
    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        """Ninja's schema, plus the problem responses every operation can give, documented as
        application/problem+json (so clients and schemathesis know what errors look like), the
        `Accept-Language` every operation honours and the `Content-Language` it answers."""
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.setdefault("Problem", ProblemSchema.model_json_schema())
        components["Problem"]["additionalProperties"] = True
        ref = {"$ref": "#/components/schemas/Problem"}
        for path, path_item in schema.get("paths", {}).items():
            for operation in path_item.values():
                if not isinstance(operation, dict) or "responses" not in operation:
                    continue
                operation.setdefault("parameters", []).append(ACCEPT_LANGUAGE_PARAMETER)
                responses = operation["responses"]
                defaults = {400: "Bad request", 401: "Unauthorized", 403: "Forbidden", 422: "Invalid input"}
                defaults[429] = "Too many requests"
                if "{" in path:
                    defaults[404] = "Not found"
                for status, description in defaults.items():
                    if status not in responses and str(status) not in responses:
                        responses[status] = {"description": description}
                for status, response in responses.items():
                    response.setdefault("headers", {})["Content-Language"] = CONTENT_LANGUAGE_HEADER
                    if int(status) >= 400:
                        response["content"] = {PROBLEM_CONTENT_TYPE: {"schema": ref}}
        return schema


api = MarketplaceAPI(
    title="Community Offtake Marketplace API",
    version=API_VERSION,
    description=(
        "The buyer API for partner companies' procurement systems: the catalogue, the company's "
        "agreements and orders, call-offs, delivery acceptance and the impact statement. "
        "Authenticate with `Authorization: Bearer <key>` (keys are made by company admins in the "
        "buyer portal). Errors are RFC 9457 `application/problem+json`, their `title` and `detail` "
        "in Thai, or in English with `Accept-Language: en`. Money is a string with 2 decimals "
        '("1375.00", THB), a quantity a string with 3 decimals ("25.500").'
    ),
    urls_namespace="api-v1",
    docs_url="/docs",
    openapi_url="/openapi.json",
    # The bundled Swagger UI (ninja/static): no CDN; its validator badge would call out to
    # validator.swagger.io, so it is off.
    docs=Swagger(settings={"validatorUrl": None, "persistAuthorization": False}),
    auth=ApiKeyAuth(),
)


def invalid(detail: str, errors: list[dict[str, Any]] | None = None, title: str | None = None) -> Problem:
    """The 422 validation problem: the request does not match the published schema."""
    return Problem(422, "validation", title or _("Invalid input"), detail, errors=errors or [])


def refused(title: str, messages: list[str], **extra: Any) -> Problem:
    """The 409 refused problem: the request is well formed, but the agreement or delivery as it
    is now does not allow it (a line not on the agreement, a quantity outside the call-off
    limits, a delivery answered in part, …)."""
    return Problem(
        409,
        "refused",
        title,
        " ".join(messages),
        errors=[{"loc": ["body", "lines"], "msg": message, "type": "refused"} for message in messages],
        **extra,
    )


@api.exception_handler(Problem)
def _problem(request, exc: Problem):
    return problem_response(request, exc)


def _clean_errors(errors) -> list[dict[str, Any]]:
    cleaned = []
    for error in errors or []:
        if not isinstance(error, dict):
            cleaned.append({"msg": str(error)})
            continue
        cleaned.append(
            {
                "loc": [item if isinstance(item, int | str) else str(item) for item in error.get("loc", ())],
                "msg": str(error.get("msg", "")),
                "type": str(error.get("type", "")),
            }
        )
    return cleaned


@api.exception_handler(NinjaValidationError)
def _validation(request, exc: NinjaValidationError):
    return problem_response(request, invalid(_("The request did not validate."), _clean_errors(exc.errors)))


@api.exception_handler(DjangoValidationError)
def _django_validation(request, exc: DjangoValidationError):
    if hasattr(exc, "message_dict"):
        errors = [
            {"loc": [field], "msg": str(message), "type": "invalid"}
            for field, messages in exc.message_dict.items()
            for message in messages
        ]
    else:
        errors = [{"loc": [], "msg": str(m), "type": "invalid"} for m in exc.messages]
    return problem_response(request, invalid("; ".join(e["msg"] for e in errors), errors))


@api.exception_handler(Http404)
def _not_found(request, exc):
    return problem_response(request, not_found())


@api.exception_handler(ObjectDoesNotExist)
def _does_not_exist(request, exc):
    return problem_response(request, not_found())


@api.exception_handler(PermissionDenied)
def _permission_denied(request, exc):
    return problem_response(request, forbidden(str(exc)))


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc):
    return problem_response(request, _unauthorized(_("Send an API key as 'Authorization: Bearer <key>'.")))


@api.exception_handler(Throttled)
def _throttled(request, exc: Throttled):
    wait = max(1, math.ceil(exc.wait or settings.API_RATE_WINDOW))
    problem = Problem(429, "rate-limited", _("Too many requests"), headers={"Retry-After": str(wait)}, retry_after=wait)
    return problem_response(request, problem)


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    # Ninja's own refusals (a body that is not JSON, …): its message, in English, is the detail.
    status = exc.status_code
    type_ = {400: "validation", 401: "unauthorized", 403: "forbidden", 404: "not-found", 409: "conflict"}.get(
        status, "validation" if status < 500 else "server-error"
    )
    title = _("Bad request") if status == 400 else _("Invalid input") if status < 500 else _("Internal server error")
    return problem_response(request, Problem(status, type_, title, str(exc)))


@api.exception_handler(Exception)
def _unexpected(request, exc: Exception):
    # There must be none: every one is a bug. Logged with its traceback; the client gets a problem.
    logger.exception("Unhandled error in the buyer API: %s %s", request.method, request.path)
    return problem_response(request, Problem(500, "server-error", _("Internal server error")))


# --- Pagination ----------------------------------------------------------------------------


class PageQuery(Schema):
    """The paging query of every list; its bounds are the only check of page and page_size."""

    page: int = Field(1, ge=1, le=MAX_PAGE)
    page_size: int = Field(DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE, description=f"At most {MAX_PAGE_SIZE}.")


def paginate(queryset, page: int, page_size: int) -> dict[str, Any]:
    """One page of `queryset` (or a list). The caller passes a page and page size validated by
    PageQuery (a page below 1 or a size above the maximum is refused there, never changed). A page
    beyond the end is an empty list (count still tells the total), not a 404."""
    count = queryset.count() if hasattr(queryset, "count") and not isinstance(queryset, list) else len(queryset)
    start = (page - 1) * page_size
    items = list(queryset[start : start + page_size]) if start < count else []
    return {
        "items": items,
        "count": count,
        "page": page,
        "page_size": page_size,
        "next_page": page + 1 if start + page_size < count else None,
    }


class Page(Schema):
    count: int
    page: int
    page_size: int
    next_page: int | None = None
