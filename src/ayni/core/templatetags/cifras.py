"""`{{ value|cifra }}`: a figure as Peru writes it (692,917 · 1,443,540.5), anything else as it is.

For table cells that hold numbers or words (the brief's rows, counts that may be "—"). Where a
value is always a number, `floatformat:"g"` (or `"2g"` for money) says the same."""

from decimal import Decimal

from django import template
from django.template.defaultfilters import floatformat

register = template.Library()


@register.filter
def cifra(value):
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return value
    return floatformat(value, "g" if isinstance(value, int) else "-2g")
