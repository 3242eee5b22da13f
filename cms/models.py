"""The public site as Wagtail pages: home, catalogue, producer groups and their products, stories.

Shop data (orders, households, agreements) stays out of the page tree; a ProducerGroupPage points at
its producers.ProducerGroup, and orders will point at ProductPages.
"""

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.utils import translation
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from wagtail import blocks
from wagtail.admin.forms import WagtailAdminPageForm
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.images.blocks import ImageBlock
from wagtail.models import Orderable, Page, PageViewRestriction
from wagtail.search import index
from wagtail.snippets.models import register_snippet

from . import cache, navigation, rendering
from .thai_search import segment_for_index

MONTHS = [
    (1, _("January")),
    (2, _("February")),
    (3, _("March")),
    (4, _("April")),
    (5, pgettext_lazy("month", "May")),  # "May" alone is also the verb
    (6, _("June")),
    (7, _("July")),
    (8, _("August")),
    (9, _("September")),
    (10, _("October")),
    (11, _("November")),
    (12, _("December")),
]


class BilingualMixin:
    """Content is written in Thai; an English version is optional. `localized(name)` gives the
    English field `<name>_en` to English readers when it is filled, else the Thai one."""

    def localized(self, name: str):
        if translation.get_language() == "en":
            english = getattr(self, f"{name}_en", "")
            if english:
                return english
        return getattr(self, name)


# --- Snippets -------------------------------------------------------------------------------


@register_snippet
class Category(BilingualMixin, models.Model):
    name = models.CharField(_("name (Thai)"), max_length=100, unique=True)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    slug = models.SlugField(_("slug"), unique=True, allow_unicode=False)

    panels = [FieldPanel("name"), FieldPanel("name_en"), FieldPanel("slug")]

    class Meta:
        verbose_name = _("product category")
        verbose_name_plural = _("product categories")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.localized("name")


