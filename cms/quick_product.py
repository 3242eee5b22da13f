"""Listing goods from a phone: a short form that creates the product page under the group's page,
with its photo, and submits it for the coordinator's approval, without the manager knowing the
page tree (the full Wagtail editor stays for everything else).

Photos from phones arrive as HEIC (iPhones) or as large JPEGs: any image Pillow can open (with
pillow-heif for HEIC/HEIF) is accepted, turned upright, reduced to at most PHOTO_MAX_SIDE pixels on
its long side and stored as a JPEG in the group's image collection; anything else is refused with a
clear message, before anything is written.
"""

from __future__ import annotations

import io
import itertools
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.html import escape, linebreaks, strip_tags
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from PIL import Image, ImageOps, UnidentifiedImageError
from wagtail.images import get_image_model
from wagtail.models import WorkflowState

from marketplace import access, audit
from marketplace.forms import StoreReachableMixin
from marketplace.numbers import decimal_input, parse_decimal
from producers.models import ProducerGroup

from .models import Category, ProducerGroupPage, ProductPage, ProductPhoto, Unit
from .services import ensure_group_access

SATANG = Decimal("0.01")
PHOTO_MAX_BYTES = 25 * 1024 * 1024  # a phone's full-size photo, before we shrink it
PHOTO_MAX_SIDE = 2000
PHOTO_MAX_PIXELS = 60_000_000  # refuse decompression bombs before decoding


def _register_heif() -> None:
    try:
        from pillow_heif import register_heif_opener
    except ImportError:  # pragma: no cover - pillow-heif is in requirements.txt
        return
    register_heif_opener()


_register_heif()


def phone_photo_to_jpeg(upload) -> bytes:
    """The upload as an upright JPEG of at most PHOTO_MAX_SIDE px; ValidationError if it is not an
    image Pillow can read."""
    if upload.size > PHOTO_MAX_BYTES:
        raise ValidationError(_("The photo is larger than 25 MB. Take it again at a lower size."), code="too_big")
    upload.seek(0)
    try:
        with Image.open(upload) as image:
            if image.width * image.height > PHOTO_MAX_PIXELS:
                raise ValidationError(_("The photo has too many pixels."), code="too_big")
            image = ImageOps.exif_transpose(image)
            image = image.convert("RGB")
            image.thumbnail((PHOTO_MAX_SIDE, PHOTO_MAX_SIDE))
            out = io.BytesIO()
            image.save(out, "JPEG", quality=85, optimize=True)
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        raise ValidationError(
            _("This file is not a photo we can read. Choose a JPEG, PNG, WebP or HEIC photo."), code="not_an_image"
        ) from None
    finally:
        upload.seek(0)
    return out.getvalue()


class DecimalInput(forms.CharField):
    def __init__(self, *args, min_value=None, **kwargs):
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}))
        super().__init__(*args, **kwargs)
        self.min_value = min_value

    def prepare_value(self, value):
        try:
            return decimal_input(value) if value not in (None, "") else ""
        except ValueError:
            return value

    def clean(self, value):
        value = super().clean(value)
        if value in (None, ""):
            return None
        try:
            number = parse_decimal(value)
        except ValueError:
            raise ValidationError(_("Enter a number."), code="invalid") from None
        if self.min_value is not None and number < self.min_value:
            raise ValidationError(_("Enter a number above 0."), code="min_value")
        return number


