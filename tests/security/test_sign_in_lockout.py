"""Repeated failed sign-ins lock the user name out from that address, on both login pages."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import LibraryUserFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("path", "make_user"),
    [
        ("/accounts/login/", lambda: LibraryUserFactory(username="bob")),
        ("/admin/login/", lambda: UserFactory(username="bob", is_staff=True, is_superuser=True)),
    ],
)
def test_guessing_a_password_locks_the_account_out(settings, path, make_user):
    settings.AXES_FAILURE_LIMIT = 3
    make_user()
    client = Client()

    for _ in range(3):
        client.post(path, {"username": "bob", "password": "guess"})
    # Even the right password is refused now, with a 429.
    locked = client.post(path, {"username": "bob", "password": "password"})

    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session
    # Another address is not locked out of the same user name.
    other = Client(REMOTE_ADDR="192.0.2.7")
    assert other.post(path, {"username": "bob", "password": "password"}).status_code == 302


def test_a_successful_sign_in_resets_the_count(settings):
    settings.AXES_FAILURE_LIMIT = 3
    LibraryUserFactory(username="carol")
    client = Client()

    for _ in range(2):
        client.post("/accounts/login/", {"username": "carol", "password": "typo"})
    assert (
        client.post("/accounts/login/", {"username": "carol", "password": "password"}).status_code
        == 302
    )
    client.logout()
    for _ in range(2):
        client.post("/accounts/login/", {"username": "carol", "password": "typo"})

    assert (
        client.post("/accounts/login/", {"username": "carol", "password": "password"}).status_code
        == 302
    )


def test_sign_ins_without_a_request_still_work():
    LibraryUserFactory(username="dave")
    client = Client()

    assert client.login(username="dave", password="password")
