"""Changes to trained models outside a job: deleting one."""

from __future__ import annotations

from customization.client import VisionClient
from customization.models import ModelRecord
from customization.services.analysis import analyses_forget
from workspaces.models import Workspace


def model_delete(*, workspace: Workspace, name: str) -> None:
    """Delete the model at the service, then Visionport's record of it.

    VisionError when the workspace has no Vision connection or the service refuses (a model still
    training cannot be deleted): the record is kept then."""
    VisionClient.for_workspace(workspace).model_delete(name)
    ModelRecord.objects.filter(workspace=workspace, name=name).delete()
    analyses_forget(workspace=workspace, model=name)
