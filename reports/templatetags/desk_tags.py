"""Template helpers of the editor page."""

from typing import Any

from django import template

register = template.Library()


@register.filter
def item(mapping: Any, key: Any) -> Any:
    """`mapping[key]`, or an empty list when absent (for loops over threads)."""
    try:
        return mapping.get(str(key), [])
    except AttributeError:
        return []


@register.filter
def lookup(mapping: Any, key: Any) -> Any:
    """`mapping[key]`, or "" when absent."""
    try:
        return mapping.get(key, "")
    except AttributeError:
        return ""
