"""What the model page keeps of a finished analysis (``ErrorAnalysis.summary``): computed once
from its rows (customization/metrics.py ``summarize``), so the page costs the same at 100,000
analysed images as at 100. The *Analyze errors* job writes it when it finishes; an analysis
finished before there was a summary (or under an older ``SUMMARY_VERSION``) gets one the first
time its page is shown."""

from __future__ import annotations

from customization import metrics
from customization.models import ErrorAnalysis

CHUNK = 2000  # rows read at a time: the images are streamed, never all in memory


def analysis_summary(analysis: ErrorAnalysis) -> dict:
    if (analysis.summary or {}).get("version") == metrics.SUMMARY_VERSION:
        return analysis.summary
    answered = analysis.rows.filter(problem="").values_list("truth", "predictions")
    summary = metrics.summarize(analysis.kind, answered.iterator(chunk_size=CHUNK), analysis.categories)
    found = analysis.rows.values_list("tags", flat=True).iterator(chunk_size=CHUNK)
    summary["gallery_tags"] = sorted(
        {t for tags in found for t in tags.split("|") if t} | set(analysis.categories)
    )
    if analysis.complete:  # a running analysis still changes
        ErrorAnalysis.objects.filter(pk=analysis.pk).update(summary=summary)
    analysis.summary = summary
    return summary
