"""Category colours for templates: ``{% load categories %}``, then ``{{ name|category_colour }}``
(CSS ``#rrggbb``) and ``{{ name|category_text }}`` (black or white, readable on that colour).

The one palette is ``config.colors``; this library lives in ``workspaces``, the app every page is
built on, so that the migrator's and the customization's templates load it without one feature
app depending on the other.
"""

from __future__ import annotations

from django import template

from config.colors import category_hex, text_hex

register = template.Library()


@register.filter
def category_colour(name: object) -> str:
    return category_hex(str(name))


@register.filter
def category_text(name: object) -> str:
    return text_hex(category_hex(str(name)))
