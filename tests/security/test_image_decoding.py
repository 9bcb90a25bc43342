"""Image decoding is bounded: reduced decodes, no full-size copies, few large decodes at once."""

from __future__ import annotations

import io
import threading

import pytest
from PIL import ExifTags, Image, ImageFile

from core.exceptions import BadRequest, ServiceUnavailable
from medialib import images


def png(size: tuple[int, int], orientation: int | None = None) -> io.BytesIO:
    image = Image.new("RGB", size, "teal")
    exif = Image.Exif()
    if orientation:
        exif[ExifTags.Base.Orientation] = orientation
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", exif=exif)
    buffer.seek(0)
    return buffer


@pytest.fixture
def spy_on_new_images(monkeypatch):
    """Once called, records the size of every image Pillow makes (convert, transpose, copy...)
    in the test's own thread: a worker or server thread of an earlier test may still be decoding."""

    def start() -> list[tuple[int, int]]:
        sizes: list[tuple[int, int]] = []
        original = Image.Image._new
        test_thread = threading.current_thread()

        def spy(self, im):
            made = original(self, im)
            if threading.current_thread() is test_thread:
                sizes.append(made.size)
            return made

        monkeypatch.setattr(Image.Image, "_new", spy)
        return sizes

    return start


def test_the_decoded_source_is_never_copied_at_full_size(spy_on_new_images):
    source = png((3000, 2000), orientation=6)
    created_sizes = spy_on_new_images()

    inspection = images.inspect(source, name="big.png")

    assert inspection.thumbnail.decoded_size == (3000, 2000)
    # The thumbnail is turned upright (orientation 6: a quarter turn), not the source.
    assert Image.open(io.BytesIO(inspection.thumbnail.content)).size == (171, 256)
    assert created_sizes, "the spy saw nothing"
    assert all(width * height < 3000 * 2000 for width, height in created_sizes)


def test_a_palette_image_is_reduced_before_it_is_converted(spy_on_new_images):
    buffer = io.BytesIO()
    Image.new("P", (2400, 1200), 3).save(buffer, format="PNG")
    buffer.seek(0)
    created_sizes = spy_on_new_images()

    inspection = images.inspect(buffer, name="palette.png")

    assert Image.open(io.BytesIO(inspection.thumbnail.content)).size == (256, 128)
    assert all(width * height < 2400 * 1200 for width, height in created_sizes)


def test_large_decodes_wait_for_a_slot_and_give_up_with_503(settings):
    settings.MEDIALIB_LARGE_DECODE_PIXELS = 1000 * 1000
    settings.MEDIALIB_LARGE_DECODE_CONCURRENCY = 1
    settings.MEDIALIB_LARGE_DECODE_WAIT = 0
    slots = images.large_decode_slots()
    assert slots.acquire(blocking=False)  # another request is decoding a large image
    try:
        with pytest.raises(ServiceUnavailable):
            images.inspect(png((1200, 1000)), name="large.png")
        # Small images, and JPEGs whose reduced draft is small, do not need a slot.
        assert images.inspect(png((900, 1000)), name="small.png").thumbnail
        jpeg = io.BytesIO()
        Image.new("RGB", (4000, 3000), "red").save(jpeg, format="JPEG")
        assert images.inspect(jpeg, name="big.jpg").thumbnail.decoded_size == (500, 375)
    finally:
        slots.release()
    assert images.inspect(png((1200, 1000)), name="large.png").thumbnail


def test_the_slots_follow_the_setting(settings):
    settings.MEDIALIB_LARGE_DECODE_CONCURRENCY = 3
    slots = images.large_decode_slots()
    assert all(slots.acquire(blocking=False) for _ in range(3))
    assert not slots.acquire(blocking=False)
    for _ in range(3):
        slots.release()


def test_a_large_decode_is_streamed_by_libvips_not_decoded_by_pillow(settings, monkeypatch):
    settings.MEDIALIB_LARGE_DECODE_PIXELS = 1000 * 1000
    source = png((3000, 2000), orientation=6)
    decoded_by_pillow = []
    original_load = ImageFile.ImageFile.load
    test_thread = threading.current_thread()

    def spy(self):
        # Only this thread: a worker thread of an earlier test may still be decoding its images.
        if threading.current_thread() is test_thread:
            decoded_by_pillow.append(self.size)
        return original_load(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", spy)

    inspection = images.inspect(source, name="big.png")

    # Not even to read the EXIF, which a PNG's getexif() would decode the pixels for.
    assert decoded_by_pillow == []
    thumbnail = Image.open(io.BytesIO(inspection.thumbnail.content))
    assert (thumbnail.format, thumbnail.size) == ("JPEG", (171, 256))  # turned upright
    assert inspection.embedded_metadata["Orientation"] == 6


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "TIFF", "GIF"])
def test_a_truncated_large_image_is_refused_by_the_streamed_decode(settings, fmt):
    settings.MEDIALIB_LARGE_DECODE_PIXELS = 100 * 100
    buffer = io.BytesIO()
    Image.effect_noise((600, 600), 80).convert("RGB").save(buffer, format=fmt)
    truncated = io.BytesIO(buffer.getvalue()[: len(buffer.getvalue()) // 2])

    with pytest.raises(BadRequest, match="truncated"):
        images.inspect(truncated, name=f"cut.{fmt.lower()}")


def test_a_large_transparent_image_keeps_its_alpha(settings):
    settings.MEDIALIB_LARGE_DECODE_PIXELS = 100 * 100
    buffer = io.BytesIO()
    Image.new("RGBA", (600, 300), (0, 0, 255, 128)).save(buffer, format="PNG")
    buffer.seek(0)

    thumbnail = Image.open(io.BytesIO(images.inspect(buffer, name="a.png").thumbnail.content))

    assert (thumbnail.format, thumbnail.size, thumbnail.mode) == ("PNG", (256, 128), "RGBA")
    assert thumbnail.getpixel((10, 10)) == (0, 0, 255, 128)
