"""A PDF fetches nothing but `data:` URLs and the app's own static files (ayni.lib.pdf): no
http, no file:// elsewhere on the disk, no way out of the static folders."""

import base64
import io
import logging
import socket
from pathlib import Path

import pytest
from django.urls import reverse
from pypdf import PdfReader

from ayni.lib import pdf
from tests.evidence_helpers import add_activity

CSS = Path(pdf.__file__).resolve().parent.parent / "core" / "static" / "ayni" / "ayni.css"
PIXEL = base64.b64encode(bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cf00000301010018dd8db00000000049454e44ae426082")).decode()


@pytest.fixture
def no_network(monkeypatch):
    """The network edge: any connection the renderer tries is recorded and fails."""
    attempts = []

    def connect(self, address):
        attempts.append(address)
        raise OSError("no network in tests")

    monkeypatch.setattr(socket.socket, "connect", connect)
    return attempts


@pytest.fixture
def fetches(monkeypatch):
    """Every URL the renderer asks for, with what the fetcher did: "served" or "refused"."""
    seen = []
    fetcher_class = type(pdf.url_fetcher())

    class Recording(fetcher_class):
        def fetch(self, url, headers=None):
            try:
                response = super().fetch(url, headers)
            except Exception:
                seen.append((url, "refused"))
                raise
            seen.append((url, "served"))
            return response

    monkeypatch.setattr(pdf, "url_fetcher", lambda: Recording(allowed_protocols=("data",), allow_redirects=False))
    return seen


def test_the_fetcher_serves_data_urls_and_static_files_and_refuses_the_rest(caplog):
    fetcher = pdf.url_fetcher()
    assert fetcher(f"data:image/png;base64,{PIXEL}").read().startswith(b"\x89PNG")
    css = fetcher("http://testserver/static/ayni/ayni.css")
    assert css.read() == CSS.read_bytes() and css.content_type == "text/css"
    refused = ["http://example.com/x.png", "https://example.com/static/../x.png", "file:///etc/passwd",
               "ftp://example.com/x", "http://testserver/media/x.png",
               "http://testserver/static/../../../../etc/passwd",
               "http://testserver/static/%2e%2e/%2e%2e/settings.py", "http://testserver/static/ayni/..%2f..%2f..%2fsettings.py",
               "http://testserver/static//etc/passwd", "http://testserver/static/ayni/nada.css"]
    caplog.set_level(logging.WARNING, logger="ayni.lib.pdf")
    for url in refused:
        with pytest.raises(ValueError):
            fetcher(url)
    assert len([r for r in caplog.records if "rechazado" in r.getMessage()]) == len(refused)


def test_a_static_file_may_not_lead_out_of_its_folder(settings, tmp_path):
    settings.STATIC_ROOT = tmp_path
    (tmp_path / "informe.css").write_text("body { color: black }")
    (tmp_path / "fuga.css").symlink_to("/etc/passwd")
    assert pdf.static_file("http://testserver/static/informe.css") == tmp_path.resolve() / "informe.css"
    assert pdf.static_file("http://testserver/static/fuga.css") is None


def test_a_pdf_draws_static_and_data_resources_and_fetches_nothing_else(fetches, no_network, caplog):
    html = (f'<html><head><link rel="stylesheet" href="/static/ayni/ayni.css"></head><body>'
            f'<h1>Informe</h1><img src="http://example.com/rastreo.png"><img src="file:///etc/passwd">'
            f'<img src="data:image/png;base64,{PIXEL}"><img src="/static/../../etc/passwd"></body></html>')
    caplog.set_level(logging.WARNING, logger="ayni.lib.pdf")
    content = pdf.html_to_pdf(html, base_url="http://testserver/")
    assert "Informe" in PdfReader(io.BytesIO(content)).pages[0].extract_text()
    outcome = {url.split(";")[0]: what for url, what in fetches}
    assert outcome == {"http://testserver/static/ayni/ayni.css": "served", "http://example.com/rastreo.png": "refused",
                       "file:///etc/passwd": "refused", "data:image/png": "served",
                       "http://testserver/etc/passwd": "refused"}
    assert no_network == []
    assert len([r for r in caplog.records if "rechazado" in r.getMessage()]) == 3


@pytest.mark.django_db
def test_the_brief_is_drawn_through_the_static_only_fetcher(world, login, monkeypatch, no_network):
    add_activity(world, days=5)
    made = []
    real = pdf.url_fetcher
    monkeypatch.setattr(pdf, "url_fetcher", lambda: made.append(real()) or made[-1])
    response = login(world.national).get(reverse("evidence:brief"))
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert len(made) == 1 and made[0]._allowed_protocols == ("data",) and no_network == []
