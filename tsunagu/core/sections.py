"""Sections that higher apps add to a lower app's page, so that imports only ever point down.

A person's page (people) shows their consultations, referrals and consents, which live in apps
above people. Each of those apps registers a `Section` for the page in its `AppConfig.ready()`;
the page's view renders whatever is registered, in order. The section's own code decides (and
logs) what the user may see; returning None leaves the section out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Section:
    page: str  # e.g. "people:detail"
    name: str
    template: str
    order: int
    # (user, obj, **extra) -> the template's context, or None to leave the section out
    context: Callable[..., dict[str, Any] | None]


@dataclass(frozen=True)
class RenderedSection:
    section: Section
    context: dict[str, Any] = field(default_factory=dict)

    @property
    def template(self) -> str:
        return self.section.template


_registry: dict[str, dict[str, Section]] = {}


def section_register(section: Section) -> None:
    """Add (or replace, by name) a section of a page."""
    _registry.setdefault(section.page, {})[section.name] = section


def sections_for(page: str, /, **kwargs: Any) -> list[RenderedSection]:
    """The sections of a page, in order, with their contexts; those that decline are left out."""
    out = []
    for section in sorted(_registry.get(page, {}).values(), key=lambda s: s.order):
        context = section.context(**kwargs)
        if context is not None:
            out.append(RenderedSection(section=section, context=context))
    return out
