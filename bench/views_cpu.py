"""CPU per request of each page of the load's mix, in this process, through the test client.

Run against a demo database (`ayni demo --scale small`, static files collected), with the
settings of a server (DATABASE_URL, AYNI_SECRET_KEY, AYNI_DEBUG=0, AYNI_ALLOWED_HOSTS=testserver,
AYNI_STATIC_ROOT, AYNI_VAR_DIR); the users are the demo's that `bench/load.py` logs in as. Each
view is asked three times, then N times (`N=50`) with `time.process_time` around each request:
the median, and the queries of one request. `ONLY=<label part>` keeps some views, `PROF=<label
part>` prints cProfile's view of 20 more, `SHOWSQL=1` the queries. To compare two trees, run it
once with `PYTHONPATH` at each one's `src`.

    PYTHONPATH=$PWD/src DATABASE_URL=sqlite:////tmp/demo.sqlite3 ... python bench/views_cpu.py
"""
import cProfile
import os
import pstats
import re
import statistics
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ayni.settings")
import django  # noqa: E402

django.setup()
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

N = int(os.environ.get("N", "50"))
ONLY = os.environ.get("ONLY")
PROF = os.environ.get("PROF")
User = get_user_model()

def client_for(username):
    c = Client()
    c.force_login(User.objects.get(username=username))
    return c

def links(html, pattern):
    return [int(x) for x in dict.fromkeys(re.findall(pattern, html))]

leader = client_for("dirigenta")
coord = client_for("coordinadora")
home_l = leader.get("/").content.decode()
home_c = coord.get("/").content.decode()
kitchens = links(home_l, r"/cocina/(\d+)/")
korgs = links(home_l, r"/organizaciones/(\d+)/")
corgs = links(home_c, r"/organizaciones/(\d+)/")
overviews = links(home_c, r"/cocina/resumen/(\d+)/")
tree = coord.get("/organizaciones/").content.decode()
corgs += [x for x in links(tree, r"/organizaciones/(\d+)/") if x not in corgs]
k = kitchens[0]
det = coord.get(f"/organizaciones/{corgs[0]}/").content.decode()
people = links(det, r"/personas/(\d+)/")
if not people:
    for o in corgs[:20]:
        people = links(coord.get(f"/organizaciones/{o}/").content.decode(), r"/personas/(\d+)/")
        if people:
            break
today = timezone.localdate()
# A kitchen org seen by the coordinator
kitchen_org = k
views = [
    ("kitchens:kitchen (leader)", leader, f"/cocina/{k}/", None),
    ("kitchens:report (leader)", leader, f"/cocina/{k}/dia/{today}/", None),
    ("orgs:detail kitchen (leader)", leader, f"/organizaciones/{korgs[0] if korgs else k}/", None),
    ("orgs:detail kitchen (coord)", coord, f"/organizaciones/{kitchen_org}/", None),
    ("orgs:detail fed (coord)", coord, f"/organizaciones/{corgs[0]}/", None),
    ("orgs:register_member (leader)", leader, f"/organizaciones/{k}/socias/nueva/", None),
    ("kitchens:overview (coord)", coord, f"/cocina/resumen/{overviews[0]}/" if overviews else None, None),
    ("evidence:kitchens (coord)", coord, "/evidencia/cocinas/", None),
    ("people:detail (coord)", coord, f"/personas/{people[0]}/" if people else None, None),
    ("people:search (coord)", coord, "/personas/", {"q": "quispe"}),
    ("orgs:tree (coord)", coord, "/organizaciones/", None),
    ("orgs:tree search (coord)", coord, "/organizaciones/", {"q": "comedor"}),
]
print("load", os.getloadavg(), "engine", connection.vendor, "kitchen", k, "fed", corgs[0], file=sys.stderr)
for label, c, url, params in views:
    if url is None or (ONLY and ONLY not in label):
        continue
    for _ in range(3):
        r = c.get(url, params or {})
    assert r.status_code == 200, (label, url, r.status_code)
    with CaptureQueriesContext(connection) as ctx:
        c.get(url, params or {})
    nq = len(ctx.captured_queries)
    times = []
    for _ in range(N):
        t = time.process_time()
        c.get(url, params or {})
        times.append((time.process_time() - t) * 1000)
    print(f"{label:34s} {statistics.median(times):7.2f} ms  q={nq:3d}  {url}")
    if PROF and PROF in label:
        pr = cProfile.Profile()
        pr.enable()
        for _ in range(20):
            c.get(url, params or {})
        pr.disable()
        pstats.Stats(pr).sort_stats("cumulative").print_stats(60)
if os.environ.get("SHOWSQL"):
    for label, c, url, params in views:
        if url is None or (ONLY and ONLY not in label):
            continue
        with CaptureQueriesContext(connection) as ctx:
            c.get(url, params or {})
        print("==", label)
        for q in ctx.captured_queries:
            print(q["time"], q["sql"][:400])
