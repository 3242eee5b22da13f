"""Template tags for the public pages: {% load cms_tags %}

{% json_ld data %}                 <script type="application/ld+json">…</script>, safely escaped
{{ product.available_quantity|quantity }}   2.5, 1,200 (no trailing zeros)
"""

import json
from decimal import Decimal

from django import template
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.html import format_html
from django.utils.safestring import mark_safe

register = template.Library()

# What json_script escapes, for the same reason: inside <script>, "</script>" or "<!--" in a
# product name must not end the block. U+2028/2029 too, which some parsers take for line ends.
_JSON_ESCAPES = {
    ord("<"): "\\u003C",
    ord(">"): "\\u003E",
    ord("&"): "\\u0026",
    0x2028: "\\u2028",
    0x2029: "\\u2029",
}


@register.simple_tag
def json_ld(data):
    """A JSON-LD data block. Not a script the browser runs, so the CSP (script-src 'self') allows
    it."""
    text = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False).translate(_JSON_ESCAPES)
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(text))  # noqa: S308 (escaped above)


@register.filter
def quantity(value):
    """A quantity as people write it: no trailing zeros, thousands grouped."""
    if value in (None, ""):
        return ""
    value = Decimal(value).normalize()
    return f"{value:,f}"
