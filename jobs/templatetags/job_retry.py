"""``{% load job_retry %}{% job_retry_offer job as retry %}``: what the job page offers for a retry.

``retry`` is None while the job is active or after it succeeded; else a jobs.services.RetryOffer:
a Retry button (``label``, ``confirm``), or a ``refusal`` that says what to change instead, with
an optional link to that step (``link_text``, ``link_url``).
"""

from __future__ import annotations

from django import template

from jobs.models import Job
from jobs.services import RetryOffer, retry_offer

register = template.Library()


@register.simple_tag
def job_retry_offer(job: Job) -> RetryOffer | None:
    return retry_offer(job)
