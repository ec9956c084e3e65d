"""What one gateway post of vote texts costs, in process, and how much of it holds the write lock.

The consultation of bench/assembly.py (its demo «small», its roll and three motions, one phone
per socia), but the posts (`--per-post` texts each, `V <n> SI|NO|ABS`) go through the WSGI handler
to the Android gateway's webhook one after the other in this process: no HTTP, no other thread, so
`time.process_time` around them is their CPU (SQLite's included; on PostgreSQL its backend's is not).
The write transactions are timed from their BEGIN to their COMMIT: on SQLite (`BEGIN IMMEDIATE`)
that is the time the database is locked for every other writer, which the two gunicorn workers of
the bench wait for in turn. A statement written outside a transaction (its own implicit one, and
its own fsync) is counted as a transaction too.

    python bench/assembly_profile.py [--engine postgres] [--voters 600] [--posts 30] [--profile]
    python bench/assembly_profile.py --keep /tmp/ayni-prof-assembly   # build once, run again on it

`--keep DIR` builds the install in DIR once and reuses it (a new consultation each run), so that
two source trees can be compared on the same database (PYTHONPATH=... for each). The last line is
`RESULT {json}`: per vote, the CPU and the wall, the share of each under a write transaction, the
statements and the commits (each an fsync on SQLite, synchronous=FULL), and the ceilings they set:
2,000 / CPU ms (two cores) and 1,000 / locked wall ms (one writer at a time)."""

import argparse
import cProfile
import io
import json
import os
import pstats
import random
import secrets
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import assembly as bench  # noqa: E402
from support import wsgi  # noqa: E402
from support.server import Install, log  # noqa: E402

WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


class WriteClock:
    """Wall and CPU time spent inside the connection's outermost transactions (from the moment
    autocommit is turned off to the moment it is back on, the COMMIT included), their number, and
    the statements run inside and outside them."""

    def __init__(self, connection):
        self.connection = connection
        self.wall = self.cpu = 0.0
        self.transactions = self.statements = self.statements_in = 0
        self._start = None
        self._set_autocommit = connection.set_autocommit

        def set_autocommit(autocommit, *args, **kwargs):
            if not autocommit and self._start is None:
                self._start = (time.perf_counter(), time.process_time())
            result = self._set_autocommit(autocommit, *args, **kwargs)
            if autocommit and self._start is not None:
                self.wall += time.perf_counter() - self._start[0]
                self.cpu += time.process_time() - self._start[1]
                self.transactions += 1
                self._start = None
            return result

        connection.set_autocommit = set_autocommit

    def __call__(self, execute, sql, params, many, context):
        self.statements += 1
        if self._start is not None:
            self.statements_in += 1
            return execute(sql, params, many, context)
        if sql.lstrip().upper().startswith(WRITES):  # its own implicit transaction
            wall, cpu = time.perf_counter(), time.process_time()
            try:
                return execute(sql, params, many, context)
            finally:
                self.wall += time.perf_counter() - wall
                self.cpu += time.process_time() - cpu
                self.transactions += 1
                self.statements_in += 1
        return execute(sql, params, many, context)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", default="sqlite", choices=["sqlite", "postgres"])
    parser.add_argument("--voters", type=int, default=600, help="socias on the consultation's roll")
    parser.add_argument("--posts", type=int, default=30, help="posts measured (after 3 to warm up)")
    parser.add_argument("--per-post", type=int, default=50)
    parser.add_argument("--keep", metavar="DIR", help="build the install in DIR once and reuse it")
    parser.add_argument("--profile", action="store_true", help="cProfile the measured posts")
    args = parser.parse_args()
    workdir = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="ayni-prof-assembly-"))
    install = Install(engine=args.engine, name="ayni_prof_assembly", workdir=workdir)
    built = workdir / f"built-{args.engine}"
    secret_file = workdir / "secret"
    if not built.exists():
        secret_file.write_text(secrets.token_urlsafe(24))
        install.prepare(scale="small", password=bench.PASSWORD)
        built.write_text("ok")
    install.env["AYNI_SMS_GATEWAY_SECRET"] = secret = secret_file.read_text()
    log(f"consulta ({args.engine}): padrón de {args.voters}")
    setup = json.loads(install.ayni("shell", "-c", f"LIMIT = {args.voters}\n" + bench.SETUP).stdout.strip()
                       .splitlines()[-1])
    os.environ.update(install.env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ayni.settings")
    import django

    django.setup()
    from django.db import connection

    from ayni.capture import messages
    from ayni.wsgi import application

    # Runs on a kept install text from the same phones again within the flood limit's minute: the
    # limit is still checked (the same query), it just never trips.
    messages.RATE_LIMIT = 10**6

    rng = random.Random(15)
    plan = [(phone, motion, rng.choices(bench.CHOICES, weights=[c[2] for c in bench.CHOICES])[0][0],
             f"{setup['assembly']}-{phone}-{motion}") for phone in setup["phones"] for motion in setup["motions"]]
    rng.shuffle(plan)
    posts = [plan[i:i + args.per_post] for i in range(0, len(plan), args.per_post)][:args.posts + 3]
    statuses = []

    serve = wsgi.caller(application, statuses)

    def call(batch):
        body = json.dumps({"messages": [{"from": f"+51{phone}", "text": f"V {motion} {word}", "id": ident}
                                        for phone, motion, word, ident in batch]}).encode()
        serve(wsgi.environ("POST", "/mensajes/android/", body, "application/json", HTTP_X_AYNI_SECRET=secret))

    try:
        for batch in posts[:3]:
            call(batch)
        measured = posts[3:]
        votes = sum(len(b) for b in measured)
        clock = WriteClock(connection)
        profile = cProfile.Profile() if args.profile else None
        with connection.execute_wrapper(clock):
            wall0, cpu0 = time.perf_counter(), time.process_time()
            if profile:
                profile.enable()
            for batch in measured:
                call(batch)
            if profile:
                profile.disable()
            wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        bad = [s for s in statuses if not 200 <= s < 300]
        out = {
            "engine": args.engine, "posts": len(measured), "votes": votes, "not_2xx": len(bad),
            "cpu_ms_per_vote": round(cpu * 1000 / votes, 3), "wall_ms_per_vote": round(wall * 1000 / votes, 3),
            "locked_cpu_ms_per_vote": round(clock.cpu * 1000 / votes, 3),
            "locked_wall_ms_per_vote": round(clock.wall * 1000 / votes, 3),
            "locked_share_of_cpu": round(clock.cpu / cpu, 3), "locked_share_of_wall": round(clock.wall / wall, 3),
            "statements_per_post": round(clock.statements / len(measured), 1),
            "statements_locked_per_post": round(clock.statements_in / len(measured), 1),
            "commits_per_post": round(clock.transactions / len(measured), 2),
            "ceiling_two_cores_votes_per_s": round(2000 * votes / (cpu * 1000)),
            "ceiling_one_writer_votes_per_s": round(votes / clock.wall) if clock.wall else None,
            "load_average": round(os.getloadavg()[0], 1),
        }
        if profile:
            for key, n in (("cumulative", 90), ("tottime", 40)):
                stream = io.StringIO()
                pstats.Stats(profile, stream=stream).sort_stats(key).print_stats(n)
                print(stream.getvalue()[:30000])
        print("RESULT " + json.dumps(out))
    finally:
        connection.close()
        if not args.keep:
            install.drop()


if __name__ == "__main__":
    main()
