"""Certificates: issue many signed Open Badges credentials (and their PDFs), the public
verification page, and verification by the independent implementation (`jose` under Node) side
by side with our own verifier; the equity table on the demo federation. On SQLite and PostgreSQL.

    python bench/credentials.py --quick     # small demo, 1,000 credentials, 20 PDFs
    python bench/credentials.py             # national demo, 50,000 credentials, 200 PDFs
    python bench/credentials.py --equity-only sqlite:///nat.sqlite3 --equity-only postgres://…/nat
                                            # the equity table alone, on national demos already made

The last line is `RESULT {...}`.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from support.server import Install, exit_on_sigterm, log  # noqa: E402

PASSWORD = "banco-de-pruebas-2026"  # noqa: S105 - the throwaway demo accounts of a scratch install
JOSE_DIR = Path(__file__).resolve().parent.parent / "tests" / "jose"
# Verify every token against the issuer's JWKS, timing only the verification loop.
JOSE_SCRIPT = """
import { createLocalJWKSet, jwtVerify } from "jose";
let text = "";
for await (const chunk of process.stdin) text += chunk;
const input = JSON.parse(text);
const keys = createLocalJWKSet(input.jwks);
let ok = 0;
const t0 = performance.now();
for (const token of input.tokens) {
  try { await jwtVerify(token, keys, { algorithms: ["EdDSA"] }); ok += 1; } catch (e) {}
}
console.log(JSON.stringify({ ok, ms: performance.now() - t0 }));
"""


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def equity_figures(confed, today, rounds: int) -> dict:
    from ayni.leadership import equity
    from ayni.people.models import Membership

    # The equity table for the whole federation. The demo's socias and the bench's enrolments went
    # in by bulk_create, past the signals that keep the roll-up, so the bench puts every cell
    # behind as a bulk load must; the first read rebuilds them all (timed apart: it happens after
    # writes and once a day), the rest read the roll-up.
    equity.invalidate_under(confed.path)
    t0, c0 = time.perf_counter(), time.process_time()
    equity.table(confed)
    rebuild_ms, rebuild_cpu_ms = (time.perf_counter() - t0) * 1000, (time.process_time() - c0) * 1000
    assert not equity._stale(confed.path, today)
    eq_ms, eq_cpu_ms = [], []
    for _r in range(max(5, rounds // 20)):
        t0, c0 = time.perf_counter(), time.process_time()
        equity.table(confed)
        eq_ms.append((time.perf_counter() - t0) * 1000)
        eq_cpu_ms.append((time.process_time() - c0) * 1000)
    # The reference: the same table counted from every membership, as it was read before the roll-up.
    live_ms = []
    for _r in range(5):
        t0 = time.perf_counter()
        equity._counts(Membership.objects.filter(organisation__path__startswith=confed.path), today, by_cell=False)
        live_ms.append((time.perf_counter() - t0) * 1000)
    return {"equity_cpu_p95_ms": round(percentile(eq_cpu_ms, 95), 1),
            "equity_p50_ms": round(statistics.median(eq_ms), 1), "equity_p95_ms": round(percentile(eq_ms, 95), 1),
            "equity_rebuild_ms": round(rebuild_ms, 1), "equity_rebuild_cpu_ms": round(rebuild_cpu_ms, 1),
            "equity_live_p50_ms": round(statistics.median(live_ms), 1)}


def equity_child(rounds: int) -> dict:
    """The equity table alone, on a national demo already in the database (`--equity-only`)."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ayni.settings")
    django.setup()
    from django.db import connection
    from django.utils import timezone

    from ayni.orgs.models import Organisation
    from ayni.people.models import Membership

    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
    confed = Organisation.objects.get(parent__isnull=True)
    out = equity_figures(confed, timezone.localdate(), rounds)
    return {"vendor": connection.vendor, "members": Membership.objects.count(), **out}


