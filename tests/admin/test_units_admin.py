"""Units: the balance, the ledger (append-only) and the top-up form."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from extensions.models import UnitAccount, UnitLedgerEntry
from extensions.selectors import unit_balance
from extensions.services import unit_account_topup
from tests.admin.conftest import messages_of

pytestmark = pytest.mark.django_db

TOPUP_URL = reverse("admin:extensions_unitaccount_topup")
ACCOUNTS_URL = "/admin/extensions/unitaccount/"
LEDGER_URL = "/admin/extensions/unitledgerentry/"


def test_it_tops_up_with_a_reason_into_the_ledger(alice_client, alice):
    before = unit_balance()

    form = alice_client.get(TOPUP_URL)
    response = alice_client.post(
        TOPUP_URL, {"amount": "500", "note": "Invoice 2026-11"}, follow=True
    )

    assert form.status_code == 200 and str(before).encode() in form.content
    assert unit_balance() == before + 500
    entry = UnitLedgerEntry.objects.get(reason=UnitLedgerEntry.Reason.TOPUP)
    assert (entry.delta, entry.note, entry.created_by, entry.balance_after) == (
        500,
        "Invoice 2026-11",
        alice,
        before + 500,
    )
    assert f"Added 500 units; the balance is now {before + 500}." in messages_of(response)


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"amount": "0", "note": "free"}, b"greater than or equal to 1"),
        ({"amount": "-5", "note": "free"}, b"greater than or equal to 1"),
        ({"amount": "ten", "note": "free"}, b"Enter a whole number"),
        ({"amount": "10", "note": "   "}, b"This field is required"),
    ],
)
def test_it_refuses_a_top_up_without_a_positive_amount_and_a_reason(alice_client, data, error):
    before = unit_balance()

    response = alice_client.post(TOPUP_URL, data)

    assert response.status_code == 200
    assert error in response.content
    assert unit_balance() == before
    assert not UnitLedgerEntry.objects.filter(reason=UnitLedgerEntry.Reason.TOPUP).exists()


def test_it_shows_the_balance_and_the_ledger_newest_first(alice_client):
    unit_account_topup(amount=7, note="first")
    unit_account_topup(amount=9, note="second")
    account = UnitAccount.objects.get()

    listing = alice_client.get(ACCOUNTS_URL).content.decode()
    page = alice_client.get(
        reverse("admin:extensions_unitaccount_change", args=[account.pk])
    ).content.decode()

    assert f"<strong>{account.balance}</strong>" in listing
    assert f'href="{TOPUP_URL}"' in listing
    assert page.index("second") < page.index("first")


def test_it_keeps_the_ledger_append_only(alice_client):
    unit_account_topup(amount=7, note="kept")
    entry = UnitLedgerEntry.objects.get(reason=UnitLedgerEntry.Reason.TOPUP)
    change_url = reverse("admin:extensions_unitledgerentry_change", args=[entry.pk])
    delete_url = reverse("admin:extensions_unitledgerentry_delete", args=[entry.pk])

    assert alice_client.get(LEDGER_URL).status_code == 200
    assert alice_client.get(LEDGER_URL + "add/").status_code == 403
    assert alice_client.post(change_url, {"delta": "1000000"}).status_code == 403
    assert alice_client.post(delete_url, {"post": "yes"}).status_code == 403
    entry.refresh_from_db()
    assert entry.delta == 7


def test_it_refuses_top_ups_to_staff_without_the_permission(bob_client):
    before = unit_balance()

    listing = bob_client.get(ACCOUNTS_URL)
    page = bob_client.get(TOPUP_URL)
    post = bob_client.post(TOPUP_URL, {"amount": "500", "note": "please"})

    assert listing.status_code == 200
    assert TOPUP_URL.encode() not in listing.content
    assert (page.status_code, post.status_code) == (403, 403)
    assert unit_balance() == before


def test_it_shows_the_ledger_in_a_fixed_number_of_queries(alice_client, alice):
    def queries_for_account_page() -> int:
        account = UnitAccount.objects.get()
        url = reverse("admin:extensions_unitaccount_change", args=[account.pk])
        with CaptureQueriesContext(connection) as captured:
            assert alice_client.get(url).status_code == 200
        return len(captured.captured_queries)

    for index in range(3):
        unit_account_topup(amount=1, note=f"small {index}", created_by=alice)
    queries_for_account_page()  # fills the per-process caches (content types)
    with_few = queries_for_account_page()
    for index in range(40):
        unit_account_topup(amount=1, note=f"more {index}", created_by=alice)

    assert queries_for_account_page() == with_few