@register_snippet
class Certification(BilingualMixin, models.Model):
    """OTOP stars, Thai GAP, Organic Thailand, halal, …: what a buyer can filter on."""

    class Kind(models.TextChoices):
        OTOP = "otop", _("OTOP")
        THAI_GAP = "thai_gap", _("Thai GAP")
        ORGANIC = "organic_thailand", _("Organic Thailand")
        HALAL = "halal", _("Halal")
        FDA = "thai_fda", _("Thai FDA (อย.)")
        COMMUNITY = "community_product", _("Community product standard (มผช.)")
        OTHER = "other", _("Other")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    stars = models.PositiveSmallIntegerField(
        _("OTOP stars"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    name = models.CharField(_("name (Thai)"), max_length=100, unique=True)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    slug = models.SlugField(_("slug"), unique=True)

    panels = [FieldPanel("kind"), FieldPanel("stars"), FieldPanel("name"), FieldPanel("name_en"), FieldPanel("slug")]

    class Meta:
        verbose_name = _("certification")
        verbose_name_plural = _("certifications")
        ordering = ["kind", "stars", "name"]

    def __str__(self) -> str:
        return self.localized("name")

    def clean(self):
        if self.kind == self.Kind.OTOP and not self.stars:
            raise ValidationError({"stars": _("An OTOP certification has 1 to 5 stars.")})
        if self.kind != self.Kind.OTOP and self.stars:
            raise ValidationError({"stars": _("Only OTOP certifications have stars.")})


# --- Pages ----------------------------------------------------------------------------------


class BilingualPageMixin(BilingualMixin):
    """A page whose title has an optional English version in `title_en`."""

    @property
    def display_title(self) -> str:
        return self.localized("title")

    def get_view_restrictions(self):
        # Wagtail asks before serving every page; while no restriction lies on the page's way
        # down the tree (cms.cache.restricted_paths), the answer needs no query.
        if self.path and not self.alias_of_id and not cache.is_restricted(self.path):
            return PageViewRestriction.objects.none()
        return super().get_view_restrictions()


class HomePage(BilingualPageMixin, Page):
    """The site's front page: what the programme is and where to go next."""

    title_en = models.CharField(_("title (English)"), max_length=255, blank=True)
    intro = RichTextField(_("introduction"), blank=True, features=["bold", "italic", "link"])
    intro_en = RichTextField(_("introduction (English)"), blank=True, features=["bold", "italic", "link"])

    parent_page_types = ["wagtailcore.Page"]
    subpage_types = ["cms.CatalogueIndexPage", "cms.ProducersIndexPage", "cms.StoriesIndexPage"]
    max_count = 1

    content_panels = [
        FieldPanel("title"),
        FieldPanel("intro"),
        MultiFieldPanel([FieldPanel("title_en"), FieldPanel("intro_en")], heading=_("English")),
    ]

    class Meta:
        verbose_name = _("home page")
        verbose_name_plural = _("home pages")

    @property
    def display_intro(self) -> str:
        return self.localized("intro")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["sections"] = self.get_children().live().public().specific()
        return context

    def route(self, request, path_components):
        # Every public URL is routed from here: remember where paths lead (cms.cache).
        return cache.cached_route(self, request, path_components, super().route)


class CatalogueIndexPage(BilingualPageMixin, Page):
    """/products/: every live product, with filters. It has no children: products live under
    their producer group."""

    title_en = models.CharField(_("title (English)"), max_length=255, blank=True)
    intro = RichTextField(_("introduction"), blank=True, features=["bold", "italic", "link"])
    intro_en = RichTextField(_("introduction (English)"), blank=True, features=["bold", "italic", "link"])

    parent_page_types = ["cms.HomePage"]
    subpage_types = []
    max_count = 1
    content_panels = [FieldPanel("title"), FieldPanel("title_en"), FieldPanel("intro"), FieldPanel("intro_en")]

    class Meta:
        verbose_name = _("catalogue")
        verbose_name_plural = _("catalogues")

    def serve(self, request, *args, **kwargs):
        return rendering.render(rendering.SERVE_CATALOGUE, self, request)


class ProducersIndexPage(BilingualPageMixin, Page):
    title_en = models.CharField(_("title (English)"), max_length=255, blank=True)
    intro = RichTextField(_("introduction"), blank=True, features=["bold", "italic", "link"])
    intro_en = RichTextField(_("introduction (English)"), blank=True, features=["bold", "italic", "link"])

    parent_page_types = ["cms.HomePage"]
    subpage_types = ["cms.ProducerGroupPage"]
    max_count = 1
    content_panels = [FieldPanel("title"), FieldPanel("title_en"), FieldPanel("intro"), FieldPanel("intro_en")]

    class Meta:
        verbose_name = _("producers index")
        verbose_name_plural = _("producers indexes")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["groups"] = rendering.render(
            rendering.GROUP_CARDS,
            ProducerGroupPage.objects.child_of(self).live().public().select_related("group").order_by("title"),
        )
        context["breadcrumbs"] = navigation.breadcrumbs(self, request)
        context["intro"] = self.localized("intro")
        return context


class StoryBlock(blocks.StreamBlock):
    paragraph = blocks.RichTextBlock(label=_("paragraph"), features=["bold", "italic", "link", "ol", "ul"])
    image = ImageBlock(label=_("image"))
    quote = blocks.BlockQuoteBlock(label=_("quote"))

    class Meta:
        label = _("story")


class ProducerGroupPage(BilingualPageMixin, Page):
    """The public profile of one producer group; its products are its children. Created together
    with the group (cms.services.ensure_group_page)."""

    group = models.OneToOneField(
        "producers.ProducerGroup", verbose_name=_("producer group"), on_delete=models.PROTECT, related_name="page"
    )
    title_en = models.CharField(_("name (English)"), max_length=255, blank=True)
    profile = models.TextField(_("profile"), blank=True, help_text=_("Two or three sentences about the group."))
    profile_en = models.TextField(_("profile (English)"), blank=True)
    story = StreamField(StoryBlock(), verbose_name=_("story"), blank=True)
    story_en = StreamField(StoryBlock(), verbose_name=_("story (English)"), blank=True)

    parent_page_types = ["cms.ProducersIndexPage"]
    subpage_types = ["cms.ProductPage"]

    content_panels = [
        FieldPanel("title"),
        FieldPanel("group", read_only=True),
        FieldPanel("profile"),
        FieldPanel("story"),
        InlinePanel("photos", label=_("photos")),
        MultiFieldPanel(
            [FieldPanel("title_en"), FieldPanel("profile_en"), FieldPanel("story_en")], heading=_("English")
        ),
    ]
    search_fields = [*Page.search_fields, index.SearchField("profile"), index.SearchField("title_en")]

    class Meta:
        verbose_name = _("producer group page")
        verbose_name_plural = _("producer group pages")

    @property
    def location(self) -> str:
        parts = [self.group.district_name, self.group.province_name]
        return ", ".join(part for part in parts if part)

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context.update(rendering.render(rendering.GROUP_PAGE_CONTEXT, self, request))
        return context


class PhotoMixin(models.Model):
    image = models.ForeignKey(
        "wagtailimages.Image", verbose_name=_("image"), on_delete=models.CASCADE, related_name="+"
    )
    alt_text = models.CharField(
        _("alt text"), max_length=250, help_text=_("What the photo shows, for people who cannot see it.")
    )
    caption = models.CharField(_("caption"), max_length=250, blank=True)

    panels = [FieldPanel("image"), FieldPanel("alt_text"), FieldPanel("caption")]

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.alt_text


class ProducerGroupPhoto(Orderable, PhotoMixin):
    page = ParentalKey(ProducerGroupPage, on_delete=models.CASCADE, related_name="photos")


class Unit(models.TextChoices):
    KG = "kg", _("kilogram")
    GRAM = "g", _("gram")
    PIECE = "piece", _("piece")
    PACK = "pack", _("pack")
    BOTTLE = "bottle", _("bottle")
    JAR = "jar", _("jar")
    METRE = "metre", _("metre")
    SET = "set", _("set")
    BOX = "box", _("box")


QUANTITY = {"max_digits": 12, "decimal_places": 3}


class SegmentedTitleField(index.SearchField):
    """Indexes a page's title, and its English name, cut into words (see cms.thai_search)."""

    def get_value(self, obj):
        return segment_for_index(obj.title, getattr(obj, "title_en", ""))


class ProductPageForm(WagtailAdminPageForm):
    """The product editor. Once a product exists its stock is not edited here: sales reserve
    and release stock as they happen, and a revision drafted before them must not bring an old
    figure back. Stock changes go through "Update stock" (orders.stock)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields.get("available_quantity")
        if field is not None and self.instance.pk:
            live = ProductPage.objects.filter(pk=self.instance.pk).values_list("available_quantity", flat=True).first()
            field.disabled = True
            field.help_text = _("Sales change it as they happen; use “Update stock” to correct it.")
            if live is not None:
                self.initial["available_quantity"] = live


class ProductPage(BilingualPageMixin, Page):
    """One product of one producer group (the parent page). The page title is the Thai name."""

    title_en = models.CharField(_("name (English)"), max_length=255, blank=True)
    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="products"
    )
    description = RichTextField(_("description"), features=["bold", "italic", "ol", "ul", "link"])
    description_en = RichTextField(
        _("description (English)"), blank=True, features=["bold", "italic", "ol", "ul", "link"]
    )
    unit = models.CharField(_("unit"), max_length=10, choices=Unit.choices)
    price = models.DecimalField(_("price per unit (THB)"), max_digits=12, decimal_places=2)
    min_order_quantity = models.DecimalField(_("minimum order quantity"), default=Decimal("1"), **QUANTITY)
    available_quantity = models.DecimalField(
        _("quantity available now"), default=Decimal("0"), help_text=_("0 when out of stock."), **QUANTITY
    )
    monthly_capacity = models.DecimalField(
        _("monthly capacity"), null=True, blank=True, help_text=_("How much the group can make in a month."), **QUANTITY
    )
    lead_time_days = models.PositiveSmallIntegerField(_("lead time (days)"), default=7)
    seasonal_months = models.JSONField(
        _("months available"), default=list, blank=True, help_text=_("Leave empty when available all year.")
    )
    certifications = ParentalManyToManyField(Certification, verbose_name=_("certifications"), blank=True)
    fda_number = models.CharField(
        _("Thai FDA number (อย.)"),
        max_length=20,
        blank=True,
        help_text=_("13 digits, as printed on the label, e.g. 12-1-23456-2-0001."),
    )
    shelf_life_days = models.PositiveIntegerField(_("shelf life (days)"), null=True, blank=True)
    storage = models.CharField(_("storage"), max_length=200, blank=True, help_text=_("e.g. keep dry, below 25 °C."))
    sku = models.CharField(_("SKU"), max_length=40, unique=True)
    # Thai has no spaces between words: this holds the searchable text cut into words (PyThaiNLP),
    # so the database search engine can match a word inside a compound (see cms.thai_search).
    search_text = models.TextField(editable=False, blank=True)

    parent_page_types = ["cms.ProducerGroupPage"]
    subpage_types = []
    base_form_class = ProductPageForm

    content_panels = [
        FieldPanel("title", heading=_("product name (Thai)")),
        FieldPanel("category"),
        FieldPanel("description"),
        InlinePanel("gallery", label=_("photos"), min_num=0),
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("unit"), FieldPanel("price")]),
                FieldRowPanel([FieldPanel("min_order_quantity"), FieldPanel("available_quantity")]),
                FieldRowPanel([FieldPanel("monthly_capacity"), FieldPanel("lead_time_days")]),
                FieldPanel("seasonal_months", widget=forms.CheckboxSelectMultiple(choices=MONTHS)),
            ],
            heading=_("selling"),
        ),
        MultiFieldPanel(
            [
                FieldPanel("certifications", widget=forms.CheckboxSelectMultiple),
                FieldPanel("fda_number"),
                FieldRowPanel([FieldPanel("shelf_life_days"), FieldPanel("storage")]),
                FieldPanel("sku"),
            ],
            heading=_("product details"),
        ),
        MultiFieldPanel([FieldPanel("title_en"), FieldPanel("description_en")], heading=_("English")),
    ]
    search_fields = [
        *Page.search_fields,
        # The title again, cut into words, with the English name: a word inside a Thai compound
        # name then counts as a title match.
        SegmentedTitleField("title", boost=2),
        index.SearchField("search_text", boost=2),
        index.SearchField("title_en", boost=2),
        index.FilterField("price"),
        index.FilterField("category_id"),
        index.FilterField("available_quantity"),
        index.FilterField("first_published_at"),
    ]

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        # The catalogue's price sorts read a page of products in index order (cms.catalogue).
        indexes = [models.Index(fields=["price", "page_ptr"], name="cms_product_price_idx")]

    def clean(self):
        super().clean()
        errors = {}
        if self.price is not None and self.price <= 0:
            errors["price"] = _("The price must be more than 0.")
        if self.min_order_quantity is not None and self.min_order_quantity <= 0:
            errors["min_order_quantity"] = _("The minimum order must be more than 0.")
        if self.available_quantity is not None and self.available_quantity < 0:
            errors["available_quantity"] = _("The quantity available cannot be negative.")
        if (
            self.available_quantity
            and self.min_order_quantity
            and self.available_quantity > 0
            and self.min_order_quantity > self.available_quantity
        ):
            errors["min_order_quantity"] = _("The minimum order cannot be more than the quantity available now.")
        if self.monthly_capacity is not None and self.monthly_capacity <= 0:
            errors["monthly_capacity"] = _("The monthly capacity must be more than 0.")
        months = self.seasonal_months or []
        if not isinstance(months, list) or any(int(m) not in range(1, 13) for m in months):
            errors["seasonal_months"] = _("Months are numbers from 1 to 12.")
        if self.fda_number:
            digits = self.fda_number.replace("-", "")
            if not (digits.isdigit() and len(digits) == 13):
                errors["fda_number"] = _("A Thai FDA number has 13 digits.")
        if errors:
            raise ValidationError(errors)
        self.seasonal_months = sorted({int(m) for m in months})

    def save(self, *args, **kwargs):
        self.search_text = segment_for_index(self.title, self.title_en, self.description, self.sku)
        update_fields = kwargs.get("update_fields")
        if self.pk and (update_fields is None or "available_quantity" not in update_fields):
            # Keep the stock as the database has it (checkouts move it with conditional updates);
            # only a save that names the field, as orders.stock does, writes it.
            rows = ProductPage.objects.filter(pk=self.pk)
            if transaction.get_connection().in_atomic_block:
                rows = rows.select_for_update(of=("self",))
            stored = rows.values_list("available_quantity", flat=True).first()
            if stored is not None:
                self.available_quantity = stored
        super().save(*args, **kwargs)

    def with_content_json(self, content):
        # A revision carries the stock of the day it was drafted; the live figure stands.
        page = super().with_content_json(content)
        page.available_quantity = self.available_quantity
        return page

    @cached_property
    def group_page(self):
        return self.get_parent().specific

    @property
    def display_description(self) -> str:
        return self.localized("description")

    @property
    def in_stock(self) -> bool:
        return self.available_quantity > 0

    @property
    def first_photo(self):
        photos = list(self.gallery.all())
        return photos[0] if photos else None

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        # Everything but the header and the buy box is the same for every reader (cms.cache.fragment).
        context["parts"] = cache.fragment(
            request, "product", lambda: rendering.render(rendering.PRODUCT_PAGE_PARTS, self, request)
        )
        return context

    def serve(self, request, *args, **kwargs):
        return cache.cacheable(super().serve(request, *args, **kwargs))


class ProductPhoto(Orderable, PhotoMixin):
    page = ParentalKey(ProductPage, on_delete=models.CASCADE, related_name="gallery")


class StoriesIndexPage(BilingualPageMixin, Page):
    title_en = models.CharField(_("title (English)"), max_length=255, blank=True)
    parent_page_types = ["cms.HomePage"]
    subpage_types = ["cms.StoryPage"]
    max_count = 1
    content_panels = [FieldPanel("title"), FieldPanel("title_en")]

    class Meta:
        verbose_name = _("stories index")
        verbose_name_plural = _("stories indexes")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["stories"] = StoryPage.objects.child_of(self).live().public().order_by("-date")
        context["breadcrumbs"] = navigation.breadcrumbs(self, request)
        return context


class StoryPage(BilingualPageMixin, Page):
    """Programme news, MOU signings, producer stories."""

    title_en = models.CharField(_("title (English)"), max_length=255, blank=True)
    date = models.DateField(_("date"))
    intro = models.TextField(_("introduction"), blank=True)
    intro_en = models.TextField(_("introduction (English)"), blank=True)
    body = StreamField(StoryBlock(), verbose_name=_("body"), blank=True)
    body_en = StreamField(StoryBlock(), verbose_name=_("body (English)"), blank=True)
    related_group = models.ForeignKey(
        "producers.ProducerGroup",
        verbose_name=_("producer group"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    parent_page_types = ["cms.StoriesIndexPage"]
    subpage_types = []
    content_panels = [
        FieldPanel("title"),
        FieldPanel("date"),
        FieldPanel("intro"),
        FieldPanel("body"),
        FieldPanel("related_group"),
        MultiFieldPanel([FieldPanel("title_en"), FieldPanel("intro_en"), FieldPanel("body_en")], heading=_("English")),
    ]
    search_fields = [*Page.search_fields, index.SearchField("intro"), index.SearchField("title_en")]

    class Meta:
        verbose_name = _("story")
        verbose_name_plural = _("stories")

    @property
    def display_intro(self) -> str:
        return self.localized("intro")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["breadcrumbs"] = navigation.breadcrumbs(self, request)
        context["body"] = self.localized("body")
        context["group_page"] = (
            ProducerGroupPage.objects.live().public().filter(group_id=self.related_group_id).first()
            if self.related_group_id
            else None
        )
        return context
