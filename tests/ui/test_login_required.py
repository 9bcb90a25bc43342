"""ui_login_required (every UI view): visitors who are not signed in go to the login page."""

from __future__ import annotations

import pytest

from tests.ui.conftest import HTMX

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/?q=cat",
        "/assets/0123456789abcdef01234567/",
        "/assets/0123456789abcdef01234567/runs/",
        "/assets/0123456789abcdef01234567/card/",
        "/assets/0123456789abcdef01234567/versions/0123456789abcdef01234567/content",
    ],
)
def test_it_sends_visitors_who_are_not_signed_in_to_the_login_page(client, path):
    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_it_sends_htmx_requests_of_signed_out_visitors_to_the_login_page_as_a_whole(client):
    response = client.get("/?cursor=abc", **HTMX)

    assert response["HX-Redirect"].startswith("/accounts/login/")
    assert b"card-" not in response.content
