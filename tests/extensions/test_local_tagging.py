"""The offline tagger (MobileNetV2 + general labels + Haar faces + colours) on drawn pictures."""

from __future__ import annotations

import pytest
from PIL import Image, ImageDraw

from extensions.offline import imagenet
from extensions.providers.base import ProviderError, TaggingResult
from extensions.providers.local_tagging import LocalAutoTagger
from tests.extensions.drawings import (
    crossword_grid,
    drawn_face,
    encode,
    red_circle_on_white,
    scene,
)

ALL = {"minConfidence": 0, "maxTags": 30}
COLOURS = {"Red", "Green", "Blue", "Yellow", "Orange", "Purple", "Pink", "Brown", "Black"}
COLOURS |= {"White", "Gray"}


def tag(picture: Image.Image | bytes, params: dict | None = None) -> dict[str, float]:
    result = run(picture, params)
    return {label.name: label.confidence for label in result.labels}


def run(picture: Image.Image | bytes, params: dict | None = None) -> TaggingResult:
    data = picture if isinstance(picture, bytes) else encode(picture)
    return LocalAutoTagger().run(data, "image/png", ALL if params is None else params)


def test_it_names_large_colour_areas_with_their_share():
    picture = Image.new("RGB", (400, 300), (200, 30, 40))
    ImageDraw.Draw(picture).rectangle((300, 0, 400, 300), fill=(30, 60, 200))

    labels = tag(picture)

    assert labels["Red"] == pytest.approx(75, abs=1)
    assert labels["Blue"] == pytest.approx(25, abs=1)
    assert not (set(labels) & COLOURS) - {"Red", "Blue"}


def test_it_counts_only_opaque_pixels_for_colours():
    picture = Image.new("RGBA", (200, 200), (0, 0, 0, 0))
    ImageDraw.Draw(picture).rectangle((0, 0, 100, 200), fill=(240, 220, 20, 255))

    labels = tag(picture)

    assert labels["Yellow"] == 100
    assert "Black" not in labels


def test_it_answers_labels_sorted_by_confidence_within_0_to_100():
    result = run(scene())

    confidences = [label.confidence for label in result.labels]
    names = [label.name for label in result.labels]
    assert result.labels
    assert confidences == sorted(confidences, reverse=True)
    assert all(0 < c <= 100 and round(c, 2) == c for c in confidences)
    assert len(names) == len(set(names))


def test_it_recognises_a_crossword_grid():
    labels = tag(crossword_grid())

    assert labels["Crossword Puzzle"] >= 90
    assert labels["Text"] >= labels["Crossword Puzzle"]  # the general label sums its classes
    assert labels["White"] + labels["Black"] == pytest.approx(100, abs=1)


def test_it_tags_different_pictures_differently():
    crossword = tag(crossword_grid())
    circle = tag(red_circle_on_white()[0])

    assert "Crossword Puzzle" not in circle
    assert "Ping-Pong Ball" in circle
    assert set(crossword) != set(circle)


def test_it_finds_a_face_and_a_person():
    labels = tag(drawn_face())

    assert labels["Face"] > 60
    assert labels["Person"] >= labels["Face"]
    assert "Face" not in tag(crossword_grid())


def test_it_finds_a_face_a_third_of_the_picture_high():
    # Faces are searched on the picture shrunk to 240 px: this one is 80 px high there.
    labels = tag(scene())

    assert labels["Face"] > 55
    assert labels["Person"] >= labels["Face"]


def test_it_names_pink_both_pale_reds_and_hues_between_purple_and_red():
    picture = Image.new("RGB", (200, 100), (240, 150, 150))  # a pale red
    ImageDraw.Draw(picture).rectangle((100, 0, 200, 100), fill=(230, 40, 150))  # hue 330

    labels = tag(picture)

    assert labels["Pink"] == pytest.approx(100, abs=1)
    assert not (set(labels) & COLOURS) - {"Pink"}


def test_it_keeps_general_labels_only_above_chance():
    # A plain colour gives a know-nothing prediction, whose scattered probability adds up
    # to about 10-30% for Animal's 398 classes: not evidence of an animal.
    labels = tag(Image.new("RGB", (320, 240), (40, 60, 200)))

    assert "Animal" not in labels
    assert imagenet.chance_floor("Animal") == pytest.approx(79.6)


def test_it_applies_min_confidence_and_max_tags():
    everything = run(scene()).labels

    some = run(scene(), {"minConfidence": 20, "maxTags": 2}).labels

    assert some == [label for label in everything if label.confidence >= 20][:2]


@pytest.mark.parametrize("mode", ["P", "L", "CMYK", "I;16", "LA"])
def test_it_reads_every_common_pixel_format(mode):
    picture = Image.new("RGB", (120, 90), (230, 30, 30))
    ImageDraw.Draw(picture).rectangle((0, 0, 120, 30), fill=(255, 255, 255))
    converted = picture.convert("I").point(lambda v: v * 256) if mode == "I;16" else None
    converted = converted.convert("I;16") if converted is not None else picture.convert(mode)
    fmt = "JPEG" if mode == "CMYK" else "PNG"

    labels = tag(encode(converted, fmt))

    expected = {"White", "Red"} if mode in ("P", "CMYK") else {"White", "Gray"}
    assert expected <= set(labels)


def test_it_shrinks_a_huge_photo_before_looking_at_it():
    big = scene(6000, 4000)

    labels = tag(encode(big, "JPEG", quality=85))

    assert labels.keys() & COLOURS


def test_it_refuses_bytes_that_are_not_an_image():
    with pytest.raises(ProviderError) as caught:
        run(b"GIF89a but truncated")

    assert caught.value.code == "invalid_image"
    assert caught.value.permanent


def test_it_answers_the_same_labels_for_the_same_picture():
    assert run(scene()).labels == run(scene()).labels


@pytest.mark.parametrize(
    ("mime", "supported"),
    [("image/jpeg", True), ("image/png", True), ("image/webp", True), ("image/svg+xml", False)],
)
def test_it_supports_the_formats_pillow_decodes(mime, supported):
    assert LocalAutoTagger().supports(mime) is supported