def child(n: int, pdfs: int, rounds: int) -> dict:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ayni.settings")
    django.setup()
    import datetime

    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from ayni.accounts.scope import Scope
    from ayni.leadership import keys, services, verification
    from ayni.leadership.models import Certificate, Enrolment, Module, Programme
    from ayni.leadership.views import certificate_pdf_bytes
    from ayni.orgs.models import Organisation
    from ayni.people.models import Membership

    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
    system = Scope.system("banco de pruebas")
    confed = Organisation.objects.get(parent__isnull=True)
    today = timezone.localdate()
    # Completed enrolments to certify: the demo's socias, as many schools as it takes for n.
    members = list(Membership.objects.values_list("person_id", "organisation_id").order_by("pk")[:20000])
    enrolments, school = [], 0
    while len(enrolments) < n:
        programme = Programme.objects.create(organisation=confed, name=f"Escuela de banco {school}",
                                             starts_on=today - datetime.timedelta(days=90), ends_on=today)
        Module.objects.create(programme=programme, title="Único", is_final=True)
        batch = [Enrolment(programme=programme, person_id=p, organisation_id=o, status="enrolled",
                           enrolled_on=today, sessions_attended=1, final_attended=True, completed_on=today)
                 for p, o in members[:n - len(enrolments)]]
        enrolments += Enrolment.objects.bulk_create(batch, batch_size=2000)
        school += 1
    services.active_key(confed)
    t0 = time.perf_counter()
    for programme in Programme.objects.filter(name__startswith="Escuela de banco"):
        services.issue_certificates(scope=system, programme=programme)  # what the background task runs
    issue_s = time.perf_counter() - t0
    certificates = list(Certificate.objects.filter(enrolment__programme__name__startswith="Escuela de banco")
                        .select_related("enrolment__person", "enrolment__programme", "issuer"))
    t0 = time.perf_counter()
    for certificate in certificates[:pdfs]:
        certificate_pdf_bytes(certificate)
    pdf_s = time.perf_counter() - t0
    # The public page, by code, as a phone scanning the QR asks it.
    client = Client(SERVER_NAME="127.0.0.1")
    client.get(f"/verificar/c/{certificates[0].code}/")
    page_ms, page_cpu_ms = [], []
    for i in range(rounds):
        t0, c0 = time.perf_counter(), time.process_time()
        response = client.get(f"/verificar/c/{certificates[(i * 7919) % len(certificates)].code}/",
                              REMOTE_ADDR=f"10.0.{i % 250}.{i % 200}")
        page_ms.append((time.perf_counter() - t0) * 1000)
        page_cpu_ms.append((time.process_time() - c0) * 1000)
        assert response.status_code == 200, response.status_code
    # Our verifier on the credential itself, and the signature check alone.
    sample = [c.credential for c in certificates[:min(len(certificates), 2000)]]
    t0, c0 = time.perf_counter(), time.process_time()
    states = [verification.by_credential(token).state for token in sample]
    own_s, own_cpu_s = time.perf_counter() - t0, time.process_time() - c0
    assert set(states) == {"valid"}, set(states)
    from ayni.leadership import credentials

    public = bytes(services.active_key(confed).public_key)
    t0 = time.perf_counter()
    for token in sample:
        credentials.verify(token, public)
    sig_s = time.perf_counter() - t0
    jwks = verification.jwks(confed)
    figures = equity_figures(confed, today, rounds)
    members_n = Membership.objects.count()
    assert keys  # the keys module signed every one of them
    return {
        "vendor": connection.vendor, "issued": len(enrolments), "members": members_n,
        "credentials_per_s": round(len(enrolments) / issue_s, 1), "pdfs": min(pdfs, len(certificates)),
        "pdf_per_s": round(min(pdfs, len(certificates)) / pdf_s, 2),
        "verify_page_p50_ms": round(statistics.median(page_ms), 1),
        "verify_page_p95_ms": round(percentile(page_ms, 95), 1),
        "verify_page_cpu_p50_ms": round(statistics.median(page_cpu_ms), 2),
        "verify_page_cpu_p95_ms": round(percentile(page_cpu_ms, 95), 2),
        "own_verify_cpu_ms": round(own_cpu_s * 1000 / len(sample), 3),
        "own_verify_per_s": round(len(sample) / own_s, 1),
        "own_signature_per_s": round(len(sample) / sig_s, 1),
        **figures,
        "sample": sample, "jwks": jwks,
    }


