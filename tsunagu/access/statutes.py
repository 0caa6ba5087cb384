"""The statutes a city's staff may share under without consent: the national reporting duties,
which ship with the system, and the city's own (`Statute` rows, kept in the admin site).
A statute basis names one of these by code; free text is refused."""

from __future__ import annotations

from dataclasses import dataclass

from tsunagu.access.models import Statute
from tsunagu.organizations.models import Municipality


@dataclass(frozen=True)
class StatuteEntry:
    code: str
    name: str
    article: str
    summary: str

    @property
    def label(self) -> str:
        return f"{self.name} {self.article}"


NATIONAL = [
    StatuteEntry("child-abuse-6", "児童虐待の防止等に関する法律", "第6条", "児童虐待に係る通告"),
    StatuteEntry("child-welfare-25", "児童福祉法", "第25条", "要保護児童発見者の通告義務"),
    StatuteEntry(
        "elder-abuse-7",
        "高齢者虐待の防止、高齢者の養護者に対する支援等に関する法律",
        "第7条",
        "養護者による高齢者虐待に係る通報",
    ),
    StatuteEntry(
        "disability-abuse-7",
        "障害者虐待の防止、障害者の養護者に対する支援等に関する法律",
        "第7条",
        "養護者による障害者虐待に係る通報",
    ),
    StatuteEntry(
        "dv-6",
        "配偶者からの暴力の防止及び被害者の保護等に関する法律",
        "第6条",
        "配偶者からの暴力の発見者による通報",
    ),
]


def statutes_for(*, municipality: Municipality) -> list[StatuteEntry]:
    """The national statutes, then the city's own active ones."""
    own = [
        StatuteEntry(s.code, s.name, s.article, s.summary)
        for s in Statute.objects.filter(municipality=municipality, is_active=True)
    ]
    codes = {s.code for s in own}
    return [s for s in NATIONAL if s.code not in codes] + own


def statute_find(*, municipality: Municipality, code: str) -> StatuteEntry | None:
    """The statute with this code, or None."""
    return next(
        (s for s in statutes_for(municipality=municipality) if s.code == code.strip()), None
    )
