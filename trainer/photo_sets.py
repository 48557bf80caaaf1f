"""Small labelled sets cut from the real photographs that scikit-image and scikit-learn ship.

No wheel in the package lists ships a labelled multi-class set of real photos, so these are
built from unlabelled ones (skimage.data, sklearn's sample images; nothing is generated or
downloaded). They feed bench/real_photos.py and the pretrained trainer's tests.

- **Objects on unseen places** (:func:`object_classification_sets`, the bench's classification
  set): the detection set's five objects, one per picture, 35-70 % of a 160 px picture's side,
  on crops of the training places; held-out pictures on the held-out places (and the other
  motorcycle photo), so a model must recognise the object, not the background.
- **Faces** (:func:`face_sets`): skimage's ``lfw_subset``, 100 face crops of Labeled Faces in
  the Wild and 100 non-face crops (25 x 25 grey): the one labelled real-photo set in the wheels,
  and the only one here where a class has many different instances (people), not one.
- **Photo regions** (:func:`classification_sets`, the tests' set): a class is one photograph (a cat, an espresso,
  a rocket on its pad, a motorcycle in a garage, an astronaut, a temple, a flower); a picture is a
  square crop of 30-40 % of the photo's width. Training crops come from the left 60 % of the photo,
  held-out crops from the right 40 %, so no held-out pixel was seen in training. The motorcycle
  trains on the left camera of skimage's stereo pair and is held out on the right camera's photo.
- **Detection** (:func:`detection_sets`): five real objects (cat, cup, rocket, motorcycle, person)
  cut out of their photos, pasted 20-60 px long into 400 x 300 crops of background photos (1-3
  objects, random scale, flip and brightness). Training backgrounds are the temple, the grass,
  the brick wall and the cameraman's field; held-out pictures use other places: the flower, the
  gravel, the moon and the Hubble deep field. The held-out motorcycle comes from the other camera.

Needs ``scikit-image`` and ``scikit-learn`` (requirements-trainer.txt), imported on first use.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageEnhance

from trainer.data import Sample

CLASSES = ("astronaut", "cat", "coffee", "rocket", "motorcycle", "temple", "flower")
# class -> (train photo, held-out photo); None: the held-out crops come from the same photo's right part
_CLASS_PHOTOS = {
    "astronaut": ("astronaut.png", None),
    "cat": ("chelsea.png", None),
    "coffee": ("coffee.png", None),
    "rocket": ("rocket.jpg", None),
    "motorcycle": ("motorcycle_left.png", "motorcycle_right.png"),
    "temple": ("sklearn:china.jpg", None),
    "flower": ("sklearn:flower.jpg", None),
}
TRAIN_PART = 0.6

OBJECTS = ("cat", "cup", "rocket", "motorcycle", "person")
# object -> (photo, relative box left, top, right, bottom), for training and for held-out pictures
_OBJECTS = {
    "cat": (("chelsea.png", (0.08, 0.0, 0.78, 1.0)),) * 2,
    "cup": (("coffee.png", (0.12, 0.0, 0.88, 1.0)),) * 2,
    "rocket": (("rocket.jpg", (0.42, 0.28, 0.60, 0.98)),) * 2,
    "motorcycle": (
        ("motorcycle_left.png", (0.05, 0.28, 0.95, 0.92)),
        ("motorcycle_right.png", (0.05, 0.28, 0.95, 0.92)),
    ),
    "person": (("astronaut.png", (0.08, 0.0, 0.85, 1.0)),) * 2,
}
TRAIN_PLACES = ("sklearn:china.jpg", "grass.png", "brick.png", "camera.png")
HELD_OUT_PLACES = ("sklearn:flower.jpg", "gravel.png", "moon.png", "hubble_deep_field.jpg")
PICTURE_SIZE = (400, 300)
OBJECT_SIDES = (20, 60)  # the longer side of a pasted object, in pixels


@cache
def photo(name: str) -> Image.Image:
    """A shipped photograph as RGB: ``sklearn:NAME`` from scikit-learn, else from skimage.data."""
    if name.startswith("sklearn:"):
        import sklearn.datasets

        folder = Path(sklearn.datasets.__file__).parent / "images"
        name = name.removeprefix("sklearn:")
    else:
        import skimage.data

        folder = Path(skimage.data.__file__).parent
    with Image.open(folder / name) as image:
        return image.convert("RGB")


def _crop(image: Image.Image, rng: np.random.Generator, x0: float, x1: float, out: int) -> Image.Image:
    """A square crop of 30-40 % of the width with its left edge in ``[x0, x1 - side]`` (relative)."""
    width, height = image.size
    side = min(int(rng.uniform(0.3, 0.4) * width), height, int((x1 - x0) * width))
    left = rng.integers(int(x0 * width), int(x1 * width) - side + 1)
    top = rng.integers(0, height - side + 1)
    return image.crop((left, top, left + side, top + side)).resize((out, out), Image.Resampling.BILINEAR)


def classification_sets(
    per_class: int, held_out_per_class: int = 30, *, seed: int = 0, size: int = 160
) -> tuple[list[Sample], list[Sample]]:
    """``(train, held_out)``: ``per_class`` training crops and ``held_out_per_class`` held-out crops per class."""
    rng = np.random.default_rng(seed)
    train, held_out = [], []
    for label, name in enumerate(CLASSES):
        source, other = _CLASS_PHOTOS[name]
        image = photo(source)
        train += [
            Sample(_crop(image, rng, 0.0, TRAIN_PART if other is None else 1.0, size), label)
            for _ in range(per_class)
        ]
        test_image, x0 = (image, TRAIN_PART) if other is None else (photo(other), 0.0)
        held_out += [Sample(_crop(test_image, rng, x0, 1.0, size), label) for _ in range(held_out_per_class)]
    return train, held_out


def _background(name: str, rng: np.random.Generator) -> Image.Image:
    image = photo(name)
    width, height = image.size
    target_w, target_h = PICTURE_SIZE
    scale = rng.uniform(0.6, 1.0) * min(width / target_w, height / target_h)
    w, h = int(target_w * scale), int(target_h * scale)
    left, top = rng.integers(0, width - w + 1), rng.integers(0, height - h + 1)
    return image.crop((left, top, left + w, top + h)).resize(PICTURE_SIZE, Image.Resampling.BILINEAR)


def _object(name: str, held_out: bool, rng: np.random.Generator) -> Image.Image:
    source, (left, top, right, bottom) = _OBJECTS[name][int(held_out)]
    image = photo(source)
    width, height = image.size
    cut = image.crop((int(left * width), int(top * height), int(right * width), int(bottom * height)))
    longer = rng.integers(OBJECT_SIDES[0], OBJECT_SIDES[1] + 1)
    scale = longer / max(cut.size) * rng.uniform(0.9, 1.1) ** np.array([1, -1])
    cut = cut.resize(
        (max(8, int(cut.width * scale[0])), max(8, int(cut.height * scale[1]))), Image.Resampling.LANCZOS
    )
    if rng.random() < 0.5:
        cut = cut.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    return ImageEnhance.Brightness(cut).enhance(rng.uniform(0.75, 1.25))


def _picture(places: tuple[str, ...], first: int, held_out: bool, rng: np.random.Generator) -> Sample:
    picture = _background(places[rng.integers(len(places))], rng)
    classes = [first] + [int(c) for c in rng.integers(0, len(OBJECTS), rng.integers(0, 3))]
    taken: list[tuple[int, int, int, int]] = []
    boxes = []
    for cls in classes:
        cut = _object(OBJECTS[cls], held_out, rng)
        for _ in range(30):  # find a spot that does not overlap an earlier object
            x = int(rng.integers(0, PICTURE_SIZE[0] - cut.width + 1))
            y = int(rng.integers(0, PICTURE_SIZE[1] - cut.height + 1))
            if all(
                x + cut.width <= a or a + c <= x or y + cut.height <= b or b + d <= y for a, b, c, d in taken
            ):
                break
        else:
            continue
        picture.paste(cut, (x, y))
        taken.append((x, y, cut.width, cut.height))
        w, h = PICTURE_SIZE
        boxes.append((cls, x / w, y / h, cut.width / w, cut.height / h))
    return Sample(picture, boxes=boxes)


def detection_sets(
    per_class: int, held_out_pictures: int = 60, *, seed: int = 0
) -> tuple[list[Sample], list[Sample]]:
    """``(train, held_out)``: ``per_class`` training pictures per object class (each with that object
    and up to two others) on training places, and held-out pictures on other places."""
    rng = np.random.default_rng(seed)
    train = [_picture(TRAIN_PLACES, c, False, rng) for _ in range(per_class) for c in range(len(OBJECTS))]
    held_out = [_picture(HELD_OUT_PLACES, i % len(OBJECTS), True, rng) for i in range(held_out_pictures)]
    return train, held_out


def object_classification_sets(
    per_class: int, held_out_per_class: int = 30, *, seed: int = 0, size: int = 160
) -> tuple[list[Sample], list[Sample]]:
    """``(train, held_out)``: one object of class ``OBJECTS[label]`` per picture, on training places
    for ``per_class`` pictures per class, on held-out places for the held-out ones."""
    rng = np.random.default_rng(seed)

    def picture(label: int, places: tuple[str, ...], held_out: bool) -> Sample:
        background = _background(places[rng.integers(len(places))], rng).resize((size, size))
        source, (left, top, right, bottom) = _OBJECTS[OBJECTS[label]][int(held_out)]
        image = photo(source)
        cut = image.crop(
            (
                int(left * image.width),
                int(top * image.height),
                int(right * image.width),
                int(bottom * image.height),
            )
        )
        scale = rng.uniform(0.35, 0.7) * size / max(cut.size)
        cut = cut.resize(
            (max(8, int(cut.width * scale)), max(8, int(cut.height * scale))), Image.Resampling.LANCZOS
        )
        if rng.random() < 0.5:
            cut = cut.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        cut = ImageEnhance.Brightness(cut).enhance(rng.uniform(0.75, 1.25))
        x, y = rng.integers(0, size - cut.width + 1), rng.integers(0, size - cut.height + 1)
        background.paste(cut, (int(x), int(y)))
        return Sample(background, label)

    train = [picture(c, TRAIN_PLACES, False) for c in range(len(OBJECTS)) for _ in range(per_class)]
    held_out = [
        picture(c, HELD_OUT_PLACES, True) for c in range(len(OBJECTS)) for _ in range(held_out_per_class)
    ]
    return train, held_out


FACE_CLASSES = ("face", "not a face")


def face_sets(
    per_class: int, held_out_per_class: int = 50, *, seed: int = 0
) -> tuple[list[Sample], list[Sample]]:
    """``(train, held_out)`` from skimage's lfw_subset: disjoint random faces and non-faces."""
    import skimage.data

    crops = (skimage.data.lfw_subset() * 255).round().astype(np.uint8)
    rng = np.random.default_rng(seed)
    train, held_out = [], []
    for label, rows in enumerate((np.arange(100), np.arange(100, 200))):
        picked = rng.permutation(rows)
        as_samples = [Sample(Image.fromarray(crops[i]).convert("RGB"), label) for i in picked]
        train += as_samples[:per_class]
        held_out += as_samples[per_class : per_class + held_out_per_class]
    return train, held_out
