"""Pieces for leadership tests: a school of the Lima federation with past sessions, women
enrolled, and a Node run of the independent verifier (`jose`)."""

import datetime
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from django.utils import timezone

from ayni.accounts.scope import Scope
from ayni.leadership import services
from ayni.leadership.models import Attendance
from tests.governance_helpers import socias

SYSTEM = Scope.system("preparación de la prueba")
JOSE_DIR = Path(__file__).parent / "jose"


def at(days: int, hour: int = 15) -> datetime.datetime:
    day = timezone.localdate() + datetime.timedelta(days=days)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def school(w, *, sessions_past=4, sessions_future=1, women=3, pct=80, final_required=True, facilitator=None):
    """A school of the Lima federation: two modules (the second final), `sessions_past` sessions
    already held (the last in the final module) and some still to come, `women` socias of the
    Santa Rosa kitchen enrolled (María Elena first)."""
    today = timezone.localdate()
    programme = services.create_programme(
        scope=SYSTEM, organisation=w.lima, name="Escuela de Lideresas 2026", topic="Liderazgo",
        starts_on=today - datetime.timedelta(days=60), ends_on=today + datetime.timedelta(days=60),
        places=30, min_attendance_pct=pct, final_module_required=final_required)
    first = services.add_module(scope=SYSTEM, programme=programme, title="Nuestros derechos")
    final = services.add_module(scope=SYSTEM, programme=programme, title="Incidencia política", is_final=True)
    held = []
    for n in range(sessions_past):
        module = final if n == sessions_past - 1 else first
        held.append(services.add_session(scope=SYSTEM, programme=programme, module=module,
                                         starts_at=at(-(sessions_past - n) * 7), place="Local de la federación",
                                         facilitators=[facilitator] if facilitator else []))
    coming = [services.add_session(scope=SYSTEM, programme=programme, module=final, starts_at=at(7 * (n + 1)),
                                   facilitators=[facilitator] if facilitator else [])
              for n in range(sessions_future)]
    people = [w.member] + socias(w.kitchen, women - 1) if women else []
    enrolments = [services.invite(scope=SYSTEM, programme=programme, person=p, enrol=True) for p in people]
    return {"programme": programme, "held": held, "coming": coming, "enrolments": enrolments, "people": people,
            "final": final, "first": first}


def attend_all(s, enrolments=None):
    """Mark the given enrolments (all by default) present at every held session."""
    for session in s["held"]:
        services.mark_attendance(scope=SYSTEM, session=session,
                                 numbers=[e.person_id for e in (enrolments or s["enrolments"])],
                                 how=Attendance.How.LIST)


def node_available() -> bool:
    return shutil.which("node") is not None and (JOSE_DIR / "node_modules" / "jose" / "package.json").exists()


needs_jose = pytest.mark.skipif(not node_available(), reason="jose no instalado: bash scripts/ensure-jose")

# The independent verifier: jose's jwtVerify against the issuer's published JWKS, EdDSA only.
JOSE_SCRIPT = """
import { createLocalJWKSet, jwtVerify } from "jose";
let text = "";
for await (const chunk of process.stdin) text += chunk;
const input = JSON.parse(text);
const out = [];
for (const item of input.items) {
  try {
    const keys = createLocalJWKSet(input.jwks[item.issuer]);
    const { payload, protectedHeader } = await jwtVerify(item.token, keys, { algorithms: ["EdDSA"] });
    out.push({ ok: true, alg: protectedHeader.alg, kid: protectedHeader.kid, payload });
  } catch (e) {
    out.push({ ok: false, error: e.code || String(e) });
  }
}
console.log(JSON.stringify(out));
"""


def jose_verify(items: list[dict], jwks: dict) -> list[dict]:
    """Verify tokens with `jose` under Node. items: [{"token", "issuer"}]; jwks: issuer -> JWKS."""
    done = subprocess.run(["node", "--input-type=module", "-e", JOSE_SCRIPT],
                          input=json.dumps({"items": items, "jwks": jwks}),
                          capture_output=True, text=True, cwd=JOSE_DIR, timeout=120, check=True)
    return json.loads(done.stdout)


def certified(w) -> dict:
    """A school with everyone through it and María Elena's certificate issued (access matrix)."""
    s = school(w, women=1, sessions_future=0)
    attend_all(s)
    certificate = services.issue_certificate(scope=SYSTEM, enrolment=s["enrolments"][0])
    return {**s, "certificate": certificate}
