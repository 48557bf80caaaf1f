"""The Azure HTTP client layer that both feature apps use: one retry policy and one error type.

``azureclient.retry`` retries every call (POSTs too) with backoff and jitter; ``ServiceError`` is
what a client raises when an Azure service (Custom Vision, Vision) fails in a known way, with a
code and a sentence a user can act on. ``migrator.cv`` and ``customization.client`` build on it,
so neither imports the other. The job runner fails a job with a ServiceError's code and message;
a page view shows its message. Like ``blobstore`` and ``outbound``, it imports nothing from the
project's apps.
"""
