"""Colours for the highlighted input, the bottom toolbar and the completion menu."""

from __future__ import annotations

from prompt_toolkit.styles import BaseStyle, Style, merge_styles, style_from_pygments_cls
from pygments.styles import get_style_by_name

__all__ = ["build_style"]

UI = {
    "bottom-toolbar": "bg:#303030 #c0c0c0 noreverse",
    "bottom-toolbar.warn": "bg:#303030 #ffaf5f",
    "validation-toolbar": "bg:#5f0000 #ffffff",
    "completion-menu.completion": "bg:#303030 #e0e0e0",
    "completion-menu.completion.current": "bg:#5f87af #ffffff",
    "completion-menu.meta.completion": "bg:#444444 #a0a0a0",
    "completion-menu.meta.completion.current": "bg:#5f87af #ffffff",
    "prompt": "bold",
}


def build_style(pygments_style: str = "native") -> BaseStyle:
    try:
        base = get_style_by_name(pygments_style)
    except Exception:  # unknown style name: fall back to pygments' default
        base = get_style_by_name("default")
    return merge_styles([style_from_pygments_cls(base), Style.from_dict(UI)])
