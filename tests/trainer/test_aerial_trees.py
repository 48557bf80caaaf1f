"""The tree-crown set read from the deepforest wheel: tiles, clipped boxes, places kept apart."""

from __future__ import annotations

import numpy as np
import pytest

from trainer import aerial_trees


def test_the_sets_hold_every_annotated_crown_as_relative_boxes_on_400_px_tiles():
    train, held_out = aerial_trees.tree_sets(30)
    assert len(train) == 30 and len(held_out) == 8
    assert all(s.boxes for s in held_out)
    assert sum(not s.boxes for s in train) == 2  # two tiles of meadow: real negatives
    for sample in train + held_out:
        assert sample.load().size == (400, 400)
        boxes = np.array(sample.boxes).reshape(-1, 5)
        assert set(boxes[:, 0]) <= {0}
        left, top, width, height = boxes[:, 1:].T
        assert (left >= 0).all() and (top >= 0).all() and (width > 0).all() and (height > 0).all()
        assert (left + width <= 1 + 1e-9).all() and (top + height <= 1 + 1e-9).all()
    # The held-out photos: six tiles of the other Yellowstone photo, then the two 400 px plots whole.
    _, osbs = aerial_trees.photo("OSBS_029")
    _, soap = aerial_trees.photo("SOAP_061")
    assert [len(s.boxes) for s in held_out[-2:]] == [len(osbs), len(soap)] == [61, 37]
    # A crown is 9-108 px: in a 400 px tile, the small objects the pretrained detector is for.
    sides = np.concatenate([np.array(s.boxes).reshape(-1, 5)[:, 3:].max(axis=1) * 400 for s in train])
    assert 30 <= np.median(sides) <= 50


def test_a_crown_cut_by_the_tile_edge_is_kept_clipped_only_when_half_of_it_is_inside():
    image, boxes = aerial_trees.photo(aerial_trees.TRAIN_PHOTO)
    tile = aerial_trees._tile(aerial_trees.TRAIN_PHOTO, 400, 400)
    inside = (boxes[:, 0] >= 400) & (boxes[:, 1] >= 400) & (boxes[:, 2] <= 800) & (boxes[:, 3] <= 800)
    outside = (boxes[:, 2] <= 400) | (boxes[:, 0] >= 800) | (boxes[:, 3] <= 400) | (boxes[:, 1] >= 800)
    cut = len(boxes) - inside.sum() - outside.sum()
    assert cut > 0  # the tile does cut crowns, so the rule is exercised
    assert inside.sum() <= len(tile.boxes) <= inside.sum() + cut
    assert image.size == (2299, 2472)


def test_the_training_tiles_follow_the_seed_and_never_come_from_a_held_out_photo():
    first, _ = aerial_trees.tree_sets(5, seed=1)
    again, _ = aerial_trees.tree_sets(5, seed=1)
    other, _ = aerial_trees.tree_sets(5, seed=2)
    assert [s.boxes for s in first] == [s.boxes for s in again]
    assert [s.boxes for s in first] != [s.boxes for s in other]
    assert aerial_trees.TRAIN_PHOTO not in aerial_trees.HELD_OUT_PHOTOS
    with pytest.raises(ValueError, match="30 tiles"):
        aerial_trees.tree_sets(31)


def test_the_crown_crops_are_balanced_and_a_no_tree_crop_holds_no_crown():
    train, held_out = aerial_trees.crown_classification_sets(20, 30, seed=3)
    assert [s.label for s in train].count(0) == [s.label for s in train].count(1) == 20
    assert [s.label for s in held_out].count(0) == [s.label for s in held_out].count(1) == 30
    _, crowns = aerial_trees.photo(aerial_trees.TRAIN_PHOTO)
    trees, others = aerial_trees.crop_squares(aerial_trees.TRAIN_PHOTO, 20, np.random.default_rng(3))
    assert [(r - left, b - top) for left, top, r, b in trees + others] == [s.load().size for s in train]
    for left, top, right, bottom in others:  # no crown covers more than a tenth of the square
        iw = (np.minimum(crowns[:, 2], right) - np.maximum(crowns[:, 0], left)).clip(0)
        ih = (np.minimum(crowns[:, 3], bottom) - np.maximum(crowns[:, 1], top)).clip(0)
        assert (iw * ih).max() <= 0.11 * (right - left) * (bottom - top)
    for left, top, right, bottom in trees:  # each tree square holds a whole crown's centre
        cx, cy = (crowns[:, 0] + crowns[:, 2]) / 2, (crowns[:, 1] + crowns[:, 3]) / 2
        assert ((cx >= left) & (cx <= right) & (cy >= top) & (cy <= bottom)).any()
        assert min(right - left, bottom - top) >= 23
