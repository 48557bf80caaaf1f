"""Projects of the sandbox's Custom Vision resource."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from sandbox.domains import EXPORT_PLATFORMS, GENERAL_CLASSIFICATION, OBJECT_DETECTION, domain_find
from sandbox.errors import CvError, bad_request
from sandbox.models import SandboxImage, SandboxImageTag, SandboxProject, SandboxRegion, SandboxTag
from sandbox.storage import image_blobs_collect

MAX_NAME = 256


def project_create(
    *,
    name: str,
    description: str = "",
    domain_id: str = "",
    classification_type: str = "",
    target_export_platforms: list[str] | None = None,
    export_model_container_uri: str = "",
    notification_queue_uri: str = "",
) -> SandboxProject:
    name = (name or "").strip()
    if not name or len(name) > MAX_NAME:
        raise bad_request("A project name of 1 to 256 characters is required.", "BadRequestProjectName")
    domain = domain_find(domain_id or GENERAL_CLASSIFICATION)
    if domain is None:
        raise bad_request(f"Unknown domain {domain_id}.", "BadRequestProjectUnknownDomain")
    if classification_type and classification_type not in SandboxProject.ClassificationType.values:
        raise bad_request(
            f"Unknown classification type {classification_type}.", "BadRequestProjectUnknownClassification"
        )
    if domain.type == OBJECT_DETECTION:
        classification_type = ""  # the service answers null for detection projects
    else:
        classification_type = classification_type or SandboxProject.ClassificationType.MULTICLASS
    platforms = list(target_export_platforms or [])
    if platforms and (not domain.exportable or any(p not in EXPORT_PLATFORMS for p in platforms)):
        raise bad_request(
            "The domain cannot export to these platforms.", "BadRequestProjectUnsupportedExportPlatform"
        )
    return SandboxProject.objects.create(
        name=name,
        description=description or "",
        domain_id=domain.id,
        classification_type=classification_type,
        target_export_platforms=platforms,
        export_model_container_uri=export_model_container_uri or "",
        notification_queue_uri=notification_queue_uri or "",
    )


def project_touch(project: SandboxProject) -> None:
    SandboxProject.objects.filter(pk=project.pk).update(last_modified=timezone.now())


def project_delete(project: SandboxProject) -> None:
    """Delete the project with its tags, images and labels, then blobs no other image uses."""
    blobs = set(
        SandboxImage.objects.filter(project=project)
        .values_list("blob_name", "sha256", "width", "height")
        .distinct()
    )
    with transaction.atomic():
        # Bulk deletes, children first, so that each is one statement.
        SandboxRegion.objects.filter(tag__project=project).delete()
        SandboxImageTag.objects.filter(tag__project=project).delete()
        SandboxImage.objects.filter(project=project).delete()
        SandboxTag.objects.filter(project=project).delete()
        deleted, _ = SandboxProject.objects.filter(pk=project.pk).delete()
    if not deleted:
        raise CvError(404, "NotFoundProject", "Project not found")
    image_blobs_collect(blobs)
