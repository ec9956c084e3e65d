"""A small HTTP client for the benchmarks: keep-alive, cookies, CSRF, and posting HTML forms."""

import http.client
import re
import time
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit


class FormParser(HTMLParser):
    """Every <form method=post> on a page, with the values each would submit as it stands."""

    def __init__(self):
        super().__init__()
        self.forms: list[tuple[str, list[tuple[str, str]]]] = []
        self.fields: list[tuple[str, str]] | None = None
        self._select: str | None = None
        self._select_first: str | None = None
        self._selected = False
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and (a.get("method") or "").lower() == "post":
            self.fields = []
            self.forms.append((a.get("action") or "", self.fields))
        if self.fields is None:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = (a.get("type") or "text").lower()
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.fields.append((name, a.get("value") or "on"))
            elif kind not in ("submit", "button", "file"):
                self.fields.append((name, a.get("value") or ""))
        elif tag == "select" and name:
            self._select, self._select_first, self._selected = name, None, False
        elif tag == "option" and self._select:
            value = a.get("value") or ""
            if self._select_first is None:
                self._select_first = value
            if "selected" in a and not self._selected:
                self.fields.append((self._select, value))
                self._selected = True
        elif tag == "textarea" and name:
            self._textarea = name
            self.fields.append((name, ""))

    def handle_data(self, data):
        if self._textarea and self.fields:
            name, value = self.fields[-1]
            self.fields[-1] = (name, value + data)

    def handle_endtag(self, tag):
        if tag == "select" and self._select and self.fields is not None:
            if not self._selected and self._select_first is not None:
                self.fields.append((self._select, self._select_first))
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "form":
            self.fields = None


def form_fields(html: str, path: str = "") -> dict[str, str]:
    """The fields of the page's own form: the one posting back to the page (no action, or
    `path`), not the sign-out form in the header."""
    parser = FormParser()
    parser.feed(html)
    own = [fields for action, fields in parser.forms if action in ("", path)]
    candidates = own or [fields for _action, fields in parser.forms]
    return dict(max(candidates, key=len)) if candidates else {}


class Response:
    def __init__(self, status: int, body: str, location: str | None, ms: float):
        self.status, self.body, self.location, self.ms = status, body, location, ms


class Client:
    """One person's browser: one keep-alive connection and her cookies."""

    def __init__(self, base: str, timeout: float = 30):
        url = urlsplit(base)
        self.host, self.port, self.timeout = url.hostname, url.port, timeout
        self.cookies: dict[str, str] = {}
        self.conn: http.client.HTTPConnection | None = None

    def close(self) -> None:
        if self.conn:
            self.conn.close()
            self.conn = None

    def request(self, method: str, path: str, data: dict | None = None) -> Response:
        headers = {"Accept-Encoding": "identity", "Host": f"{self.host}"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if data is not None:
            body = urlencode(data)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = f"http://{self.host}:{self.port}{path}"
        start = time.perf_counter()
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                self.conn.request(method, path, body=body, headers=headers)
                raw = self.conn.getresponse()
                text = raw.read().decode("utf-8", "replace")
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # A keep-alive connection the server closed between requests: one retry on a
                # new connection, as a browser does. Only for GET, which repeats safely.
                self.close()
                if attempt == 2 or method != "GET":
                    raise
            except http.client.HTTPException as exc:
                # A response cut short (the server was killed mid-answer): to the caller it is
                # a broken connection like any other.
                self.close()
                raise ConnectionError(f"{type(exc).__name__}: {exc}") from exc
        ms = (time.perf_counter() - start) * 1000
        for header in raw.headers.get_all("Set-Cookie") or []:
            cookie = SimpleCookie()
            cookie.load(header)
            for key, morsel in cookie.items():
                self.cookies[key] = morsel.value
        if raw.getheader("Connection", "").lower() == "close":
            self.close()
        return Response(raw.status, text, raw.getheader("Location"), ms)

    def get(self, path: str) -> Response:
        return self.request("GET", path)

    def submit(self, path: str, overrides: dict) -> tuple[Response, Response]:
        """GET a page with a form and POST it back with `overrides`; returns both responses."""
        page = self.get(path)
        if page.status != 200:
            return page, page
        fields = form_fields(page.body, path)
        fields.update(overrides)
        return page, self.request("POST", path, fields)

    def login(self, username: str, password: str) -> bool:
        _page, response = self.submit("/cuenta/ingresar/", {"username": username, "password": password})
        return response.status == 302 and "sessionid" in self.cookies


def links(html: str, pattern: str) -> list[int]:
    """The ids in links matching `pattern`, e.g. r'/organizaciones/(\\d+)/'."""
    return sorted({int(m) for m in re.findall(f'href="{pattern}"', html)})
