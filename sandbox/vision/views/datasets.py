from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from sandbox.vision.body import json_object
from sandbox.vision.paging import page_response, paging
from sandbox.vision.selectors import dataset_get, dataset_page
from sandbox.vision.services.datasets import dataset_delete, dataset_register, dataset_update
from sandbox.vision.wire import dataset_json
from sandbox.wire import json_response, no_content


def dataset_list(request: HttpRequest) -> HttpResponse:
    skip, top = paging(request)
    page = dataset_page(skip=skip, top=top)
    return page_response(request, page, [dataset_json(d) for d in page.items], "datasets")


def dataset_put(request: HttpRequest, name: str) -> HttpResponse:
    dataset = dataset_register(name=name, data=json_object(request))
    return json_response(dataset_json(dataset), 201, etag=dataset.etag)


def dataset_detail(request: HttpRequest, name: str) -> HttpResponse:
    dataset = dataset_get(name)
    return json_response(dataset_json(dataset), etag=dataset.etag)


def dataset_patch(request: HttpRequest, name: str) -> HttpResponse:
    dataset = dataset_get(name)
    dataset = dataset_update(
        dataset=dataset, data=json_object(request), if_match=request.headers.get("If-Match")
    )
    return json_response(dataset_json(dataset), etag=dataset.etag)


def dataset_remove(request: HttpRequest, name: str) -> HttpResponse:
    dataset_delete(dataset=dataset_get(name))
    return no_content()
