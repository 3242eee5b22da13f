"""Wagtail's own history (each object's History tab and Reports › Site history) names an object by
`str()` in `ModelLogEntry.label`. For a household, and for every record about one household, that
is the household code: personal data, shown to any admin who may read the site history. Entries
about those models are labelled by kind and id instead, whoever writes them (Wagtail's generic
views, our views, or a later Wagtail feature)."""

from django.conf import settings
from django.db.models.signals import pre_save
from django.utils import translation
from django.utils.text import capfirst

# Models whose str() carries a household's code, as (app label, model name) of their ContentType.
# Apps above producers add theirs with `register_personal_model` (income: its ledger models).
PERSONAL_MODELS = {("producers", name) for name in ("household", "enrolment", "consent", "incomesurvey")}


def register_personal_model(model) -> None:
    """Label the history entries of `model` by kind and id too: call from the app's `ready()`."""
    PERSONAL_MODELS.add((model._meta.app_label, model._meta.model_name))


def neutral_label(model, object_id) -> str:
    """ "ครัวเรือน #12": the kind in the site's language and the id, never the object's own text."""
    with translation.override(settings.LANGUAGE_CODE):
        return f"{capfirst(model._meta.verbose_name)} #{object_id}"


def _relabel(sender, instance, **kwargs):
    content_type = instance.content_type
    if (content_type.app_label, content_type.model) in PERSONAL_MODELS:
        model = content_type.model_class()
        if model is not None:
            instance.label = neutral_label(model, instance.object_id)


def connect() -> None:
    from wagtail.models import ModelLogEntry

    pre_save.connect(_relabel, sender=ModelLogEntry, dispatch_uid="producers.log_labels")
