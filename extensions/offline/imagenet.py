"""ImageNet-1k class names and the general labels the offline tagger derives from them.

ImageNet's classes are fine-grained (118 dog breeds, no plain "Dog"), so a photo of a
dog spreads its probability over many breeds and no single one clears a threshold.
The general labels below sum the probabilities of the classes they cover, which is the
model's own probability of "any of these". Groups nest (Dog within Mammal within Animal),
so a broader label never scores below a narrower one. The map is hand-made from the
class list in `extensions/data/imagenet_classes.txt` (WordNet cannot be fetched here).

A sum over many classes also collects the scattered probability of a prediction that
knows nothing: a uniform one gives a label |classes|/1000, 40% for Animal's 398 classes
(plain colours and blurred noise were measured at 7-50% Animal). A general label is
therefore evidence only from `CHANCE_LIFT` times that share on.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np

CLASSES_FILE = Path(__file__).resolve().parent.parent / "data" / "imagenet_classes.txt"


def _span(first: int, last: int) -> frozenset[int]:
    return frozenset(range(first, last + 1))


_FISH = _span(0, 6) | _span(389, 397)
_BIRD = _span(7, 24) | _span(80, 100) | _span(127, 146)
_AMPHIBIAN = _span(25, 32)
_REPTILE = _span(33, 68)
_ARACHNID = _span(70, 78)
_CRUSTACEAN = _span(118, 126)
_INSECT = _span(300, 326)
_MAMMAL = _span(101, 106) | _span(147, 299) | _span(330, 388)
_DOG = _span(151, 268)
_PERSON = frozenset({981, 982, 983})  # ballplayer, groom, scuba diver

_CAR = frozenset({436, 468, 511, 609, 627, 656, 661, 751, 817})
_TRUCK = frozenset({555, 569, 675, 717, 734, 864, 867})
_BUS = frozenset({654, 779, 874})
_BICYCLE = frozenset({444, 671})
_MOTORCYCLE = frozenset({665, 670})
_TRAIN = frozenset({466, 547, 565, 705, 820, 829})
_BOAT = frozenset({403, 472, 484, 510, 554, 576, 625, 628, 724, 780, 814, 833, 871, 914})
_AIRCRAFT = frozenset({404, 405, 417, 812, 895})
_OTHER_VEHICLES = frozenset(
    {407, 408, 450, 537, 561, 573, 575, 586, 595, 603, 612, 660, 690, 757, 802, 803, 847}
    | {856, 866, 870, 880}
)

_FRUIT = _span(948, 957)
_VEGETABLE = _span(936, 946)
_DESSERT = frozenset({927, 928, 929})
_BREAD = frozenset({930, 931, 932})
_BEVERAGE = frozenset({966, 967, 969})
_DISH = frozenset({923, 924, 925, 926, 933, 934, 935, 947, 959, 960, 961, 962, 963, 964, 965})

_CHAIR = frozenset({423, 559, 765, 857})
_FOOTWEAR = frozenset({502, 514, 630, 770, 774})
_HAT = frozenset({439, 452, 515, 667, 808})
_BALL = frozenset({429, 430, 522, 574, 722, 768, 805, 852, 890})
_GUITAR = frozenset({402, 546})
_COMPUTER = frozenset({527, 590, 620, 681})
_PHONE = frozenset({487, 528, 707})

# Label -> the class indices whose probabilities it sums.
GENERAL_LABELS: dict[str, frozenset[int]] = {
    "Animal": _span(0, 397),
    "Mammal": _MAMMAL,
    "Dog": _DOG,
    "Fox": _span(277, 280),
    "Cat": _span(281, 285),
    "Big Cat": _span(286, 293),
    "Bear": _span(294, 297) | {388},
    "Primate": _span(365, 384),
    "Rodent": _span(333, 338),
    "Rabbit": _span(330, 332),
    "Elephant": frozenset({101, 385, 386}),
    "Bird": _BIRD,
    "Fish": _FISH,
    "Reptile": _REPTILE,
    "Snake": _span(52, 68),
    "Turtle": _span(33, 37),
    "Lizard": _span(38, 48),
    "Amphibian": _AMPHIBIAN,
    "Invertebrate": _span(69, 79) | _span(107, 126) | _span(300, 329),
    "Insect": _INSECT,
    "Butterfly": _span(321, 326),
    "Beetle": _span(300, 307),
    "Spider": _span(72, 77),
    "Arachnid": _ARACHNID,
    "Crustacean": _CRUSTACEAN,
    "Vehicle": _CAR
    | _TRUCK
    | _BUS
    | _BICYCLE
    | _MOTORCYCLE
    | _TRAIN
    | _BOAT
    | _AIRCRAFT
    | _OTHER_VEHICLES,
    "Car": _CAR,
    "Truck": _TRUCK,
    "Bus": _BUS,
    "Bicycle": _BICYCLE,
    "Motorcycle": _MOTORCYCLE,
    "Train": _TRAIN,
    "Boat": _BOAT,
    "Aircraft": _AIRCRAFT,
    "Food": _FRUIT | _VEGETABLE | _DESSERT | _BREAD | _DISH,
    "Fruit": _FRUIT,
    "Vegetable": _VEGETABLE,
    "Dessert": _DESSERT,
    "Bread": _BREAD,
    "Beverage": _BEVERAGE,
    "Fungus": frozenset({947}) | _span(991, 997),
    "Plant": _span(984, 990),
    "Flower": frozenset({985, 986}),
    "Furniture": _CHAIR
    | {431, 453, 492, 493, 495, 516, 520, 526, 532, 548, 553, 564, 648, 703, 831, 894},
    "Chair": _CHAIR,
    "Musical Instrument": _GUITAR
    | {401, 420, 432, 486, 494, 513, 541, 558, 566, 577, 579, 593, 594, 641, 642, 683, 684}
    | {687, 699, 776, 822, 875, 881, 889},
    "Guitar": _GUITAR,
    "Piano": frozenset({579, 881}),
    "Electronics": _COMPUTER
    | _PHONE
    | {482, 485, 508, 592, 598, 605, 613, 632, 662, 664, 673, 688, 713, 732, 742, 745, 754}
    | {759, 761, 782, 848, 851},
    "Computer": _COMPUTER,
    "Phone": _PHONE,
    "Camera": frozenset({732, 759}),
    "Clothing": _FOOTWEAR
    | _HAT
    | {399, 400, 411, 445, 451, 457, 459, 474, 501, 529, 552, 568, 578, 601, 608, 610, 614}
    | {617, 638, 639, 652, 655, 658, 689, 697, 735, 775, 806, 824, 834, 841, 842, 869, 887}
    | {906},
    "Footwear": _FOOTWEAR,
    "Hat": _HAT,
    "Building": frozenset(
        {415, 424, 425, 442, 449, 454, 467, 483, 497, 498, 500, 509, 580, 582, 624, 634, 663}
        | {668, 698, 727, 743, 762, 788, 832, 860, 865, 915}
    ),
    "Bridge": frozenset({821, 839, 888}),
    "Nature": frozenset({970, 972, 973, 974, 975, 976, 977, 978, 979, 980}),
    "Sport": _BALL | {416, 422, 543, 560, 602, 702, 747, 752, 795, 981},
    "Ball": _BALL,
    "Weapon": frozenset({413, 456, 471, 657, 744, 763, 764}),
    "Tool": frozenset({477, 491, 587, 596, 726, 740, 784, 792}),
    "Kitchenware": frozenset(
        {441, 469, 503, 504, 505, 521, 544, 567, 572, 618, 647, 659, 809, 813, 828, 849, 909}
        | {910}
    ),
    "Appliance": frozenset({534, 545, 550, 589, 606, 651, 760, 766, 786, 811, 827, 859, 882})
    | {891, 897},
    "Bottle": frozenset({440, 720, 737, 898, 907}),
    "Clock": frozenset({409, 530, 892}),
    "Text": frozenset({916, 917, 918, 919, 921, 922}),
    "Person": _PERSON,
}


# ImageNet names taken in a rare sense, which would mislead as a tag on their own.
_DISPLAY_NAMES = {
    263: "Pembroke Welsh Corgi",
    264: "Cardigan Welsh Corgi",  # not the sweater, class 474
    339: "Sorrel Horse",
    408: "Amphibious Vehicle",  # not the animal class, which is the general label
    553: "File Cabinet",
    726: "Hand Plane",  # the carpenter's tool, not an aircraft
    989: "Rose Hip",
    998: "Ear of Corn",
}


@cache
def class_names() -> tuple[str, ...]:
    """Return the 1000 class names in index order, as tags are displayed."""
    lines = CLASSES_FILE.read_text(encoding="utf-8").splitlines()
    names = [title_case(line) for line in lines if line and not line.startswith("#")]
    if len(names) != 1000:
        raise ValueError(f"{CLASSES_FILE} holds {len(names)} class names, not 1000")
    for index, display in _DISPLAY_NAMES.items():
        names[index] = display
    return tuple(names)


def title_case(name: str) -> str:
    """Capitalise each word as Vision and Rekognition labels do ("Egyptian Cat").

    Unlike str.title(), it keeps words that already carry capitals ("iPod", "CD") and
    does not capitalise after an apostrophe ("Carpenter's Kit").
    """
    words = []
    for word in name.split(" "):
        if any(c.isupper() for c in word):
            words.append(word)
        else:
            words.append("-".join(part[:1].upper() + part[1:] for part in word.split("-")))
    return " ".join(words)


def fine_probabilities(probabilities: np.ndarray) -> dict[str, float]:
    """Return each class's probability by display name."""
    return dict(zip(class_names(), probabilities.tolist(), strict=True))


CHANCE_LIFT = 2.0


def chance_floor(label: str) -> float:
    """Return the confidence (0-100) below which a general label says nothing."""
    return 100 * CHANCE_LIFT * len(GENERAL_LABELS[label]) / len(class_names())


_GENERAL_INDICES = {label: np.array(sorted(ix)) for label, ix in GENERAL_LABELS.items()}


def general_probabilities(probabilities: np.ndarray) -> dict[str, float]:
    """Return each general label's probability: the sum over the classes it covers."""
    return {label: float(probabilities[ix].sum()) for label, ix in _GENERAL_INDICES.items()}
