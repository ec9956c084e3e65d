"""Background work of the roll: reading an uploaded roll file, and the scope-wide duplicate search
(django-tasks, no broker)."""

from django_tasks import task

from ayni.orgs.models import Organisation
from ayni.people.models import DuplicatePair
from ayni.rolls import dedupe
from ayni.rolls.models import RollEntry


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


def last_kitchens(person_ids) -> dict[int, int]:
    """Each person's kitchen now, or the one she left last: the same choice as
    `people.services.last_kitchen`, for many people in a few queries."""
    best: dict[int, tuple] = {}
    ids = sorted(person_ids)
    for i in range(0, len(ids), 900):
        rows = RollEntry.objects.filter(person_id__in=ids[i:i + 900]).values_list("person_id", "kitchen_id",
                                                                                   "until", "since")
        for person_id, kitchen_id, until, since in rows:
            rank = (until is None, until or since, since)
            if person_id not in best or rank > best[person_id][0]:
                best[person_id] = (rank, kitchen_id)
    return {pk: kitchen for pk, (_rank, kitchen) in best.items()}


@task()
def find_duplicates(organisation_id: int) -> int:
    """Search the whole roll below an organisation and queue every new pair for review.
    Pairs already suggested or decided are skipped, so a "different people" stays decided.
    A national search finds thousands of pairs: they are written in bulk."""
    org = Organisation.objects.get(pk=organisation_id)
    known = set(DuplicatePair.objects.values_list("a_id_kept", "b_id_kept"))
    pairs = dedupe.find_pairs(records_under(org), skip=known)
    kitchens = last_kitchens({pk for a, b, *_rest in pairs for pk in (a, b)})
    new = [DuplicatePair(
        person_a_id=a, person_b_id=b, a_id_kept=a, b_id_kept=b, kind=kind, score=round(score, 1),
        reason=reason[:200], kitchen_a_id=kitchens[a], kitchen_b_id=kitchens[b])
        for a, b, kind, score, reason in pairs if a in kitchens and b in kitchens]
    # Another search may have queued some of them meanwhile: those are left as they are.
    DuplicatePair.objects.bulk_create(new, batch_size=500, ignore_conflicts=True)
    return len(new)
