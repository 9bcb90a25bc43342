"""The database connection as settings configure it for PostgreSQL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from medialib.models import Folder

ROOT = Path(__file__).resolve().parents[2]


def _options_for(environment: dict[str, str]) -> dict:
    """DATABASES["default"]["OPTIONS"] as config.settings builds them in `environment`."""
    script = (
        "import json; from config import settings; "
        "print(json.dumps(settings.DATABASES['default'].get('OPTIONS', {})))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={
            **{name: value for name, value in os.environ.items() if name.startswith("PATH")},
            "SECRET_KEY": "x" * 50,
            "ALLOWED_HOSTS": "media.test",
            **environment,
        },
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_postgresql_prepares_statements_unless_turned_off() -> None:
    url = "postgres://someone@db.invalid:5432/media"
    assert _options_for({"DATABASE_URL": url}) == {
        "server_side_binding": True,
        "prepare_threshold": 5,
    }
    # Behind a pooler in transaction mode: Django's defaults, nothing prepared.
    off = _options_for({"DATABASE_URL": url, "DATABASE_PREPARED_STATEMENTS": "false"})
    assert off == {"server_side_binding": False, "prepare_threshold": None}


def test_the_options_of_the_database_url_are_kept() -> None:
    url = "postgres://someone@db.invalid:5432/media?sslmode=require"
    options = _options_for({"DATABASE_URL": url})
    assert options["sslmode"] == "require"
    assert options["server_side_binding"] is True


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's prepared statements")
def test_a_statement_run_again_is_prepared_by_postgresql() -> None:
    # psycopg prepares a statement from its fifth run on a connection; PostgreSQL then
    # skips parsing and planning it. Client-side binding never prepares anything.
    for _ in range(6):
        Folder.objects.filter(path="/a").exists()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
            ["%medialib_folder%"],
        )
        (prepared,) = cursor.fetchone()
    assert prepared >= 1
