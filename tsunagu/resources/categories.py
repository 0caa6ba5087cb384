"""The shared vocabulary of community resource kinds (HSDS taxonomy terms).

Written into the database by migration 0002; the UUIDs derive from the codes, so every
installation exports the same taxonomy_term ids.
"""

from __future__ import annotations

import uuid

TAXONOMY_NAMESPACE = uuid.UUID("0b7c2f0e-6a51-5d8e-9f7a-3c1d2e4b5a60")
TAXONOMY_NAME = "tsunagu-community-resources"

# (code, name, description)
CATEGORIES: tuple[tuple[str, str, str], ...] = (
    ("kayoi", "通いの場", "介護予防の体操・趣味活動など、住民が定期的に集まる場"),
    ("salon", "サロン", "ふれあい・いきいきサロンなど、地域の交流の場"),
    ("tsudoi", "集いの場", "世代をこえて誰もが立ち寄れる集いの場"),
    ("ibasho", "居場所", "ひきこもりや孤立の状態にある方なども安心して過ごせる場"),
    ("kosodate", "子育て支援拠点", "地域子育て支援拠点・子育て支援センター"),
    ("jidokan", "児童館", "子どもが遊び、過ごす施設"),
    ("kodomo-shokudo", "こども食堂", "子どもや地域の人が食事をともにする場"),
    ("chiiki-katsudo", "地域活動支援センター", "障がいのある方の創作・交流・相談の場"),
    ("volunteer", "ボランティア活動", "ボランティア団体・担い手の活動"),
    ("company", "企業の取組", "企業・事業所による地域貢献の取組"),
    ("work-experience", "就労体験の場", "就労体験・中間的就労を受け入れる場"),
    ("learning", "学習支援", "子どもの学習支援など"),
    ("mimamori", "見守り・支え合い", "地域の見守り・支え合いの活動"),
    ("health", "健康づくり", "健康づくり・運動の活動"),
    ("consultation", "相談窓口", "地域の身近な相談の場"),
    ("other", "その他", "その他の社会資源"),
)


def category_uuid(code: str) -> uuid.UUID:
    return uuid.uuid5(TAXONOMY_NAMESPACE, code)