class QuickProductForm(StoreReachableMixin, forms.Form):
    storage_fields = {"photo": "default"}  # where Wagtail images are stored

    group = forms.ModelChoiceField(label=gettext_lazy("producer group"), queryset=ProducerGroup.objects.none())
    title = forms.CharField(label=gettext_lazy("product name (Thai)"), max_length=255)
    category = forms.ModelChoiceField(label=gettext_lazy("category"), queryset=Category.objects.all())
    photo = forms.FileField(
        label=gettext_lazy("photo"),
        help_text=gettext_lazy("Take a photo or choose one: JPEG, PNG, WebP or HEIC; it is made smaller for the web."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/*", "capture": "environment"}),
    )
    price = DecimalInput(label=gettext_lazy("price per unit (THB)"), min_value=0)
    unit = forms.ChoiceField(label=gettext_lazy("unit"), choices=Unit.choices)
    available_quantity = DecimalInput(label=gettext_lazy("quantity available now"), min_value=0)
    min_order_quantity = DecimalInput(label=gettext_lazy("minimum order quantity"), min_value=0, initial=1)
    description = forms.CharField(
        label=gettext_lazy("description"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("What it is, how it is made, how it is packed."),
    )

    def __init__(self, *args, groups, product=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.product = product
        if product is not None:
            # An existing product: its group is fixed, a new photo is optional, and its stock
            # changes through "Update stock" (orders.stock), where sales move it.
            del self.fields["group"]
            del self.fields["available_quantity"]
            self.fields["photo"].required = False
            self.fields["photo"].help_text = _("A new photo, if you want one: it goes first in the gallery.")
            self.only_group = None
            return
        self.fields["group"].queryset = groups
        self.only_group = groups.first() if groups.count() == 1 else None
        if self.only_group is not None:  # nothing to choose: the manager's one group
            self.fields["group"].required = False
            self.fields["group"].widget = forms.HiddenInput()

    def clean_photo(self):
        photo = self.cleaned_data["photo"]
        self.jpeg = phone_photo_to_jpeg(photo) if photo else None
        return photo

    def clean(self):
        data = super().clean()
        if getattr(self, "only_group", None) is not None and not data.get("group") and "group" not in self.errors:
            data["group"] = self.only_group
        price, minimum, available = data.get("price"), data.get("min_order_quantity"), data.get("available_quantity")
        if price is not None and price <= 0:
            self.add_error("price", _("The price must be more than 0."))
        if price is not None and price != price.quantize(SATANG):
            self.add_error("price", _("Amounts are in baht and satang: at most 2 decimals."))
        if minimum is not None and minimum <= 0:
            self.add_error("min_order_quantity", _("The minimum order must be more than 0."))
        if minimum and available and minimum > available:
            self.add_error("min_order_quantity", _("The minimum order cannot be more than the quantity available now."))
        return data


def _new_sku(group: ProducerGroup) -> str:
    for n in itertools.count(ProductPage.objects.filter(sku__startswith=f"{group.code}-").count() + 1):
        sku = f"{group.code}-{n:03d}"
        if not ProductPage.objects.filter(sku=sku).exists():
            return sku
    raise AssertionError("unreachable")


def product_quick_create(*, group: ProducerGroup, data: dict, jpeg: bytes, user) -> ProductPage:
    """Create the product (not live), its photo in the group's collection, and submit it for
    approval: all or nothing."""
    with transaction.atomic():
        group_access = ensure_group_access(group)
        sku = _new_sku(group)
        image = _photo(collection=group_access.collection, jpeg=jpeg, title=data["title"], sku=sku, user=user)
        page = ProductPage(
            title=data["title"],
            slug=slugify(sku),
            category=data["category"],
            description=linebreaks(escape(data["description"])),
            unit=data["unit"],
            price=data["price"].quantize(SATANG),
            available_quantity=data["available_quantity"],
            min_order_quantity=data["min_order_quantity"] or 1,
            sku=sku,
            live=False,
            owner=user,
        )
        page.gallery.add(ProductPhoto(image=image, alt_text=data["title"]))
        group_access.page.add_child(instance=page)
        revision = page.save_revision(user=user, log_action=True)
        group_access.workflow.start(page, user)
        audit.record(
            "product.submitted",
            page,
            actor=user,
            details={"group": group.code, "sku": sku, "revision": revision.pk, "price": str(page.price)},
        )
    return page


def _photo(*, collection, jpeg: bytes, title: str, sku: str, user):
    image = get_image_model()(
        title=title, file=ContentFile(jpeg, name=f"{slugify(sku)}.jpg"), collection=collection, uploaded_by_user=user
    )
    image.save()
    return image


def product_quick_update(*, product: ProductPage, data: dict, jpeg: bytes | None, user) -> ProductPage:
    """A new revision of the product from the short form (and a new first photo if given),
    submitted for approval: the live page changes only once the coordinator approves."""
    with transaction.atomic():
        group_access = ensure_group_access(product.get_parent().specific.group)
        draft = product.get_latest_revision_as_object()
        draft.title = data["title"]
        draft.category = data["category"]
        draft.description = linebreaks(escape(data["description"]))
        draft.unit = data["unit"]
        draft.price = data["price"].quantize(SATANG)
        draft.min_order_quantity = data["min_order_quantity"] or draft.min_order_quantity
        if jpeg:
            image = _photo(collection=group_access.collection, jpeg=jpeg, title=draft.title, sku=draft.sku, user=user)
            photos = list(draft.gallery.all())
            for position, photo in enumerate(photos, start=1):
                photo.sort_order = position
            draft.gallery = [ProductPhoto(image=image, alt_text=draft.title, sort_order=0), *photos]
        draft.full_clean()
        revision = draft.save_revision(user=user, log_action=True)
        group_access.workflow.start(product, user)
        audit.record(
            "product.change_submitted",
            product,
            actor=user,
            details={"sku": product.sku, "revision": revision.pk, "price": str(data["price"])},
        )
    return product


def _groups_for(user):
    ids = access.memberships(user, "producer_group")
    return ProducerGroup.objects.filter(pk__in=ids).order_by("name_th")


def product_add(request):
    groups = _groups_for(request.user)
    if not groups.exists():
        raise Http404
    form = QuickProductForm(request.POST or None, request.FILES or None, groups=groups)
    if request.method == "POST" and form.is_valid():
        group = form.cleaned_data["group"]
        if not groups.filter(pk=group.pk).exists():
            raise PermissionDenied
        page = product_quick_create(group=group, data=form.cleaned_data, jpeg=form.jpeg, user=request.user)
        messages.success(
            request,
            _("“%(title)s” is saved and sent to the coordinator for approval. It goes on sale once approved.")
            % {"title": page.title},
        )
        return redirect("wagtailadmin_home")
    return TemplateResponse(request, "cms/admin/quick_product.html", {"form": form})


def _group_products(user):
    groups = _groups_for(user)
    pages = ProductPage.objects.none()
    for group_page in ProducerGroupPage.objects.filter(group__in=groups):
        pages = pages | ProductPage.objects.child_of(group_page)
    return pages


def product_list(request):
    """The group's products as phone cards: price, stock, whether on sale or waiting for approval,
    with "Edit" (the short form) and "Update stock"."""
    if not _groups_for(request.user).exists():
        raise Http404
    products = list(_group_products(request.user).order_by("title").prefetch_related("gallery__image"))
    moderated = {
        int(pk)
        for pk in WorkflowState.objects.active()
        .filter(object_id__in=[str(p.pk) for p in products])
        .values_list("object_id", flat=True)
    }
    for product in products:
        product.in_moderation = product.pk in moderated
    return TemplateResponse(request, "cms/admin/quick_product_list.html", {"products": products})


def product_edit(request, pk):
    product = get_object_or_404(_group_products(request.user), pk=pk)
    if WorkflowState.objects.active().filter(object_id=str(product.pk)).exists():
        messages.warning(
            request,
            _("“%(title)s” is waiting for the coordinator's approval: change it again once they have answered.")
            % {"title": product.title},
        )
        return redirect("cms_quick_product_list")
    draft = product.get_latest_revision_as_object()
    initial = {
        "title": draft.title,
        "category": draft.category_id,
        "price": draft.price,
        "unit": draft.unit,
        "min_order_quantity": draft.min_order_quantity,
        "description": strip_tags(draft.description).strip(),
    }
    form = QuickProductForm(
        request.POST or None, request.FILES or None, groups=_groups_for(request.user), product=product, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        try:
            product_quick_update(product=product, data=form.cleaned_data, jpeg=form.jpeg, user=request.user)
        except ValidationError as error:
            for field, problems in error.message_dict.items():
                form.add_error(field if field in form.fields else None, problems)
        else:
            messages.success(
                request,
                _("Your changes to “%(title)s” are sent to the coordinator for approval.") % {"title": product.title},
            )
            return redirect("cms_quick_product_list")
    return TemplateResponse(request, "cms/admin/quick_product.html", {"form": form, "product": product})
