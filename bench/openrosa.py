"""OpenRosa: 10,000 daily reports submitted as ODK Collect does, from 200 simulated devices,
against a live server (gunicorn on 127.0.0.1), beside the same reports through today's sync
path (the offline outbox's JSON batches, bench/sync.py's phones), as a ratio.

Each device does what Collect does on a new phone — form list, form, manifest, its CSV list,
the HEAD before sending — then sends its reports one multipart post each
(`xml_submission_file`) with its key in the address (`/odk/key/<key>/`, as ODK Central's app
users), over one connection kept open as Collect's OkHttp keeps it. 10 % of the accepted ones
are sent again (the same instance: must be answered 201 and not
stored), and some answers are cut off on purpose (the phone sends again). Then the same while
gunicorn is killed with SIGKILL 5 times. Afterwards: one report and one stored submission per
instance — 0 lost, 0 stored twice. Last, the bytes of the daily report page in Quechua against
Spanish. ODK Central's figures on this machine (the side-by-side reference) are in
../shared/anchors/odk-central/README.md: 10,000 new submissions in 81.6 s (122.6/s).

    python bench/openrosa.py --quick   # 2,000 reports from 40 devices, 2 kills
    python bench/openrosa.py           # 10,000 reports from 200 devices, 5 kills

The last line is `RESULT {...}`.
"""

import argparse
import datetime
import http.client
import json
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import sync  # noqa: E402 - the outbox's phones, for the side-by-side
from support.cpu import process_cpu_s, server_cpu_s  # noqa: E402
from support.server import BIN, Gunicorn, Install, exit_on_sigterm, log  # noqa: E402

COUNT = """
import json
from ayni.capture.models import Inbound
from ayni.kitchens.models import DailyReport
ids = KITCHENS
print(json.dumps({
    "reports": DailyReport.objects.filter(kitchen_id__in=ids).count(),
    "saved_twice": DailyReport.objects.filter(kitchen_id__in=ids, version__gt=1).count(),
    "inbound": Inbound.objects.filter(kitchen_id__in=ids, channel="odk").count(),
    "not_accepted": Inbound.objects.filter(kitchen_id__in=ids, channel="odk").exclude(status="accepted").count(),
    "waiting": Inbound.objects.filter(kitchen_id__in=ids, channel="odk", status="received").count(),
}))
"""

# The daily report page in Spanish and in Quechua, as its leader loads it (gzipped, as served).
PAGE_WEIGHT = """
import json, datetime
from django.test import Client
from django.utils import timezone
from ayni.accounts.models import User
user = User.objects.get(username="celular0")
kitchen = user.grants.first().organisation_id
url = f"/cocina/{kitchen}/dia/{timezone.localdate().isoformat()}/"
out = {}
for lang in ("es", "qu"):
    client = Client(HTTP_HOST="127.0.0.1", HTTP_ACCEPT_ENCODING="gzip")
    client.force_login(user)
    client.cookies["django_language"] = lang
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    out[lang] = {"gzip": len(response.content), "lang": 'lang="%s"' % lang in __import__("gzip").decompress(
        response.content).decode()}
print(json.dumps(out))
"""


def report_xml(version: str, kitchen: int, day: datetime.date, instance_id: str, d: int) -> bytes:
    """A day's report as Collect writes the instance of the daily report form."""
    return (f'<?xml version="1.0"?><parte_diario id="ayni_parte_diario" version="{version}">'
            f"<kitchen>{kitchen}</kitchen><date>{day.isoformat()}</date><is_closed>no</is_closed>"
            f"<closed_reason/><rations_prepared>90</rations_prepared><served_paying>60</served_paying>"
            f"<served_subsidised>20</served_subsidised><served_free>{5 + d % 3}</served_free>"
            f"<price_per_ration>3.50</price_per_ration><cash_received>210</cash_received>"
            f"<menu>Arroz con lentejas</menu><cooks/><cooks_count>2</cooks_count><notes/><confirm>no</confirm>"
            f"<meta><instanceID>{instance_id}</instanceID></meta></parte_diario>").encode()


def multipart(xml: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="xml_submission_file"; '
            f'filename="submission.xml"\r\nContent-Type: text/xml\r\n\r\n').encode() + xml + \
        f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def _more(sock: socket.socket, buf: bytes, enough) -> bytes:
    """`buf` with what the socket sends next, until `enough(buf)`."""
    while not enough(buf):
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed in the answer")
        buf += chunk
    return buf


