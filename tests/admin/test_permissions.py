"""Who reaches the admin: staff only; custom actions need their own permissions."""

from __future__ import annotations

import pytest

from tests.admin.conftest import action_choices, upload

pytestmark = pytest.mark.django_db

PAGES = [
    "/admin/",
    "/admin/medialib/asset/",
    "/admin/extensions/extensionrun/",
    "/admin/extensions/unitaccount/",
    "/admin/extensions/unitaccount/topup/",
    "/admin/medialib/apikey/",
]


@pytest.mark.parametrize("url", PAGES)
def test_it_sends_non_staff_users_to_the_admin_login(charlie_client, url):
    response = charlie_client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


@pytest.mark.parametrize("url", PAGES)
def test_it_sends_anonymous_visitors_to_the_admin_login(client, url):
    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_it_gives_staff_without_custom_permissions_the_lists_but_not_the_actions(
    alice_client, bob_client
):
    upload("a.png")

    for_alice = action_choices(alice_client.get("/admin/medialib/asset/"))
    for_bob = action_choices(bob_client.get("/admin/medialib/asset/"))
    runs_for_bob = action_choices(bob_client.get("/admin/extensions/extensionrun/"))

    assert {"run_auto_tagging", "remove_background"} <= set(for_alice)
    assert for_bob == []
    assert runs_for_bob == []
    assert bob_client.get("/admin/extensions/unitaccount/topup/").status_code == 403
