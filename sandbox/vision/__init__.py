"""The sandbox's Vision model customization API (Image Analysis 4.0, 2023-02-01/04-01-preview).

Datasets point at COCO files read over HTTP, models are trained by the local trainer (``trainer``)
in a Celery task on the "training" queue, and ``imageanalysis:analyze`` predicts with them. The
official samples package works against it unchanged (docs/sandbox.md, docs/wire-formats.md §2 and §5).
"""
