"""A password validator for the words of this service (NIST SP 800-63B-4 asks verifiers to
refuse context-specific words: the service's name, the user name, the organization's city)."""

from __future__ import annotations

import unicodedata
from typing import Any

from django.core.exceptions import ValidationError

SERVICE_WORDS = ("tsunagu", "つなぐ", "ツナグ")


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


class ContextWordsValidator:
    def validate(self, password: str, user: Any = None) -> None:
        words = list(SERVICE_WORDS)
        if user is not None:
            words.append(getattr(user, "username", "") or "")
            organization = getattr(user, "organization", None)
            if organization is not None:
                words += [organization.municipality.slug, organization.municipality.name]
        folded = _fold(password)
        for word in words:
            if len(word) >= 3 and _fold(word) in folded:
                raise ValidationError(
                    "パスワードにサービス名・ユーザー名・市の名前を含めないでください",
                    code="password_context_word",
                )

    def get_help_text(self) -> str:
        return "サービス名・ユーザー名・市の名前を含まないもの"
