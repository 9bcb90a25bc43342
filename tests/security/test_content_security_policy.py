"""UI pages carry a Content-Security-Policy; no template has inline script; docs without a CDN."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings

from tests.factories import LibraryUserFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_DIRS = [ROOT / "templates", *ROOT.glob("*/templates")]
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/(?:ld\+)?json)[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"\s(on[a-z]+|hx-on[:\w-]*)\s*=", re.I)


def policy(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    directives = (part.strip().split(" ", 1) for part in header.split(";") if part.strip())
    return {name: (rest[0] if rest else "") for name, *rest in directives}


@pytest.mark.parametrize("path", ["/", "/accounts/login/", "/admin/login/", "/api/docs/"])
def test_pages_carry_the_policy(client, path):
    client.force_login(LibraryUserFactory())

    directives = policy(client.get(path))

    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"


def test_an_error_page_carries_it_too(client):
    assert policy(client.get("/no/such/page/"))["frame-ancestors"] == "'none'"


def test_no_template_has_inline_script_or_handlers():
    found = []
    for directory in TEMPLATE_DIRS:
        for template in directory.rglob("*.html"):
            text = template.read_text()
            found += [f"{template}: {m.group(0)}" for m in INLINE_SCRIPT.finditer(text)]
            found += [f"{template}: {m.group(0)}" for m in INLINE_HANDLER.finditer(text)]
    assert found == []


def test_the_api_docs_use_this_sites_swagger_ui(client):
    page = client.get("/api/docs/").content.decode()
    script = client.get("/api/docs/?script=")

    assert "cdn.jsdelivr.net" not in page and "@latest" not in page
    assert f"{settings.STATIC_URL}drf_spectacular_sidecar/swagger-ui-dist/" in page
    assert "<script>" not in page
    assert script.status_code == 200
    assert "SwaggerUIBundle" in script.content.decode()


def test_the_admin_key_page_selects_keys_without_inline_handlers(admin_client):
    response = admin_client.post(
        "/admin/medialib/apikey/add/", {"name": "docs", "scope": "full", "is_active": "on"}
    )
    page = response.content.decode()

    assert "data-select-on-click" in page, page[:2000]
    assert "onclick" not in page
