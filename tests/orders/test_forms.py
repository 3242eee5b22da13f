import datetime

from django.utils import translation

from orders.forms import DeliveryForm


def test_the_delivery_date_input_holds_an_iso_date_whatever_the_language():
    # A browser's <input type=date> drops any value that is not YYYY-MM-DD, and the Thai format
    # (d/m/Y) then left the required field empty.
    form = DeliveryForm(lines=[], initial={"delivered_on": datetime.date(2026, 11, 26)})
    for language in ("th", "en"):
        with translation.override(language):
            assert 'value="2026-11-26"' in str(form["delivered_on"])
