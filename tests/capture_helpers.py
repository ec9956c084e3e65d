"""Helpers shared by the capture tests (API keys, batches, text messages)."""

import secrets

from ayni.capture.models import ApiToken


def make_token(user, name="celular") -> str:
    key = secrets.token_urlsafe(32)
    ApiToken.objects.create(user=user, name=name, prefix=key[:8], key_hash=ApiToken.hash(key))
    return key


# Target for the access matrix (tests/test_access.py).
def api_token(w) -> ApiToken:
    make_token(w.leader)
    return ApiToken.objects.get(user=w.leader)