def read_response(sock: socket.socket, method: str) -> tuple[int, bytes, bool]:
    """One HTTP/1.1 answer from a kept-alive connection: (status, body, whether the server closes)."""
    buf = _more(sock, b"", lambda b: b"\r\n\r\n" in b)
    head, _sep, rest = buf.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        name, _colon, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    will_close = headers.get("connection", "").lower() == "close"
    if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
        return status, b"", will_close
    if "content-length" in headers:
        length = int(headers["content-length"])
        rest = _more(sock, rest, lambda b: len(b) >= length)
        return status, rest[:length], will_close
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = b""
        while True:
            rest = _more(sock, rest, lambda b: b"\r\n" in b)
            size_line, _sep, rest = rest.partition(b"\r\n")
            size = int(size_line.split(b";")[0], 16)
            rest = _more(sock, rest, lambda b, size=size: len(b) >= size + 2)
            if size == 0:  # its trailer is left unread: the connection is not used again
                return status, body, True
            body, rest = body + rest[:size], rest[size + 2:]
    while chunk := sock.recv(65536):  # neither: the answer ends when the server closes
        rest += chunk
    return status, rest, True


class Device(threading.Thread):
    """One phone with ODK Collect: the forms fetched once, then its reports sent one by one."""

    HEADERS = {"X-OpenRosa-Version": "1.0", "User-Agent": "org.odk.collect.android/v2025.2.3 (banco)"}

    def __init__(self, n: int, server: Gunicorn, kitchen: int, key: str, reports: int, drop: float,
                 resend: float, seed: int):
        super().__init__(daemon=True, name=f"collect-{n}")
        self.server, self.kitchen, self.key, self.reports = server, kitchen, key, reports
        self.drop, self.resend = drop, resend
        self.rng = random.Random(seed)
        self.accepted = self.resent_ok = self.refused = self.cut = self.errors = self.retries = 0
        self.conn: socket.socket | None = None
        # As http.client sent them: Host, Accept-Encoding, then Collect's own.
        self.fixed = f"Host: 127.0.0.1:{server.port}\r\nAccept-Encoding: identity\r\n" + "".join(
            f"{k}: {v}\r\n" for k, v in self.HEADERS.items())

    def request(self, method: str, path: str, body: bytes | None = None, content_type: str = "",
                cut: bool = False) -> tuple[int, bytes] | None:
        # One connection kept open between requests, as Collect's HTTP client (OkHttp) keeps it;
        # opened again after an error, a cut answer or the server closing it. The request carries
        # the headers http.client sent before (Host, Accept-Encoding, Content-Length and Collect's
        # own), written and read here with a few lines of code instead: a phone's CPU is its own,
        # and the simulated devices share the server's two cores.
        if self.conn is None:
            self.conn = socket.create_connection(("127.0.0.1", self.server.port), timeout=30)
            self.conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            head = (f"{method} /odk/key/{self.key}/{path} HTTP/1.1\r\n{self.fixed}"
                    + (f"Content-Type: {content_type}\r\n" if content_type else "")
                    + (f"Content-Length: {len(body)}\r\n" if body is not None else "") + "\r\n").encode()
            self.conn.sendall(head + body if body is not None else head)
            if cut:  # the signal goes as the post leaves: no answer reaches the phone
                self.close()
                return None
            status, content, will_close = read_response(self.conn, method)
            if will_close:
                self.close()
            return status, content
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def until_answered(self, *args, **kwargs) -> tuple[int, bytes]:
        while True:
            try:
                answer = self.request(*args, **kwargs, cut=self.rng.random() < self.drop and args[0] == "POST")
            except (OSError, http.client.HTTPException):
                answer = None
                self.errors += 1
                time.sleep(self.rng.uniform(0.05, 0.3))
            if answer is not None and answer[0] < 500:
                return answer
            self.cut += answer is None
            self.retries += 1

    def run(self) -> None:
        _status, listing = self.until_answered("GET", "formList")
        version = None
        for url in re.findall(rb"<downloadUrl>([^<]+)</downloadUrl>", listing):
            form = self.until_answered("GET", url.decode().split(f"/{self.key}/", 1)[1])[1]
            if b'id="ayni_parte_diario"' in form:
                version = re.search(rb'version="(\d+)"', form).group(1).decode()
        self.until_answered("GET", "forms/ayni_parte_diario/manifest")
        self.until_answered("GET", "forms/ayni_parte_diario/media/kitchens.csv")
        self.until_answered("HEAD", "submission")
        today = datetime.datetime.now(sync.LIMA).date()  # the server's day: reports are never future
        for d in range(self.reports):
            day = today - datetime.timedelta(days=d + 1)
            xml = report_xml(version, self.kitchen, day, f"uuid:{uuid.UUID(int=self.rng.getrandbits(128))}", d)
            body, content_type = multipart(xml)
            status, _answer = self.until_answered("POST", "submission", body, content_type)
            self.accepted += status == 201
            self.refused += status != 201
            if status == 201 and self.rng.random() < self.resend:  # sent again, the same instance
                again, _answer = self.until_answered("POST", "submission", body, content_type)
                self.resent_ok += again == 201
        self.close()


