"""What one synced report costs the server, in process: the phone's batches of `bench/sync.py`
posted to `/api/v1/kitchens/<id>/batch` through the WSGI handler (no HTTP, no other threads, so
`time.process_time` around the requests is their CPU), on a scratch install (SQLite or
PostgreSQL) with the kitchens and keys of bench/sync.py. Some batches are sent twice, as the
bench's cut-off answers make the phones do. Optionally under cProfile, to see where the CPU goes.

    python bench/sync_profile.py [--engine postgres] [--phones 40] [--per-phone 100] [--profile | --stages]
    python bench/sync_profile.py --ab OLD/src NEW/src     # the same batches, two trees in turn

Prints the CPU per report (new reports and resends together, as `bench/sync.py` counts them),
and the statements per request."""

import argparse
import cProfile
import datetime
import io
import json
import os
import pstats
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import sync  # noqa: E402
from support import wsgi  # noqa: E402
from support.server import Install, log  # noqa: E402

STAGES = [  # (module, function): each timed inclusively, where it is looked up
    ("ayni.capture.api", "TokenAuth.authenticate"), ("ninja.operation", "Operation.run"),
    ("ayni.capture.inbound", "store_batch"), ("ayni.capture.inbound", "process_reports"),
    ("ayni.capture.inbound", "_parse_report"), ("ayni.capture.inbound", "_save_reports"),
    ("ayni.capture.inbound", "update_rows"), ("ayni.kitchens.services", "save_reports"),
    ("ayni.kitchens.services", "next_report"), ("ayni.kitchens.services", "_write_reports"),
    ("ayni.kitchens.services", "_recent_reports"), ("ayni.kitchens.services", "lock_open_months"),
    ("ayni.kitchens.services", "bump_many"), ("ninja.operation", "Operation._get_values"),
    ("ninja.operation", "Operation._result_to_response"),
]


def timed_stages() -> dict:
    """Wrap the STAGES with a CPU timer: name → [seconds, calls]."""
    import functools
    import importlib

    spent: dict = {}
    for module_name, path in STAGES:
        module = importlib.import_module(module_name)
        owner, _, name = path.rpartition(".")
        holder = getattr(module, owner) if owner else module
        original = getattr(holder, name)
        cell = spent.setdefault(path.rpartition(".")[2], [0.0, 0])

        def wrapper(*args, _original=original, _cell=cell, **kwargs):
            started = time.process_time()
            try:
                return _original(*args, **kwargs)
            finally:
                _cell[0] += time.process_time() - started
                _cell[1] += 1

        setattr(holder, name, functools.wraps(original)(wrapper))
    return spent


