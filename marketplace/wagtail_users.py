from django.utils.translation import gettext_lazy as _
from wagtail.users.forms import UserCreationForm, UserEditForm
from wagtail.users.views.users import UserViewSet as WagtailUserViewSet

_FIELDS = {"email", "full_name", "preferred_language", "is_superuser", "groups"}


class UserCreateForm(UserCreationForm):
    # Our users have one full name, not a first and last name.
    first_name = None
    last_name = None

    class Meta(UserCreationForm.Meta):
        fields = _FIELDS
        labels = {"full_name": _("full name")}


class UserChangeForm(UserEditForm):
    first_name = None
    last_name = None

    class Meta(UserEditForm.Meta):
        fields = _FIELDS | {"is_active"}


class UserViewSet(WagtailUserViewSet):
    def get_form_class(self, for_update=False):
        return UserChangeForm if for_update else UserCreateForm
