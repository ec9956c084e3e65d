"""One request through Django's WSGI handler in this process: no HTTP, no other thread, so
`time.process_time` around it is that request's CPU (the *_profile.py benches)."""

import io
import sys


def environ(method: str, path: str, body: bytes = b"", content_type: str = "", **headers: str) -> dict:
    """The WSGI environ of a request from 127.0.0.1; `headers` as WSGI names them (HTTP_…)."""
    env = {"REQUEST_METHOD": method, "PATH_INFO": path, "SCRIPT_NAME": "", "QUERY_STRING": "",
           "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000", "SERVER_PROTOCOL": "HTTP/1.1",
           "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(body), "wsgi.errors": sys.stderr,
           "wsgi.multithread": True, "wsgi.multiprocess": True, "wsgi.run_once": False,
           "HTTP_HOST": "127.0.0.1", "REMOTE_ADDR": "127.0.0.1", "CONTENT_LENGTH": str(len(body)), **headers}
    if content_type:
        env["CONTENT_TYPE"] = content_type
    return env


def caller(application, statuses: list, bodies: list | None = None):
    """A function that serves one environ and notes its status (and its body, when kept)."""

    def call(env: dict) -> None:
        def start_response(status, headers, exc_info=None):
            statuses.append(int(status.split()[0]))

        result = application(env, start_response)
        body = b"".join(result)
        if bodies is not None:
            bodies.append(body)
        if hasattr(result, "close"):
            result.close()

    return call
