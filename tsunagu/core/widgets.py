"""Form widgets shared by the apps."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django_stubs_ext import StrPromise

# A picker lists at most this many records at a time; then the user types on.
CHOICES_SHOWN = 20
# The picker's empty option, before and after a search.
PICK = "（上の欄で探して選ぶ）"


@dataclass(frozen=True)
class Choices:
    """What a picker offers for what was typed: (id, label) pairs, and whether there were more
    than it lists."""

    options: list[tuple[int, str]]
    more: bool


class SearchSelect(forms.Select):
    """A `<select>` filled as the user types: a search box above it asks `url` (htmx) for the
    `<option>`s matching what was typed (`core/widgets/search_select_options.html`), so a page
    never lists every case or person an organization may name. The box sends `q` (a form's
    post ignores it); the select keeps the field's own name, so the form posts as before and
    the field validates against its whole queryset.

    The select starts with the prompt alone: nothing is listed, so nothing is shown or logged,
    until the user searches (the endpoint logs what it lists)."""

    template_name = "core/widgets/search_select.html"

    def __init__(
        self,
        *,
        url: str | StrPromise,
        prompt: str,
        placeholder: str,
        attrs: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(attrs)
        self.url: str | StrPromise = url  # reverse_lazy: forms are defined before the URLs load
        self.prompt = prompt  # the search box's accessible name
        self.placeholder = placeholder

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        context["widget"].update(
            url=str(self.url), prompt=self.prompt, placeholder=self.placeholder
        )
        return context
