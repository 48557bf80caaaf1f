"""The sandbox's HTTP surface: Custom Vision Training (v3.4-preview, v3.3) and Vision stand-ins.

Views stay thin: they parse the query and body, call a selector or service, and write the wire
JSON (sandbox.wire). sandbox.http wraps each in the key check, fault injection and error bodies.
sandbox.views.blobs is the image host (signed blob URLs, with the fault latency), and
sandbox.views.settings the one page for people: the staff page of the fault settings.
"""
