"""Fuzzing the JSON API against its committed schema (docs/openapi.json) with schemathesis.

Every operation, authenticated with a leader's key, in-process through Django's WSGI handler on
the test database: no answer may be a 5xx, and every answer must be one the schema documents
(status code, content type, body). A batch item that failed inside the server is answered 200
with `"status": "failed"` — so that counts as a server error too.

This is the short pass of `make test` (a few dozen examples per operation, derandomized). The long
pass is `bench/fuzz.py`, which runs this same file with `AYNI_FUZZ_EXAMPLES` in the thousands and
`AYNI_FUZZ_REPORT` naming a file where each operation's figures are appended as one JSON line.
"""

import datetime
import json
import os
from collections import Counter
from functools import partial
from pathlib import Path

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, reject, settings
from hypothesis import strategies as st

from ayni.capture.models import Inbound
from tests.capture_helpers import make_token
from tests.kitchens import TODAY

EXAMPLES = int(os.environ.get("AYNI_FUZZ_EXAMPLES", "30"))
REPORT = os.environ.get("AYNI_FUZZ_REPORT", "")
# A fixed seed unless the long pass asks for a fresh one, so that `make test` is repeatable.
SEED = os.environ.get("AYNI_FUZZ_SEED", "")

# The committed schema, not the served one: what integrators read is what is tested. Requests go
# in-process to Django's own WSGI handler (see the `wsgi` fixture), probes included.
schema = schemathesis.openapi.from_path(Path(__file__).resolve().parent.parent / "docs" / "openapi.json")
schema.app = WSGIHandler()
# A NUL character is refused (422) wherever it appears: PostgreSQL cannot store it. JSON Schema
# cannot say so for free-form `data`, so valid examples leave it out; the refusal is tested below.
schema.config.generation.update(allow_x00=False)

# What a real phone sends, so that the fuzzer reaches the domains' services and not only the
# envelope's validation: a valid item of each type with up to two fields given odd values.

_text = partial(st.text, alphabet=st.characters(exclude_characters="\x00", codec="utf-8"))  # no lone surrogates
_recent = st.integers(0, 40).map(lambda n: (TODAY - datetime.timedelta(days=n)).isoformat())
_odd = st.one_of(st.integers(-10, 10**9), st.decimals(-10, 10**6, places=3).map(str), _text(max_size=12),
                 st.none(), st.booleans(), st.floats(allow_nan=False, allow_infinity=False),
                 st.lists(st.integers(), max_size=2),
                 st.dates().map(datetime.date.isoformat))
VALID = {
    "report": {"date": _recent, "version": st.integers(0, 2), "rations_prepared": st.integers(0, 200),
               "served_paying": st.integers(0, 60), "served_subsidised": st.integers(0, 60),
               "served_free": st.integers(0, 20), "price_per_ration": st.sampled_from(["2.50", "3.00", "3.50"]),
               "menu": _text(max_size=40), "is_closed": st.just(False), "confirm": st.booleans()},
    "movement": {"date": _recent, "item": st.sampled_from(["arroz", "aceite", "azucar", "menestras"]),
                 "kind": st.sampled_from(["state", "donation", "used"]),
                 "quantity": st.integers(1, 80).map(str), "unit_price": st.sampled_from(["", "3.20"]),
                 "party": _text(max_size=20)},
    "roll_entry": {"given_names": st.sampled_from(["Lucía", "Rosa María", "Ñusta"]),
                   "paternal_surname": st.sampled_from(["Ramos", "Quispe", "Huamán"]),
                   "dni": st.sampled_from(["", "45678912", "23456781", "10000001"]), "sex": st.sampled_from("FM"),
                   "category": st.sampled_from(["otro", "adulto-mayor", "gestante-lactante"]),
                   "ration": st.sampled_from(["paying", "subsidised"]), "since": _recent,
                   "consent_method": st.just("signed"), "consent_on": _recent},
}


def _item(type_):
    valid = st.fixed_dictionaries(VALID[type_])
    # Half the items as sent, the others with one or two fields odd.
    odd = st.one_of(st.just({}), st.dictionaries(st.sampled_from([*VALID[type_], "notes", "closed_reason", "x"]),
                                                 _odd, min_size=1, max_size=2))
    return st.tuples(st.just(type_), st.tuples(valid, odd).map(lambda pair: {**pair[0], **pair[1]}))


plausible_items = st.lists(st.sampled_from(sorted(VALID)).flatmap(_item), min_size=1, max_size=4)


