"""Template filters for Thai readers: {% load thai %}

{{ order.placed_at|be_date }}          26 พฤศจิกายน พ.ศ. 2569
{{ order.placed_at|be_date:"short" }}  26 พ.ย. 2569
{{ order.placed_at|local_date }}       BE in Thai, the usual date format in English
{{ total|baht }}                       ฿1,234.50
{{ total|baht_words }}                 หนึ่งพันสองร้อยสามสิบสี่บาทห้าสิบสตางค์
"""

from django import template
from django.template.defaultfilters import date as date_filter
from django.utils import timezone, translation

from marketplace import money, thaidate

register = template.Library()


@register.filter
def be_date(value, style="long"):
    if value in (None, ""):
        return ""
    return thaidate.format_be_date(value, style)


@register.filter
def be_datetime(value, style="short"):
    if value in (None, ""):
        return ""
    return thaidate.format_be_datetime(value, style)


@register.filter
def local_date(value, style="long"):
    """Buddhist era for Thai readers, Common era for everyone else."""
    if value in (None, ""):
        return ""
    if translation.get_language() == "th":
        return thaidate.format_be_date(value, style)
    if hasattr(value, "tzinfo") and hasattr(value, "hour"):
        value = timezone.localtime(value)
    return date_filter(value, "j M Y" if style == "short" else "j F Y")


@register.filter
def input_number(value):
    """A number for an input box's value: "20", "20.5"; never "2E+1", "20.000" or "1,000"."""
    from marketplace.numbers import decimal_input

    try:
        return decimal_input(value)
    except ValueError:
        return value  # what the user typed, shown back as it was


@register.filter
def baht(value):
    if value in (None, ""):
        return ""
    return money.format_baht(value)


@register.filter
def baht_words(value):
    if value in (None, ""):
        return ""
    return money.baht_in_words(value)