def serve(envs, sends, call, bodies, blocks) -> None:
    """A child of `--ab`: on each line `n` from stdin, serve block n of the batches and print its CPU."""
    size = -(-len(envs) // blocks)
    for line in sys.stdin:
        n = int(line)
        block = envs[n * size:(n + 1) * size]
        started = time.process_time()
        for env in block:
            call(env)
        cpu = time.process_time() - started
        reports = sum(s[3] for s in sends[n * size:(n + 1) * size])
        accepted = sum(r["status"] == "accepted" for b in bodies for r in json.loads(b)["results"])
        bodies.clear()
        print(json.dumps({"cpu": cpu, "reports": reports, "accepted": accepted}), flush=True)


def compare(args) -> None:
    import subprocess

    children = {}
    for tag, src in zip(("a", "b"), args.ab, strict=True):
        env = dict(os.environ, PYTHONPATH=str(Path(src).resolve()))
        children[tag] = subprocess.Popen(
            [sys.executable, __file__, "--serve", f"_{tag}", "--engine", args.engine, "--phones", str(args.phones),
             "--per-phone", str(args.per_phone), "--batch", str(args.batch), "--resend", str(args.resend),
             "--seed", str(args.seed), "--blocks", str(args.blocks)],
            env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    totals = {tag: {"cpu": 0.0, "reports": 0, "accepted": 0, "blocks": []} for tag in children}
    try:
        for n in range(args.blocks):
            for tag in ("a", "b") if n % 2 == 0 else ("b", "a"):
                child = children[tag]
                child.stdin.write(f"{n}\n")
                child.stdin.flush()
                got = json.loads(child.stdout.readline())
                total = totals[tag]
                total["cpu"] += got["cpu"]
                total["reports"] += got["reports"]
                total["accepted"] += got["accepted"]
                total["blocks"].append(round(got["cpu"] * 1000 / max(got["reports"], 1), 3))
    finally:
        for child in children.values():
            child.stdin.close()
            child.wait()
    out = {"engine": args.engine}
    for tag, total in totals.items():
        out[f"{tag}_cpu_ms_per_report"] = round(total["cpu"] * 1000 / total["reports"], 4)
        out[f"{tag}_reports"], out[f"{tag}_accepted"] = total["reports"], total["accepted"]
        out[f"{tag}_blocks_ms"] = total["blocks"]
    out["b_over_a"] = round(totals["b"]["cpu"] / totals["a"]["cpu"], 3)
    print("RESULT " + json.dumps(out))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", default="sqlite", choices=["sqlite", "postgres"])
    parser.add_argument("--phones", type=int, default=40)
    parser.add_argument("--per-phone", type=int, default=100)
    parser.add_argument("--batch", type=int, default=50, help="reports per request")
    parser.add_argument("--resend", type=float, default=0.1, help="share of batches sent twice")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--save", metavar="FILE", help="with --profile: also write the profile's stats to FILE")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--stages", action="store_true",
                        help="time the main steps (inclusive CPU per report of each), instead of cProfile")
    parser.add_argument("--ab", nargs=2, metavar=("SRC_A", "SRC_B"),
                        help="compare two source trees (PYTHONPATHs): a process for each, on a database of its own, "
                             "serving the same batches in blocks taken in turn, so that the machine's load weighs on "
                             "both alike")
    parser.add_argument("--blocks", type=int, default=8, help="with --ab: blocks of batches per tree")
    parser.add_argument("--serve", help=argparse.SUPPRESS)  # a child of --ab: its name, then blocks on stdin
    args = parser.parse_args()
    if args.ab:
        return compare(args)
    workdir = Path(tempfile.mkdtemp(prefix="ayni-prof-sync-"))
    install = Install(engine=args.engine, name=f"ayni_prof_sync{args.serve or ''}", workdir=workdir)
    install.create()
    install.ayni("migrate", "--no-input", "-v", "0")
    # SETUP makes PHONES * 2 kitchens and keys: the second half warms the process up.
    setup = json.loads(install.ayni("shell", "-c", sync.SETUP.replace("PHONES", str(args.phones)))
                       .stdout.strip().splitlines()[-1])
    os.environ.update(install.env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ayni.settings")
    import django

    django.setup()
    from django.db import connection

    from ayni.wsgi import application

    try:
        today = datetime.datetime.now(sync.LIMA).date()
        rng = random.Random(args.seed)

        def batches(kitchen, key, n, days_from=0):
            queue = [{"type": "report", "client_id": f"{kitchen}-{d}", "data": {
                "date": (today - datetime.timedelta(days=days_from + d + 1)).isoformat(), "version": 0,
                "rations_prepared": 90, "served_paying": 60, "served_subsidised": 20, "served_free": 5 + d % 3,
                "price_per_ration": "3.50", "menu": "Arroz con lentejas"}} for d in range(n)]
            chunks = [queue[i:i + args.batch] for i in range(0, n, args.batch)]
            return [(kitchen, key, json.dumps({"items": chunk}).encode(), len(chunk)) for chunk in chunks]

        def environ(kitchen, key, body):
            return wsgi.environ("POST", f"/api/v1/kitchens/{kitchen}/batch", body, "application/json",
                                HTTP_AUTHORIZATION=f"Bearer {key}")

        statuses, bodies = [], []
        call = wsgi.caller(application, statuses, bodies)

        phones = list(zip(setup["kitchens"], setup["keys"], strict=True))
        measured, warm = phones[:args.phones], phones[args.phones:]
        for kitchen, key in warm[:8]:  # the process's first requests: imports, catalogues, connections
            for kitchen_, key_, body, _n in batches(kitchen, key, args.batch * 2):
                call(environ(kitchen_, key_, body))
        # The phones' batches interleaved, as they arrive from many phones at once; some sent twice.
        queues = [batches(kitchen, key, args.per_phone) for kitchen, key in measured]
        sends = []
        for i in range(max(len(q) for q in queues)):
            for q in queues:
                if i < len(q):
                    sends.extend([q[i]] * (2 if rng.random() < args.resend else 1))
        envs = [environ(k, key, body) for k, key, body, _n in sends]
        reports = sum(n for *_rest, n in sends)
        statuses.clear()
        bodies.clear()
        counted = []

        def count(execute, sql, params, many, context):
            counted.append(sql)
            return execute(sql, params, many, context)

        if args.serve:
            serve(envs, sends, call, bodies, args.blocks)
            return
        spent = timed_stages() if args.stages else {}
        profile = cProfile.Profile(time.process_time) if args.profile else None
        with connection.execute_wrapper(count):
            times = os.times()
            started = time.process_time()
            if profile:
                profile.enable()
            for env in envs:
                call(env)
            if profile:
                profile.disable()
            cpu = time.process_time() - started
            after = os.times()
        accepted = sum(r["status"] == "accepted" for b in bodies for r in json.loads(b)["results"])
        out = {"engine": args.engine, "requests": len(envs), "reports": reports, "accepted": accepted,
               "not_200": sum(s != 200 for s in statuses),
               "cpu_ms_per_report": round(cpu * 1000 / reports, 4),
               "cpu_ms_per_request": round(cpu * 1000 / len(envs), 3),
               "user_ms_per_report": round((after.user - times.user) * 1000 / reports, 4),
               "system_ms_per_report": round((after.system - times.system) * 1000 / reports, 4),
               "statements_per_request": round(len(counted) / len(envs), 2)}
        for name, (seconds, calls) in spent.items():
            out[f"stage_{name}_ms_per_report"] = round(seconds * 1000 / reports, 4)
            out[f"stage_{name}_calls"] = calls
        if profile and args.save:
            profile.dump_stats(args.save)
        if profile:
            stream = io.StringIO()
            pstats.Stats(profile, stream=stream).sort_stats("cumulative").print_stats(120)
            stream2 = io.StringIO()
            pstats.Stats(profile, stream=stream2).sort_stats("tottime").print_stats(50)
            print(stream.getvalue()[:40000])
            print(stream2.getvalue()[:14000])
        print("RESULT " + json.dumps(out))
    finally:
        connection.close()
        install.drop()
        log(f"scratch: {workdir}")


if __name__ == "__main__":
    main()
