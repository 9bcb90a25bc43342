from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from webhooks.services import webhook_secret_current

pytestmark = pytest.mark.django_db


def last_line(*args: str) -> str:
    out = io.StringIO()
    call_command("webhooksecret", *args, stdout=out)
    return out.getvalue().strip().splitlines()[-1]


def test_it_prints_the_current_secret_on_its_last_line():
    printed = last_line()

    assert printed.startswith("whsec_")
    assert printed == webhook_secret_current()
    assert last_line() == printed


def test_it_rotates_the_secret_and_prints_the_new_one():
    old = last_line()

    new = last_line("--rotate")

    assert new != old
    assert new == webhook_secret_current() == last_line()
