"""The `options` of a remove-bg item: remove.bg's documented options only, each checked."""

from __future__ import annotations

import pytest

from extensions.providers.base import ExtensionParamsError
from extensions.providers.removebg import validate_options


def test_it_accepts_imagekits_documented_options():
    options = {
        "add_shadow": True,
        "semitransparency": False,
        "bg_color": "81d4fa",
    }

    assert validate_options(options) == options
    assert validate_options({"bg_image_url": "https://example.com/bg.jpg"}) == {
        "bg_image_url": "https://example.com/bg.jpg"
    }
    assert validate_options({}) == {}


def test_it_accepts_remove_bgs_other_documented_options():
    options = {
        "size": "full",
        "type": "product",
        "type_level": "2",
        "format": "png",
        "roi": "10px 20px 90% 100%",
        "crop": True,
        "crop_margin": "10px 5%",
        "scale": "80%",
        "position": "50% 20%",
        "channels": "rgba",
        "shadow_type": "drop",
        "shadow_opacity": 40,
    }

    assert validate_options(options) == options


@pytest.mark.parametrize(
    ("given", "canonical"),
    [
        ({"size": "50mp"}, {"size": "50MP"}),
        ({"shadow_type": "3d"}, {"shadow_type": "3D"}),
        ({"format": "PNG"}, {"format": "png"}),
        ({"type_level": 1}, {"type_level": "1"}),
        ({"bg_color": "Green"}, {"bg_color": "Green"}),
        ({"bg_color": "fff"}, {"bg_color": "fff"}),
        ({"bg_color": "81d4fa77"}, {"bg_color": "81d4fa77"}),
    ],
)
def test_it_spells_values_as_remove_bg_does(given, canonical):
    assert validate_options(given) == canonical


@pytest.mark.parametrize("options", [None, [], "add_shadow", 1, True])
def test_options_must_be_an_object(options):
    with pytest.raises(ExtensionParamsError) as error:
        validate_options(options)

    assert error.value.field == "options"
    assert "options must be an object" in error.value.message


def test_an_unknown_option_is_refused_by_name():
    with pytest.raises(ExtensionParamsError) as error:
        validate_options({"add_shadow": True, "shadow": True})

    assert error.value.field == "options.shadow"
    assert "Unknown remove-bg option 'shadow'" in error.value.message


def test_bg_color_and_bg_image_url_are_mutually_exclusive():
    with pytest.raises(ExtensionParamsError) as error:
        validate_options({"bg_color": "white", "bg_image_url": "https://example.com/bg.jpg"})

    assert error.value.field == "options.bg_image_url"
    assert "mutually exclusive" in error.value.message


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"add_shadow": "true"}, "options.add_shadow"),
        ({"add_shadow": 1}, "options.add_shadow"),
        ({"semitransparency": "false"}, "options.semitransparency"),
        ({"semitransparency": None}, "options.semitransparency"),
        ({"crop": 0}, "options.crop"),
        ({"bg_color": 123456}, "options.bg_color"),
        ({"bg_image_url": ["https://example.com/bg.jpg"]}, "options.bg_image_url"),
        ({"size": True}, "options.size"),
        ({"shadow_opacity": "50"}, "options.shadow_opacity"),
        ({"shadow_opacity": True}, "options.shadow_opacity"),
        ({"shadow_opacity": 50.5}, "options.shadow_opacity"),
    ],
)
def test_values_of_the_wrong_type_are_refused(options, field):
    with pytest.raises(ExtensionParamsError) as error:
        validate_options(options)

    assert error.value.field == field


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"size": "huge"}, "options.size"),
        ({"type": "spaceship"}, "options.type"),
        ({"type_level": "3"}, "options.type_level"),
        ({"format": "gif"}, "options.format"),
        ({"channels": "rgb"}, "options.channels"),
        ({"shadow_type": "soft"}, "options.shadow_type"),
        ({"shadow_opacity": 101}, "options.shadow_opacity"),
        ({"shadow_opacity": -1}, "options.shadow_opacity"),
        ({"bg_color": "#81d4fa"}, "options.bg_color"),
        ({"bg_color": "81d4f"}, "options.bg_color"),
        ({"bg_color": "ggg"}, "options.bg_color"),
        ({"bg_color": "not-a-colour"}, "options.bg_color"),
        ({"bg_color": ""}, "options.bg_color"),
        ({"bg_image_url": "ftp://example.com/bg.jpg"}, "options.bg_image_url"),
        ({"bg_image_url": "example.com/bg.jpg"}, "options.bg_image_url"),
        ({"bg_image_url": "https:///bg.jpg"}, "options.bg_image_url"),
        ({"roi": "0 0 100 100"}, "options.roi"),
        ({"roi": "0% 0% 100%"}, "options.roi"),
        ({"roi": "0% 0% 120% 100%"}, "options.roi"),
        ({"roi": "50% 0% 10% 100%"}, "options.roi"),
        ({"crop_margin": "30"}, "options.crop_margin"),
        ({"crop_margin": "600px"}, "options.crop_margin"),
        ({"crop_margin": "60%"}, "options.crop_margin"),
        ({"crop_margin": "1px 2px 3px"}, "options.crop_margin"),
        ({"scale": "5%"}, "options.scale"),
        ({"scale": "150%"}, "options.scale"),
        ({"scale": "0.5"}, "options.scale"),
        ({"position": "left"}, "options.position"),
        ({"position": "10% 20% 30%"}, "options.position"),
        ({"position": "110%"}, "options.position"),
    ],
)
def test_values_remove_bg_does_not_document_are_refused(options, field):
    with pytest.raises(ExtensionParamsError) as error:
        validate_options(options)

    assert error.value.field == field
    assert error.value.message
