"""`ayni openapi`: print the API's OpenAPI schema, the one committed as docs/openapi.json
(a test fails when the two differ: run `ayni openapi --output docs/openapi.json`)."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand


def schema_text() -> str:
    from ayni.capture.api import api

    return json.dumps(api.get_openapi_schema(path_prefix="/api/v1/"), indent=2, ensure_ascii=False,
                      sort_keys=True) + "\n"


class Command(BaseCommand):
    help = "Imprime el esquema OpenAPI de /api/v1/ (o lo escribe con --output)."

    def add_arguments(self, parser):
        parser.add_argument("--output", help="Archivo donde escribirlo, p. ej. docs/openapi.json")

    def handle(self, *args, output=None, **options):
        text = schema_text()
        if output:
            Path(output).write_text(text)
            self.stdout.write(f"wrote {output}")
        else:
            self.stdout.write(text, ending="")
