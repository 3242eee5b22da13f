"""{% load orders_tags %}: {{ line.quantity|qty }} → "1.5", "12,000" (no trailing zeros)."""

from django import template

from orders.services import quantity_text, unit_label

register = template.Library()


@register.filter
def qty(value):
    if value in (None, ""):
        return ""
    return quantity_text(value)


@register.filter
def unit(code):
    """{{ line.unit|unit }} → "kilogram" / "กิโลกรัม"."""
    return unit_label(code) if code else ""
