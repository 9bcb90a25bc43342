"""The "Run auto-tagging…" and "Remove background…" actions on assets, with a real worker."""

from __future__ import annotations

import pytest

from extensions.models import ExtensionRun
from extensions.selectors import unit_balance
from medialib.models import AITag, Asset, AssetVersion
from tests.admin.conftest import action_choices, messages_of, upload, wait_until
from tests.extensions.drawings import encode, red_circle_on_white

URL = "/admin/medialib/asset/"


def choose(action: str, assets: list[Asset]) -> dict:
    """The change list's first POST: the action and the selected rows."""
    return {"action": action, "index": "0", "_selected_action": [a.pk for a in assets]}


def apply(action: str, assets: list[Asset], **options) -> dict:
    """The intermediate form's POST."""
    return {
        "action": action,
        "apply": "1",
        "select_across": "0",
        "_selected_action": [a.pk for a in assets],
        **options,
    }


def runs_finished() -> bool:
    return not ExtensionRun.objects.filter(status=ExtensionRun.Status.PENDING).exists()


@pytest.mark.slow
def test_it_auto_tags_the_selected_assets_through_a_worker(alice_client, celery_worker):
    assets = [upload("one.png"), upload("two.png")]
    untouched = upload("three.png")
    balance = unit_balance()

    form = alice_client.post(URL, choose("run_auto_tagging", assets))
    assert form.status_code == 200
    assert b"2 assets selected" in form.content
    assert b'name="min_confidence"' in form.content
    response = alice_client.post(
        URL,
        apply(
            "run_auto_tagging",
            assets,
            provider="google-auto-tagging",
            min_confidence="10",
            max_tags="5",
        ),
        follow=True,
    )

    assert "2 run(s) queued." in messages_of(response)
    wait_until(runs_finished)
    runs = list(ExtensionRun.objects.all())
    assert {run.asset_id for run in runs} == {asset.pk for asset in assets}
    assert {(run.name, run.status, run.backend) for run in runs} == {
        ("google-auto-tagging", "success", "local-auto-tagging")
    }
    assert all(run.params == {"minConfidence": 10, "maxTags": 5} for run in runs)
    for asset in assets:
        tags = list(AITag.objects.filter(asset=asset))
        assert 0 < len(tags) <= 5
        assert {tag.source for tag in tags} == {"google-auto-tagging"}
        assert all(tag.confidence >= 10 for tag in tags)
        assert "Red" in {tag.name for tag in tags}
    assert not AITag.objects.filter(asset=untouched).exists()
    assert unit_balance() == balance - 2 * 2
    listing = alice_client.get(URL).content.decode()
    assert listing.count("google-auto-tagging: success") == 2


@pytest.mark.slow
def test_it_removes_the_background_into_a_new_version(alice_client, celery_worker):
    picture, _ = red_circle_on_white()
    asset = upload("circle.png", content=encode(picture))
    first_version = asset.current_version

    form = alice_client.post(URL, choose("remove_background", [asset]))
    assert b'name="add_shadow"' in form.content and b'name="bg_color"' in form.content
    response = alice_client.post(
        URL,
        apply("remove_background", [asset], semitransparency="on", output_format="png"),
        follow=True,
    )

    assert "1 run(s) queued." in messages_of(response)
    wait_until(runs_finished)
    run = ExtensionRun.objects.get()
    assert (run.name, run.status) == ("remove-bg", "success"), run.error_message
    assert run.params == {
        "options": {"add_shadow": False, "semitransparency": True, "format": "png"}
    }
    asset.refresh_from_db()
    new_version = asset.current_version
    assert new_version.number == 2
    assert new_version.origin == AssetVersion.Origin.EXTENSION
    assert new_version.has_alpha
    assert asset.versions.filter(pk=first_version.pk).exists()


@pytest.mark.django_db
def test_it_refuses_when_the_units_cannot_cover_every_selected_asset(alice_client, settings):
    settings.EXTENSIONS_INITIAL_UNITS = 200  # remove-bg costs 130 units per asset
    assets = [upload("a.png"), upload("b.png")]

    response = alice_client.post(URL, apply("remove_background", assets), follow=True)

    (message,) = messages_of(response)
    assert "Not enough extension units: 2 asset(s) need 260 units and the balance is 200" in (
        message
    )
    assert not ExtensionRun.objects.exists()
    assert unit_balance() == 200


@pytest.mark.django_db
def test_it_shows_the_form_again_on_invalid_options(alice_client):
    asset = upload("a.png")

    response = alice_client.post(
        URL,
        apply(
            "run_auto_tagging",
            [asset],
            provider="google-auto-tagging",
            min_confidence="150",
            max_tags="5",
        ),
    )

    assert response.status_code == 200
    assert b"Ensure this value is less than or equal to 100" in response.content
    assert not ExtensionRun.objects.exists()


@pytest.mark.django_db
def test_it_refuses_the_actions_to_staff_without_the_rerun_permission(bob_client):
    asset = upload("a.png")

    listing = bob_client.get(URL)
    bob_client.post(URL, choose("run_auto_tagging", [asset]))
    bob_client.post(
        URL,
        apply(
            "run_auto_tagging",
            [asset],
            provider="google-auto-tagging",
            min_confidence="10",
            max_tags="5",
        ),
    )

    assert listing.status_code == 200
    assert "run_auto_tagging" not in action_choices(listing)
    assert "remove_background" not in action_choices(listing)
    assert not ExtensionRun.objects.exists()


@pytest.mark.django_db
def test_it_runs_on_every_asset_of_the_filtered_list_when_all_are_selected(alice_client):
    tagged = [upload("a.png", tags=["batch"]), upload("b.png", tags=["batch"])]
    upload("c.png", tags=["other"])

    # "Select all N assets" posts the rows of the page and select_across=1; the
    # intermediate form keeps both, and the list's filter, in its URL.
    response = alice_client.post(
        f"{URL}?tag=batch",
        {
            **apply(
                "run_auto_tagging",
                tagged[:1],
                provider="aws-auto-tagging",
                min_confidence="20",
                max_tags="3",
            ),
            "select_across": "1",
        },
        follow=True,
    )

    assert "2 run(s) queued." in messages_of(response)
    assert {run.asset_id for run in ExtensionRun.objects.all()} == {a.pk for a in tagged}
    assert set(ExtensionRun.objects.values_list("name", flat=True)) == {"aws-auto-tagging"}


@pytest.mark.django_db
def test_it_reports_runs_that_fail_at_once(alice_client):
    picture = upload("picture.png")
    text = upload("notes.txt", content=b"not an image")

    response = alice_client.post(
        URL, apply("remove_background", [picture, text], semitransparency="on"), follow=True
    )

    messages = messages_of(response)
    assert "1 run(s) queued." in messages
    assert any(m.startswith("1 run(s) failed at once: remove-bg cannot process") for m in messages)
