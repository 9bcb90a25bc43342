"""URL transformations as the SDK's helper builds them: dimensions, formats, pixels, headers."""

from __future__ import annotations

import io
import time
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from imagekitio import ImageKit
from PIL import Image

from medialib import transformations
from medialib.models import Rendition
from medialib.services.renditions import renditions_sweep
from tests.factories import make_image_bytes

pytestmark = pytest.mark.django_db
ENDPOINT = "http://testserver/f"


@pytest.fixture
def sdk(issued_key) -> ImageKit:
    return ImageKit(private_key=issued_key.private_key, base_url="http://127.0.0.1:9")


def local(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def fetch(sdk: ImageKit, src: str, transformation: list[dict] | None = None, **options):
    url = sdk.helper.build_url(
        src=src, url_endpoint=ENDPOINT, transformation=transformation or [], **options
    )
    headers = options.pop("headers", {}) if "headers" in options else {}
    return Client().get(local(url), **headers)


def picture(response) -> Image.Image:
    assert response.status_code == 200, getattr(response, "content", b"")[:300]
    return Image.open(io.BytesIO(b"".join(response.streaming_content)))


@pytest.fixture
def halves(upload) -> str:
    """A 200x100 PNG, left half red and right half blue, at /halves.png."""
    image = Image.new("RGB", (200, 100), "red")
    image.paste(Image.new("RGB", (100, 100), "blue"), (100, 0))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    response = upload(buffer.getvalue(), fileName="halves.png", useUniqueFileName="false")
    assert response.status_code == 200, response.content
    return "/halves.png"


@pytest.mark.parametrize("position", ["query", "path"])
@pytest.mark.parametrize(
    ("transformation", "size"),
    [
        ({"width": 100}, (100, 50)),
        ({"height": 20}, (40, 20)),
        ({"width": 0.5}, (100, 50)),
        ({"width": 50, "height": 50}, (50, 50)),
        ({"width": 50, "height": 50, "crop": "force"}, (50, 50)),
        ({"width": 50, "height": 50, "crop": "at_max"}, (50, 25)),
        ({"width": 400, "height": 400, "crop": "at_max"}, (200, 100)),
        ({"width": 400, "height": 400, "crop": "at_max_enlarge"}, (400, 200)),
        ({"width": 50, "height": 50, "crop": "at_least"}, (100, 50)),
        ({"width": 60, "aspect_ratio": "3-2"}, (60, 40)),
        ({"width": 50, "dpr": 2}, (100, 50)),
        ({"width": 60, "height": 60, "crop_mode": "pad_resize"}, (60, 60)),
        ({"width": 30, "height": 40, "crop_mode": "extract"}, (30, 40)),
        ({"rotation": 90}, (100, 200)),
    ],
)
def test_sizes_follow_imagekit(sdk, halves, position, transformation, size):
    response = fetch(sdk, halves, [transformation], transformation_position=position)

    assert picture(response).size == size


def test_the_default_crop_keeps_the_centre_and_focus_moves_it(sdk, halves):
    centre = picture(fetch(sdk, halves, [{"width": 100, "height": 100}]))
    left = picture(fetch(sdk, halves, [{"width": 100, "height": 100, "focus": "left"}]))
    right = picture(fetch(sdk, halves, [{"width": 50, "height": 100, "focus": "right"}]))

    assert centre.convert("RGB").getpixel((10, 50))[0] > 200  # red at the left of the centre
    assert centre.convert("RGB").getpixel((90, 50))[2] > 200  # blue at its right
    assert left.convert("RGB").getpixel((90, 50))[0] > 200, "only red on the left"
    assert right.convert("RGB").getpixel((5, 50))[2] > 200, "only blue on the right"


def test_extract_at_x_y_and_pad_resize_with_background(sdk, halves):
    extract = fetch(
        sdk, halves, [{"width": 20, "height": 20, "crop_mode": "extract", "x": 150, "y": 10}]
    )
    padded = fetch(
        sdk,
        halves,
        [{"width": 200, "height": 200, "crop_mode": "pad_resize", "background": "00FF00"}],
    )

    assert picture(extract).convert("RGB").getpixel((10, 10))[2] > 200
    pad = picture(padded).convert("RGB")
    assert pad.size == (200, 200)
    assert pad.getpixel((100, 10)) == (0, 255, 0), "padding at the top"
    assert pad.getpixel((10, 100))[0] > 200, "the image in the middle"


def test_pad_extract_pads_beyond_the_image(sdk, halves):
    image = picture(
        fetch(
            sdk,
            halves,
            [{"width": 300, "height": 100, "crop_mode": "pad_extract", "background": "000000"}],
        )
    ).convert("RGB")

    assert image.size == (300, 100)
    assert image.getpixel((5, 50)) == (0, 0, 0)
    assert image.getpixel((60, 50))[0] > 200


@pytest.mark.parametrize(
    ("fmt", "expected"), [("jpg", "JPEG"), ("png", "PNG"), ("webp", "WEBP"), ("avif", "AVIF")]
)
def test_formats(sdk, halves, fmt, expected):
    response = fetch(sdk, halves, [{"width": 40, "format": fmt}])

    assert picture(response).format == expected
    assert response["Content-Type"] == f"image/{'jpeg' if fmt == 'jpg' else fmt}"


def test_format_auto_follows_accept_and_varies(sdk, halves):
    url = local(
        sdk.helper.build_url(
            src=halves, url_endpoint=ENDPOINT, transformation=[{"width": 40, "format": "auto"}]
        )
    )

    webp = Client().get(url, HTTP_ACCEPT="image/webp,*/*")
    plain = Client().get(url, HTTP_ACCEPT="*/*")

    assert picture(webp).format == "WEBP"
    assert picture(plain).format == "PNG"
    assert webp["Vary"] == "Accept"
    assert webp["ETag"] != plain["ETag"]


def test_effects_and_chains_apply_in_order(sdk, halves):
    grey = picture(fetch(sdk, halves, [{"width": 20, "grayscale": True}])).convert("RGB")
    chained = picture(fetch(sdk, halves, [{"width": 100}, {"rotation": 90}, {"width": 10}]))
    rounded = picture(
        fetch(sdk, halves, [{"width": 40, "height": 40, "radius": "max", "format": "png"}])
    )
    bordered = picture(fetch(sdk, halves, [{"width": 20, "border": "5_00FF00"}])).convert("RGB")
    flipped = picture(fetch(sdk, halves, [{"flip": "h"}])).convert("RGB")

    r, g, b = grey.getpixel((5, 5))
    assert r == g == b
    assert chained.size == (10, 20)
    assert rounded.mode == "RGBA" and rounded.getpixel((0, 0))[3] == 0
    assert rounded.getpixel((20, 20))[3] == 255
    assert bordered.size == (30, 20) and bordered.getpixel((1, 1)) == (0, 255, 0)
    assert flipped.getpixel((5, 5))[2] > 200, "blue comes first"
    for options in (
        {"blur": 10},
        {"sharpen": True},
        {"quality": 30, "format": "jpg"},
        {"trim": True},
    ):
        assert picture(fetch(sdk, halves, [{"width": 50, **options}])).width > 0


def test_named_transformations_and_the_thumbnail(sdk, halves, api_client):
    created = api_client.post(
        "/v1/named-transformations",
        {"name": "small_square", "transformation": "w-30,h-30"},
        format="json",
    )
    thumbnail = fetch(sdk, halves, [{"named": "ik_ml_thumbnail"}], transformation_position="path")

    assert created.status_code == 201, created.content
    assert picture(fetch(sdk, halves, [{"named": "small_square"}])).size == (30, 30)
    assert picture(thumbnail).size == (200, 100)
    assert fetch(sdk, halves, [{"named": "nope"}]).status_code == 400


@pytest.mark.parametrize(
    ("raw", "named"),
    [
        ("w-abc", "w"),
        ("zz-1", "zz"),
        ("c-sideways", "c"),
        ("w", "w"),
        ("l-text", "l"),
        ("e-bgremove", "bgremove"),
    ],
)
def test_bad_parameters_are_400_naming_them(sdk, halves, raw, named):
    response = Client().get(f"/f{halves}?tr={raw}")

    assert response.status_code == 400
    assert named in response.json()["message"]
    assert response.json()["help"]
    assert not Rendition.objects.exists()


def test_signed_urls_as_the_sdk_makes_them(sdk, upload):
    upload(
        make_image_bytes((80, 40)),
        fileName="secret.png",
        isPrivateFile="true",
        useUniqueFileName="false",
    )

    def url(**options):
        return local(sdk.helper.build_url(src="/secret.png", url_endpoint=ENDPOINT, **options))

    signed_query = url(transformation=[{"width": 20}], signed=True, expires_in=300)
    signed_path = url(transformation=[{"width": 20}], transformation_position="path", signed=True)
    signed_original = url(signed=True)
    expired = url(signed=True, expires_in=300).replace("ik-t=", "ik-t=1")
    tampered = signed_query.replace("w-20", "w-21")
    missing = Client().get("/f/nothing.png?tr=w-20")

    assert picture(Client().get(signed_query)).size == (20, 10)
    response = Client().get(signed_path)
    assert picture(response).size == (20, 10)
    assert "private" in response["Cache-Control"]
    assert Client().get(signed_original).status_code == 200
    for refused in (url(transformation=[{"width": 20}]), tampered, expired):
        answer = Client().get(refused)
        assert answer.status_code == 404, refused
        assert answer.content == missing.content
    assert int(time.time()) < 2**33


def test_renditions_are_cached_revalidated_and_swept(sdk, halves, upload):
    url = local(
        sdk.helper.build_url(src=halves, url_endpoint=ENDPOINT, transformation=[{"width": 50}])
    )

    first = Client().get(url)
    second = Client().get(url)
    revalidated = Client().get(url, HTTP_IF_NONE_MATCH=first["ETag"])

    assert picture(first).size == picture(second).size == (50, 25)
    assert Rendition.objects.count() == 1
    assert "public" in first["Cache-Control"] and "max-age" in first["Cache-Control"]
    assert revalidated.status_code == 304
    upload(make_image_bytes((100, 100), "green"), fileName="halves.png", useUniqueFileName="false")
    fresh = picture(Client().get(url))
    assert fresh.size == (50, 50)
    assert fresh.convert("RGB").getpixel((25, 25))[1] > 100
    assert renditions_sweep() == 1
    assert Rendition.objects.count() == 1


def test_parse_normalises_and_expands_named():
    steps = transformations.parse("h-20,w-10:n-ik_ml_thumbnail", named=lambda name: None)

    assert transformations.normalise(steps) == "h-20,w-10:c-at_max,h-256,w-256"


@pytest.mark.e2e
def test_the_sdk_manages_named_transformations(live_server, transactional_db):
    from medialib.services import api_key_create

    client = ImageKit(
        private_key=api_key_create(name="sdk").private_key,
        base_url=live_server.url,
        max_retries=0,
        _strict_response_validation=True,
    )

    created = client.named_transformations.create(name="card", transformation="w-40,h-30")
    updated = client.named_transformations.update(created.id, transformation="w-20")
    listed = client.named_transformations.list()
    fetched = client.named_transformations.get(created.id)
    client.named_transformations.delete(created.id)

    assert (updated.name, updated.transformation, updated.enabled) == ("card", "w-20", True)
    assert [n.name for n in listed] == ["card"]
    assert fetched.transformation == "w-20"
    assert client.named_transformations.list() == []


def test_named_transformation_rules(api_client):
    bad_name = api_client.post(
        "/v1/named-transformations", {"name": "a b", "transformation": "w-10"}, format="json"
    )
    bad_text = api_client.post(
        "/v1/named-transformations", {"name": "ok", "transformation": "w-x"}, format="json"
    )
    api_client.post(
        "/v1/named-transformations", {"name": "ok", "transformation": "w-10"}, format="json"
    )
    twice = api_client.post(
        "/v1/named-transformations", {"name": "ok", "transformation": "w-10"}, format="json"
    )

    assert bad_name.status_code == 400
    assert bad_text.status_code == 400 and "'w'" in bad_text.json()["message"]
    assert twice.status_code == 409


def test_the_admin_creates_named_transformations(admin_client):
    refused = admin_client.post(
        "/admin/medialib/namedtransformation/add/",
        {"name": "hero", "transformation": "w-abc", "enabled": "on"},
    )
    saved = admin_client.post(
        "/admin/medialib/namedtransformation/add/",
        {"name": "hero", "transformation": "w-1200,h-400", "enabled": "on"},
    )

    assert refused.status_code == 200 and b"must be a number" in refused.content
    assert saved.status_code == 302
    assert admin_client.get("/admin/medialib/namedtransformation/").status_code == 200


def test_the_thumbnail_is_made_by_libvips_from_a_stored_file():
    from medialib import images

    buffer = io.BytesIO()
    Image.new("RGBA", (600, 300), (0, 0, 255, 128)).save(buffer, format="PNG")
    buffer.seek(0)

    thumbnail = images.thumbnail_from_file(buffer)

    made = Image.open(io.BytesIO(thumbnail.content))
    assert (made.format, made.size, made.mode) == ("PNG", (256, 128), "RGBA")
    assert images.thumbnail_from_file(io.BytesIO(b"%PDF-1.4 not an image")) is None


def test_a_cached_rendition_costs_the_queries_of_an_original(upload):
    upload(make_image_bytes(size=(200, 100)), fileName="q.png", useUniqueFileName="false")
    client = Client()
    assert client.get("/f/q.png?tr=w-50").status_code == 200  # rendered and remembered
    with CaptureQueriesContext(connection) as original:
        assert client.get("/f/q.png").status_code == 200
    with CaptureQueriesContext(connection) as cached:
        assert client.get("/f/q.png?tr=w-50").status_code == 200
    assert len(cached.captured_queries) == len(original.captured_queries)
