"""gunicorn settings for Ayni behind nginx (see docs/deploy.md). Flags on the command line win."""

import multiprocessing
import os

bind = os.environ.get("AYNI_WEB_BIND") or "127.0.0.1:8000"
# 2 processes per core keeps memory (≤ 200 MB per worker) bounded on a small server. Each runs a
# few threads (`gthread`): ODK Collect keeps its connection open between requests (OkHttp's
# keep-alive, which a sync worker closes after every answer), and the submissions that arrive
# together in one process are committed together (reach.fast's group commit: one fsync for all).
workers = int(os.environ.get("AYNI_WEB_WORKERS") or min(2 * multiprocessing.cpu_count(), 8))
worker_class = "gthread"
# A benchmark's per-request profile (AYNI_PROFILE_REQUESTS) reads the process's CPU around each
# request: one thread then, so that the figure is that request's alone.
threads = 1 if os.environ.get("AYNI_PROFILE_REQUESTS") else int(os.environ.get("AYNI_WEB_THREADS") or 4)
timeout = 60
graceful_timeout = 30
keepalive = 5
# A kept-alive connection stays with the worker that accepted it. After a worker restarts
# (max_requests below, a crash), the connections it held reconnect while it boots, all to the
# workers still up, and stay there: on two cores one worker then does the work of two for as
# long as the load lasts (a national consultation by text message ran at half its rate). So
# every REBALANCE_EVERY-th request a worker serves ends its connection, with "Connection: close"
# after the answer, as nginx's keepalive_requests does: the client opens a new one, and the
# worker with time to accept it takes it. One TCP handshake per 100 requests.
REBALANCE_EVERY = 100
# Restart each worker after a while so that a slow leak never grows without bound; the jitter
# keeps them from restarting all at once. A restart costs a new worker's start (importing Django
# and Ayni: ~1.4 s of CPU here) and its first requests: after every 2,000 requests that was
# ~0.7 ms of CPU per request, as much as an OpenRosa submission's own database work, and a
# worker away while busy phones wait (issue 20); after 20,000 it is 0.07 ms.
max_requests = 20000
max_requests_jitter = 2000
# nginx on the same machine sets X-Forwarded-Proto; trust it from there only.
forwarded_allow_ips = "127.0.0.1"
# Logs go to the journal. The access log has the path without the query string: searches carry
# names and DNIs in the query string, and those must never reach a log.
accesslog = "-"
errorlog = "-"
# systemd manages the server (reload is `systemctl reload ayni-web`); a control socket in the
# home folder would be one more door to guard, and the home folder is read-only to the service.
control_socket_disable = True
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'


def post_worker_init(worker):
    """Import every URL and view before the worker takes its first request: otherwise the first
    request after a start or a restart pays for it (a third of a second), just when every phone
    that waited for the server sends at once."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - evaluated for its imports


def pre_request(worker, req):
    """Every REBALANCE_EVERY-th request of this worker closes its connection after the answer
    (gunicorn writes "Connection: close" when the request must close)."""
    worker.ayni_served = getattr(worker, "ayni_served", 0) + 1
    if worker.ayni_served % REBALANCE_EVERY == 0:
        req.must_close = True
