"""Pictures drawn in memory for the offline providers' tests, with their known truth."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageDraw, ImageFilter


def encode(picture: Image.Image, fmt: str = "PNG", **params: object) -> bytes:
    buffer = io.BytesIO()
    picture.save(buffer, fmt, **params)
    return buffer.getvalue()


def decode(content: bytes) -> Image.Image:
    picture = Image.open(io.BytesIO(content))
    picture.load()
    return picture


def red_circle_on_white() -> tuple[Image.Image, np.ndarray]:
    """The picture DESIGN.md measured, with its true foreground mask."""
    picture = Image.new("RGB", (400, 300), "white")
    ImageDraw.Draw(picture).ellipse((140, 90, 240, 190), fill="red")
    yy, xx = np.mgrid[:300, :400]
    return picture, ((xx - 190) ** 2 + (yy - 140) ** 2) <= 50**2


def figure_on_texture() -> tuple[Image.Image, np.ndarray]:
    """A person-like silhouette (head, torso, legs) on a wavy two-tone background."""
    width, height = 640, 480
    yy, xx = np.mgrid[:height, :width]
    background = np.zeros((height, width, 3), dtype=np.uint8)
    background[..., 0] = (120 + 60 * np.sin(xx / 23.0)).astype(np.uint8)
    background[..., 1] = (160 + 40 * np.cos(yy / 17.0)).astype(np.uint8)
    background[..., 2] = 200
    picture = Image.fromarray(background)

    mask = Image.new("L", (width, height), 0)
    draw = ImageDraw.Draw(mask)
    draw.ellipse((280, 80, 360, 170), fill=255)
    draw.rounded_rectangle((250, 170, 390, 400), radius=40, fill=255)
    draw.rectangle((265, 400, 310, 480), fill=255)
    draw.rectangle((330, 400, 375, 480), fill=255)
    figure = Image.new("RGB", (width, height), (40, 50, 120))
    ImageDraw.Draw(figure).ellipse((280, 80, 360, 170), fill=(224, 172, 105))
    picture.paste(figure, (0, 0), mask)
    return picture, np.asarray(mask) > 127


def crossword_grid(seed: int = 3) -> Image.Image:
    """A black-and-white puzzle grid, which MobileNetV2 knows as "crossword puzzle"."""
    picture = Image.new("RGB", (480, 480), "white")
    draw = ImageDraw.Draw(picture)
    rng = np.random.default_rng(seed)
    for i in range(15):
        for j in range(15):
            if rng.random() < 0.25:
                draw.rectangle((i * 32, j * 32, i * 32 + 32, j * 32 + 32), fill="black")
    for k in range(16):
        draw.line((k * 32, 0, k * 32, 480), fill="black", width=2)
        draw.line((0, k * 32, 480, k * 32), fill="black", width=2)
    return picture


def drawn_face() -> Image.Image:
    """A softly shaded cartoon face that OpenCV's frontal face cascade detects."""
    skin = (224, 172, 135)
    picture = Image.new("RGB", (480, 480), (90, 110, 140))
    draw = ImageDraw.Draw(picture)
    draw.ellipse((140, 60, 340, 170), fill=(60, 40, 25))
    draw.ellipse((150, 110, 330, 350), fill=skin)
    draw.rectangle((150, 120, 330, 150), fill=skin)
    for x in (185, 255):
        draw.ellipse((x, 185, x + 40, 207), fill="white")
        draw.ellipse((x + 11, 186, x + 29, 206), fill=(30, 20, 20))
        draw.rectangle((x - 5, 168, x + 45, 176), fill=(60, 40, 30))
    draw.polygon([(240, 205), (226, 262), (254, 262)], fill=(205, 150, 118))
    draw.ellipse((205, 285, 275, 305), fill=(170, 70, 70))
    return picture.filter(ImageFilter.GaussianBlur(3))


def scene(width: int = 1024, height: int = 768) -> Image.Image:
    """A busy picture (sky, ground, shapes, a face) for timing and general checks."""
    picture = Image.new("RGB", (width, height), (135, 190, 235))
    draw = ImageDraw.Draw(picture)
    draw.rectangle((0, height * 2 // 3, width, height), fill=(60, 140, 60))
    draw.ellipse((width // 10, height // 10, width // 4, height // 3), fill=(250, 210, 40))
    draw.rectangle((width // 2, height // 3, width * 5 // 6, height * 3 // 4), fill=(170, 40, 40))
    face = drawn_face().resize((height // 3, height // 3))
    picture.paste(face, (width // 6, height // 3))
    return picture
