"""Keyword search of resources, forgiving as residents type: any width, hiragana or katakana,
異体字 — the project's one Japanese text toolkit (`core.text`)."""

from __future__ import annotations

from tsunagu.core.text import normalize_name

MAX_QUERY_LENGTH = 100
MAX_TERMS = 5
SEPARATOR = "\x1f"


def search_text(*parts: str) -> str:
    """What a resource is found by: each part normalised, joined so no term spans two parts."""
    return SEPARATOR.join(normalize_name(p) for p in parts if p)


def query_terms(query: str) -> list[str]:
    """The normalised terms of a query; a long query is cut, not refused (the page says so)."""
    words = query[:MAX_QUERY_LENGTH].split()
    terms = [normalize_name(w) for w in words]
    return [t for t in dict.fromkeys(terms) if t][:MAX_TERMS]
