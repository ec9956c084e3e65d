"""Each organisation kind's default statute rules, as data an organisation may then override.

Base organisations meet with a week's notice and vote one socia, one vote; federations meet in
assemblies of delegates with longer notice; the national congress weighs each delegate's vote
by the socias of the federation she comes from."""

from django.db import migrations

BY_LEVEL = {
    1: {"notice_days": 30, "quorum_first": "half", "quorum_second": "third", "delegates_per_member": 3,
        "delegate_weight": "members", "members_per_vote": 1000},
    2: {"notice_days": 15, "quorum_first": "half", "quorum_second": "third", "delegates_per_member": 2},
    3: {"notice_days": 10, "quorum_first": "half", "quorum_second": "third", "delegates_per_member": 2},
    4: {"notice_days": 7, "quorum_first": "half", "quorum_second": "present"},
}


def load(apps, schema_editor):
    OrgKind = apps.get_model("orgs", "OrgKind")
    StatuteRule = apps.get_model("governance", "StatuteRule")
    for kind in OrgKind.objects.all():
        StatuteRule.objects.update_or_create(kind=kind, defaults=BY_LEVEL.get(kind.level, BY_LEVEL[4]))


class Migration(migrations.Migration):
    dependencies = [("governance", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
