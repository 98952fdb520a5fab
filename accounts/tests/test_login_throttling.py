"""Log-in throttling behind the TLS proxy: the client's address is the one the trusted
proxy forwards, a username is locked per client address, and one address trying many
usernames is locked as a whole."""

import pytest
from django.contrib.auth import authenticate
from django.test import RequestFactory
from django.urls import reverse

from accounts import throttling
from tests.factories import UserFactory

PASSWORD = "correct-horse-battery"
PROXY = "10.0.0.5"


@pytest.fixture
def behind_the_proxy(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/24"]


def login(client, email, password=PASSWORD, *, via=PROXY, forwarded=None):
    headers = {"REMOTE_ADDR": via}
    if forwarded is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded
    return client.post(reverse("login"), {"username": email, "password": password},
                       **headers)


def logged_in(response):
    return response.status_code == 302


@pytest.mark.parametrize(("remote", "forwarded", "client_address"), [
    (PROXY, "203.0.113.7", "203.0.113.7"),
    # Whatever the client wrote first is left of what our proxy appended.
    (PROXY, "198.51.100.1, 203.0.113.7", "203.0.113.7"),
    (PROXY, "203.0.113.7, 10.0.0.9", "203.0.113.7"),  # two proxies of ours
    (PROXY, "203.0.113.7:50312", "203.0.113.7"),
    (PROXY, "[2001:db8::1]:443", "2001:db8::1"),
    (PROXY, "not-an-address, 203.0.113.7", "203.0.113.7"),
    (PROXY, "203.0.113.7, not-an-address", PROXY),
    (PROXY, "", PROXY),
    # From anyone but our proxies the header is the client's own word: ignored.
    ("192.0.2.44", "203.0.113.7", "192.0.2.44"),
])
def test_the_client_address_is_the_right_most_one_our_proxies_did_not_write(
        behind_the_proxy, remote, forwarded, client_address):
    request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    assert throttling.client_ip(request) == client_address


def test_without_trusted_proxies_the_header_is_ignored(settings):
    settings.TRUSTED_PROXIES = []
    request = RequestFactory().get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert throttling.client_ip(request) == PROXY


def test_wrong_passwords_from_one_client_do_not_lock_the_account_for_another(
        client, behind_the_proxy, settings, db):
    user = UserFactory(email="li.wei@example.com", password=PASSWORD)
    for _attempt in range(settings.AXES_FAILURE_LIMIT + 1):
        login(client, user.email, "wrong", forwarded="203.0.113.7")
    assert login(client, user.email, forwarded="203.0.113.7").status_code == 429

    # The same account, behind the same proxy, from another client's address.
    assert logged_in(login(client, user.email, forwarded="198.51.100.20"))


def test_a_forwarded_header_from_an_untrusted_address_does_not_escape_the_lock(
        client, behind_the_proxy, settings, db):
    user = UserFactory(email="li.wei@example.com", password=PASSWORD)
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        # A client talking to us directly, claiming a new address each time.
        login(client, user.email, "wrong", via="192.0.2.44", forwarded=f"203.0.113.{attempt}")

    response = login(client, user.email, via="192.0.2.44", forwarded="198.51.100.20")
    assert response.status_code == 429


def test_one_address_trying_one_password_against_many_usernames_is_locked(
        client, behind_the_proxy, settings, db):
    settings.LOGIN_IP_FAILURE_LIMIT = 20
    user = UserFactory(email="li.wei@example.com", password=PASSWORD)
    answers = [login(client, f"user{n}@example.com", "Summer2026!", forwarded="203.0.113.7")
               for n in range(30)]

    assert [a.status_code for a in answers[:20]] == [200] * 20  # each one wrong, once
    assert {a.status_code for a in answers[20:]} == {429}
    assert "logging in from your network is paused" in answers[-1].content.decode()
    # Even a right password is refused from there, for any account, as long as it lasts…
    assert login(client, user.email, forwarded="203.0.113.7").status_code == 429
    # …and by every log-in path, not just the page.
    request = RequestFactory().post("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert authenticate(request, username=user.email, password=PASSWORD) is None
    # Another client behind the same proxy is not held.
    assert logged_in(login(client, user.email, forwarded="198.51.100.20"))
