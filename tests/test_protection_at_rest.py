"""Case content at rest, on a real install driven as an operator drives it (subprocesses of
`ayni`, its own database on the engine under test — SQLite, or PostgreSQL with DATABASE_URL):

- planted names typed through the web pages are nowhere in the database file (or its dump),
  in a backup (`ayni backup`), or in what the process logged;
- crypto-shredding: a case deleted at the end of its retention, then brought back by restoring
  an older backup, cannot be read;
- a master-key rotation killed with SIGKILL halfway leaves every case readable and resumes.
"""

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from bench.support.server import BIN, Install

SRC = str(Path(__file__).resolve().parent.parent / "src")
ALIAS, NAME = "Zenobia Qhaliwarmi", "Eulalia Tupayachi Ccorimanya"
NOTE, CARRY = "mercado Xochiquetzal", "Ruperta Wankar"
SHRED = "Hermelinda Yupanquiri"
PLANTED = [ALIAS, NAME, NOTE, CARRY, SHRED]

SETUP = """
import json
from django.db import transaction
from django.test import Client
from ayni.accounts.models import Role, RoleGrant, User
from ayni.accounts.scope import Scope
from ayni.geo.models import District
from ayni.orgs.models import OrgKind
from ayni.orgs.services import create_organisation
from ayni.protection import vault
from ayni.protection.models import Case
from ayni.protection.services import name_supervisor, record_case
from ayni.demo.protection import ensure_master_key
ensure_master_key()
system = Scope.system("prueba de protección en reposo")
d = District.objects.get(code="150142")
confed = create_organisation(scope=system, kind=OrgKind.objects.get(code="confederacion"), parent=None,
                             name="Confederación de Prueba", district=d)
fed = create_organisation(scope=system, kind=OrgKind.objects.get(code="federacion-provincial"), parent=confed,
                          name="Federación de Prueba", district=d)
kitchen = create_organisation(scope=system, kind=OrgKind.objects.get(code="comedor-popular"), parent=fed,
                              name="Comedor de Prueba", district=d)
dora = User.objects.create_user(username="dora", password="clave-de-dora-2026")
RoleGrant.objects.create(user=dora, organisation=fed, role=Role.DEFENDER)
c = Client(HTTP_HOST="127.0.0.1")
c.force_login(dora)
form = {"organisation": kitchen.pk, "kind": "violence", "problem": "physical", "alias": "%(alias)s",
        "name": "%(name)s", "age_band": "30-44", "district": "150142", "risk": "severe", "opened_on": "01/11/2026",
        "notes": "vive junto al %(note)s"}
bad = c.post("/proteccion/nuevo/", {**form, "opened_on": "31/02/2026"})
assert bad.status_code == 200, bad.status_code
made = c.post("/proteccion/nuevo/", form)
assert made.status_code == 302, (made.status_code, made.content[:3000])
a = int(made["Location"].rstrip("/").split("/")[-1])
r = c.post(f"/proteccion/caso/{a}/derivar/", {"kind": "cem", "referred_on": "02/11/2026", "carry": "%(carry)s"})
assert r.status_code == 302, r.status_code
page = c.get(f"/proteccion/caso/{a}/").content.decode()
assert "%(alias)s" in page and "%(name)s" in page
assert c.get("/proteccion/caso/999999/").status_code == 404
with transaction.atomic():
    s = record_case(scope=Scope.for_user(dora), organisation=kitchen, district=d, kind="violence", problem="sexual",
                    age_band="18-29", risk="low", alias="%(shred)s", opened_on=__import__("datetime").date(2015, 1, 5))
    vault.rewrap_for_month(s, "2020-01")
    s.save(update_fields=["retain_until"])
print("IDS " + json.dumps({"a": a, "s": s.pk}))
""" % {"alias": ALIAS, "name": NAME, "note": NOTE, "carry": CARRY, "shred": SHRED}  # noqa: UP031

READ = """
import json
from ayni.protection import keys, vault
from ayni.protection.models import Case, CaseKey
out = {}
for pk in %s:
    case = Case.objects.filter(pk=pk).first()
    if case is None:
        out[pk] = "gone"
        continue
    try:
        key = vault.case_key(case)
    except keys.Locked:
        out[pk] = "unreadable"
        continue
    out[pk] = vault.Sealer(case, key).text("alias", case.alias_sealed)
print("READ " + json.dumps(out))
"""

CHECK_ALL = """
import json
from ayni.protection import keys, vault
from ayni.protection.models import Case, CaseKey
ring = keys.keyring()
bad, kids = 0, {}
for row in CaseKey.objects.select_related("case").iterator():
    kids[row.kid] = kids.get(row.kid, 0) + 1
    try:
        vault.Sealer(row.case, vault.case_key(row.case, row)).text("alias", row.case.alias_sealed)
    except Exception:
        bad += 1
print("ALL " + json.dumps({"bad": bad, "kids": kids, "current": ring.current_id, "keys": len(ring.keys)}))
"""

