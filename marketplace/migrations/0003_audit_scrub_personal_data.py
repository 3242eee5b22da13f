"""Drop household personal data from audit events written before `audit.record` refused it.

Events are kept (who did what, when, to which household id); the values that identified people
(household codes, search texts) are dropped and the event marked `"redacted": true`. A household
list's query string becomes what is recorded now: the filter keys used and whether there was a
search. The rules are a copy of marketplace.audit's as they stood, so that this migration does not
change when they do. There is no way back: the values are gone.
"""

from urllib.parse import parse_qsl

from django.db import migrations
from django.db.models import Q

PERSONAL_KEYS = {
    "q",
    "query",
    "search",
    "search_query",
    "term",
    "head_name",
    "phone",
    "village",
    "citizen_id",
    "citizen_id_last4",
    "citizen_id_hash",
}
HOUSEHOLD = "producers.household"
HOUSEHOLD_IDENTIFYING_KEYS = {"code", "name"}
LIST_PARAMETERS = {"q", "p", "ordering"}


def _is_id(value) -> bool:
    return (isinstance(value, int) and not isinstance(value, bool)) or (isinstance(value, str) and value.isdigit())


def _scrubbed(details: dict, object_type: str) -> tuple[dict, bool]:
    identifying = HOUSEHOLD_IDENTIFYING_KEYS if object_type == HOUSEHOLD else set()
    dropped = False

    def clean(value):
        nonlocal dropped
        if isinstance(value, dict):
            kept = {}
            for key, item in value.items():
                name = str(key).lower()
                if name in PERSONAL_KEYS or name in identifying or (name == "household" and not _is_id(item)):
                    dropped = True
                else:
                    kept[key] = clean(item)
            return kept
        if isinstance(value, list):
            return [clean(item) for item in value]
        return value

    cleaned = clean(details)
    if object_type == HOUSEHOLD and isinstance(details.get("query"), str):
        # The household list stored its whole query string, search text included.
        parameters = parse_qsl(details["query"], keep_blank_values=True)
        cleaned["filters"] = sorted({key for key, _value in parameters if key not in LIST_PARAMETERS})
        cleaned["has_search"] = any(key == "q" and value.strip() for key, value in parameters)
    return cleaned, dropped


def scrub_personal_data(apps, schema_editor):
    AuditEvent = apps.get_model("marketplace", "AuditEvent")
    # The base manager: the default one refuses updates, as the trail is otherwise never edited.
    events = AuditEvent._base_manager
    suspects = events.filter(
        Q(object_type__in=[HOUSEHOLD, "producers.payout"])
        | Q(action="payout.recorded")
        | Q(details__has_any_keys=sorted(PERSONAL_KEYS))
    ).only("pk", "object_type", "object_id", "details")
    for event in suspects.iterator(chunk_size=2000):
        if not isinstance(event.details, dict):
            continue
        details, dropped = _scrubbed(event.details, event.object_type)
        object_id = event.object_id
        if event.object_type == HOUSEHOLD and object_id and not object_id.isdigit():
            object_id, dropped = "", True
        if dropped:
            details["redacted"] = True
            events.filter(pk=event.pk).update(details=details, object_id=object_id)


class Migration(migrations.Migration):
    dependencies = [("marketplace", "0002_coordinators_group")]

    operations = [migrations.RunPython(scrub_personal_data, migrations.RunPython.noop, elidable=True)]