class Worker:
    """The task worker (`ayni db_worker`, as deploy/systemd/ayni-worker.service runs it): it saves
    the reports answered as soon as stored, in batches (`reach.tasks.save_submissions`)."""

    def __init__(self, install: Install, nice: int = 10):
        self.install, self.proc, self.nice = install, None, nice

    def start(self) -> None:
        out = open(self.install.workdir / "worker.log", "ab")  # noqa: SIM115 - lives as long as the worker
        # At the unit's Nice= (deploy/systemd/ayni-worker.service): the phones waiting for their
        # answer come first, the saving of what is already stored takes the CPU they leave.
        self.proc = subprocess.Popen([str(BIN / "ayni"), "db_worker", "--interval", "0.2", "--no-startup-delay"],
                                     env=self.install.env, cwd=self.install.workdir, stdout=out, stderr=out,
                                     preexec_fn=(lambda: os.nice(self.nice)) if self.nice else None)  # noqa: PLW1509

    def cpu_s(self) -> float:
        return process_cpu_s(self.proc.pid) if self.proc else 0.0

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def _counted(install: Install, kitchens: list[int]) -> dict:
    return json.loads(install.ayni("shell", "-c", COUNT.replace("KITCHENS", json.dumps(kitchens)))
                      .stdout.strip().splitlines()[-1])


