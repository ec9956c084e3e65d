"""HTML to PDF (WeasyPrint), with nothing fetched from outside the app.

A PDF is drawn from a page that can hold what people typed — an organisation's name, a note —
and WeasyPrint fetches every image, stylesheet and font the page points at, by default over
http, https, ftp and file. An `<img src="http://169.254.169.254/…">` or
`file:///etc/ayni/ayni.env` slipped into a page would have the server fetch it, and perhaps
print it. So the fetcher here allows only two things:

- `data:` URLs (the charts and maps are inline SVG; an embedded image needs nothing else);
- the app's own static files (`STATIC_URL`…, under the page's base URL), read from disk — from
  `STATIC_ROOT` or the apps' `static/` folders — never over the network, and only a path that
  stays inside one of those folders once resolved (no `..`, no symbolic link out).

Anything else is refused with a warning in the log; WeasyPrint then leaves the resource out and
draws the rest of the page.
"""

import logging
import mimetypes
import os
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings

logger = logging.getLogger(__name__)


def static_roots() -> list[Path]:
    """The folders static files are served from: the collected ones and each finder's."""
    from django.contrib.staticfiles import finders

    roots = [Path(settings.STATIC_ROOT)]
    for finder in finders.get_finders():
        for storage in getattr(finder, "storages", {}).values():
            location = getattr(storage, "location", None)
            if location:
                roots.append(Path(location))
    return [Path(os.path.realpath(r)) for r in roots]


def static_file(url: str) -> Path | None:
    """The file on disk behind an http(s) URL of the app's static files, or None."""
    parts = urlsplit(url)
    static_url = settings.STATIC_URL if settings.STATIC_URL.startswith("/") else "/" + settings.STATIC_URL
    if parts.scheme not in ("http", "https") or not parts.path.startswith(static_url):
        return None
    relative = unquote(parts.path[len(static_url):])
    segments = relative.split("/")
    if not relative or "\x00" in relative or "\\" in relative or relative.startswith("/") or ".." in segments:
        return None
    for root in static_roots():
        candidate = Path(os.path.realpath(root / relative))
        # realpath follows links: a file that resolves outside its folder is not a static file.
        if candidate.is_relative_to(root) and candidate.is_file():
            return candidate
    return None


def url_fetcher():
    """A WeasyPrint fetcher for `data:` URLs and the app's static files only."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticOnlyFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            if url[:5].lower() == "data:":
                return super().fetch(url, headers)  # decoded in memory by urllib's data handler
            path = static_file(url)
            if path is None:
                logger.warning("PDF: recurso externo rechazado: %s", url[:200])
                raise ValueError(f"Only data: URLs and the app's static files may be used in a PDF: {url[:200]}")
            content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": content_type})

    return StaticOnlyFetcher(allowed_protocols=("data",), allow_redirects=False)


def html_to_pdf(html: str, base_url: str) -> bytes:
    """The page as PDF bytes. `base_url` is the site's address (relative links in the page
    resolve against it; static files among them are read from disk)."""
    from weasyprint import HTML

    return HTML(string=html, base_url=base_url, url_fetcher=url_fetcher()).write_pdf()
