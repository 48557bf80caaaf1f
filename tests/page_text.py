"""The text a person reads on a page: tags, attributes, scripts and styles left out."""

from __future__ import annotations

import re
from html.parser import HTMLParser


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in ("script", "style", "template"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "template") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def page_text(html: str | bytes) -> str:
    """The page's visible text with runs of white space made one space."""
    parser = _Text()
    parser.feed(html.decode() if isinstance(html, bytes) else html)
    return re.sub(r"\s+", " ", " ".join(parser.parts)).strip()


ISO_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
