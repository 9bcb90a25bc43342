"""POST /v1/folder and DELETE /v1/folder."""

from __future__ import annotations

import pytest
from django.core.files.storage import default_storage
from django.db.models.signals import post_delete

from medialib.models import Asset, Folder
from tests.factories import AssetFactory, FolderFactory

URL = "/v1/folder"


def test_it_creates_a_folder_and_its_missing_parents(api_client, db):
    response = api_client.post(
        URL, {"folderName": "summer", "parentFolderPath": "/products/images/"}, format="json"
    )

    assert response.status_code == 201
    assert response.json() == {}
    assert list(Folder.objects.values_list("path", flat=True)) == [
        "/products",
        "/products/images",
        "/products/images/summer",
    ]
    summer = Folder.objects.get(path="/products/images/summer")
    assert (summer.name, summer.parent.path) == ("summer", "/products/images")


def test_creating_an_existing_folder_succeeds_without_a_duplicate(api_client, db):
    body = {"folderName": "a", "parentFolderPath": "/"}

    assert api_client.post(URL, body, format="json").status_code == 201
    assert api_client.post(URL, body, format="json").status_code == 201
    assert Folder.objects.filter(path="/a").count() == 1


def test_it_cleans_folder_names_like_upload(api_client, db):
    response = api_client.post(
        URL, {"folderName": "sale & more", "parentFolderPath": "/"}, format="json"
    )

    assert response.status_code == 201
    assert Folder.objects.get().path == "/sale _ more"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"parentFolderPath": "/"}, "folderName is required"),
        ({"folderName": "..", "parentFolderPath": "/"}, "not a path"),
        ({"folderName": "a/b", "parentFolderPath": "/"}, "not a path"),
        ({"folderName": "a", "parentFolderPath": "/x/../.."}, "parentFolderPath"),
        ({"folderName": "a", "parentFolderPath": "/x\x00"}, "control characters"),
        ({"folderName": "a", "parentFolderPath": "/x" * 50}, "deeper than 50"),
        ({"folderName": "a", "parentFolderPath": ["/"]}, "parentFolderPath must be a string"),
    ],
)
def test_it_refuses_bad_folders(api_client, db, body, message):
    response = api_client.post(URL, body, format="json")

    assert response.status_code == 400
    assert message in response.json()["message"]
    assert not Folder.objects.exists()


def test_it_deletes_a_folder_its_subfolders_and_their_files(
    api_client, db, django_capture_on_commit_callbacks
):
    shoes = FolderFactory(name="shoes", path="/shoes")
    red = FolderFactory(name="red", path="/shoes/red", parent=shoes)
    FolderFactory(name="shoes-old", path="/shoes-old")
    inside = [
        AssetFactory(name="a.png", file_path="/shoes/a.png", folder=shoes),
        AssetFactory(name="b.png", file_path="/shoes/red/b.png", folder=red),
    ]
    outside = AssetFactory(name="c.png")

    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.delete(URL, {"folderPath": "/shoes/"}, format="json")

    assert response.status_code == 204
    assert list(Folder.objects.values_list("path", flat=True)) == ["/shoes-old"]
    assert list(Asset.objects.all()) == [outside]
    assert not any(default_storage.exists(a.current_version.storage_key) for a in inside)
    assert default_storage.exists(outside.current_version.storage_key)


def test_it_answers_404_for_a_missing_folder(api_client, db):
    response = api_client.delete(URL, {"folderPath": "/nowhere"}, format="json")

    assert response.status_code == 404
    assert response.json()["reason"] == "FOLDER_NOT_FOUND"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"folderPath": "/"}, "The root folder cannot be deleted."),
        ({}, "folderPath must be a string"),
        ({"folderPath": "/shoes/.."}, ".."),
    ],
)
def test_it_refuses_bad_deletes(api_client, db, body, message):
    FolderFactory(name="shoes", path="/shoes")

    response = api_client.delete(URL, body, format="json")

    assert response.status_code == 400
    assert message in response.json()["message"]
    assert Folder.objects.count() == 1


def test_a_file_arriving_during_the_delete_gives_a_retryable_409_and_loses_nothing(api_client, db):
    shoes = FolderFactory(name="shoes", path="/shoes")
    AssetFactory(name="a.png", file_path="/shoes/a.png", folder=shoes)

    def upload_meanwhile(sender, instance, **kwargs):
        post_delete.disconnect(upload_meanwhile, sender=Asset)
        Asset.objects.create(name="b.png", file_path="/shoes/b.png", folder=shoes)

    post_delete.connect(upload_meanwhile, sender=Asset)
    try:
        response = api_client.delete(URL, {"folderPath": "/shoes"}, format="json")
    finally:
        post_delete.disconnect(upload_meanwhile, sender=Asset)

    assert response.status_code == 409
    assert list(Asset.objects.values_list("name", flat=True)) == ["a.png"]
    assert api_client.delete(URL, {"folderPath": "/shoes"}, format="json").status_code == 204
