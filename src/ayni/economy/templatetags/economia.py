from decimal import Decimal

from django import template
from django.template.defaultfilters import floatformat

register = template.Library()


@register.filter
def soles(cents):
    """Céntimos as soles, Peruvian style: S/ 1,234.50."""
    if cents is None or cents == "":
        return ""
    return "S/ " + floatformat(Decimal(int(cents)) / 100, "2g")
