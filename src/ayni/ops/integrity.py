"""Invariants of the registry, recomputed from the rows, for `check-integrity` and bench/crash.py.

The services keep them inside one transaction each; these checks are how we know that a crash,
a restore or a hand-made SQL fix did not leave something half-done.
"""

from django.db import connection
from django.utils.translation import gettext as _

from ayni.orgs.models import Organisation, path_segment
from ayni.people.models import Membership, Person, Position


def path_violations() -> list[str]:
    """Every organisation's path is its parent's path plus its own segment; depth follows."""
    out = []
    orgs = {pk: (parent, path, depth) for pk, parent, path, depth in
            Organisation.objects.values_list("pk", "parent_id", "path", "depth").iterator(chunk_size=5000)}
    for pk, (parent, path, depth) in orgs.items():
        if parent is not None and parent not in orgs:
            out.append(_("organización %(pk)s: su organización superior %(parent)s no existe")
                       % {"pk": pk, "parent": parent})
            continue
        # The parent's stored path, itself checked in this same loop: the chain holds by induction.
        expected = (orgs[parent][1] if parent is not None else "") + path_segment(pk)
        if path != expected:
            out.append(_("organización %(pk)s: ruta «%(path)s», debería ser «%(expected)s»")
                       % {"pk": pk, "path": path, "expected": expected})
        if depth != expected.count("/") - 1:
            out.append(_("organización %(pk)s: profundidad %(depth)s, debería ser %(expected)s")
                       % {"pk": pk, "depth": depth, "expected": expected.count("/") - 1})
    return out


def _orphans(child_model, field: str, parent_model) -> list[int]:
    # A LEFT JOIN written out: the ORM would trust the foreign key, and that trust is what we test
    # (SQLite enforces foreign keys only when the connection asks it to).
    child, parent = child_model._meta.db_table, parent_model._meta.db_table
    column = child_model._meta.get_field(field).column
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT c.id FROM {child} c LEFT JOIN {parent} p ON p.id = c.{column} "  # noqa: S608 - names from _meta
            f"WHERE c.{column} IS NOT NULL AND p.id IS NULL"
        )
        return [row[0] for row in cursor.fetchall()]


def orphan_violations() -> list[str]:
    out = []
    for model, field, parent in [(Membership, "person", Person), (Membership, "organisation", Organisation),
                                 (Position, "person", Person), (Position, "organisation", Organisation)]:
        for pk in _orphans(model, field, parent):
            out.append(_("%(model)s %(pk)s: apunta a un(a) %(field)s que no existe")
                       % {"model": model._meta.verbose_name, "pk": pk, "field": model._meta.get_field(field).name})
    return out


def registry_violations() -> list[str]:
    return path_violations() + orphan_violations()
