"""The login page (/accounts/login/): signing in with a Django user."""

from __future__ import annotations

import pytest

from tests.factories import LibraryUserFactory

pytestmark = pytest.mark.django_db


def test_it_signs_in_with_a_django_user(client):
    LibraryUserFactory(username="bob")

    page = client.get("/accounts/login/")
    response = client.post("/accounts/login/", {"username": "bob", "password": "password"})

    assert page.status_code == 200
    assert b'name="csrfmiddlewaretoken"' in page.content
    assert response.status_code == 302
    assert response["Location"] == "/"
