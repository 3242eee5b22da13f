"""The base of Wagtail's image forms (WAGTAILIMAGES_IMAGE_FORM_BASE): an upload that meets an
unreachable object store gets an error on its file field instead of a failed save."""

from wagtail.images.forms import BaseImageForm

from .forms import StoreReachableMixin


class ImageForm(StoreReachableMixin, BaseImageForm):
    storage_fields = {"file": "default"}
