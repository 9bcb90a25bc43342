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
from concurrent.futures import ThreadPoolExecutor
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
# false faces in blurred noise in at most 6. The cascade's cost grows with the number of
# windows, the picture's area over the smallest face's: searching 480 px for faces from
# 24 px (5% of the shorter side) cost 22 ms of the 47 ms per image (figure 2). At 240 px
# from the cascade's own 20 px window, a face must fill a tenth of the shorter side (a
# portrait, a group of a few), and the search costs a half to a third as much (blurred
# noise, the worst case seen: 40 ms of CPU instead of 150 on a busy machine).
FACE_CASCADE = "haarcascade_frontalface_alt2.xml"
FACE_MAX_SIDE = 240
FACE_SCALE_STEP = 1.15
MIN_NEIGHBORS = 5
# The cascade's window; smaller faces would be scaled up, costing more than they find.
FACE_WINDOW = 20
# A face smaller than this share of the shorter side is too small to tag the picture by.
MIN_FACE_SHARE = 0.1

_cascade_local = threading.local()
# The face search of each run, next to its classification; a few threads, as a web or
# worker process runs a few taggers at once at most.
_face_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="tagger-faces")


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

        # Both calls release the GIL: the faces are searched on another core meanwhile.
        faces = _face_pool.submit(_face_confidence, rgb)
        probabilities = _classify(rgb)
        # Only the few classes above the floor: offering all 1000 cost more than colours.
        names = imagenet.class_names()
        for index in np.flatnonzero(probabilities * 100 >= LABEL_FLOOR):
            _offer(scores, names[index], float(probabilities[index]) * 100, LABEL_FLOOR)
        general = imagenet.general_probabilities(probabilities)
        for name, p in general.items():
            _offer(scores, name, p * 100, max(LABEL_FLOOR, imagenet.chance_floor(name)))

        face = faces.result()
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
    gray = cv2.cvtColor(np.asarray(rgb), cv2.COLOR_RGB2GRAY)
    if max(gray.shape) > FACE_MAX_SIDE:
        scale = FACE_MAX_SIDE / max(gray.shape)
        size = (max(1, int(gray.shape[1] * scale)), max(1, int(gray.shape[0] * scale)))
        gray = cv2.resize(gray, size, interpolation=cv2.INTER_AREA)
    gray = cv2.equalizeHist(gray)
    min_side = max(FACE_WINDOW, int(min(gray.shape) * MIN_FACE_SHARE))
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
    scale = min(1.0, COLOUR_SAMPLE_SIDE / max(picture.size))
    size = (max(1, round(picture.width * scale)), max(1, round(picture.height * scale)))
    # NEAREST picks pixels; a resize, unlike thumbnail(), leaves the picture uncopied.
    sample = picture.resize(size, Image.Resampling.NEAREST)
    pixels = np.asarray(sample.convert("RGB") if sample.mode != "RGB" else sample)
    hsv = cv2.cvtColor(pixels, cv2.COLOR_RGB2HSV_FULL).reshape(-1, 3).astype(np.float32)
    codes = _colour_codes(hsv[:, 0] * (360 / 256), hsv[:, 1] / 255, hsv[:, 2] / 255)
    if sample.mode == "RGBA":
        codes = codes[np.asarray(sample.getchannel("A")).reshape(-1) >= 128]
    if codes.size == 0:
        return {}
    counts = np.bincount(codes, minlength=len(COLOUR_NAMES))
    return {
        COLOUR_NAMES[code]: float(count) / codes.size for code, count in enumerate(counts) if count
    }


# The names _colour_codes() gives, by code: the order of its conditions.
COLOUR_NAMES = (
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
)
# Hues from 315 to 345 degrees, between purple and red.
_DEFAULT_COLOUR = COLOUR_NAMES.index("Pink")


def _colour_codes(hue: np.ndarray, sat: np.ndarray, val: np.ndarray) -> np.ndarray:
    """Name each pixel by its index in COLOUR_NAMES: hue in degrees, the rest in 0-1."""
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
    # Integer codes, counted with bincount: np.select over strings and np.unique's sort
    # of them cost more than the conditions.
    return np.select(conditions, range(len(conditions)), default=_DEFAULT_COLOUR)
