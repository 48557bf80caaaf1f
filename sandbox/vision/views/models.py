from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from sandbox.vision.body import json_object
from sandbox.vision.paging import page_response, paging
from sandbox.vision.selectors import evaluation_get, evaluation_page, model_get, model_page
from sandbox.vision.services.evaluations import evaluation_create, evaluation_delete
from sandbox.vision.services.training import model_cancel, model_create, model_delete
from sandbox.vision.wire import evaluation_json, model_json
from sandbox.wire import json_response, no_content


def model_list(request: HttpRequest) -> HttpResponse:
    skip, top = paging(request)
    page = model_page(skip=skip, top=top)
    return page_response(request, page, [model_json(m) for m in page.items], "models")


def model_put(request: HttpRequest, name: str) -> HttpResponse:
    return json_response(model_json(model_create(name=name, data=json_object(request))), 201)


def model_detail(request: HttpRequest, name: str) -> HttpResponse:
    return json_response(model_json(model_get(name)))


def model_remove(request: HttpRequest, name: str) -> HttpResponse:
    model_delete(model=model_get(name))
    return no_content()


def model_cancel_view(request: HttpRequest, name: str) -> HttpResponse:
    # The docs say 202 with no body; the samples' client parses a body, so the model comes back.
    return json_response(model_json(model_cancel(model=model_get(name))), 202)


def evaluation_list(request: HttpRequest, model: str) -> HttpResponse:
    parent = model_get(model)
    skip, top = paging(request)
    page = evaluation_page(parent, skip=skip, top=top)
    items = [evaluation_json(e, parent.name) for e in page.items]
    return page_response(request, page, items, f"models/{parent.name}/evaluations")


def evaluation_put(request: HttpRequest, model: str, name: str) -> HttpResponse:
    parent = model_get(model)
    evaluation = evaluation_create(model=parent, name=name, data=json_object(request))
    return json_response(evaluation_json(evaluation, parent.name), 201)


def evaluation_detail(request: HttpRequest, model: str, name: str) -> HttpResponse:
    parent = model_get(model)
    return json_response(evaluation_json(evaluation_get(parent, name), parent.name))


def evaluation_remove(request: HttpRequest, model: str, name: str) -> HttpResponse:
    evaluation_delete(evaluation=evaluation_get(model_get(model), name))
    return no_content()
