"""The domains the sandbox lists: the real ids from the docs (docs/wire-formats.md §1.6).

A project's kind (classification or object detection) comes only from its domain's ``type``.
Sizes and descriptions are indicative; the service's exact values are not documented.
"""

from __future__ import annotations

from dataclasses import dataclass

CLASSIFICATION = "Classification"
OBJECT_DETECTION = "ObjectDetection"
EXPORT_PLATFORMS = ("CoreML", "TensorFlow", "DockerFile", "ONNX", "VAIDK", "OpenVino")

GENERAL_CLASSIFICATION = "ee85a74c-405e-4adc-bb47-ffa8ca0c9f31"
GENERAL_DETECTION = "da2e3a8a-40a5-4171-82f4-58522f70fbc1"


@dataclass(frozen=True)
class Domain:
    id: str
    name: str
    type: str
    exportable: bool = False
    size_mb: int = 0
    description: str = ""


DOMAINS: tuple[Domain, ...] = (
    Domain(
        GENERAL_CLASSIFICATION,
        "General",
        CLASSIFICATION,
        size_mb=200,
        description="A versatile domain optimized for a broad range of image classification tasks.",
    ),
    Domain(
        "a8e3c40f-fb4a-466f-832a-5e457ae4a344",
        "General [A1]",
        CLASSIFICATION,
        size_mb=200,
        description="Better accuracy than General at a longer training time.",
    ),
    Domain(
        "c151d5b5-dd07-472a-acc8-15d29dea8518",
        "Food",
        CLASSIFICATION,
        size_mb=200,
        description="Optimized for photographs of dishes as you would see them on a restaurant menu.",
    ),
    Domain(
        "ca455789-012d-4b50-9fec-5bb63841c793",
        "Landmarks",
        CLASSIFICATION,
        size_mb=200,
        description="Optimized for recognizable landmarks, both natural and artificial.",
    ),
    Domain(
        "b30a91ae-e3c1-4f73-a81e-c270bff27c39",
        "Retail",
        CLASSIFICATION,
        size_mb=200,
        description="Optimized for images found in a shopping catalog or shopping website.",
    ),
    Domain(
        "0732100f-1a38-4e49-a514-c9b44c697ab5",
        "General (compact)",
        CLASSIFICATION,
        True,
        6,
        "A compact domain optimized for the constraints of real-time classification on edge devices.",
    ),
    Domain(
        "a1db07ca-a19a-4830-bae8-e004a42dc863",
        "General (compact) [S1]",
        CLASSIFICATION,
        True,
        6,
        "A compact domain with improved accuracy on edge devices.",
    ),
    Domain(
        GENERAL_DETECTION,
        "General",
        OBJECT_DETECTION,
        size_mb=200,
        description="A versatile domain optimized for a broad range of object detection tasks.",
    ),
    Domain(
        "9c616dff-2e7d-ea11-af59-1866da359ce6",
        "General [A1]",
        OBJECT_DETECTION,
        size_mb=200,
        description="Better accuracy than General at a longer training time.",
    ),
    Domain(
        "1d8ffafe-ec40-4fb2-8f90-72b3b6cecea4",
        "Logo",
        OBJECT_DETECTION,
        size_mb=200,
        description="Optimized for finding brand logos in images.",
    ),
    Domain(
        "3780a898-81c3-4516-81ae-3a139614e1f3",
        "Products on shelves",
        OBJECT_DETECTION,
        size_mb=200,
        description="Optimized for detecting and classifying products on shelves.",
    ),
    Domain(
        "a27d5ca5-bb19-49d8-a70a-fec086c47f5b",
        "General (compact)",
        OBJECT_DETECTION,
        True,
        6,
        "A compact domain optimized for real-time object detection on edge devices.",
    ),
    Domain(
        "7ec2ac80-887b-48a6-8df9-8b1357765430",
        "General (compact) [S1]",
        OBJECT_DETECTION,
        True,
        6,
        "A compact domain with improved accuracy on edge devices.",
    ),
)
_BY_ID = {d.id: d for d in DOMAINS}


def domain_find(domain_id: str) -> Domain | None:
    return _BY_ID.get((domain_id or "").lower())
