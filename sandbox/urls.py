"""Sandbox routes. Custom Vision Training lives under /sandbox (the SDK endpoint is {base}/sandbox);
Vision answers at the host root, as its sample client drops any endpoint path (docs/wire-formats.md §0)."""

from __future__ import annotations

from django.urls import include, path, re_path

from sandbox.http import cv_endpoint
from sandbox.views import images, labels, projects, tags, uploads
from sandbox.views.blobs import image_blob
from sandbox.views.fallback import not_found
from sandbox.views.settings import faults_page
from sandbox.vision.http import vision_api, vision_not_found
from sandbox.vision.views import analyze, datasets, models

P = r"projects/(?P<project_id>[^/]+)"


def cv(route: str, **methods: object) -> object:
    return re_path(rf"^{route}/?$", cv_endpoint(**methods))  # type: ignore[arg-type]


cv_patterns = [
    cv("domains", GET=projects.domain_list),
    cv(r"domains/(?P<domain_id>[^/]+)", GET=projects.domain_detail),
    cv("projects", GET=projects.projects_get, POST=projects.projects_post),
    cv(P, GET=projects.project_get_view, DELETE=projects.project_delete_view),
    cv(f"{P}/tags", GET=tags.tags_get, POST=tags.tags_post),
    cv(
        rf"{P}/tags/(?P<tag_id>[^/]+)",
        GET=tags.tag_get_view,
        PATCH=tags.tag_patch,
        DELETE=tags.tag_delete_view,
    ),
    cv(f"{P}/images", GET=images.images_get, POST=uploads.images_post, DELETE=images.images_delete_view),
    cv(f"{P}/images/count", GET=images.images_count),
    cv(f"{P}/images/tagged", GET=images.images_tagged),
    cv(f"{P}/images/tagged/count", GET=images.images_tagged_count),
    cv(f"{P}/images/untagged", GET=images.images_untagged),
    cv(f"{P}/images/untagged/count", GET=images.images_untagged_count),
    cv(f"{P}/images/id", GET=images.images_by_id),
    cv(f"{P}/images/files", POST=uploads.images_files_post),
    cv(f"{P}/images/urls", POST=uploads.images_urls_post),
    cv(f"{P}/images/tags", POST=labels.image_tags_post, DELETE=labels.image_tags_delete_view),
    cv(f"{P}/images/regions", POST=labels.image_regions_post, DELETE=labels.image_regions_delete_view),
    re_path(
        r"^(?P<rest>.*)$",
        cv_endpoint(GET=not_found, POST=not_found, PATCH=not_found, DELETE=not_found, PUT=not_found),
    ),
]

# Vision model customization. "/+" between segments: the samples' EvaluationClient sends
# /computervision//models/..., and Django does not collapse the double slash (docs/wire-formats.md §5, 15).
V = r"^computervision/+"
vision_patterns = [
    re_path(rf"{V}datasets/*$", vision_api(GET=datasets.dataset_list)),
    re_path(
        rf"{V}datasets/+(?P<name>[^/]+)/*$",
        vision_api(
            PUT=datasets.dataset_put,
            GET=datasets.dataset_detail,
            PATCH=datasets.dataset_patch,
            DELETE=datasets.dataset_remove,
        ),
    ),
    re_path(rf"{V}models/*$", vision_api(GET=models.model_list)),
    re_path(rf"{V}models/+(?P<name>[^/:]+):cancel/*$", vision_api(POST=models.model_cancel_view)),
    re_path(
        rf"{V}models/+(?P<name>[^/:]+)/*$",
        vision_api(PUT=models.model_put, GET=models.model_detail, DELETE=models.model_remove),
    ),
    re_path(rf"{V}models/+(?P<model>[^/:]+)/+evaluations/*$", vision_api(GET=models.evaluation_list)),
    re_path(
        rf"{V}models/+(?P<model>[^/:]+)/+evaluations/+(?P<name>[^/]+)/*$",
        vision_api(PUT=models.evaluation_put, GET=models.evaluation_detail, DELETE=models.evaluation_remove),
    ),
    re_path(rf"{V}imageanalysis:analyze/*$", vision_api(POST=analyze.analyze_view)),
    re_path(r"^computervision(?:/(?P<rest>.*))?$", vision_not_found),
]

urlpatterns = [
    path("sandbox-settings/", faults_page, name="sandbox_faults"),
    # The image host, ahead of blobstore's /blobs/<root>/ in config/urls.py.
    path("blobs/sandbox/<path:path>", image_blob, name="sandbox_image_blob"),
    re_path(r"^sandbox/customvision/(?P<version>v3\.4-preview|v3\.3)/training/", include(cv_patterns)),
    *vision_patterns,
]