SEED = """
import datetime, random
from ayni.accounts.models import User
from ayni.orgs.models import Organisation
from ayni.demo.protection import seed_cases
org = Organisation.objects.get(name="Comedor de Prueba")
seed_cases(n=%d, organisation=org, defender=User.objects.get(username="dora"), district=org.district,
           rng=random.Random(1), opened_on=datetime.date(2026, 3, 1))
"""


def _engine() -> str:
    return "postgres" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "sqlite"


@pytest.fixture(scope="module")
def install(tmp_path_factory):
    inst = Install(engine=_engine(), name="ayni_protection_rest", workdir=tmp_path_factory.mktemp("rest"))
    inst.env["PYTHONPATH"] = SRC
    inst.env["AYNI_LOG_LEVEL"] = "DEBUG"
    inst.create()
    inst.ayni("migrate", "--no-input", "-v", "0")
    inst.ayni("collectstatic", "--no-input", "-v", "0")
    yield inst
    inst.drop()


def _shell(inst, code: str, tag: str) -> tuple[dict, str]:
    result = inst.ayni("shell", "-c", code)
    line = next(x for x in result.stdout.splitlines() if x.startswith(tag + " "))
    return json.loads(line[len(tag) + 1:]), result.stdout + result.stderr


def _database_text(inst) -> bytes:
    if inst.engine == "sqlite":
        path = Path(inst.database_url.removeprefix("sqlite:///"))
        return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())
    return subprocess.run(["pg_dump", "--no-owner", inst.database_url], capture_output=True, check=True).stdout


def _backup_text(inst, path: Path) -> bytes:
    if inst.engine == "sqlite":
        return path.read_bytes()
    return subprocess.run(["pg_restore", "-f", "-", str(path)], capture_output=True, check=True).stdout


def _planted_in(blob: bytes) -> list[str]:
    return [p for p in PLANTED if p.encode() in blob or p.encode("utf-16-le") in blob]


def test_no_plaintext_at_rest_shredding_reaches_old_backups_and_rotation_survives_a_kill(install):
    ids, logs = _shell(install, SETUP, "IDS")
    a, s = ids["a"], ids["s"]
    # The pages showed the case to its defensora, and nothing of it is at rest or in the logs.
    assert _planted_in(_database_text(install)) == []
    assert not [p for p in PLANTED if p in logs], logs[-2000:]
    assert "Not Found: /proteccion/caso/999999/" in logs  # the process did log its requests
    backups = install.workdir / "backups"
    backups.mkdir()
    install.ayni("backup", "-o", str(backups))
    backup = max(backups.iterdir(), key=lambda p: p.stat().st_mtime)
    assert _planted_in(_backup_text(install, backup)) == []

    # End of retention: the shredded case is gone, and an older backup restored cannot read it.
    read, _logs = _shell(install, READ % [a, s], "READ")
    assert read == {str(a): ALIAS, str(s): SHRED}
    assert "1 casos eliminados" in install.ayni("protection-shred").stdout
    read, _logs = _shell(install, READ % [a, s], "READ")
    assert read == {str(a): ALIAS, str(s): "gone"}
    install.ayni("restore", str(backup), "--yes", "--no-safety-copy")
    read, _logs = _shell(install, READ % [a, s], "READ")
    assert read == {str(a): ALIAS, str(s): "unreadable"}
    install.ayni("protection-shred")  # the restored row goes again

    # Rotation under SIGKILL: kill after the first batches, every case readable, resume, retire.
    install.ayni("shell", "-c", SEED % 3000)
    env = {**install.env, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([str(BIN / "ayni"), "protection-key", "--rotate", "--batch", "50", "-v", "2"],
                            env=env, cwd=install.workdir, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)
    seen = 0
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if line.startswith("reenvueltas"):
            seen += 1
            if seen == 3:
                os.killpg(proc.pid, signal.SIGKILL)
                break
        if not line and proc.poll() is not None:
            break
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, proc.stderr.read()[-2000:]
    state, _logs = _shell(install, CHECK_ALL, "ALL")
    assert state["bad"] == 0
    assert len(state["kids"]) == 2 and state["kids"][state["current"]] >= 150  # halfway: both keys in use
    assert "0 pendientes" in install.ayni("protection-key").stdout
    state, _logs = _shell(install, CHECK_ALL, "ALL")
    assert state["bad"] == 0 and list(state["kids"]) == [state["current"]]
    assert "1 claves antiguas retiradas" in install.ayni("protection-key", "--retire").stdout
    state, _logs = _shell(install, CHECK_ALL, "ALL")
    assert state["bad"] == 0 and state["keys"] == 1 and state["kids"] == {state["current"]: 3001}
