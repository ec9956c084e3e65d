# Quechua as written in Peru: Spanish dates (CLDR `qu` keeps the Spanish month and day names, as
# speakers do) and the same Peruvian numbers as the Spanish interface, so both show one figure alike.
from django.conf.locale.es.formats import *  # noqa: F403

from ayni.formats.es.formats import DECIMAL_SEPARATOR, NUMBER_GROUPING, THOUSAND_SEPARATOR  # noqa: F401
