"""Offline auto-tagging: MobileNetV2 classes, general labels, faces and dominant colours.

Every confidence is a measured quantity on the 0-100 scale:
- ImageNet labels: the model's softmax probability x 100; general labels sum the
  probabilities of the classes they cover and are kept only well above what a
  know-nothing prediction would give them (see `extensions.offline.imagenet`);
- Face: OpenCV's Haar cascade gives no probability, only how many overlapping detector
  windows agreed on a face (its votes n, more than MIN_NEIGHBORS to be reported).
  The confidence is 100 * n / (n + MIN_NEIGHBORS): a face that barely passed scores
  about 55, one seen by 20 windows 80. It is monotone, not calibrated;
- Person: the larger of the Face confidence and the ImageNet person classes;
- colours: the share of (opaque) pixels of that named colour x 100.
"""

from __future__ import annotations

import threading
from typing import Any

import cv2
import numpy as np
from PIL import Image

from extensions.offline import imagenet, mobilenet
from extensions.offline.images import can_read, flatten, open_image
from extensions.offline_models import mobilenet_session
from extensions.providers.base import Label, Provider, TaggingResult

# Every step works on one picture decoded at this size (JPEGs at a reduced DCT scale):
# MobileNet looks at 256 px, faces at FACE_MAX_SIDE, colours at COLOUR_SAMPLE_SIDE.
# Profiling (`benchmarks/README.md`, figure 2) showed decoding at 1024 px and shrinking
# twice more cost more than the model itself.
MAX_SIDE = 512
# Labels below this are noise for a 1000-way classifier on arbitrary pictures.
LABEL_FLOOR = 5.0
COLOUR_FLOOR = 10.0
COLOUR_SAMPLE_SIDE = 128

# Measured with these settings: the "alt2" cascade found a drawn face in 10-23 windows and
# false faces in blurred noise in at most 6, and spent about 100 ms on the worst case seen
# (a 1024x768 noise image).
FACE_CASCADE = "haarcascade_frontalface_alt2.xml"
FACE_MAX_SIDE = 480
FACE_SCALE_STEP = 1.15
MIN_NEIGHBORS = 5
# A face smaller than this share of the shorter side is too small to tag the picture by.
MIN_FACE_SHARE = 0.05

_cascade_local = threading.local()


class LocalAutoTagger(Provider):
    name = "local-auto-tagging"
    kind = "auto-tagging"
    label = "Offline tagger (MobileNetV2 + OpenCV)"

    def supports(self, mime: str) -> bool:
        return can_read(mime)

    def run(self, image: bytes, mime: str, params: dict[str, Any]) -> TaggingResult:
        picture = open_image(image, max_side=MAX_SIDE)
        rgb = flatten(picture)
        scores: dict[str, float] = {}

        probabilities = _classify(rgb)
        # Only the few classes above the floor: offering all 1000 cost more than colours.
        names = imagenet.class_names()
        for index in np.flatnonzero(probabilities * 100 >= LABEL_FLOOR):
            _offer(scores, names[index], float(probabilities[index]) * 100, LABEL_FLOOR)
        general = imagenet.general_probabilities(probabilities)
        for name, p in general.items():
            _offer(scores, name, p * 100, max(LABEL_FLOOR, imagenet.chance_floor(name)))

        face = _face_confidence(rgb)
        _offer(scores, "Face", face, LABEL_FLOOR)
        _offer(scores, "Person", max(face, general["Person"] * 100), LABEL_FLOOR)

        for name, share in colour_shares(picture).items():
            _offer(scores, name, share * 100, COLOUR_FLOOR)

        return TaggingResult(labels=_select(scores, params))


def _offer(scores: dict[str, float], name: str, confidence: float, floor: float) -> None:
    # One label per name: when two sources name the same thing ("Orange" the fruit and
    # the colour), the stronger evidence is kept rather than adding unrelated measures.
    confidence = round(min(confidence, 100.0), 2)
    if confidence >= floor and confidence > scores.get(name, 0.0):
        scores[name] = confidence


def _select(scores: dict[str, float], params: dict[str, Any]) -> list[Label]:
    min_confidence = float(params.get("minConfidence") or 0)
    ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
    labels = [Label(name, value) for name, value in ranked if value >= min_confidence]
    max_tags = params.get("maxTags")
    return labels if max_tags is None else labels[: int(max_tags)]


