"""Background work of the roll: the scope-wide duplicate search (django-tasks, no broker)."""

from django_tasks import task

from ayni.orgs.models import Organisation
from ayni.rolls import dedupe
from ayni.rolls.models import DuplicatePair, RollEntry
from ayni.rolls.services import suggest_pair


def records_under(org: Organisation) -> list[dedupe.Record]:
    """One record per person on a roll (now or before) in `org`'s subtree. A person without a
    district of her own takes her kitchen's: people eat near where they live."""
    rows = (RollEntry.objects.filter(kitchen__path__startswith=org.path)
            .values_list("person_id", "person__given_names", "person__paternal_surname", "person__maternal_surname",
                         "person__birth_date", "person__dni", "person__district_id", "kitchen__district_id")
            .order_by("person_id", "-since"))
    out, last = [], None
    for pk, given, paternal, maternal, birth, dni, district, kitchen_district in rows.iterator(chunk_size=5000):
        if pk == last:
            continue
        last = pk
        out.append(dedupe.make_record(pk, given, paternal, maternal, birth, dni, district or kitchen_district))
    return out


@task()
def find_duplicates(organisation_id: int) -> int:
    """Search the whole roll below an organisation and queue every new pair for review.
    Pairs already suggested or decided are skipped, so a "different people" stays decided."""
    from ayni.people.models import Person

    org = Organisation.objects.get(pk=organisation_id)
    known = set(DuplicatePair.objects.values_list("a_id_kept", "b_id_kept"))
    pairs = dedupe.find_pairs(records_under(org), skip=known)
    people = Person.objects.in_bulk({pk for a, b, *_rest in pairs for pk in (a, b)})
    created = 0
    for a, b, kind, score, reason in pairs:
        if suggest_pair(a=people[a], b=people[b], kind=kind, score=score, reason=reason):
            created += 1
    return created