def run(install: Install, server: Gunicorn, kitchens: list[int], keys: list[str], *, per_device: int, drop: float,
        resend: float, kills: int, seed: int, worker: Worker) -> dict:
    devices = [Device(n, server, k, key, per_device, drop, resend, seed * 1000 + n)
               for n, (k, key) in enumerate(zip(kitchens, keys, strict=True))]
    rng = random.Random(seed)
    started, cpu, worker_cpu = time.perf_counter(), server_cpu_s(server), worker.cpu_s()
    device_cpu = time.process_time()  # the simulated phones: this process's threads
    for device in devices:
        device.start()
    done = 0
    for done in range(1, kills + 1):  # noqa: B007 - reported after the loop
        time.sleep(rng.uniform(0.5, 1.5))
        log(f"SIGKILL {done}/{kills}")
        server.kill9()
        server.start()
    for device in devices:
        device.join()
    seconds = time.perf_counter() - started
    device_cpu = time.process_time() - device_cpu
    cpu = server_cpu_s(server) - cpu if not kills else None
    counted = _counted(install, kitchens)
    deadline = time.monotonic() + 300
    while counted["waiting"] and time.monotonic() < deadline:  # answered 201, still to be saved by the worker
        time.sleep(1)
        counted = _counted(install, kitchens)
    saved_seconds = time.perf_counter() - started
    worker_cpu = worker.cpu_s() - worker_cpu
    sent = per_device * len(devices)
    return {"submissions": sent, "seconds": round(seconds, 2), "reports": counted["reports"],
            "lost": sent - counted["reports"], "stored_twice": counted["inbound"] - sent + counted["saved_twice"],
            "not_accepted": counted["not_accepted"], "refused": sum(d.refused for d in devices),
            "resubmissions": sum(d.resent_ok for d in devices), "cut": sum(d.cut for d in devices),
            "retries": sum(d.retries for d in devices), "kills": done,
            "server_cpu_s": round(cpu, 2) if cpu is not None else None, "worker_cpu_s": round(worker_cpu, 2),
            "saved_seconds": round(saved_seconds, 2), "waiting": counted["waiting"],
            "device_cpu_s": round(device_cpu, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", default="sqlite", choices=["sqlite", "postgres"])
    parser.add_argument("--devices", type=int, default=200)
    parser.add_argument("--per-device", type=int, default=50)
    parser.add_argument("--drop", type=float, default=0.02, help="share of answers cut off")
    parser.add_argument("--resend", type=float, default=0.1, help="share of accepted instances sent again")
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--worker-nice", type=int, default=10,
                        help="the task worker's niceness (deploy/systemd/ayni-worker.service's Nice=)")
    parser.add_argument("--seed", type=int, default=int(time.time()) % 100000)
    parser.add_argument("--quick", action="store_true", help="2,000 reports from 40 devices, 2 kills")
    args = parser.parse_args()
    exit_on_sigterm()
    if args.quick:
        args.devices, args.kills = min(args.devices, 40), min(args.kills, 2)
    log(f"semilla {args.seed}")
    workdir = Path(tempfile.mkdtemp(prefix="ayni-bench-openrosa-"))
    install = Install(engine=args.engine, name="ayni_bench_openrosa", workdir=workdir)
    install.create()
    install.ayni("migrate", "--no-input", "-v", "0")
    install.ayni("collectstatic", "--no-input", "-v", "0")  # the page-weight step renders a page
    # Kitchens and keys as bench/sync.py makes them: three sets (calm, killed, the sync path).
    setup = json.loads(install.ayni("shell", "-c", sync.SETUP.replace("PHONES * 2", "PHONES * 3")
                                    .replace("PHONES", str(args.devices))).stdout.strip().splitlines()[-1])
    kitchens, keys, n = setup["kitchens"], setup["keys"], args.devices
    server = Gunicorn(install, workers=args.workers)
    server.start()
    worker = Worker(install, nice=args.worker_nice)
    worker.start()
    try:
        log("OpenRosa, sin cortes del servidor")
        calm = run(install, server, kitchens[:n], keys[:n], per_device=args.per_device, drop=args.drop,
                   resend=args.resend, kills=0, seed=args.seed, worker=worker)
        log(json.dumps(calm))
        log("las mismas cifras por el camino de sincronización de hoy (lotes JSON del celular)")
        outbox = sync.run(install, server, kitchens[2 * n:], keys[2 * n:], per_phone=args.per_device, batch=100,
                          drop=args.drop, kills=0, seed=args.seed + 2)
        log(json.dumps(outbox))
        log(f"OpenRosa con {args.kills} SIGKILL del servidor")
        killed = run(install, server, kitchens[n:2 * n], keys[n:2 * n], per_device=args.per_device, drop=args.drop,
                     resend=args.resend, kills=args.kills, seed=args.seed + 1, worker=worker)
        log(json.dumps(killed))
        weight = json.loads(install.ayni("shell", "-c", PAGE_WEIGHT).stdout.strip().splitlines()[-1])
    finally:
        worker.stop()
        server.stop()
        install.drop()
    rate = calm["submissions"] / calm["seconds"]
    cpu_ms = (calm["server_cpu_s"] + calm["worker_cpu_s"]) * 1000 / calm["submissions"]
    central_ms = 81.6 * 1000 / 10000  # ODK Central here: 10,000 in 81.6 s, one Node process (a core at most)
    ratio = calm["seconds"] / outbox["seconds"]
    quechua = weight["qu"]["gzip"] / weight["es"]["gzip"]
    print(f"openrosa: {calm['submissions']} submissions in {calm['seconds']} s ({rate:.0f}/s), "
          f"{calm['resubmissions']} resent, lost {calm['lost']}, stored twice {calm['stored_twice']} "
          f"(goal for 10,000: <= 20 s; ODK Central here: 81.6 s, 122.6/s)")
    print(f"server:   {calm['server_cpu_s']} CPU s web + {calm['worker_cpu_s']} CPU s worker (batches), "
          f"{cpu_ms:.2f} ms per submission (goal ~2 ms; ODK Central here <= {central_ms:.1f} ms of a core: "
          f"{central_ms / cpu_ms:.1f}x); all saved after {calm['saved_seconds']} s; sync path {outbox['seconds']} s "
          f"for {outbox['reports']} ({ratio:.1f}x the time by OpenRosa)")
    print(f"killed:   {killed['submissions']} in {killed['seconds']} s with {killed['kills']} SIGKILL, "
          f"lost {killed['lost']}, stored twice {killed['stored_twice']}")
    print(f"page:     daily report {weight['es']['gzip']} B in Spanish, {weight['qu']['gzip']} B in Quechua "
          f"({(quechua - 1) * 100:+.1f} %; goal within 10 %)")
    result = {"engine": args.engine, "devices": args.devices, "submissions": calm["submissions"],
              "seconds_s": calm["seconds"], "rate_per_s": round(rate, 1), "lost": calm["lost"],
              "stored_twice": calm["stored_twice"], "resubmissions": calm["resubmissions"],
              "server_cpu_ms_per_submission": round(calm["server_cpu_s"] * 1000 / calm["submissions"], 2),
              "worker_cpu_ms_per_submission": round(calm["worker_cpu_s"] * 1000 / calm["submissions"], 2),
              "cpu_ms_per_submission": round(cpu_ms, 2), "saved_after_s": calm["saved_seconds"],
              "device_cpu_ms_per_submission": round(calm["device_cpu_s"] * 1000 / calm["submissions"], 2),
              "central_ms_per_submission": round(central_ms, 2),
              "central_over_ayni_cpu_ratio": round(central_ms / cpu_ms, 2),
              "sync_path_s": outbox["seconds"], "openrosa_over_sync_ratio": round(ratio, 2),
              "kill_restarts": killed["kills"], "kill_lost": killed["lost"],
              "kill_stored_twice": killed["stored_twice"],
              "daily_form_es_kb": round(weight["es"]["gzip"] / 1024, 2),
              "daily_form_qu_kb": round(weight["qu"]["gzip"] / 1024, 2),
              "qu_over_es_ratio": round(quechua, 3)}
    print("RESULT " + json.dumps(result))
    if calm["lost"] or killed["lost"] or calm["stored_twice"] or killed["stored_twice"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
