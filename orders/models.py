"""Offtake agreements (MOUs) between a university and a company, and the orders placed under them
or on the marketplace.

Quantities that follow from orders (ordered, remaining, …) are computed from the order lines,
never stored as running totals (see `AgreementLineQuerySet.with_quantities`). Status changes of an
order happen only in `orders.services` and each leaves an `OrderEvent`.

Why one module of ~730 lines: these are the tables of one aggregate (an agreement's lines, the
orders against them, their deliveries, invoices and refunds), tied by foreign keys, constraints and
querysets that read across them; split, each file would import the others. The Stripe-facing
rows (Checkout, Invoice, Refund, StripeEvent) could leave for a `payments` sub-package if they
grow.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import storages
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from modelcluster.models import ClusterableModel
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.models import Orderable

MONEY = {"max_digits": 14, "decimal_places": 2}
QUANTITY = {"max_digits": 12, "decimal_places": 3}
ZERO = Decimal("0")
MAX_DOCUMENT_BYTES = 10 * 1024 * 1024


def private_storage():
    return storages["private"]


def agreement_document_path(instance, filename: str) -> str:
    return f"agreements/{instance.code or 'new'}/{timezone.now():%Y%m%d%H%M%S}.pdf"


def validate_signed_pdf(file) -> None:
    """A signed agreement is a PDF (checked by its first bytes, not its name) of at most 10 MB."""
    if file.size > MAX_DOCUMENT_BYTES:
        raise ValidationError(
            _("The document is %(size)s MB; the limit is %(limit)s MB.")
            % {"size": round(file.size / 1024 / 1024, 1), "limit": MAX_DOCUMENT_BYTES // 1024 // 1024},
            code="too_large",
        )
    position = file.tell() if hasattr(file, "tell") else 0
    file.seek(0)
    head = file.read(5)
    file.seek(position)
    if head != b"%PDF-":
        raise ValidationError(_("The signed document must be a PDF file."), code="not_pdf")


class AgreementState(models.TextChoices):
    DRAFT = "draft", _("draft")
    ACTIVE = "active", _("active")
    EXPIRED = "expired", _("expired")
    FULFILLED = "fulfilled", _("fulfilled")
    TERMINATED = "terminated", _("terminated")


class PurchaseAgreement(ClusterableModel):
    """An offtake MOU: the company promises to buy these quantities at these prices from the
    participating producer groups, coordinated by a university.

    Its state is derived (see `state`): only the facts that make it (activation, termination,
    dates, orders) are stored.
    """

    code = models.CharField(
        _("code"),
        max_length=40,
        unique=True,
        help_text=_("e.g. KSU-MOU-2569-001"),
        validators=[RegexValidator(r"^[A-Za-z0-9-]+$", _("Use letters, digits and dashes."))],
    )
    title = models.CharField(_("title"), max_length=255)
    institution = models.ForeignKey(
        "producers.Institution",
        verbose_name=_("coordinating institution"),
        on_delete=models.PROTECT,
        related_name="agreements",
    )
    company = models.ForeignKey(
        "buyers.Company", verbose_name=_("company"), on_delete=models.PROTECT, related_name="agreements"
    )
    groups = ParentalManyToManyField(
        "producers.ProducerGroup", verbose_name=_("participating producer groups"), related_name="agreements"
    )
    signed_on = models.DateField(_("signed on"), null=True, blank=True)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"))
    payment_terms_days = models.PositiveSmallIntegerField(
        _("payment terms (days)"), default=30, help_text=_("Days the company has to pay an invoice.")
    )
    delivery_terms = models.TextField(_("delivery terms"), blank=True)
    signed_document = models.FileField(
        _("signed document"),
        upload_to=agreement_document_path,
        storage=private_storage,
        blank=True,
        validators=[validate_signed_pdf],
        help_text=_("The signed agreement as a PDF, at most 10 MB."),
    )
    activated_at = models.DateTimeField(_("activated at"), null=True, blank=True, editable=False)
    activated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    terminated_at = models.DateTimeField(_("terminated at"), null=True, blank=True, editable=False)
    termination_reason = models.TextField(_("reason for termination"), blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    panels = [
        FieldRowPanel([FieldPanel("code"), FieldPanel("title")]),
        FieldRowPanel([FieldPanel("institution"), FieldPanel("company")]),
        FieldPanel("groups"),
        FieldRowPanel([FieldPanel("signed_on"), FieldPanel("valid_from"), FieldPanel("valid_to")]),
        MultiFieldPanel(
            [FieldPanel("payment_terms_days"), FieldPanel("delivery_terms"), FieldPanel("signed_document")],
            heading=_("terms"),
        ),
        InlinePanel("lines", label=_("lines"), min_num=1),
    ]

    class Meta:
        verbose_name = _("purchase agreement")
        verbose_name_plural = _("purchase agreements")
        ordering = ["-valid_from", "code"]
        constraints = [
            models.CheckConstraint(condition=Q(valid_to__gte=models.F("valid_from")), name="agreement_dates_in_order")
        ]

    def __str__(self) -> str:
        return f"{self.code} · {self.title}"

    def clean(self):
        super().clean()
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            raise ValidationError({"valid_to": _("The end date cannot be before the start date.")})

    # --- derived state ----------------------------------------------------------------------

    def state(self, today: datetime.date | None = None) -> str:
        """draft → active → expired / fulfilled / terminated, from the stored facts."""
        if self.terminated_at is not None:
            return AgreementState.TERMINATED
        if self.activated_at is None:
            return AgreementState.DRAFT
        if self.is_fully_ordered():
            return AgreementState.FULFILLED
        if (today or timezone.localdate()) > self.valid_to:
            return AgreementState.EXPIRED
        return AgreementState.ACTIVE

    @property
    def current_state(self) -> str:
        return self.state()

    @property
    def state_label(self) -> str:
        return str(AgreementState(self.current_state).label)

    def is_fully_ordered(self) -> bool:
        lines = list(self.lines.with_quantities())
        return bool(lines) and all(line.ordered_quantity >= line.committed_quantity for line in lines)

    def is_in_effect(self, today: datetime.date | None = None) -> bool:
        today = today or timezone.localdate()
        return self.valid_from <= today <= self.valid_to

    def open_orders(self):
        return self.orders.filter(status__in=OPEN_STATUSES)


class AgreementLineQuerySet(models.QuerySet):
    def with_quantities(self):
        """Annotate `ordered_quantity`: the sum over call-offs that hold quantity (placed,
        confirmed or completed; not cancelled or declined). Remaining is committed − ordered
        (`AgreementLine.remaining_quantity`)."""
        ordered = Coalesce(
            Sum("order_lines__quantity", filter=Q(order_lines__order__status__in=HOLDING_STATUSES)),
            ZERO,
            output_field=models.DecimalField(**QUANTITY),
        )
        return self.annotate(ordered_quantity=ordered)


class AgreementLine(Orderable):
    """One product the company commits to buy under the agreement."""

    agreement = ParentalKey(
        PurchaseAgreement, verbose_name=_("agreement"), on_delete=models.CASCADE, related_name="lines"
    )
    product = models.ForeignKey(
        "cms.ProductPage", verbose_name=_("product"), on_delete=models.PROTECT, related_name="agreement_lines"
    )
    unit = models.CharField(_("unit"), max_length=10, help_text=_("Leave empty to use the product's unit."), blank=True)
    committed_quantity = models.DecimalField(_("committed quantity"), validators=[MinValueValidator(ZERO)], **QUANTITY)
    unit_price = models.DecimalField(_("agreed unit price (THB)"), validators=[MinValueValidator(ZERO)], **MONEY)
    min_per_call_off = models.DecimalField(
        _("minimum per call-off"), null=True, blank=True, validators=[MinValueValidator(ZERO)], **QUANTITY
    )
    max_per_call_off = models.DecimalField(
        _("maximum per call-off"), null=True, blank=True, validators=[MinValueValidator(ZERO)], **QUANTITY
    )

    objects = AgreementLineQuerySet.as_manager()

    panels = [
        FieldPanel("product"),
        FieldRowPanel([FieldPanel("committed_quantity"), FieldPanel("unit"), FieldPanel("unit_price")]),
        FieldRowPanel([FieldPanel("min_per_call_off"), FieldPanel("max_per_call_off")]),
    ]

    class Meta(Orderable.Meta):
        verbose_name = _("agreement line")
        verbose_name_plural = _("agreement lines")

    def __str__(self) -> str:
        return f"{self.agreement.code} · {self.product.title}"

    def clean(self):
        super().clean()
        if (
            self.min_per_call_off is not None
            and self.max_per_call_off is not None
            and self.min_per_call_off > self.max_per_call_off
        ):
            raise ValidationError({"max_per_call_off": _("The maximum cannot be less than the minimum.")})

    def save(self, *args, **kwargs):
        if not self.unit and self.product_id:
            self.unit = self.product.unit
        super().save(*args, **kwargs)

    @property
    def group(self):
        """The producer group that makes the product (the product page's parent)."""
        return self.product.get_parent().specific.group

    @property
    def remaining_quantity(self) -> Decimal:
        """Needs `with_quantities()`."""
        return self.committed_quantity - self.ordered_quantity


class AgreementAmendment(models.Model):
    """A change to the committed quantity or the price of a line of an active agreement: who, when,
    from what to what, and why. Rows are only ever added."""

    class Field(models.TextChoices):
        COMMITTED_QUANTITY = "committed_quantity", _("committed quantity")
        UNIT_PRICE = "unit_price", _("agreed unit price")

    line = models.ForeignKey(
        AgreementLine, verbose_name=_("agreement line"), on_delete=models.CASCADE, related_name="amendments"
    )
    field = models.CharField(_("field"), max_length=30, choices=Field.choices)
    old_value = models.DecimalField(pgettext_lazy("value change", "from"), **QUANTITY)
    new_value = models.DecimalField(pgettext_lazy("value change", "to"), **QUANTITY)
    reason = models.TextField(_("reason"))
    amended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("amended by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    amended_at = models.DateTimeField(_("amended at"), default=timezone.now)

    class Meta:
        verbose_name = _("agreement amendment")
        verbose_name_plural = _("agreement amendments")
        ordering = ["-amended_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.line} · {self.get_field_display()}: {self.old_value} → {self.new_value}"


# --- Orders ---------------------------------------------------------------------------------


class OrderStatus(models.TextChoices):
    # A marketplace order waits here, unseen by the group, until its checkout is paid.
    PENDING_PAYMENT = "pending", _("awaiting payment")
    PLACED = "placed", _("placed, awaiting the group")
    CONFIRMED = "confirmed", _("confirmed by the group")
    COMPLETED = "completed", _("completed")
    DECLINED = "declined", _("declined by the group")
    CANCELLED = "cancelled", _("cancelled")


# Orders the group still has to act on.
OPEN_STATUSES = (OrderStatus.PLACED, OrderStatus.CONFIRMED)
# Call-offs that count as ordered on their agreement lines: open ones and completed ones.
HOLDING_STATUSES = (OrderStatus.PLACED, OrderStatus.CONFIRMED, OrderStatus.COMPLETED)


class PaymentStatus(models.TextChoices):
    UNPAID = "unpaid", _("not paid")
    PENDING = "pending", _("payment processing")
    INVOICED = "invoiced", _("invoiced, awaiting payment")
    PAID = "paid", _("paid")
    FAILED = "failed", _("payment failed")
    REFUNDED = "refunded", _("refunded")


class FulfilmentStatus(models.TextChoices):
    UNFULFILLED = "unfulfilled", _("not delivered")
    PARTIAL = "partial", _("partly delivered")
    DELIVERED = "delivered", _("delivered in full")


class Order(models.Model):
    """One company buying from ONE producer group: a call-off under an agreement, or a marketplace
    purchase."""

    class Kind(models.TextChoices):
        MARKETPLACE = "marketplace", _("marketplace")
        CONTRACT = "contract", _("call-off under an agreement")

    number = models.CharField(_("order number"), max_length=30, unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    company = models.ForeignKey(
        "buyers.Company", verbose_name=_("company"), on_delete=models.PROTECT, related_name="orders"
    )
    group = models.ForeignKey(
        "producers.ProducerGroup", verbose_name=_("producer group"), on_delete=models.PROTECT, related_name="orders"
    )
    agreement = models.ForeignKey(
        PurchaseAgreement,
        verbose_name=_("agreement"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="orders",
    )
    status = models.CharField(_("status"), max_length=12, choices=OrderStatus.choices, default=OrderStatus.PLACED)
    payment_status = models.CharField(
        _("payment"), max_length=12, choices=PaymentStatus.choices, default=PaymentStatus.UNPAID
    )
    fulfilment_status = models.CharField(
        _("fulfilment"), max_length=12, choices=FulfilmentStatus.choices, default=FulfilmentStatus.UNFULFILLED
    )
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("placed by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    placed_at = models.DateTimeField(_("placed at"), default=timezone.now)
    buyer_note = models.TextField(_("note from the buyer"), blank=True)
    # Procurement details, copied from the buyer's form when the order is placed.
    po_number = models.CharField(_("PO number"), max_length=50, blank=True)
    delivery_address = models.TextField(_("delivery address"), blank=True)
    required_by = models.DateField(_("required by"), null=True, blank=True)
    checkout = models.ForeignKey(
        "Checkout",
        verbose_name=_("checkout"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="orders",
        help_text=_("The checkout that paid for this marketplace order."),
    )

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-placed_at", "-pk"]
        indexes = [models.Index(fields=["group", "status"]), models.Index(fields=["company", "-placed_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="marketplace", agreement__isnull=True) | Q(kind="contract", agreement__isnull=False),
                name="contract_orders_have_an_agreement",
            )
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def total(self) -> Decimal:
        return sum((line.line_total for line in self.lines.all()), ZERO)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_marketplace(self) -> bool:
        return self.kind == self.Kind.MARKETPLACE


class OrderLine(models.Model):
    """What was ordered, with the product's name, unit and the price copied when the order was
    placed: later edits to the product or the agreement do not change a placed order."""

    order = models.ForeignKey(Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(
        "cms.ProductPage", verbose_name=_("product"), on_delete=models.PROTECT, related_name="order_lines"
    )
    agreement_line = models.ForeignKey(
        AgreementLine,
        verbose_name=_("agreement line"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="order_lines",
    )
    quantity = models.DecimalField(_("quantity"), validators=[MinValueValidator(ZERO)], **QUANTITY)
    product_name = models.CharField(_("product"), max_length=255)
    unit = models.CharField(_("unit"), max_length=10)
    unit_price = models.DecimalField(_("unit price (THB)"), **MONEY)

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        ordering = ["pk"]
        constraints = [models.CheckConstraint(condition=Q(quantity__gt=0), name="order_line_quantity_positive")]

    def __str__(self) -> str:
        return f"{self.product_name} × {self.quantity}"

    @property
    def line_total(self) -> Decimal:
        return (self.quantity * self.unit_price).quantize(Decimal("0.01"))


class OrderEvent(models.Model):
    """One change of one of an order's status fields: who, when, from, to, why."""

    order = models.ForeignKey(Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="events")
    field = models.CharField(_("field"), max_length=20, default="status")
    from_status = models.CharField(pgettext_lazy("value change", "from"), max_length=30, blank=True)
    to_status = models.CharField(pgettext_lazy("value change", "to"), max_length=30)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("when"), default=timezone.now)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("order event")
        verbose_name_plural = _("order events")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.order} {self.field}: {self.from_status or '—'} → {self.to_status}"

    # Besides the three status fields, an event can record a step that is not a status change:
    # a delivery recorded or accepted, an invoice issued, a refund made (to_status then holds the
    # document's number and the note says what happened).
    STEP_LABELS = {
        "delivery": _("delivery recorded"),
        "acceptance": _("delivery accepted"),
        "invoice": _("invoice issued"),
        "refund": _("refund"),
    }

    @property
    def to_label(self) -> str:
        choices = {"status": OrderStatus, "payment_status": PaymentStatus, "fulfilment_status": FulfilmentStatus}
        if self.field in choices:
            return str(choices[self.field](self.to_status).label)
        return f"{self.STEP_LABELS.get(self.field, self.field)} {self.to_status}".strip()


# --- Cart and checkout ----------------------------------------------------------------------


class Cart(models.Model):
    """What a visitor means to buy: one per signed-in user, or per session before signing in
    (merged into the user's cart at sign-in)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), null=True, blank=True, on_delete=models.CASCADE
    )
    session_key = models.CharField(_("session"), max_length=40, null=True, blank=True, unique=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("cart")
        verbose_name_plural = _("carts")
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False) | Q(session_key__isnull=False), name="cart_has_an_owner"
            )
        ]

    def __str__(self) -> str:
        return f"cart {self.pk}"


class CartItem(models.Model):
    cart = models.ForeignKey(Cart, verbose_name=_("cart"), on_delete=models.CASCADE, related_name="items")
    product = models.ForeignKey(
        "cms.ProductPage", verbose_name=_("product"), on_delete=models.CASCADE, related_name="cart_items"
    )
    quantity = models.DecimalField(_("quantity"), **QUANTITY)
    added_at = models.DateTimeField(_("added at"), default=timezone.now)

    class Meta:
        verbose_name = _("cart item")
        verbose_name_plural = _("cart items")
        ordering = ["added_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["cart", "product"], name="one_cart_item_per_product"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="cart_item_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.product_id} × {self.quantity}"


class Checkout(models.Model):
    """One payment for a cart: it holds one order per producer group and the quantities reserved
    for them until it is paid, fails or expires."""

    class Status(models.TextChoices):
        OPEN = "open", _("awaiting payment")
        PROCESSING = "processing", _("payment processing")
        PAID = "paid", _("paid")
        FAILED = "failed", _("payment failed")
        EXPIRED = "expired", _("expired")

    reference = models.CharField(_("reference"), max_length=30, unique=True, editable=False)
    company = models.ForeignKey(
        "buyers.Company", verbose_name=_("company"), on_delete=models.PROTECT, related_name="checkouts"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.OPEN)
    total = models.DecimalField(_("total (THB)"), **MONEY)
    stripe_session_id = models.CharField(
        _("Stripe Checkout Session"), max_length=255, null=True, blank=True, unique=True
    )
    stripe_session_url = models.URLField(_("payment page"), max_length=2000, blank=True)
    stripe_payment_intent_id = models.CharField(_("Stripe PaymentIntent"), max_length=255, blank=True)
    payment_method = models.CharField(_("payment method"), max_length=30, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    # Set once, when the reserved quantities went back to the products (failed or expired):
    # releasing twice would create stock out of nothing.
    stock_released_at = models.DateTimeField(_("stock released at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("checkout")
        verbose_name_plural = _("checkouts")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.reference


# --- Deliveries and acceptance --------------------------------------------------------------


def delivery_photo_path(instance, filename: str) -> str:
    return f"deliveries/{instance.order_id}/{timezone.now():%Y%m%d%H%M%S}-{filename[-60:]}"


class Delivery(models.Model):
    """Goods the group handed over for an order (partial deliveries allowed), then accepted —
    in whole or in part — by the company."""

    class Status(models.TextChoices):
        AWAITING = "awaiting", _("awaiting acceptance")
        ACCEPTED = "accepted", _("accepted")

    order = models.ForeignKey(Order, verbose_name=_("order"), on_delete=models.PROTECT, related_name="deliveries")
    number = models.CharField(_("delivery number"), max_length=30, unique=True, editable=False)
    delivered_on = models.DateField(_("delivered on"))
    note_number = models.CharField(
        _("delivery note number"), max_length=50, blank=True, help_text=_("The number on the paper delivery note.")
    )
    note = models.TextField(_("delivery note"), blank=True, help_text=_("Who carried it, how, anything to know."))
    photo = models.ImageField(
        _("photo"), upload_to=delivery_photo_path, storage=private_storage, blank=True, max_length=255
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.AWAITING)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("accepted by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    auto_accepted = models.BooleanField(_("accepted automatically"), default=False)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["recorded_at", "pk"]
        indexes = [models.Index(fields=["status", "recorded_at"])]

    def __str__(self) -> str:
        return self.number


class DeliveryLine(models.Model):
    delivery = models.ForeignKey(Delivery, verbose_name=_("delivery"), on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(
        OrderLine, verbose_name=_("order line"), on_delete=models.PROTECT, related_name="delivery_lines"
    )
    quantity = models.DecimalField(_("delivered quantity"), **QUANTITY)
    accepted_quantity = models.DecimalField(_("accepted quantity"), null=True, blank=True, **QUANTITY)
    rejected_quantity = models.DecimalField(_("rejected quantity"), null=True, blank=True, **QUANTITY)
    rejection_reason = models.TextField(_("reason for rejection"), blank=True)

    class Meta:
        verbose_name = _("delivery line")
        verbose_name_plural = _("delivery lines")
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="delivery_line_quantity_positive"),
            models.CheckConstraint(
                condition=Q(accepted_quantity__isnull=True) | Q(accepted_quantity__gte=0, rejected_quantity__gte=0),
                name="delivery_line_acceptance_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.delivery} · {self.order_line}"

    @property
    def accepted_value(self) -> Decimal:
        return ((self.accepted_quantity or ZERO) * self.order_line.unit_price).quantize(Decimal("0.01"))


# --- Invoices, refunds and Stripe events ----------------------------------------------------


class Invoice(models.Model):
    """A Stripe invoice for the accepted value of a call-off's delivery (contract orders are
    paid on terms, not at checkout)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        OPEN = "open", _("open, awaiting payment")
        PAID = "paid", _("paid")
        VOID = "void", _("void")
        UNCOLLECTIBLE = "uncollectible", _("uncollectible")

    order = models.ForeignKey(Order, verbose_name=_("order"), on_delete=models.PROTECT, related_name="invoices")
    delivery = models.OneToOneField(
        Delivery, verbose_name=_("delivery"), null=True, blank=True, on_delete=models.PROTECT, related_name="invoice"
    )
    number = models.CharField(_("invoice number"), max_length=30, unique=True, editable=False)
    amount = models.DecimalField(_("amount (THB)"), **MONEY)
    status = models.CharField(_("status"), max_length=14, choices=Status.choices, default=Status.DRAFT)
    stripe_invoice_id = models.CharField(_("Stripe invoice"), max_length=255, null=True, blank=True, unique=True)
    hosted_invoice_url = models.URLField(_("payment page"), max_length=2000, blank=True)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    last_payment_error = models.TextField(_("last payment error"), blank=True)

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["-issued_at", "-pk"]
        indexes = [models.Index(fields=["status", "due_date"])]

    def __str__(self) -> str:
        return self.number

    def is_overdue(self, today: datetime.date | None = None) -> bool:
        return (
            self.status == self.Status.OPEN
            and self.due_date is not None
            and (today or timezone.localdate()) > self.due_date
        )


class Refund(models.Model):
    """Money given back for rejected or cancelled goods that were paid by card or PromptPay."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        SUCCEEDED = "succeeded", _("refunded")
        FAILED = "failed", _("failed")

    order = models.ForeignKey(Order, verbose_name=_("order"), on_delete=models.PROTECT, related_name="refunds")
    delivery = models.ForeignKey(
        Delivery, verbose_name=_("delivery"), null=True, blank=True, on_delete=models.PROTECT, related_name="refunds"
    )
    amount = models.DecimalField(_("amount (THB)"), **MONEY)
    reason = models.TextField(_("reason"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PENDING)
    stripe_refund_id = models.CharField(_("Stripe refund"), max_length=255, null=True, blank=True, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        ordering = ["created_at", "pk"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive")]

    def __str__(self) -> str:
        return f"{self.order} −{self.amount}"


class StripeEvent(models.Model):
    """Every webhook event Stripe sent us, stored once (its id is unique) before it is processed,
    so a repeated delivery is recognised and an unknown type is kept for later."""

    event_id = models.CharField(_("event id"), max_length=255, unique=True)
    type = models.CharField(_("type"), max_length=100)
    object_id = models.CharField(_("object id"), max_length=255, blank=True, db_index=True)
    created = models.DateTimeField(_("created at Stripe"))
    payload = models.JSONField(_("payload"))
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)
    error = models.TextField(_("processing error"), blank=True)

    class Meta:
        verbose_name = _("Stripe event")
        verbose_name_plural = _("Stripe events")
        ordering = ["-received_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"


class StripeFakeState(models.Model):
    """The offline Stripe fake's whole state (orders.stripe_fake) as one JSON document, so every
    app server and the worker of a demo site share it. One row; its lock serialises the fake."""

    state = models.TextField(blank=True)

    class Meta:
        verbose_name = "offline Stripe fake state"

    def __str__(self) -> str:
        return f"offline Stripe fake state ({len(self.state)} bytes)"
