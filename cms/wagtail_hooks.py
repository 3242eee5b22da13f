"""Page editor rules that Wagtail leaves to the site.

Wagtail's image chooser only offers images the user may choose (their group's collection, through
the collection permissions cms.services sets up), but the page form itself accepts any image id
it is sent. A group manager could so put another group's photo on their product by editing the
form data. These hooks refuse such a save.
"""

from __future__ import annotations

import re

from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.images import get_image_model
from wagtail.models import ReferenceIndex
from wagtail.permissions import policy_registry

from marketplace import access

# Every image field in the cms page forms (photo inlines, image blocks in stories) is named
# "image": "gallery-0-image", "photos-1-image", "story-2-value-image", ...
IMAGE_FIELD = re.compile(r"(^|-)image$")


def posted_image_ids(data) -> set[int]:
    ids = set()
    for key in data:
        if not IMAGE_FIELD.search(key):
            continue
        for value in data.getlist(key):
            if str(value).isdigit():
                ids.add(int(value))
    return ids


def images_already_on(page) -> set[int]:
    """Images the page refers to now: whoever put them there, an editor may keep them."""
    if page is None or page.pk is None:
        return set()
    image_model = get_image_model()
    references = ReferenceIndex.get_references_for_object(page).filter(
        to_content_type__app_label=image_model._meta.app_label, to_content_type__model=image_model._meta.model_name
    )
    return {int(object_id) for object_id in references.values_list("to_object_id", flat=True) if object_id.isdigit()}


def refused_image_ids(user, data, page=None) -> set[int]:
    posted = posted_image_ids(data)
    if not posted:
        return set()
    policy = policy_registry.get_by_type(get_image_model())
    choosable = set(
        policy.instances_user_has_permission_for(user, "choose").filter(pk__in=posted).values_list("pk", flat=True)
    )
    return posted - choosable - images_already_on(page)


def _refuse(request, redirect_to):
    messages.error(request, _("You can only use images from your own group's collection."))
    return redirect(redirect_to)


@hooks.register("before_edit_page")
def only_choosable_images_on_edit(request, page):
    if request.method == "POST" and refused_image_ids(request.user, request.POST, page):
        return _refuse(request, request.path)
    return None


@hooks.register("before_create_page")
def only_choosable_images_on_create(request, parent_page, page_class):
    if request.method == "POST" and refused_image_ids(request.user, request.POST):
        return _refuse(request, request.path)
    return None


# --- Listing goods from a phone (cms.quick_product) --------------------------------------------


@hooks.register("register_admin_urls")
def register_quick_product_urls():
    from django.urls import path

    from .quick_product import product_add, product_edit, product_list

    return [
        path("catalogue/products/", product_list, name="cms_quick_product_list"),
        path("catalogue/products/new/", product_add, name="cms_quick_product_add"),
        path("catalogue/products/<int:pk>/", product_edit, name="cms_quick_product_edit"),
    ]


class GroupStaffMenuItem(MenuItem):
    def is_shown(self, request):
        return bool(access.memberships(request.user, "producer_group"))


@hooks.register("register_admin_menu_item")
def quick_product_menu_item():
    """“My products” for group staff: the short forms, not the page tree."""
    from django.urls import reverse_lazy

    return GroupStaffMenuItem(
        gettext_lazy("My products"), reverse_lazy("cms_quick_product_list"), icon_name="pick", order=205
    )
