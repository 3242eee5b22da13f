"""Wagtail admin viewsets that work inside a permission policy's scope (marketplace.permissions.
ScopedPolicy): a listing starts from the user's scope, an id outside it is a 404. Generic: the apps'
viewsets (producers, orders) give the policy and the model."""

import functools

from django.contrib.admin.utils import unquote
from django.http import Http404
from django.shortcuts import get_object_or_404
from wagtail.admin.views import generic
from wagtail.admin.viewsets.model import ModelViewSet

VISIBLE = ["view", "change"]


class ScopedListingMixin:
    """The listing starts from the user's scope (the policy's queryset), never from the whole table."""

    def get_base_queryset(self):
        queryset = self.permission_policy.instances_user_has_any_permission_for(self.request.user, VISIBLE)
        # Listings show their foreign keys (household, group, recorded by): fetch them in one query.
        related = [f.name for f in self.model._meta.concrete_fields if f.many_to_one]
        return queryset.select_related(*related)


class ScopedIndexView(ScopedListingMixin, generic.IndexView):
    pass


class ScopedObjectMixin:
    """Look the object up inside the user's scope: an id outside it is a 404, as if it did not exist.

    `get_object` checks the id in the URL against the policy's queryset before the view's own
    lookup runs, whatever that lookup is (Wagtail's history, usage, copy, revision views each have
    their own): a view class gets it by inheriting this mixin first, and ScopedViewSet gives it to
    every view it builds that does not already have it. Views that look up themselves override
    `get_object` with `get_scoped_object` (one query instead of two)."""

    def get_scoped_queryset(self):
        return self.permission_policy.instances_user_has_any_permission_for(self.request.user, VISIBLE)

    def _requested_pk(self):
        pk = self.kwargs.get(getattr(self, "pk_url_kwarg", None) or "pk")
        if pk is None and self.args:
            pk = self.args[0]
        return None if pk is None else unquote(str(pk))

    def get_scoped_object(self):
        return get_object_or_404(self.get_scoped_queryset(), pk=self._requested_pk())

    def get_object(self, *args, **kwargs):
        pk = self._requested_pk()
        if pk is not None and not self.get_scoped_queryset().filter(pk=pk).exists():
            raise Http404
        return super().get_object(*args, **kwargs)


class ScopedEditView(ScopedObjectMixin, generic.EditView):
    def get_object(self, queryset=None):
        return self.get_scoped_object()


class ScopedInspectView(ScopedObjectMixin, generic.InspectView):
    def get_object(self, queryset=None):
        return self.get_scoped_object()


class ScopedDeleteView(ScopedObjectMixin, generic.DeleteView):
    def get_object(self, queryset=None):
        if getattr(self, "object", None):
            return self.object
        return self.get_scoped_object()


@functools.cache
def scoped_view_class(view_class):
    """`view_class`, or a subclass of it that lists or looks up only inside the user's scope."""
    if issubclass(view_class, ScopedListingMixin | ScopedObjectMixin):
        return view_class
    mixin = ScopedListingMixin if issubclass(view_class, generic.IndexView) else ScopedObjectMixin
    return type(f"Scoped{view_class.__name__}", (mixin, view_class), {"__module__": __name__})


class ScopedViewSet(ModelViewSet):
    """A ModelViewSet whose every view works inside the permission policy's scope. The scope is
    applied where the viewset builds its views (`construct_view`), so the views Wagtail adds
    (history, usage, copy, reorder, any new one) are scoped without being named here;
    tests/producers/test_viewset_scope.py requests every URL a ScopedViewSet registers."""

    index_view_class = ScopedIndexView
    edit_view_class = ScopedEditView
    inspect_view_class = ScopedInspectView
    delete_view_class = ScopedDeleteView
    copy_view_enabled = False
    add_to_admin_menu = False

    def __init__(self, *args, policy, **kwargs):
        self._policy = policy
        super().__init__(*args, **kwargs)

    @property
    def permission_policy(self):
        return self._policy

    def construct_view(self, view_class, **kwargs):
        return super().construct_view(scoped_view_class(view_class), **kwargs)


def be_column(model, name: str, *, time: bool = False):
    """A listing column of a date or time in the Buddhist era (Thai readers), Common era for English
    ones, as the rest of the site writes dates; sortable by the field."""
    from wagtail.admin.ui.tables import Column

    from .templatetags.thai import be_datetime, local_date

    def value(instance):
        moment = getattr(instance, name)
        return be_datetime(moment) if time else local_date(moment, "short")

    return Column(name, label=model._meta.get_field(name).verbose_name, accessor=value, sort_key=name)