def jose(tokens: list[str], jwks: dict) -> dict:
    done = subprocess.run(["node", "--input-type=module", "-e", JOSE_SCRIPT], cwd=JOSE_DIR, capture_output=True,
                          text=True, input=json.dumps({"tokens": tokens, "jwks": jwks}), timeout=600, check=True)
    out = json.loads(done.stdout)
    return {"ok": out["ok"], "per_s": round(len(tokens) / (out["ms"] / 1000), 1)}


def run_engine(engine: str, args) -> dict:
    with tempfile.TemporaryDirectory(prefix="ayni-credentials-") as tmp:
        install = Install(engine=engine, name="ayni_bench_credentials", workdir=Path(tmp))
        try:
            started = time.monotonic()
            install.prepare(scale=args.scale, password=PASSWORD)
            log(f"demo {args.scale} ({engine}) en {time.monotonic() - started:.0f} s")
            command = [sys.executable, __file__, "--child", "--n", str(args.n), "--pdfs", str(args.pdfs),
                       "--rounds", str(args.rounds)]
            result = subprocess.run(command, env=install.env, capture_output=True, text=True, timeout=7200)
            if result.returncode != 0:
                raise SystemExit(result.stderr[-4000:])
            out = json.loads(result.stdout.strip().splitlines()[-1])
        finally:
            install.drop()
    sample, jwks = out.pop("sample"), out.pop("jwks")
    independent = jose(sample, jwks)
    assert independent["ok"] == len(sample), independent
    out["jose_verify_per_s"] = independent["per_s"]
    return out


