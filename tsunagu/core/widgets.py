"""Form widgets shared by the apps."""

from __future__ import annotations

from typing import Any

from django import forms


class SearchSelect(forms.Select):
    """A `<select>` filled as the user types: a search box above it asks `url` (htmx) for the
    `<option>`s matching what was typed, so a page never lists every case or person an
    organization holds. The box is named `<field>_q`; the select keeps the field's own name, so
    the form posts as before and the field still validates against its whole queryset.

    The select starts with only the chosen value (a form shown again after an error) and a
    prompt; nothing is listed, and so nothing is shown or logged, until the user searches."""

    template_name = "core/widgets/search_select.html"

    def __init__(
        self, *, prompt: str, placeholder: str, attrs: dict[str, Any] | None = None
    ) -> None:
        super().__init__(attrs)
        self.url = ""
        self.prompt = prompt  # the search box's accessible name
        self.placeholder = placeholder

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        context["widget"]["url"] = self.url
        context["widget"]["prompt"] = self.prompt
        context["widget"]["placeholder"] = self.placeholder
        return context