@pytest.fixture
def wsgi(db):
    """Django's own WSGI handler, minus the signal that closes the database connection after each
    request: the test's transaction lives on that connection (Django's test client does the same)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield schema.app
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def key(world):
    return make_token(world.leader)


def no_item_failed(ctx, response, case):
    """A batch answered 200 may still hold items that failed inside the server: a 5xx in disguise."""
    if case.operation.path.endswith("/batch") and response.status_code == 200:
        failed = [r for r in response.json().get("results", []) if r.get("status") == "failed"]
        assert not failed, f"items failed inside the server: {failed[:3]}"
    return None


_tally: dict[str, Counter] = {}


def _record(label: str, response) -> None:
    tally = _tally.setdefault(label, Counter())
    tally[str(response.status_code)] += 1
    if label.endswith("/batch") and response.status_code == 200:
        # How deep the examples reached: items accepted, refused as invalid, in conflict…
        tally.update(f"item {r['status']}" for r in response.json()["results"])


def _json_ready(body) -> bool:
    try:
        json.dumps(body, allow_nan=False)
    except (TypeError, ValueError):
        return False
    return True


@pytest.fixture(autouse=True, scope="module")
def _report():
    yield
    if REPORT:
        with open(REPORT, "a") as fh:
            for label, statuses in _tally.items():
                examples = sum(v for k, v in statuses.items() if k.isdigit())
                fh.write(json.dumps({"operation": label, "examples": examples,
                                     "statuses": dict(sorted(statuses.items()))}) + "\n")


@schema.given(plausible=plausible_items)
@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=not SEED, database=None,
          phases=[Phase.explicit, Phase.generate] + ([Phase.shrink] if not REPORT else []),
          suppress_health_check=list(HealthCheck))
def test_the_api_answers_only_what_its_schema_documents(case, plausible, world, key, wsgi):
    if "kitchen_id" in (case.path_parameters or {}) and isinstance(case.path_parameters["kitchen_id"], int):
        # Mostly her own kitchen, where items are processed; other ids are refused (403) wholesale.
        pick = case.path_parameters["kitchen_id"] % 8
        case.path_parameters["kitchen_id"] = {0: world.kitchen_other.pk, 1: world.lima.pk}.get(pick, world.kitchen.pk)
    body = case.body
    if isinstance(body, dict | list) and not _json_ready(body):
        reject()  # Infinity or NaN: not JSON, so no client can send it (requests refuses to encode it)
    # Only valid cases get a phone's items: a case made invalid on purpose must stay invalid.
    positive = case.meta is None or case.meta.generation.mode.is_positive
    if positive and isinstance(body, dict) and isinstance(body.get("items"), list):
        for item, (type_, data) in zip(body["items"], plausible, strict=False):
            if isinstance(item, dict) and "type" in item:
                item["type"], item["data"] = type_, data
    # The key goes in explicitly, so schemathesis also probes the operation without it and with a
    # wrong one (both must be refused). The in-process transport does not undo gzip as an HTTP
    # client would, so ask for the plain body.
    headers = {"Authorization": f"Bearer {key}", "Accept-Encoding": "identity"}
    response = case.call_and_validate(app=wsgi, headers=headers, additional_checks=[no_item_failed])
    _record(f"{case.method.upper()} {case.path}", response)


@pytest.mark.parametrize("data", [{"menu": "arroz\x00"}, {"\x00": 1}, {"notes": ["\ud800"]}])
def test_text_no_database_can_keep_is_refused_whole_before_anything_is_stored(client, world, key, data):
    # As JSON escapes, the way a client would send them (json.dumps writes \\u0000 and \\ud800).
    body = json.dumps({"items": [{"type": "report", "client_id": "z-1", "data": data}]})
    response = client.post(f"/api/v1/kitchens/{world.kitchen.pk}/batch", body, content_type="application/json",
                           HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 422 and response.json()["errors"][0]["loc"][-1] == "data"
    assert not Inbound.objects.exists()


@pytest.mark.parametrize("type_,data", [
    ("roll_entry", {**{k: "x" for k in ("given_names", "paternal_surname")}, "since": 1.5}),
    ("movement", {"date": 20260101, "item": "arroz", "kind": "state", "quantity": "5"}),
    ("roll_entry", {"given_names": "x", "paternal_surname": "x", "sex": "F", "since": True}),
])
def test_a_number_where_a_date_belongs_is_invalid_not_a_server_error(client, world, key, type_, data):
    response = client.post(f"/api/v1/kitchens/{world.kitchen.pk}/batch",
                           json.dumps({"items": [{"type": type_, "client_id": "n-1", "data": data}]}),
                           content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.json()["results"][0]["status"] == "invalid"
