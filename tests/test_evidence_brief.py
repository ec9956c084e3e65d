"""The printable brief: an A4 PDF with every section, read back from its extracted text."""

import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from tests.evidence_helpers import add_activity

pytestmark = pytest.mark.django_db

SECTIONS = ["Informe de evidencia", "Cifras clave", "Evolución por mes", "Mapa: necesidad y cobertura",
            "Unidades comparadas", "Entregas del Estado por municipalidad", "Completitud de los datos", "Notas",
            "Generado el"]


def test_the_brief_is_an_a4_pdf_with_every_section(world, login):
    add_activity(world, days=10)
    response = login(world.national).get(reverse("evidence:brief"))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    width, height = (float(v) for v in reader.pages[0].mediabox[2:])
    assert (round(width), round(height)) == (595, 842)  # A4 in points
    text = " ".join(page.extract_text() for page in reader.pages)
    text = " ".join(text.split())
    for section in SECTIONS:
        assert section in text, section
    assert world.lima.name in text and world.cusco.name in text
    assert "partes diarios que las 3 cocinas activas debían enviar" in text


def test_a_coordinators_brief_leaves_out_other_provinces(world, login):
    add_activity(world, days=10)
    response = login(world.coordinator).get(reverse("evidence:brief"), {"por": "geo"})
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages).split())
    assert "Cusco" not in text.split("Unidades comparadas")[1].split("Entregas")[0]
    assert world.cusco.name not in text