def _classify(rgb: Image.Image) -> np.ndarray:
    session = mobilenet_session()
    (probabilities,) = session.run(
        [mobilenet.OUTPUT_NAME], {mobilenet.INPUT_NAME: mobilenet.preprocess(rgb)}
    )
    return probabilities[0]


def _cascade() -> cv2.CascadeClassifier:
    # One classifier per thread: detectMultiScale keeps scratch state in the object.
    cascade = getattr(_cascade_local, "cascade", None)
    if cascade is None:
        path = cv2.data.haarcascades + FACE_CASCADE
        cascade = cv2.CascadeClassifier(path)
        if cascade.empty():
            raise RuntimeError(f"OpenCV could not load its face cascade from {path}")
        _cascade_local.cascade = cascade
    return cascade


def _face_confidence(rgb: Image.Image) -> float:
    """Return the confidence of the most-voted frontal face, 0 when there is none."""
    # The picture is already at most MAX_SIDE; shrink only if that is above FACE_MAX_SIDE.
    gray = np.asarray(rgb.convert("L"))
    if max(gray.shape) > FACE_MAX_SIDE:
        scale = FACE_MAX_SIDE / max(gray.shape)
        size = (max(1, int(gray.shape[1] * scale)), max(1, int(gray.shape[0] * scale)))
        gray = cv2.resize(gray, size, interpolation=cv2.INTER_AREA)
    gray = cv2.equalizeHist(gray)
    min_side = max(24, int(min(gray.shape) * MIN_FACE_SHARE))
    _faces, votes = _cascade().detectMultiScale2(
        gray, scaleFactor=FACE_SCALE_STEP, minNeighbors=MIN_NEIGHBORS, minSize=(min_side, min_side)
    )
    if len(votes) == 0:
        return 0.0
    best = int(np.max(votes))
    return 100.0 * best / (best + MIN_NEIGHBORS)


def colour_shares(picture: Image.Image) -> dict[str, float]:
    """Return the share (0-1) of opaque pixels in each named colour present.

    Pixels are sampled on a grid (nearest neighbour, so no blended colours are invented)
    and named by hue, saturation and value in HSV.
    """
    sample = picture.copy()
    # No reducing_gap: its reduce() step averages blocks, which is what must not happen.
    sample.thumbnail(
        (COLOUR_SAMPLE_SIDE, COLOUR_SAMPLE_SIDE), Image.Resampling.NEAREST, reducing_gap=None
    )
    pixels = np.asarray(sample.convert("RGB"))
    opaque = np.asarray(sample.getchannel("A")) >= 128 if sample.mode == "RGBA" else None
    hsv = cv2.cvtColor(pixels, cv2.COLOR_RGB2HSV_FULL).reshape(-1, 3).astype(np.float32)
    names = _name_colours(hsv[:, 0] * (360 / 256), hsv[:, 1] / 255, hsv[:, 2] / 255)
    if opaque is not None:
        names = names[opaque.reshape(-1)]
    if names.size == 0:
        return {}
    values, counts = np.unique(names, return_counts=True)
    return {str(v): float(c) / names.size for v, c in zip(values, counts, strict=True)}


def _name_colours(hue: np.ndarray, sat: np.ndarray, val: np.ndarray) -> np.ndarray:
    """Name each pixel: hue in degrees, saturation and value in 0-1."""
    grey = sat < 0.18
    red = (hue < 15) | (hue >= 345)
    conditions = [
        val < 0.2,
        grey & (val >= 0.85),
        grey,
        (hue >= 10) & (hue < 45) & (val < 0.6),  # a dark orange is what people call brown
        red & (sat < 0.5) & (val >= 0.7),  # a pale red is pink
        red,
        hue < 45,
        hue < 70,
        hue < 170,
        hue < 260,
        hue < 315,
    ]
    choices = [
        "Black",
        "White",
        "Gray",
        "Brown",
        "Pink",
        "Red",
        "Orange",
        "Yellow",
        "Green",
        "Blue",
        "Purple",
    ]
    return np.select(conditions, choices, default="Pink")
