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

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.html import escape, linebreaks
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from PIL import Image, ImageOps, UnidentifiedImageError
from wagtail.images import get_image_model

from marketplace import access, audit
from marketplace.forms import StoreReachableMixin
from marketplace.numbers import decimal_input, parse_decimal
from producers.models import ProducerGroup

from .models import Category, ProductPage, ProductPhoto, Unit
from .services import ensure_group_access

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

    def __init__(self, *args, groups, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = groups
        self.only_group = groups.first() if groups.count() == 1 else None
        if self.only_group is not None:  # nothing to choose: the manager's one group
            self.fields["group"].required = False
            self.fields["group"].widget = forms.HiddenInput()

    def clean_photo(self):
        photo = self.cleaned_data["photo"]
        self.jpeg = phone_photo_to_jpeg(photo)
        return photo

    def clean(self):
        data = super().clean()
        if self.only_group is not None and not data.get("group") and "group" not in self.errors:
            data["group"] = self.only_group
        price, minimum, available = data.get("price"), data.get("min_order_quantity"), data.get("available_quantity")
        if price is not None and price <= 0:
            self.add_error("price", _("The price must be more than 0."))
        if price is not None and price != price.quantize(parse_decimal("0.01")):
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
        image = get_image_model()(
            title=data["title"],
            file=ContentFile(jpeg, name=f"{slugify(sku)}.jpg"),
            collection=group_access.collection,
            uploaded_by_user=user,
        )
        image.save()
        page = ProductPage(
            title=data["title"],
            slug=slugify(sku),
            category=data["category"],
            description=linebreaks(escape(data["description"])),
            unit=data["unit"],
            price=data["price"],
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
