"""Registry invariants after a crash, run under the install's environment by bench/crash.py.

    python registry_invariants.py MARKER ACKNOWLEDGED.json

Prints one JSON object: `violations` (broken invariants anywhere in the registry), `lost`
(writes the server acknowledged with a redirect that are not in the database) and `counts`.
"""

import json
import os
import sys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ayni.settings")

import django  # noqa: E402

django.setup()

from ayni.audit.models import AuditEntry  # noqa: E402
from ayni.capture.models import Inbound  # noqa: E402
from ayni.kitchens.models import StockMovement  # noqa: E402
from ayni.ops.integrity import registry_violations  # noqa: E402
from ayni.orgs.models import Organisation  # noqa: E402
from ayni.people.models import DuplicatePair, Membership, Person  # noqa: E402
from ayni.rolls.models import ImportBatch, RollEntry  # noqa: E402


def audited(action: str, object_id, **after) -> bool:
    entries = AuditEntry.objects.filter(action=action, object_id=str(object_id))
    for key, value in after.items():
        entries = entries.filter(**{f"after__{key}": value})
    return entries.exists()


def check(marker: str, acknowledged: list[dict]) -> dict:
    violations, lost = [], []

    # The whole registry: paths follow parents, nothing points at nothing.
    violations += registry_violations()
    orgs = {o.pk: o for o in Organisation.objects.only("pk", "name")}

    # Everything this run wrote is whole: a registered person has her membership, and every
    # change has its audit entry (and no audit entry describes a change that is not there).
    run_orgs = [o for o in orgs.values() if o.name.startswith(marker)]
    for org in run_orgs:
        if not audited("org.create", org.pk):
            violations.append(f"organización {org.pk} sin registro de auditoría de su creación")
    run_people = list(Person.objects.filter(given_names__startswith=marker))
    with_membership = set(Membership.objects.filter(person__in=run_people).values_list("person_id", flat=True))
    for person in run_people:
        if person.pk not in with_membership:
            violations.append(f"persona {person.pk} registrada sin membresía")
        if not audited("person.create", person.pk):
            violations.append(f"persona {person.pk} sin registro de auditoría de su registro")
    for entry in AuditEntry.objects.filter(action="org.create", object_label__startswith=marker):
        if int(entry.object_id) not in orgs:
            violations.append(f"auditoría {entry.pk}: registra la creación de {entry.object_id}, que no existe")
    for entry in AuditEntry.objects.filter(action="person.create", object_label__startswith=marker):
        if not Person.objects.filter(pk=entry.object_id).exists():
            violations.append(f"auditoría {entry.pk}: registra a la persona {entry.object_id}, que no existe")

    # Every API item stored was processed (by the server, or by `ayni replay-inbound` afterwards).
    for pk in Inbound.objects.filter(status__in=Inbound.PENDING).values_list("pk", flat=True):
        violations.append(f"envío {pk} guardado y nunca procesado")

    # Nothing acknowledged is lost.
    parties = set(StockMovement.objects.filter(party__startswith=marker).values_list("party", flat=True))
    parties |= set(StockMovement.objects.filter(party__startswith=f"Sinc {marker}").values_list("party", flat=True))
    synced = set(RollEntry.objects.filter(person__given_names__startswith=f"Sinc {marker}")
                 .values_list("person__given_names", flat=True))
    org_names = {o.name for o in run_orgs}
    people_names = {p.given_names for p in run_people}
    for write in acknowledged:
        kind = write["kind"]
        if kind == "org" and write["name"] not in org_names:
            lost.append(write)
        elif kind == "person" and write["name"] not in people_names:
            lost.append(write)
        elif kind == "edit" and not audited("org.update", write["org"], address=write["address"]):
            lost.append(write)
        elif kind == "move" and not (audited("org.move", write["org"], parent=write["parent"])
                                     or audited("org.create", write["org"], parent=write["parent"])):
            # A move onto the parent it already has is answered like any move but changes nothing;
            # then an earlier move or its creation put it there, and that has its entry.
            lost.append(write)
        elif kind == "report" and not AuditEntry.objects.filter(action="kitchen.report",
                                                                 after__menu=write["menu"]).exists():
            lost.append(write)
        elif kind == "movement" and write["party"] not in parties:
            lost.append(write)
        elif kind == "api_movement" and write["name"] not in parties:
            lost.append(write)
        elif kind == "api_roll_entry" and write["name"] not in synced:
            lost.append(write)
        elif kind == "import" and not ImportBatch.objects.filter(pk=write["batch"],
                                                                 status=ImportBatch.Status.APPLIED).exists():
            lost.append(write)
        elif kind == "merge" and not DuplicatePair.objects.filter(pk=write["pair"],
                                                                  status=DuplicatePair.Status.SAME).exists():
            lost.append(write)

    return {
        "violations": violations, "lost": lost,
        "counts": {"organisations": len(orgs), "run_organisations": len(run_orgs), "run_people": len(run_people)},
    }


def main() -> None:
    marker, acknowledged_file = sys.argv[1], sys.argv[2]
    with open(acknowledged_file) as fh:
        acknowledged = json.load(fh)
    print(json.dumps(check(marker, acknowledged)))


if __name__ == "__main__":
    main()
