from django import forms
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_lazy as _


class SignupForm(forms.Form):
    """Extra sign-up fields; allauth adds email and password and calls `signup()`."""

    full_name = forms.CharField(label=_("Full name"), max_length=200)

    field_order = ["full_name", "email", "password1", "password2"]

    def signup(self, request, user) -> None:
        user.full_name = self.cleaned_data["full_name"].strip()
        language = translation.get_language()
        user.preferred_language = language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
        user.save(update_fields=["full_name", "preferred_language"])


STORE_UNREACHABLE = _(
    "The file store is unreachable, so this file cannot be saved now. Nothing was saved: try again in a few minutes."
)


class StoreReachableMixin:
    """For forms that take a file: when the object store that would keep it does not answer, the
    form says so on the file field and is not saved (rather than failing half-way at save time).
    `storage_fields` maps field names to storage aliases ("default", "private"). Should the store
    go away between this check and the save, StorageUnavailableMiddleware answers a 503 page."""

    storage_fields: dict[str, str] = {}

    def clean(self):
        from django.core.files.storage import storages

        from .storage import STORAGE_ERRORS

        cleaned = super().clean()
        for name, alias in self.storage_fields.items():
            if not self.files.get(self.add_prefix(name)) or name in self.errors:
                continue
            try:
                storages[alias].exists("healthz-probe")
            except STORAGE_ERRORS:
                self.add_error(name, STORE_UNREACHABLE)
        return cleaned
