"""Demo community resources: the kinds each city's plan names (子育て支援センター, 集いの場,
児童館, ふれあいサロン, 100歳体操, 健康ちょきん運動 …) with fictional names, places and times,
written through the real services. No coordinates: the demo invents no position, so its map
shows the list only (a real city enters positions from its addresses)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from tsunagu.accounts.models import User
from tsunagu.core.fiscal import fiscal_year_bounds, fiscal_year_of
from tsunagu.organizations.models import Area
from tsunagu.resources.models import Category, CommunityResource
from tsunagu.resources.services import (
    ActivityData,
    ContactData,
    LocationData,
    ProviderData,
    PublicInterestInitiativeData,
    ResourceData,
    ScheduleData,
    WorkerData,
    activity_create,
    attendance_record,
    category_vocabulary_ensure,
    community_consultation_record,
    contact_add,
    location_create,
    matching_record,
    provider_create,
    public_interest_initiative_create,
    resource_create,
    schedule_add,
    worker_create,
)

NOTE = "（デモ用の架空の情報です）"

# (category, name, reading, description, audiences, schedule, place or "" for 場所を定めない,
#  is_host)  schedule: ("weekly", "MO,TH", None) / ("monthly", "TU", 2) / ("dates", "", None)
Entry = tuple[str, str, str, str, list[str], tuple[str, str, int | None], str, bool]

COMMON: list[Entry] = [
    (
        "salon",
        "ひだまりサロン",
        "ひだまりさろん",
        "お茶を飲みながらおしゃべりや体操をする、地域のふれあいサロンです。",
        ["elderly", "everyone"],
        ("monthly", "TU", 2),
        "ひだまり集会所",
        False,
    ),
    (
        "kodomo-shokudo",
        "みんなの食堂 こもれび",
        "みんなのしょくどうこもれび",
        "子どもも大人も一緒に夕ごはんを食べる食堂です。",
        ["children", "parents", "everyone"],
        ("monthly", "FR", -1),
        "こもれび会館",
        False,
    ),
    (
        "ibasho",
        "ふらっとカフェ",
        "ふらっとかふぇ",
        "誰でも立ち寄って過ごせる居場所です。話したいときも、ただ座っていたいときも。",
        ["everyone", "youth"],
        ("weekly", "WE", None),
        "ふらっとカフェ",
        True,
    ),
    (
        "mimamori",
        "ご近所見守り隊",
        "ごきんじょみまもりたい",
        "地区の住民が声かけと見守りをする活動です（決まった場所はありません）。",
        ["elderly"],
        ("dates", "", None),
        "",
        False,
    ),
]

BY_CITY: dict[str, list[Entry]] = {
    "imizu": [
        (
            "kosodate",
            "みなと子育て支援センター",
            "みなとこそだてしえんせんたー",
            "子育て中の親子が遊び、相談できる子育て支援センターです。",
            ["parents", "children"],
            ("weekly", "MO,TU,WE,TH,FR", None),
            "みなとこども園",
            False,
        ),
        (
            "chiiki-katsudo",
            "地域活動支援センター あおぞら",
            "ちいきかつどうしえんせんたーあおぞら",
            "障がいのある方の創作活動・交流・相談の場です。",
            ["disability"],
            ("weekly", "MO,WE,FR", None),
            "あおぞら作業室",
            True,
        ),
        (
            "kayoi",
            "いきいき100歳体操 さくら会",
            "いきいきひゃくさいたいそうさくらかい",
            "おもりを使った体操を週に一度、みんなで続けています。",
            ["elderly"],
            ("weekly", "TH", None),
            "さくら公民館",
            False,
        ),
    ],
    "ise": [
        (
            "kosodate",
            "なかよし地域子育て支援拠点",
            "なかよしちいきこそだてしえんきょてん",
            "親子の交流と子育て相談の拠点です。",
            ["parents", "children"],
            ("weekly", "MO,TU,WE,TH,FR", None),
            "なかよしひろば",
            False,
        ),
        (
            "tsudoi",
            "まちかど集いの場",
            "まちかどつどいのば",
            "世代をこえて誰でも集える場です。",
            ["everyone"],
            ("weekly", "SA", None),
            "まちかど会館",
            True,
        ),
    ],
    "sanda": [
        (
            "work-experience",
            "はたらく体験農園",
            "はたらくたいけんのうえん",
            "畑しごとを通じて、働く体験ができる場です。",
            ["youth", "working_age"],
            ("weekly", "TU,FR", None),
            "体験農園",
            True,
        ),
    ],
    "inzai": [
        (
            "health",
            "健康ちょきんウォーキングの会",
            "けんこうちょきんうぉーきんぐのかい",
            "歩いて健康をためる運動の会です。",
            ["everyone", "elderly"],
            ("weekly", "SU", None),
            "",
            False,
        ),
        (
            "kosodate",
            "もりの子育て支援センター",
            "もりのこそだてしえんせんたー",
            "子育て中の親子の交流の場です。",
            ["parents", "children"],
            ("weekly", "MO,WE,FR", None),
            "もりの保育園",
            False,
        ),
    ],
    "toyokawa": [
        (
            "jidokan",
            "ひかり児童館",
            "ひかりじどうかん",
            "子どもが遊び、過ごせる児童館です。",
            ["children"],
            ("weekly", "TU,WE,TH,FR,SA", None),
            "ひかり児童館",
            False,
        ),
        (
            "salon",
            "ふれあいサロン みどり",
            "ふれあいさろんみどり",
            "地区のふれあいサロンです。",
            ["elderly"],
            ("monthly", "WE", 1),
            "みどり集会所",
            False,
        ),
    ],
}


def demo_resources(*, editor: User, today: dt.date | None = None) -> int:
    """Fictional resources, activities and counts of the editor's city; returns how many
    resources were made. Run once per city (load-demo checks)."""
    day = today or timezone.localdate()
    category_vocabulary_ensure()
    municipality = editor.organization.municipality  # type: ignore[union-attr]
    fiscal_year = fiscal_year_of(day, start_month=municipality.fiscal_year_start_month)
    first_day, _ = fiscal_year_bounds(fiscal_year, start_month=municipality.fiscal_year_start_month)
    area = Area.objects.filter(municipality=municipality, kind=Area.Kind.DISTRICT).first()
    provider = provider_create(
        user=editor,
        data=ProviderData(
            name=f"{municipality.name}地域ささえあい連絡会（架空）",
            description="地域の住民活動をつなぐ連絡会です。" + NOTE,
        ),
    )
    made: list[CommunityResource] = []
    for category, name, kana, description, audiences, rule, place, host in [
        *BY_CITY.get(municipality.slug, []),
        *COMMON,
    ]:
        locations = []
        if place:
            locations.append(
                location_create(
                    user=editor,
                    data=LocationData(
                        name=f"{place}（架空）",
                        area=area,
                        accessibility="段差なし・車いすで入れます",
                    ),
                )
            )
        resource = resource_create(
            user=editor,
            data=ResourceData(
                provider=provider,
                name=name,
                name_kana=kana,
                description=description + NOTE,
                categories=[Category.objects.get(code=category)],
                audiences=audiences,
                locations=locations,
                fees_description="無料",
                is_public=True,
                is_host=host,
                host_note="見学のあと、週1回から参加できます" if host else "",
                last_verified_on=day,
            ),
        )
        kind, days, nth = rule
        schedule_add(
            user=editor,
            resource=resource,
            data=ScheduleData(
                kind=kind,
                weekdays=[d for d in days.split(",") if d],
                week_of_month=nth,
                dates=[day + dt.timedelta(days=d) for d in (10, 40, 70)] if kind == "dates" else [],
                opens_at=dt.time(10),
                closes_at=dt.time(12),
                location=locations[0] if locations else None,
            ),
        )
        contact_add(
            user=editor,
            resource=resource,
            data=ContactData(name="連絡会 事務局", phone="0000-00-0000", is_public=True),
        )
        made.append(resource)
    # activities and counts of this fiscal year, for the 実績 page
    courses = []
    for offset, participants in ((20, 18), (50, 16)):
        course = activity_create(
            user=editor,
            data=ActivityData(
                kind="course",
                title="生活支援サポーター養成講座",
                held_on=first_day + dt.timedelta(days=offset),
                participants=participants,
                organizer=editor.organization,
            ),
        )
        courses.append(course)
    activity_create(
        user=editor,
        data=ActivityData(
            kind="event",
            title="ふれあいまつり",
            held_on=day + dt.timedelta(days=14),
            starts_at=dt.time(10),
            ends_at=dt.time(14),
            resource=made[0],
            is_public=True,
            participants=None,
            organizer=editor.organization,
        ),
    )
    for party, summary in (("resident", "活動に参加したい"), ("group", "担い手を増やしたい")):
        community_consultation_record(
            user=editor, received_on=first_day + dt.timedelta(days=30), party=party, summary=summary
        )
    matching_record(
        user=editor,
        matched_on=first_day + dt.timedelta(days=35),
        party="company",
        party_name="架空商事",
        resource=made[-1],
    )
    attendance_record(
        user=editor,
        resource=made[0],
        period_start=first_day,
        period_end=first_day + dt.timedelta(days=29),
        visits=120,
        unique_visitors=35,
    )
    # 担い手: a few fictional people who took the course (the roster the editors keep)
    for kind, name, kana, trained in (
        ("life_supporter", "架空 はるこ", "かくう はるこ", courses),
        ("life_supporter", "架空 なつお", "かくう なつお", courses[:1]),
        ("volunteer", "架空 あきこ", "かくう あきこ", []),
        ("commissioner_helper", "架空 ふゆき", "かくう ふゆき", []),
    ):
        if kind == "commissioner_helper" and area is None:
            continue  # 民生委員協力員 are placed per 地区: none without one
        worker_create(
            user=editor,
            data=WorkerData(
                kind=kind,
                name=name,
                name_kana=kana,
                area=area,
                provider=provider,
                started_on=first_day,
                trainings=trained,
            ),
        )
    public_interest_initiative_create(
        user=editor,
        data=PublicInterestInitiativeData(
            corporation="社会福祉法人 架空福祉会",
            title="施設の地域交流スペースでの子ども食堂",
            description="月1回、施設の交流スペースを開放して食事を提供しています。" + NOTE,
            started_on=first_day,
            participants=240,
            resource=made[0],
            organization=editor.organization,
        ),
    )
    return len(made)
