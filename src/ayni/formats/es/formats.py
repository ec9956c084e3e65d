# Only what Peru writes differently from Django's Spanish; dates and the rest come from Django.
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
