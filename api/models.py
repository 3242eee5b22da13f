"""What the API must remember between requests: the answers to idempotent call-offs."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class IdempotencyRecord(models.Model):
    """The answer given to one `Idempotency-Key` of one API key, kept so a repeated request (a
    procurement system retrying after a lost response) gets the same answer instead of placing the
    call-off twice. Written in the same transaction as the call-off it answers: an order never
    exists without its record, nor a record without its order (see api.idempotency)."""

    api_key = models.ForeignKey(
        "buyers.ApiKey", verbose_name=_("API key"), on_delete=models.CASCADE, related_name="idempotency_records"
    )
    key = models.CharField(_("idempotency key"), max_length=255)
    request_hash = models.CharField(
        _("request fingerprint"),
        max_length=64,
        help_text=_("SHA-256 of the method, path and body: the same key with another request is refused."),
    )
    response_status = models.PositiveSmallIntegerField(_("response status"))
    response_body = models.JSONField(_("response body"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("idempotency record")
        verbose_name_plural = _("idempotency records")
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["api_key", "key"], name="one_record_per_idempotency_key")]

    def __str__(self) -> str:
        return f"{self.api_key_id}:{self.key} → {self.response_status}"
