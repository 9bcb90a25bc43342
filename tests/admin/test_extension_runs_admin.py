"""The extension runs admin: filters, search, read-only pages, and retrying failed runs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from extensions.models import ExtensionRun
from medialib.models import AITag
from tests.admin.conftest import action_choices, messages_of, run_of, upload, wait_until

URL = "/admin/extensions/extensionrun/"
FAILED, SUCCESS, PENDING = (
    ExtensionRun.Status.FAILED,
    ExtensionRun.Status.SUCCESS,
    ExtensionRun.Status.PENDING,
)


def listed(response) -> set[int]:
    return {run.pk for run in response.context["cl"].result_list}


@pytest.mark.django_db
def test_it_filters_runs_by_status_extension_backend_and_date(alice_client):
    asset = upload("a.png")
    failed = run_of(asset, "google-auto-tagging", FAILED)
    tagged = run_of(asset, "aws-auto-tagging", SUCCESS)
    removing = run_of(asset, "remove-bg", PENDING, backend="local-remove-bg")
    old = run_of(asset, "remove-bg", SUCCESS, backend="remove-bg-api")
    ExtensionRun.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=400))
    last_year = (timezone.now() - timedelta(days=400)).year

    assert listed(alice_client.get(URL, {"status__exact": "failed"})) == {failed.pk}
    assert listed(alice_client.get(URL, {"name": "remove-bg"})) == {removing.pk, old.pk}
    assert listed(alice_client.get(URL, {"backend": "local-remove-bg"})) == {removing.pk}
    assert listed(alice_client.get(URL, {"created_at__year": last_year})) == {old.pk}
    assert listed(alice_client.get(URL)) == {failed.pk, tagged.pk, removing.pk, old.pk}
    offered = alice_client.get(URL).content.decode()
    assert "?backend=local-auto-tagging" in offered and "?name=aws-auto-tagging" in offered


@pytest.mark.django_db
def test_it_finds_runs_by_the_file_id_or_name_of_their_asset(alice_client):
    beach = upload("beach-sunset.png")
    city = upload("city.png")
    on_beach = run_of(beach, "google-auto-tagging", SUCCESS)
    run_of(city, "google-auto-tagging", SUCCESS)

    assert listed(alice_client.get(URL, {"q": beach.file_id})) == {on_beach.pk}
    assert listed(alice_client.get(URL, {"q": "sunset"})) == {on_beach.pk}


@pytest.mark.django_db
def test_it_shows_a_run_read_only(alice_client):
    run = run_of(upload("a.png"), "google-auto-tagging", FAILED, error_code="timeout")
    url = reverse("admin:extensions_extensionrun_change", args=[run.pk])

    page = alice_client.get(url)
    post = alice_client.post(url, {"status": "success"})

    assert page.status_code == 200 and b"timeout" in page.content
    assert b'name="_save"' not in page.content
    assert post.status_code == 403
    run.refresh_from_db()
    assert run.status == FAILED
    assert alice_client.get(URL + "add/").status_code == 403


@pytest.mark.slow
def test_it_retries_failed_runs_through_a_worker(alice_client, celery_worker):
    asset = upload("retry.png")
    failed = run_of(
        asset,
        "google-auto-tagging",
        FAILED,
        params={"minConfidence": 10, "maxTags": 3},
        error_code="provider_error",
        error_message="Vision answered 503",
    )
    succeeded = run_of(asset, "aws-auto-tagging", SUCCESS)

    response = alice_client.post(
        URL,
        {
            "action": "retry_failed_runs",
            "index": "0",
            "_selected_action": [failed.pk, succeeded.pk],
        },
        follow=True,
    )

    assert "1 run(s) queued again." in messages_of(response)
    assert "1 selected run(s) were not failed and were left alone." in messages_of(response)
    new_run = ExtensionRun.objects.exclude(pk__in=[failed.pk, succeeded.pk]).get()
    wait_until(lambda: ExtensionRun.objects.get(pk=new_run.pk).status != PENDING)
    new_run.refresh_from_db()
    assert (new_run.name, new_run.status, new_run.params) == (
        "google-auto-tagging",
        SUCCESS,
        {"minConfidence": 10, "maxTags": 3},
    )
    failed.refresh_from_db()
    assert failed.status == FAILED  # kept as history
    assert 0 < AITag.objects.filter(asset=asset, source="google-auto-tagging").count() <= 3


@pytest.mark.django_db
def test_a_retried_run_becomes_the_latest_the_status_filter_reads(alice_client):
    asset = upload("retry.png")
    failed = run_of(asset, "google-auto-tagging", FAILED)
    other = run_of(asset, "remove-bg", SUCCESS, backend="local-remove-bg")

    alice_client.post(
        URL, {"action": "retry_failed_runs", "index": "0", "_selected_action": [failed.pk]}
    )

    new_run = ExtensionRun.objects.exclude(pk__in=[failed.pk, other.pk]).get()
    latest = ExtensionRun.objects.filter(asset=asset, is_latest=True).values_list("pk", flat=True)
    assert sorted(latest) == [other.pk, new_run.pk]
    assets_failed = alice_client.get("/admin/medialib/asset/", {"extension_status": "failed"})
    assert list(assets_failed.context["cl"].result_list) == []


@pytest.mark.django_db
def test_it_refuses_the_retry_to_staff_without_the_rerun_permission(bob_client):
    failed = run_of(upload("a.png"), "google-auto-tagging", FAILED)

    listing = bob_client.get(URL)
    bob_client.post(
        URL, {"action": "retry_failed_runs", "index": "0", "_selected_action": [failed.pk]}
    )

    assert listing.status_code == 200
    assert "retry_failed_runs" not in action_choices(listing)
    assert ExtensionRun.objects.count() == 1
