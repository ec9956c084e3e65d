"""Login throttling: failures count against the account however it was written, an address that
fails a lot is slowed down but never locked, and the address is the client's, taken from
X-Forwarded-For only when the request comes through a proxy we trust."""

import datetime

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from ayni.accounts import services
from ayni.accounts.models import LoginFailure
from ayni.lib.net import client_address
from tests.conftest import PASSWORD, as_scope

pytestmark = pytest.mark.django_db

PROXY = "127.0.0.1"  # nginx on the same machine, as deploy/nginx/ayni.conf sets it up


def address_of(settings, trusted, remote, forwarded=None):
    settings.AYNI_TRUSTED_PROXIES = trusted
    extra = {"REMOTE_ADDR": remote} | ({"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {})
    return client_address(RequestFactory().get("/", **extra))


def test_without_trusted_proxies_a_forwarded_for_header_is_ignored(settings):
    assert address_of(settings, [], "203.0.113.7", "198.51.100.1") == "203.0.113.7"
    # Sent by a client straight to the app, the header is not believed either.
    assert address_of(settings, [PROXY], "203.0.113.7", "198.51.100.1") == "203.0.113.7"


def test_behind_a_trusted_proxy_the_right_most_untrusted_address_is_the_client(settings):
    # nginx appends what it saw to whatever the client wrote: the left part is the client's lie.
    assert address_of(settings, [PROXY], PROXY, "6.6.6.6, 203.0.113.7") == "203.0.113.7"
    # Two proxies of ours (a balancer in the private network, then nginx).
    assert address_of(settings, [PROXY, "10.0.0.0/8"], PROXY, "6.6.6.6, 203.0.113.7, 10.1.2.3") == "203.0.113.7"
    # Garbage where an address should be: the last hop we can vouch for.
    assert address_of(settings, [PROXY, "10.0.0.0/8"], PROXY, "203.0.113.7, nada, 10.1.2.3") == "10.1.2.3"
    assert address_of(settings, [PROXY], PROXY, "") == PROXY
    assert address_of(settings, ["::1"], "::1", "2001:db8::5") == "2001:db8::5"
    assert address_of(settings, [PROXY], PROXY, "::ffff:203.0.113.9") == "203.0.113.9"


def test_a_typo_in_the_trusted_proxies_stops_the_server():
    from django.core.exceptions import ImproperlyConfigured

    from ayni.lib.net import parse_proxies

    assert parse_proxies(["127.0.0.1", "10.0.0.0/8", "::1"]) == ["127.0.0.1", "10.0.0.0/8", "::1"]
    with pytest.raises(ImproperlyConfigured, match="AYNI_TRUSTED_PROXIES"):
        parse_proxies(["127.0.0.1", "localhost"])


def login(client, username, password, address):
    """A login through nginx: the connection comes from the proxy, the client in the header."""
    return client.post(reverse("accounts:login"), {"username": username, "password": password},
                       REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=address)


@pytest.fixture
def clock(monkeypatch):
    """The clock, stopped; `clock.advance(seconds)` moves it on."""
    class Clock:
        now = timezone.now()

        def advance(self, seconds):
            self.now += datetime.timedelta(seconds=seconds)

    stopped = Clock()
    monkeypatch.setattr(timezone, "now", lambda: stopped.now)
    return stopped


def test_failures_from_one_client_behind_the_proxy_do_not_touch_the_others(client, world, settings, clock):
    settings.AYNI_TRUSTED_PROXIES = [PROXY]
    for n in range(settings.AYNI_LOGIN_MAX_FAILURES * 4 + 5):  # someone trying many accounts
        login(client, f"cuenta{n}", "mala", "203.0.113.66")
    assert "Espere" in login(client, "otra", "mala", "203.0.113.66").content.decode()
    response = login(client, "rosa", PASSWORD, "198.51.100.5")  # a leader elsewhere, same nginx
    assert response.status_code == 302 and client.session["_auth_user_id"] == str(world.leader.pk)
    assert set(LoginFailure.objects.values_list("address", flat=True)) == {"203.0.113.66"}


def test_an_address_with_many_failures_is_slowed_down_never_locked(client, world, settings, clock):
    # No proxy trusted while nginx is in front: every leader seems to come from 127.0.0.1. That
    # is a mistake in the set-up, and it must cost seconds, not the whole site for the window.
    for n in range(settings.AYNI_LOGIN_MAX_FAILURES * 4):
        login(client, f"cuenta{n}", "mala", "203.0.113.66")
    page = login(client, "rosa", PASSWORD, "198.51.100.5").content.decode()
    assert "Espere 1 segundo e intente" in page and "_auth_user_id" not in client.session
    clock.advance(1)
    assert login(client, "rosa", PASSWORD, "198.51.100.5").status_code == 302


def test_the_wait_doubles_with_each_failure_up_to_the_maximum(world, settings, clock):
    settings.AYNI_LOGIN_ADDRESS_MAX_WAIT_SECONDS = 60
    threshold = settings.AYNI_LOGIN_MAX_FAILURES * 4
    waits = []
    for n in range(threshold + 8):
        services.note_login_failure(f"cuenta{n}", "203.0.113.66")
        waits.append(services.address_wait_seconds("203.0.113.66"))
    assert waits[:threshold - 1] == [0] * (threshold - 1)
    assert waits[threshold - 1:] == [1, 2, 4, 8, 16, 32, 60, 60, 60]
    assert services.address_wait_seconds("198.51.100.5") == 0
    clock.advance(45)
    assert services.address_wait_seconds("203.0.113.66") == 15
    clock.advance(15)
    assert services.address_wait_seconds("203.0.113.66") == 0  # waited out, not locked for the window


def test_the_phone_written_three_ways_is_one_account_to_the_lock(client, world, settings):
    settings.AYNI_LOGIN_MAX_FAILURES = 3
    for spelling in ("912345678", "+51912345678", "912 345 678"):
        assert "incorrectos" in login(client, spelling, "mala", "203.0.113.7").content.decode()
    for identifier in ("rosa", "ROSA", "912-345-678"):
        page = login(client, identifier, PASSWORD, "198.51.100.5").content.decode()
        assert "Demasiados intentos fallidos" in page and "_auth_user_id" not in client.session
    assert set(LoginFailure.objects.values_list("identifier", flat=True)) == {"rosa"}


def test_the_one_time_code_page_shares_the_accounts_lock_and_the_address(client, world, settings):
    settings.AYNI_TRUSTED_PROXIES = [PROXY]
    settings.AYNI_LOGIN_MAX_FAILURES = 2
    code = services.issue_reset_code(scope=as_scope(world.coordinator), user=world.leader)
    data = {"code": "XXXXXXXX", "new_password1": "clave-nueva-segura-1", "new_password2": "clave-nueva-segura-1"}
    for spelling in ("+51 912 345 678", "rosa"):
        client.post(reverse("accounts:redeem"), data | {"identifier": spelling},
                    REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert list(LoginFailure.objects.values_list("identifier", "address")) == [("rosa", "203.0.113.7")] * 2
    page = client.post(reverse("accounts:redeem"), data | {"identifier": "912345678", "code": code},
                       REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.5").content.decode()
    assert "Demasiados intentos fallidos" in page
    assert not world.leader.one_time_codes.filter(used_at__isnull=False).exists()


def test_the_admin_login_is_throttled_like_the_other(client, world, settings):
    settings.AYNI_LOGIN_MAX_FAILURES = 3
    url = reverse("admin:login")
    for _n in range(3):
        client.post(url, {"username": "ada", "password": "mala"})
    page = client.post(url, {"username": "ada", "password": PASSWORD}).content.decode()
    assert "Demasiados intentos fallidos" in page and "_auth_user_id" not in client.session
    assert LoginFailure.objects.filter(identifier="ada").count() == 3


def test_the_shipped_nginx_and_environment_go_together():
    """deploy/: nginx passes the client's address, and the production environment trusts it."""
    import re
    from pathlib import Path

    deploy = Path(__file__).resolve().parent.parent / "deploy"
    nginx = (deploy / "nginx" / "ayni.conf").read_text()
    assert re.search(r"^\s*proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;", nginx, re.MULTILINE)
    upstream = re.search(r"upstream ayni_web \{\s*server ([\d.]+):", nginx).group(1)
    env = (deploy / "ayni.env.example").read_text()
    trusted = re.search(r"^AYNI_TRUSTED_PROXIES=(.*)$", env, re.MULTILINE).group(1).split(",")
    assert upstream == "127.0.0.1" and PROXY in trusted  # nginx reaches gunicorn over loopback
