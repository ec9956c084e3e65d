"""`{{ value|cifra }}`: a figure as Peru writes it (692,917 · 1,443,540.5), anything else as it is.

For table cells that hold numbers or words (the brief's rows, counts that may be "—"). Where a
value is always a number, `floatformat:"g"` (or `"2g"` for money) says the same. The function
is `ayni.lib.text.cifra`, which code writing rows in Python calls too."""

from django import template

from ayni.lib.text import cifra

register = template.Library()
register.filter("cifra", cifra)