def equity_only(args) -> None:
    results = {}
    for url in args.equity_only:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AYNI_", "DJANGO_", "PYTEST"))}
        env.update(DATABASE_URL=url, AYNI_SECRET_KEY=PASSWORD, AYNI_DEBUG="0", AYNI_LOG_LEVEL="WARNING")
        subprocess.run([str(Path(sys.executable).parent / "ayni"), "migrate", "--no-input", "-v", "0"], env=env,
                       check=True, timeout=1800)
        done = subprocess.run([sys.executable, __file__, "--equity-child", "--rounds", str(args.rounds)], env=env,
                              capture_output=True, text=True, timeout=3600)
        if done.returncode != 0:
            raise SystemExit(done.stderr[-4000:])
        out = json.loads(done.stdout.strip().splitlines()[-1])
        results["postgres" if out["vendor"] == "postgresql" else out["vendor"]] = out
    print(f"\nTabla de equidad sobre la demo ya generada ({args.rounds // 20} lecturas)")
    for engine, r in results.items():
        print(f"  {engine:9} ({r['members']:,} socias) p50 {r['equity_p50_ms']:6.1f} ms "
              f"p95 {r['equity_p95_ms']:6.1f} ms "
              f"(meta ≤ 200 ms, ×{r['equity_p95_ms'] / 200:.2f}) · CPU p95 {r['equity_cpu_p95_ms']:.1f} ms · rehacer "
              f"el resumen {r['equity_rebuild_ms']:.0f} ms (CPU {r['equity_rebuild_cpu_ms']:.0f} ms) · contar todas "
              f"las membresías como antes p50 {r['equity_live_p50_ms']:.0f} ms")
    print(f"  carga del sistema {os.getloadavg()[0]:.1f}")
    flat = {"scale": "national", "equity_only": True, "load_avg": round(os.getloadavg()[0], 1)}
    for engine, r in results.items():
        for key in ("members", "equity_p50_ms", "equity_p95_ms", "equity_cpu_p95_ms", "equity_rebuild_ms",
                    "equity_rebuild_cpu_ms", "equity_live_p50_ms"):
            flat[f"{engine}_{key}"] = r[key]
    print("RESULT " + json.dumps(flat))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small demo, 1,000 credentials, 20 PDFs")
    parser.add_argument("--scale", default="national", choices=["small", "province", "national", "national-full"])
    parser.add_argument("--engine", default="both", choices=["sqlite", "postgres", "both"])
    parser.add_argument("--n", type=int, default=50_000, help="credentials to issue")
    parser.add_argument("--pdfs", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=400, help="verification pages asked")
    parser.add_argument("--equity-only", metavar="DATABASE_URL", action="append",
                        help="only the equity table, on a national demo already generated there (repeatable: "
                             "one SQLite and one PostgreSQL)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--equity-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.equity_child:
        print(json.dumps(equity_child(args.rounds)))
        return
    if args.equity_only:
        equity_only(args)
        return
    if args.child:
        out = child(args.n, args.pdfs, args.rounds)
        # A long run cut short in its second engine keeps what the first measured: the child's
        # figures (with jose's beside them) are also left in the temporary directory.
        kept = {k: v for k, v in out.items() if k not in ("sample", "jwks")}
        try:
            kept["jose_verify_per_s"] = jose(out["sample"], out["jwks"])["per_s"]
        except (OSError, subprocess.SubprocessError, ValueError, KeyError):
            kept["jose_verify_per_s"] = None
        kept.update(n=args.n, pdfs=args.pdfs, rounds=args.rounds)
        Path(tempfile.gettempdir(), f"ayni-bench-credentials-{out['vendor']}.json").write_text(json.dumps(kept))
        print(json.dumps(out))
        return
    exit_on_sigterm()
    if args.quick:
        args.scale, args.n, args.pdfs, args.rounds = "small", 1000, 20, 200
    engines = ["sqlite", "postgres"] if args.engine == "both" else [args.engine]
    results = {engine: run_engine(engine, args) for engine in engines}
    print(f"\nCertificados: {args.n:,} credenciales firmadas (Ed25519, VC-JWT), {args.pdfs} PDF")
    for engine, r in results.items():
        print(f"  {engine:9} emisión {r['credentials_per_s']:8.1f} credenciales/s · PDF {r['pdf_per_s']:5.2f}/s · "
              f"página de verificación p50 {r['verify_page_p50_ms']:5.1f} ms p95 {r['verify_page_p95_ms']:5.1f} ms "
              f"(meta ≤ 30 ms) · CPU por página p50 {r['verify_page_cpu_p50_ms']:.2f} ms p95 "
              f"{r['verify_page_cpu_p95_ms']:.2f} ms")
        print(f"  {'':9} verificación: jose (Node) {r['jose_verify_per_s']:8.1f}/s · la nuestra con estado y clave "
              f"{r['own_verify_per_s']:8.1f}/s · solo la firma {r['own_signature_per_s']:8.1f}/s "
              f"(×{r['own_signature_per_s'] / max(r['jose_verify_per_s'], 0.1):.1f} jose) · CPU por verificación "
              f"{r['own_verify_cpu_ms']:.3f} ms")
        print(f"  {'':9} tabla de equidad ({r['members']:,} socias) p50 {r['equity_p50_ms']:6.1f} ms "
              f"p95 {r['equity_p95_ms']:6.1f} ms (meta ≤ 200 ms) · CPU p95 {r['equity_cpu_p95_ms']:.1f} ms · "
              f"×{r['equity_p95_ms'] / 200:.2f} la meta")
        print(f"  {'':9} rehacer el resumen entero {r['equity_rebuild_ms']:6.1f} ms "
              f"(CPU {r['equity_rebuild_cpu_ms']:.1f} ms) · contar todas las membresías como antes "
              f"p50 {r['equity_live_p50_ms']:6.1f} ms")
    print(f"  carga del sistema {os.getloadavg()[0]:.1f}")
    flat = {"credentials": args.n, "scale": args.scale, "load_avg": round(os.getloadavg()[0], 1)}
    for engine, r in results.items():
        for key in ("credentials_per_s", "pdf_per_s", "verify_page_p95_ms", "verify_page_cpu_p95_ms",
                    "jose_verify_per_s", "own_verify_per_s", "own_verify_cpu_ms", "own_signature_per_s",
                    "equity_p95_ms", "equity_cpu_p95_ms", "equity_rebuild_ms", "equity_rebuild_cpu_ms",
                    "equity_live_p50_ms"):
            flat[f"{engine}_{key}"] = r[key]
    print("RESULT " + json.dumps(flat))


if __name__ == "__main__":
    main()
