"""Identity numbers in a page, by the country of each (lib/identity.py).

`{{ p.dni|documento }}`: the number with its document's short name ("DNI 45678912", "CI 4870123"),
for a line about one person. `{{ p.dni|en_columna:id_col }}`: the cell of an identity column made
by `lib.identity.id_column` (the bare number, or with its document's name when the list mixes
countries); the column's header is `{{ id_col.label }}`."""

from django import template

from ayni.lib.identity import IdColumn, with_document

register = template.Library()


@register.filter
def documento(stored, check=""):
    return with_document(stored, check or "")


@register.filter
def en_columna(stored, column: IdColumn):
    return column.cell(stored) if column else (stored or "")
