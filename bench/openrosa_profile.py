"""What one OpenRosa submission costs, in process: the web request through the WSGI handler
(no HTTP, no other threads, so `time.process_time` around it is that request's CPU), then the
task worker's save of the same reports (`reach.services.save_pending`), on a scratch install
(SQLite or PostgreSQL) with the kitchens and keys of bench/openrosa.py. Optionally under
cProfile, to see where the CPU goes.

    python bench/openrosa_profile.py [--engine postgres] [--n 500] [--profile web|worker]

Prints the CPU per submission of each side, the statements each runs per submission, and the
device side's cost of building the bodies the bench sends."""

import argparse
import cProfile
import datetime
import io
import json
import os
import pstats
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import openrosa as bench  # noqa: E402
import sync  # noqa: E402
from support import wsgi  # noqa: E402
from support.server import Install, log  # noqa: E402


def interleaved(envs, call, statuses) -> dict:
    """The posts in blocks of 25, served alternately the old way and the new (the new code
    patched back to the old two statements and Django's parser), so that the machine's load
    weighs on both alike."""
    from ayni.reach import fast, views

    def old_lookup(scope, instance, instance_id, client_id):
        earlier = fast.attempts(scope.actor, instance_id, client_id)
        return (earlier, *fast.kitchen_and_days(scope, instance))

    new_lookup, new_lone = fast.attempts_and_kitchen, views._lone_instance
    cpu = {"old": 0.0, "new": 0.0}
    n = {"old": 0, "new": 0}
    for i in range(0, len(envs), 25):
        mode = "old" if (i // 25) % 2 == 0 else "new"
        fast.attempts_and_kitchen = new_lookup if mode == "new" else old_lookup
        views._lone_instance = new_lone if mode == "new" else (lambda request: None)
        block = envs[i:i + 25]
        started = time.process_time()
        for env in block:
            call(env)
        cpu[mode] += time.process_time() - started
        n[mode] += len(block)
    fast.attempts_and_kitchen, views._lone_instance = new_lookup, new_lone
    return {"old_cpu_ms_per_post": round(cpu["old"] * 1000 / n["old"], 3),
            "new_cpu_ms_per_post": round(cpu["new"] * 1000 / n["new"], 3), "posts": n,
            "not_201": sum(s != 201 for s in statuses)}


def over_http(install, setup, version, today, per, threads, resend) -> dict:
    """The same kind of posts (new days: the kitchens' next 25) through gunicorn, one worker."""
    import http.client
    import random
    import threading

    from support.cpu import server_cpu_s
    from support.server import Gunicorn

    server = Gunicorn(install, workers=1)
    server.start()
    try:
        rng = random.Random(2)
        posts = []
        for d in range(per, 2 * per):
            for kitchen, key in zip(setup["kitchens"], setup["keys"], strict=True):
                xml = bench.report_xml(version, kitchen, today - datetime.timedelta(days=d + 1),
                                       f"uuid:{uuid.uuid4()}", d)
                body, content_type = bench.multipart(xml)
                for _ in range(2 if rng.random() < resend else 1):
                    posts.append((key, body, content_type))
        statuses = []

        def send(chunk):
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
            for key, body, content_type in chunk:
                conn.request("POST", f"/odk/key/{key}/submission", body=body,
                             headers=dict(bench.Device.HEADERS, **{"Content-Type": content_type}))
                response = conn.getresponse()
                response.read()
                statuses.append(response.status)
            conn.close()

        warm = [(key, *bench.multipart(bench.report_xml(version, kitchen, today - datetime.timedelta(days=2 * per + 1),
                                                         f"uuid:{uuid.uuid4()}", 0)))
                for kitchen, key in list(zip(setup["kitchens"], setup["keys"], strict=True))[:8]]
        for _ in range(threads):  # every thread of the worker once: its connection, the catalogues
            send(warm)
        statuses.clear()
        chunks = [posts[i::threads] for i in range(threads)]
        clients = [threading.Thread(target=send, args=(c,)) for c in chunks]
        def split():  # user and system CPU of the server's processes
            from support.cpu import TICK, _stat

            fields = [_stat(pid) for pid in [server.proc.pid, *server.worker_pids()]]
            return (sum(int(f[11]) for f in fields if f) / TICK, sum(int(f[12]) for f in fields if f) / TICK)

        user_sys = split()
        cpu, mine, wall = server_cpu_s(server), time.process_time(), time.perf_counter()
        for c in clients:
            c.start()
        for c in clients:
            c.join()
        wall = time.perf_counter() - wall
        cpu, mine = server_cpu_s(server) - cpu, time.process_time() - mine
        user_sys = [b - a for a, b in zip(user_sys, split(), strict=True)]
    finally:
        server.stop()
    return {"http_posts": len(posts), "http_not_201": sum(s != 201 for s in statuses),
            "http_server_cpu_ms_per_post": round(cpu * 1000 / len(posts), 3),
            "http_server_user_ms": round(user_sys[0] * 1000 / len(posts), 3),
            "http_server_system_ms": round(user_sys[1] * 1000 / len(posts), 3),
            "http_client_cpu_ms_per_post": round(mine * 1000 / len(posts), 3), "http_wall_s": round(wall, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", default="sqlite", choices=["sqlite", "postgres"])
    parser.add_argument("--n", type=int, default=500, help="submissions (from n/25 kitchens)")
    parser.add_argument("--resend", type=float, default=0.1)
    parser.add_argument("--batch", type=int, default=500, help="reports per batch of the worker")
    parser.add_argument("--profile", choices=["web", "worker", ""], default="")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument("--ab", action="store_true",
                        help="interleave blocks of posts served the old way (Django's multipart parser; her attempts "
                             "and the kitchen in two statements) and the new, and compare their CPU")
    parser.add_argument("--http", type=int, default=0, metavar="THREADS",
                        help="also send them to a gunicorn (one worker) from this many client threads, over "
                             "keep-alive, and report its CPU per post and this process's (the devices')")
    args = parser.parse_args()
    per = 25
    kitchens_n = max(1, args.n // per)
    workdir = Path(tempfile.mkdtemp(prefix="ayni-prof-openrosa-"))
    install = Install(engine=args.engine, name="ayni_prof_openrosa", workdir=workdir)
    install.create()
    install.ayni("migrate", "--no-input", "-v", "0")
    setup = json.loads(install.ayni("shell", "-c", sync.SETUP.replace("PHONES * 2", str(kitchens_n))
                                    .replace("PHONES", str(kitchens_n))).stdout.strip().splitlines()[-1])
    os.environ.update(install.env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ayni.settings")
    import django

    django.setup()
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    from ayni.reach import services, xforms
    from ayni.wsgi import application

    try:
        version = xforms.build("ayni_parte_diario").version
        today = datetime.datetime.now(sync.LIMA).date()
        started = time.process_time()
        posts = []  # (key, body, content type), as the bench's devices build them
        for d in range(per):
            for kitchen, key in zip(setup["kitchens"], setup["keys"], strict=True):
                xml = bench.report_xml(version, kitchen, today - datetime.timedelta(days=d + 1),
                                       f"uuid:{uuid.uuid4()}", d)
                body, content_type = bench.multipart(xml)
                posts.append((key, body, content_type))
        build_ms = (time.process_time() - started) * 1000 / len(posts)

        def environ(method, key, body=b"", content_type=""):
            return wsgi.environ(method, f"/odk/key/{key}/submission", body, content_type,
                                HTTP_X_OPENROSA_VERSION="1.0", HTTP_USER_AGENT=bench.Device.HEADERS["User-Agent"],
                                HTTP_ACCEPT_ENCODING="gzip")

        statuses = []
        call = wsgi.caller(application, statuses)

        for key in setup["keys"]:  # warm: each device's HEAD, as Collect asks before sending
            call(environ("HEAD", key))
        import random

        rng = random.Random(1)
        sent = [p for p in posts for _ in range(2 if rng.random() < args.resend else 1)]
        envs = [environ("POST", key, body, ct) for key, body, ct in sent]
        profile = cProfile.Profile() if args.profile == "web" else None
        statuses.clear()
        counted = []

        def count(execute, sql, params, many, context):
            counted.append(sql)
            return execute(sql, params, many, context)

        if args.ab:
            out_ab = interleaved(envs, call, statuses)
            print("RESULT " + json.dumps(out_ab))
            return
        with connection.execute_wrapper(count):
            times = os.times()
            started = time.process_time()
            if profile:
                profile.enable()
            for env in envs:
                call(env)
            if profile:
                profile.disable()
            web_ms = (time.process_time() - started) * 1000 / len(envs)
            after = os.times()
            web_user_ms = (after.user - times.user) * 1000 / len(envs)
            web_sys_ms = (after.system - times.system) * 1000 / len(envs)
        bad = [s for s in statuses if s != 201]
        reset_queries()
        profile2 = cProfile.Profile() if args.profile == "worker" else None
        with CaptureQueriesContext(connection) as worker_queries:
            started = time.process_time()
            if profile2:
                profile2.enable()
            saved = services.save_pending(batch=args.batch)
            if profile2:
                profile2.disable()
            worker_ms = (time.process_time() - started) * 1000 / max(saved, 1)
        if args.http:
            out_http = over_http(install, setup, version, today, per, args.http, args.resend)
        out = {"engine": args.engine, "posts": len(envs), "new": len(posts), "not_201": len(bad),
               "web_cpu_ms_per_post": round(web_ms, 3),
               "web_user_ms": round(web_user_ms, 3), "web_system_ms": round(web_sys_ms, 3),
               "web_statements_per_post": round(len(counted) / len(envs), 2),
               "saved": saved, "worker_cpu_ms_per_report": round(worker_ms, 3),
               "worker_statements": len(worker_queries.captured_queries),
               "device_build_ms_per_post": round(build_ms, 3)}
        for p in (profile, profile2):
            if p:
                stream = io.StringIO()
                pstats.Stats(p, stream=stream).sort_stats("cumulative").print_stats(130)
                stream2 = io.StringIO()
                pstats.Stats(p, stream=stream2).sort_stats("tottime").print_stats(40)
                print(stream.getvalue()[:40000])
                print(stream2.getvalue()[:12000])
        if args.http:
            out.update(out_http)
        print("RESULT " + json.dumps(out))
    finally:
        connection.close()
        if not args.keep:
            install.drop()
        log(f"scratch: {workdir}")


if __name__ == "__main__":
    main()
