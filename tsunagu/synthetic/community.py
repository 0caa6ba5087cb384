"""The community of a generated city, at its scale: 地域の社会資源 and 地域づくり records.

What a city's 生活支援コーディネーター and 社会福祉協議会 keep about the community: the groups
that run things (自治会, 地区社会福祉協議会, 老人クラブ, NPO, 子ども食堂の会, 社会福祉法人,
企業), the places they meet, the resources (サロン, 体操, 子ども食堂, 居場所, 認知症カフェ,
見守り活動, 学習支援 …) with their categories, schedules and contacts, and the 地域づくり
records of the years generated: events, courses and meetings (`Activity`), 地域づくり相談,
マッチング and the visitors of each 居場所.

Rows go through the generator's bulk `Writer` complete as the services would leave them: the
`search_text` made by the same function from the same parts, audiences and weekdays in the
services' order, `version` 1, ids (`hsds_id`) drawn from the seed. No history rows are written
(a generated row has no editor to name). Places are spread over the city's 地区 and towns,
around the seed city's centre, over a radius that grows with the city. Fictional names only.

Deterministic for the random generator's state: the same state gives the same rows (ids aside).
"""

from __future__ import annotations

import datetime as dt
import math
import random
import uuid
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from tsunagu.organizations.models import Area, Municipality
from tsunagu.resources.models import (
    Activity,
    AttendanceCount,
    Audience,
    Category,
    CommunityConsultation,
    CommunityResource,
    Contact,
    Location,
    Matching,
    Party,
    Provider,
    ResourceLocation,
    Schedule,
)
from tsunagu.resources.recurrence import WEEKDAYS, describe
from tsunagu.resources.search import search_text
from tsunagu.resources.services import category_vocabulary_ensure
from tsunagu.synthetic import names
from tsunagu.synthetic.writer import Ids, Writer

TOKYO = ZoneInfo("Asia/Tokyo")
PER = 100_000  # the rates below are per this many residents


# --- where the city lies ------------------------------------------------------------------


@dataclass(frozen=True)
class SeedPlace:
    """Where a seed city's centre is (its city hall, roughly) and its 市外局番."""

    latitude: float
    longitude: float
    phone_prefix: str


SEED_PLACES: dict[str, SeedPlace] = {
    "ise": SeedPlace(34.4875, 136.7091, "0596"),
    "imizu": SeedPlace(36.7310, 137.0757, "0766"),
    "inzai": SeedPlace(35.8327, 140.1456, "0476"),
    "sanda": SeedPlace(34.8893, 135.2254, "079"),
    "toyokawa": SeedPlace(34.8267, 137.3760, "0533"),
}
# The radius (km) over which a city of 100,000 has its meeting places; a larger city spreads
# with the square root of its residents (1.5 million: about 19 km). An assumption.
RADIUS_KM_PER_100K = 5.0
KM_PER_DEGREE = 111.0
# Residents of one neighbourhood (a 丁目 or a locality) with its own 自治会 and 集会所: between
# 12 and 360 neighbourhoods a city. An assumption.
RESIDENTS_PER_NEIGHBOURHOOD = 3000
NEIGHBOURHOODS = (12, 360)
KANJI_NUMBERS = "〇一二三四五六七八九"


@dataclass(frozen=True)
class _Neighbourhood:
    town: str  # 本町 (a locality the plan lists for a 地区, else a fictional town)
    label: str  # 本町三丁目
    chome: int  # 3; 0 when the town is not split into 丁目
    area_id: int | None
    latitude: float
    longitude: float


# --- the kinds of resource --------------------------------------------------------------------


@dataclass(frozen=True)
class _Rule:
    """How a kind of resource meets: `weekly` on `per_week` of `days`, `monthly` on the nth of
    one of `days`, or on listed `dates` (four, on one of `days`); hours drawn from `hours`."""

    kind: str
    days: tuple[str, ...]
    hours: tuple[tuple[dt.time, dt.time], ...]
    per_week: int = 1


def _h(h: int, m: int = 0) -> dt.time:
    return dt.time(h, m)


MORNING = ((_h(10), _h(12)), (_h(9, 30), _h(11, 30)), (_h(10), _h(11, 30)))
AFTERNOON = ((_h(13, 30), _h(15, 30)), (_h(14), _h(16)))
EVENING = ((_h(17), _h(19)), (_h(17, 30), _h(19, 30)))
DAYTIME = ((_h(9), _h(16)), (_h(10), _h(16)), (_h(9), _h(15)))
WEEKDAY_CODES = WEEKDAYS[:5]


@dataclass(frozen=True)
class _Kind:
    """A kind of community resource and how common it is."""

    code: str
    # resources per 100,000 residents (see the comment at `KINDS` for where each comes from)
    per_100k: float
    categories: tuple[str, ...]  # Category codes: the first always, the others sometimes
    names: tuple[tuple[str, str], ...]  # (name, reading) with {nick} / {kana}
    description: str  # with {hood} (the neighbourhood) and {when} (the schedule)
    audiences: tuple[str, ...]
    providers: tuple[str, ...]  # `PROVIDER_KINDS` that run it
    venues: tuple[str, ...]  # place names with {hood} / {town} / {nick}
    rules: tuple[_Rule, ...]
    fees: tuple[str, ...]
    host_share: float  # of them, how many take 参加支援 participants
    host_note: str = ""
    ages: tuple[int | None, int | None] = (None, None)
    placeless: float = 0.0  # share with no fixed place (場所を定めない)


HALLS = ("{hood}集会所", "{hood}公民館", "{town}地区コミュニティセンター", "{hood}会館")

# Resources per 100,000 residents. Where a seed plan counts a kind, the rate is its count over
# the seed city's residents (`city.SEED_POPULATION`):
#   kayoi    射水市 100歳体操 146 groups (91,000) = 160, 印西市 健康ちょきん運動 86 (108,000) = 80:
#            100 taken between them
#   tsudoi   伊勢市 集いの場及び介護予防に特化した通いの場 14→15 か所 (122,000) = 12
#   kosodate 伊勢市 6 か所 = 5, 射水市 9 = 10, 印西市 20 = 18, 豊川市 2 = 1: 8 taken
#   jidokan  豊川市 児童館 11 (185,000) = 6
#   chiiki-katsudo  伊勢市 地域活動支援センター 1 = 0.8
#   volunteer 伊勢市 交流できる居場所での地域福祉活動 20 団体 = 16
# The others are assumptions (no seed plan counts them), of the order national counts give:
# サロン 60, 子ども食堂 8, 居場所 5, 認知症カフェ 6, 見守り活動 20, 学習支援 4, 健康づくり 10,
# 就労体験の場 2, 相談の場 3, 企業の取組 4. In all about 265 per 100,000: 伊勢市 about 320,
# a city of 1.5 million about 4,000.
KINDS: tuple[_Kind, ...] = (
    _Kind(
        code="salon",
        per_100k=60,
        categories=("salon",),
        names=(
            ("ふれあいサロン {nick}", "ふれあいさろん{kana}"),
            ("いきいきサロン {nick}", "いきいきさろん{kana}"),
            ("{nick}サロン", "{kana}さろん"),
            ("お茶のみサロン {nick}", "おちゃのみさろん{kana}"),
        ),
        description="{hood}の住民が集まり、お茶を飲みながらおしゃべりや体操をするサロンです。"
        "{when}に開いています。",
        audiences=("elderly", "everyone"),
        providers=("jichikai", "shakyo", "rojin"),
        venues=HALLS,
        rules=(
            _Rule("monthly", WEEKDAY_CODES, MORNING + AFTERNOON),
            _Rule("weekly", WEEKDAY_CODES, MORNING),
        ),
        fees=("無料", "100円（お茶代）", "200円"),
        host_share=0.08,
        host_note="準備や片付け、お茶出しの役割をお願いできます。見学から始められます。",
    ),
    _Kind(
        code="kayoi",
        per_100k=100,
        categories=("kayoi", "health"),
        names=(
            ("いきいき100歳体操 {nick}会", "いきいきひゃくさいたいそう{kana}かい"),
            ("健康体操 {nick}クラブ", "けんこうたいそう{kana}くらぶ"),
            ("{nick}体操教室", "{kana}たいそうきょうしつ"),
            ("元気アップ体操 {nick}", "げんきあっぷたいそう{kana}"),
        ),
        description="おもりを使った体操を、{hood}の住民がみんなで続けています。{when}。",
        audiences=("elderly",),
        providers=("jichikai", "rojin", "shakyo"),
        venues=HALLS,
        rules=(_Rule("weekly", WEEKDAY_CODES, MORNING),),
        fees=("無料", "月100円"),
        host_share=0.03,
        host_note="会場の準備と受付をお願いできます。",
    ),
    _Kind(
        code="tsudoi",
        per_100k=12,
        categories=("tsudoi",),
        names=(
            ("{nick}の集い", "{kana}のつどい"),
            ("みんなの集いの場 {nick}", "みんなのつどいのば{kana}"),
        ),
        description="世代をこえて誰でも集える{hood}の場です。{when}に開いています。",
        audiences=("everyone",),
        providers=("shakyo", "npo", "jichikai"),
        venues=HALLS,
        rules=(
            _Rule("weekly", (*WEEKDAY_CODES, "SA"), MORNING + AFTERNOON),
            _Rule("monthly", (*WEEKDAY_CODES, "SA"), MORNING),
        ),
        fees=("無料", "100円"),
        host_share=0.25,
        host_note="参加者の受付や会場づくりを一緒にしていただけます。",
    ),
    _Kind(
        code="kodomo-shokudo",
        per_100k=8,
        categories=("kodomo-shokudo", "ibasho"),
        names=(
            ("{nick}こども食堂", "{kana}こどもしょくどう"),
            ("みんなの食堂 {nick}", "みんなのしょくどう{kana}"),
        ),
        description="子どもも大人も一緒にごはんを食べる食堂です。{when}、{hood}で開いています。",
        audiences=("children", "parents", "everyone"),
        providers=("kodomo", "npo", "hojin"),
        venues=("{hood}集会所", "{town}地区コミュニティセンター", "{nick}食堂", "{nick}寺 本堂"),
        rules=(
            _Rule("monthly", ("FR", "SA", "SU"), (*EVENING, (_h(11, 30), _h(13, 30)))),
            _Rule("weekly", ("WE", "FR"), EVENING),
        ),
        fees=("子ども無料・大人300円", "子ども100円・大人300円", "無料"),
        host_share=0.15,
        host_note="調理の補助や配膳、片付けをお願いできます。",
    ),
    _Kind(
        code="ibasho",
        per_100k=5,
        categories=("ibasho", "tsudoi"),
        names=(
            ("居場所カフェ {nick}", "いばしょかふぇ{kana}"),
            ("{nick}のいえ", "{kana}のいえ"),
            ("ふらっとスペース {nick}", "ふらっとすぺーす{kana}"),
        ),
        description="誰でも立ち寄って過ごせる居場所です。話したいときも、ただ座っていたい"
        "ときも。{when}に開いています。",
        audiences=("everyone", "youth"),
        providers=("npo", "shakyo", "hojin"),
        venues=("まちなかスペース {nick}", "{nick}ハウス", "{town}地区コミュニティセンター"),
        rules=(_Rule("weekly", (*WEEKDAY_CODES, "SA"), DAYTIME, per_week=3),),
        fees=("無料", "飲み物代100円"),
        host_share=0.4,
        host_note="まずは過ごすことから。慣れたら受付やお茶出しの役割もあります。",
    ),
    _Kind(
        code="kosodate",
        per_100k=8,
        categories=("kosodate",),
        names=(
            ("{nick}子育て支援センター", "{kana}こそだてしえんせんたー"),
            ("子育てひろば {nick}", "こそだてひろば{kana}"),
        ),
        description="子育て中の親子が遊び、相談できる場です。{when}に開いています。",
        audiences=("parents", "children"),
        providers=("hojin", "npo"),
        venues=("{nick}こども園", "{nick}保育園", "{town}地区コミュニティセンター"),
        rules=(_Rule("weekly", WEEKDAY_CODES, DAYTIME, per_week=5),),
        fees=("無料",),
        host_share=0.05,
        host_note="おもちゃの消毒や片付けをお願いできます。",
        ages=(0, 6),
    ),
    _Kind(
        code="jidokan",
        per_100k=6,
        categories=("jidokan",),
        names=(("{nick}児童館", "{kana}じどうかん"),),
        description="子どもが遊び、過ごせる児童館です。{when}に開いています。",
        audiences=("children",),
        providers=("hojin", "npo"),
        venues=("{nick}児童館",),
        rules=(_Rule("weekly", ("TU", "WE", "TH", "FR", "SA"), ((_h(9), _h(17)),), per_week=5),),
        fees=("無料",),
        host_share=0.05,
        host_note="行事の準備を手伝っていただけます。",
        ages=(0, 18),
    ),
    _Kind(
        code="chiiki-katsudo",
        per_100k=0.8,
        categories=("chiiki-katsudo",),
        names=(("地域活動支援センター {nick}", "ちいきかつどうしえんせんたー{kana}"),),
        description="障がいのある方の創作活動・交流・相談の場です。{when}に開いています。",
        audiences=("disability",),
        providers=("hojin",),
        venues=("{nick}作業室",),
        rules=(_Rule("weekly", WEEKDAY_CODES, DAYTIME, per_week=5),),
        fees=("無料",),
        host_share=0.6,
        host_note="創作活動や軽作業に、週1回から参加できます。",
    ),
    _Kind(
        code="ninchisho-cafe",
        per_100k=6,
        categories=("tsudoi", "consultation"),
        names=(
            ("認知症カフェ {nick}", "にんちしょうかふぇ{kana}"),
            ("オレンジカフェ {nick}", "おれんじかふぇ{kana}"),
        ),
        description="認知症の方やその家族、地域の方が気軽に集い、専門職に相談もできるカフェです。"
        "{when}に開いています。",
        audiences=("elderly", "carers", "everyone"),
        providers=("hojin", "npo", "shakyo"),
        venues=("{hood}公民館", "特別養護老人ホーム {nick}苑", "カフェ {nick}"),
        rules=(_Rule("monthly", (*WEEKDAY_CODES, "SA"), AFTERNOON),),
        fees=("100円（飲み物代）", "無料"),
        host_share=0.1,
        host_note="飲み物の準備や受付をお願いできます。",
    ),
    _Kind(
        code="mimamori",
        per_100k=20,
        categories=("mimamori",),
        names=(
            ("{nick}見守り隊", "{kana}みまもりたい"),
            ("ご近所見守りネット {nick}", "ごきんじょみまもりねっと{kana}"),
        ),
        description="{hood}の住民が、ひとり暮らしの方などへの声かけと見守りをする活動です"
        "（決まった場所はありません）。",
        audiences=("elderly",),
        providers=("jichikai", "shakyo", "rojin"),
        venues=(),
        rules=(_Rule("monthly", WEEKDAY_CODES, MORNING),),
        fees=("無料",),
        host_share=0.0,
        placeless=1.0,
    ),
    _Kind(
        code="learning",
        per_100k=4,
        categories=("learning", "ibasho"),
        names=(
            ("{nick}学習教室", "{kana}がくしゅうきょうしつ"),
            ("まなびの広場 {nick}", "まなびのひろば{kana}"),
        ),
        description="小学生・中学生の宿題や勉強を、地域のボランティアが見守る学習支援の場です。"
        "{when}に開いています。",
        audiences=("children", "youth"),
        providers=("npo", "volunteer", "shakyo"),
        venues=("{town}公民館", "{town}地区コミュニティセンター"),
        rules=(
            _Rule("weekly", ("TU", "TH"), EVENING),
            _Rule("weekly", ("SA",), MORNING),
        ),
        fees=("無料",),
        host_share=0.15,
        host_note="教材の準備や会場設営をお願いできます。",
        ages=(6, 15),
    ),
    _Kind(
        code="volunteer",
        per_100k=16,
        categories=("volunteer",),
        names=(
            ("傾聴ボランティア {nick}", "けいちょうぼらんてぃあ{kana}"),
            ("配食ボランティア {nick}", "はいしょくぼらんてぃあ{kana}"),
            ("{nick}おたすけ隊", "{kana}おたすけたい"),
            ("朗読ボランティア {nick}", "ろうどくぼらんてぃあ{kana}"),
        ),
        description="地域の困りごとを手伝うボランティアの活動です。{when}に集まっています。",
        audiences=("everyone", "working_age"),
        providers=("volunteer", "shakyo"),
        venues=("{town}地区コミュニティセンター",),
        rules=(
            _Rule("monthly", WEEKDAY_CODES, MORNING + AFTERNOON),
            _Rule("dates", (*WEEKDAY_CODES, "SA"), MORNING),
        ),
        fees=("無料",),
        host_share=0.15,
        host_note="仲間と一緒に、できることから活動に参加できます。",
        placeless=0.4,
    ),
    _Kind(
        code="health",
        per_100k=10,
        categories=("health",),
        names=(
            ("{nick}ウォーキングの会", "{kana}うぉーきんぐのかい"),
            ("{nick}ヨガ教室", "{kana}よがきょうしつ"),
            ("健康麻雀 {nick}", "けんこうまーじゃん{kana}"),
        ),
        description="歩いたり体を動かしたりして、健康をつくる会です。{when}。",
        audiences=("everyone", "elderly"),
        providers=("rojin", "volunteer", "jichikai"),
        venues=("{town}運動公園", "{hood}集会所"),
        rules=(
            _Rule("weekly", (*WEEKDAY_CODES, "SA", "SU"), MORNING),
            _Rule("monthly", (*WEEKDAY_CODES, "SA", "SU"), MORNING),
        ),
        fees=("無料", "月300円"),
        host_share=0.05,
        host_note="一緒に歩く仲間として参加できます。",
    ),
    _Kind(
        code="work-experience",
        per_100k=2,
        categories=("work-experience",),
        names=(
            ("{nick}ファーム就労体験", "{kana}ふぁーむしゅうろうたいけん"),
            ("{nick}ワークス", "{kana}わーくす"),
        ),
        description="畑しごとや軽作業を通じて、働く体験ができる場です。{when}に受け入れています。",
        audiences=("youth", "working_age", "disability"),
        providers=("hojin", "npo", "company"),
        venues=("{nick}農園", "{nick}工房"),
        rules=(_Rule("weekly", WEEKDAY_CODES, DAYTIME, per_week=2),),
        fees=("無料",),
        host_share=0.8,
        host_note="見学のあと、週1回・2時間から体験できます。",
    ),
    _Kind(
        code="consultation",
        per_100k=3,
        categories=("consultation",),
        names=(
            ("{nick}よろず相談", "{kana}よろずそうだん"),
            ("まちかど相談室 {nick}", "まちかどそうだんしつ{kana}"),
        ),
        description="暮らしの困りごとを気軽に話せる、地域の身近な相談の場です。{when}に開いています。",
        audiences=("everyone",),
        providers=("shakyo", "hojin"),
        venues=("{town}公民館", "{town}地区コミュニティセンター"),
        rules=(_Rule("monthly", WEEKDAY_CODES, AFTERNOON),),
        fees=("無料",),
        host_share=0.0,
    ),
    _Kind(
        code="company",
        per_100k=4,
        categories=("company", "mimamori"),
        names=(
            ("移動販売 {nick}号", "いどうはんばい{kana}ごう"),
            ("{nick}健康教室", "{kana}けんこうきょうしつ"),
            ("{nick}まちの清掃活動", "{kana}まちのせいそうかつどう"),
        ),
        description="地元の企業による地域貢献の取組です。{when}。",
        audiences=("everyone", "elderly"),
        providers=("company",),
        venues=("{hood}集会所",),
        rules=(
            _Rule("weekly", WEEKDAY_CODES, MORNING),
            _Rule("dates", ("SA", "SU"), MORNING),
        ),
        fees=("無料",),
        host_share=0.2,
        host_note="社員と一緒に活動に参加できます。",
        placeless=0.4,
    ),
)

# Nicknames of groups and places, with their readings.
NICKS: tuple[tuple[str, str], ...] = (
    ("ひだまり", "ひだまり"),
    ("さくら", "さくら"),
    ("ひまわり", "ひまわり"),
    ("たんぽぽ", "たんぽぽ"),
    ("わかば", "わかば"),
    ("あおぞら", "あおぞら"),
    ("にこにこ", "にこにこ"),
    ("ほっと", "ほっと"),
    ("すまいる", "すまいる"),
    ("なごみ", "なごみ"),
    ("つばさ", "つばさ"),
    ("こもれび", "こもれび"),
    ("みどり", "みどり"),
    ("やまびこ", "やまびこ"),
    ("せせらぎ", "せせらぎ"),
    ("はなみずき", "はなみずき"),
    ("もみじ", "もみじ"),
    ("あじさい", "あじさい"),
    ("すずらん", "すずらん"),
    ("かがやき", "かがやき"),
    ("ゆずりは", "ゆずりは"),
    ("どんぐり", "どんぐり"),
    ("まごころ", "まごころ"),
    ("ぬくもり", "ぬくもり"),
    ("いずみ", "いずみ"),
    ("若葉", "わかば"),
    ("青空", "あおぞら"),
    ("陽だまり", "ひだまり"),
    ("希望", "きぼう"),
    ("和", "なごみ"),
    ("結", "ゆい"),
    ("絆", "きずな"),
    ("虹", "にじ"),
    ("光", "ひかり"),
    ("菜の花", "なのはな"),
    ("松風", "まつかぜ"),
    ("白梅", "しらうめ"),
    ("朝日", "あさひ"),
    ("寿", "ことぶき"),
    ("すこやか", "すこやか"),
)

# Who runs resources: (name, reading, description) with {hood} / {town} / {nick} / {kana}.
# `LOCAL_PROVIDERS` are one per neighbourhood (自治会) or town (地区社協, 老人クラブ); the others
# are the city's, each running one to a few resources.
PROVIDER_KINDS: dict[str, tuple[str, str, str]] = {
    "jichikai": ("{hood}自治会", "", "{hood}の住民でつくる自治会です。"),
    "shakyo": (
        "{town}地区社会福祉協議会",
        "",
        "{town}地区の住民と関係団体でつくる地区社会福祉協議会です。",
    ),
    "rojin": ("{town}{nick}クラブ", "", "{town}の老人クラブです。"),
    "npo": (
        "NPO法人 {nick}ネット",
        "えぬぴーおーほうじん{kana}ねっと",
        "居場所づくりや子どもの支援に取り組むNPO法人です。",
    ),
    "kodomo": ("{nick}食堂の会", "{kana}しょくどうのかい", "子ども食堂を運営する住民の会です。"),
    "hojin": (
        "社会福祉法人 {nick}福祉会",
        "しゃかいふくしほうじん{kana}ふくしかい",
        "地域の福祉事業と公益的な取組を行う社会福祉法人です。",
    ),
    "volunteer": (
        "ボランティアグループ {nick}",
        "ぼらんてぃあぐるーぷ{kana}",
        "市のボランティアセンターに登録しているグループです。",
    ),
    "company": (
        "株式会社{nick}",
        "かぶしきがいしゃ{kana}",
        "地元の企業です。地域貢献の取組を行っています。",
    ),
}
LOCAL_PROVIDERS = {"jichikai": "hood", "shakyo": "town", "rojin": "town"}
# a city-wide group runs another resource rather than a new group starting (an assumption)
PROVIDER_REUSE = 0.35

# the state of the resources (an assumption): most are running
STATUSES = (
    (CommunityResource.Status.ACTIVE, 92),
    (CommunityResource.Status.TEMPORARILY_CLOSED, 4),
    (CommunityResource.Status.INACTIVE, 2),
    (CommunityResource.Status.DEFUNCT, 2),
)
PUBLIC_SHARE = 0.9  # the rest are kept by the staff only (not yet agreed with the group)
SECOND_PLACE_SHARE = 0.08  # resources that also meet at a second place
EXISTED_BEFORE_SHARE = 0.75  # resources already there when the generated years begin
UNVERIFIED_SHARE = 0.05  # never checked with their group (last_verified_on empty)
ACCESSIBILITY = (
    "段差なし・車いすで入れます",
    "入口に段差があります（スロープあり）",
    "車いす用トイレあり・駐車場あり",
    "2階（エレベーターなし）",
    "",
)


# --- 地域づくり records -------------------------------------------------------------------


@dataclass(frozen=True)
class _Event:
    """Activities of one title: how often (a year per 100,000 residents, plus a number a year
    whatever the city's size), who comes, where."""

    kind: str
    title: str
    participants: tuple[int, int]
    hours: tuple[dt.time, dt.time]
    per_100k: float = 0.0
    per_city: float = 0.0
    public: float = 0.0  # share announced on the public map
    category: str | None = None
    at: str | None = None  # held at a resource of this kind (at its place), when there is one
    place: str = "市役所 会議室"  # else here ({town}: a town of the city)
    description: str = ""


# Activities a year. From 伊勢市's plan (122,000 residents): 生活支援サポーター養成講座 1–2 a
# year of 15–25; ボランティア入門講座 15 sessions, 50 participants in all; 地域福祉活動 at the
# 交流できる居場所 延50回. From 豊川市's (185,000): the 地域福祉懇談会 (第2層協議体) held in 34
# places. The rest are assumptions.
EVENTS: tuple[_Event, ...] = (
    _Event(
        Activity.Kind.COURSE,
        "生活支援サポーター養成講座",
        per_100k=1.6,
        participants=(15, 25),
        hours=(_h(13, 30), _h(16)),
        public=0.8,
        category="volunteer",
        place="{town}地区コミュニティセンター",
        description="地域の支え合いの担い手を養成する講座です。",
    ),
    _Event(
        Activity.Kind.COURSE,
        "ボランティア入門講座",
        per_100k=12,
        participants=(2, 6),
        hours=(_h(10), _h(12)),
        public=0.8,
        category="volunteer",
        place="ボランティアセンター",
    ),
    _Event(
        Activity.Kind.COURSE,
        "認知症サポーター養成講座",
        per_100k=10,
        participants=(10, 40),
        hours=(_h(14), _h(15, 30)),
        public=0.6,
        category="health",
        place="{town}公民館",
    ),
    _Event(
        Activity.Kind.EVENT,
        "居場所での地域福祉活動",
        per_100k=41,
        participants=(5, 20),
        hours=(_h(13), _h(15)),
        public=0.3,
        at="ibasho",
        place="{town}地区コミュニティセンター",
    ),
    _Event(
        Activity.Kind.EVENT,
        "サロン交流会",
        per_100k=5,
        participants=(20, 60),
        hours=(_h(10), _h(13)),
        public=0.9,
        at="salon",
        place="{town}公民館",
        description="地区のサロンの参加者が集まる交流会です。",
    ),
    _Event(
        Activity.Kind.EVENT,
        "ふれあいまつり",
        per_100k=3,
        participants=(50, 300),
        hours=(_h(10), _h(14)),
        public=1.0,
        at="tsudoi",
        place="{town}地区コミュニティセンター",
    ),
    _Event(
        Activity.Kind.EVENT,
        "子ども食堂 交流会",
        per_100k=2,
        participants=(20, 80),
        hours=(_h(11), _h(14)),
        public=0.9,
        at="kodomo-shokudo",
        place="{town}公民館",
    ),
    _Event(
        Activity.Kind.COUNCIL,
        "地域福祉懇談会（第2層協議体）",
        per_100k=18,
        participants=(8, 30),
        hours=(_h(19), _h(20, 30)),
        place="{town}地区コミュニティセンター",
    ),
    _Event(
        Activity.Kind.COUNCIL,
        "第1層協議体",
        per_city=2,
        participants=(15, 25),
        hours=(_h(14), _h(16)),
    ),
    _Event(
        Activity.Kind.CONFERENCE,
        "地域ケア会議の報告会",
        per_100k=2,
        participants=(20, 60),
        hours=(_h(14), _h(16)),
        description="地域ケア会議で見えた地域の課題を関係者で共有します（個人の情報は扱いません）。",
    ),
    _Event(
        Activity.Kind.STAFF_TRAINING,
        "社会資源マップの使い方研修",
        per_city=1,
        participants=(10, 30),
        hours=(_h(15), _h(17)),
    ),
    _Event(
        Activity.Kind.OTHER,
        "社会福祉法人連絡会",
        per_city=2,
        participants=(8, 20),
        hours=(_h(14), _h(16)),
    ),
)
# announced events ahead of the last day generated (participants not yet known)
AHEAD_DAYS = 90

# 地域づくり相談 and マッチング a year per 100,000 residents: 伊勢市's plan (122,000) aims at
# 相談 市民 130・団体等 600・企業等 70 a year and マッチング 市民 220, 企業 新規5 (延10).
CONSULTATIONS_PER_100K = {Party.RESIDENT: 107, Party.GROUP: 492, Party.COMPANY: 57}
MATCHINGS_PER_100K = {Party.RESIDENT: 180, Party.COMPANY: 8.2}
CONSULTATION_SUMMARIES = {
    Party.RESIDENT: (
        "地域のボランティア活動に参加したい",
        "近くのサロンを教えてほしい",
        "退職後に地域で役に立ちたい",
        "子ども食堂を手伝いたい",
        "特技を生かせる活動を探している",
    ),
    Party.GROUP: (
        "担い手が高齢化し、後継者を探したい",
        "活動場所の確保について相談したい",
        "助成金の申請方法を知りたい",
        "サロンの参加者を増やしたい",
        "新しく居場所を立ち上げたい",
        "活動の周知の方法を相談したい",
    ),
    Party.COMPANY: (
        "社員のボランティア活動の受け入れ先を探している",
        "地域貢献として会議室を開放したい",
        "食品の寄付先を探している",
        "配達の途中で見守りに協力したい",
    ),
}
MATCHING_NOTES = {
    Party.RESIDENT: ("ボランティアとして参加", "参加者として参加", "運営の手伝いとして参加"),
    Party.COMPANY: ("社員ボランティアの受け入れ", "食品の寄付", "会場の提供"),
}
# kinds a resident or a company is matched to
MATCHED_TO = {
    Party.RESIDENT: ("salon", "kayoi", "tsudoi", "kodomo-shokudo", "ibasho", "volunteer"),
    Party.COMPANY: ("kodomo-shokudo", "volunteer", "mimamori", "ibasho"),
}
# 伊勢市: 交流できる居場所の来所者 1,500 a year (about 125 a month), 実人数 a fifth to a half
IBASHO_VISITS_A_MONTH = (60, 190)


# --- the result -----------------------------------------------------------------------------


@dataclass(frozen=True)
class CommunityReport:
    """What was written: rows per model label, the resources' ids, and of them the ones that
    take 参加支援 participants (`is_host`, active)."""

    counts: dict[str, int]
    resources: list[int]
    hosts: list[int]


def community(
    writer: Writer,
    ids: Ids,
    rng: random.Random,
    *,
    municipality: Municipality,
    organizer_id: int | None,
    start: dt.date,
    until: dt.date,
    residents: int,
    seed_city: str = "ise",
    progress: Callable[[str], None] = lambda s: None,
) -> CommunityReport:
    """Write the city's community (see the module's docstring) through `writer`, not flushed.

    `organizer_id`: the organization holding the city's 地域づくり (its 生活支援コーディネーター),
    named as organizer of the city's courses and meetings and as receiver of 相談 and
    マッチング. Activities and records fall between `start` and `until` (announced events up to
    `AHEAD_DAYS` after it).

    Draws one number from `rng` and seeds its own generators with it, so a change here does not
    move what the caller draws afterwards: one for the rows, one for their `hsds_id`s that also
    takes the city's slug (two cities of one seed in one database have the same rows, but
    each its own ids, which are unique across cities)."""
    draw = rng.getrandbits(64)
    return _Community(
        writer,
        ids,
        random.Random(draw),  # noqa: S311 (synthetic data, not security)
        random.Random(f"{draw}-{municipality.slug}"),  # noqa: S311
        municipality=municipality,
        organizer_id=organizer_id,
        start=start,
        until=until,
        residents=residents,
        place=SEED_PLACES.get(seed_city, SEED_PLACES["ise"]),
        progress=progress,
    ).run()


@dataclass
class _Resource:
    id: int
    kind: _Kind
    created: dt.date
    place: str  # its first location's name, "" for none
    status: str
    is_host: bool


class _Community:
    def __init__(
        self,
        writer: Writer,
        ids: Ids,
        rng: random.Random,
        uuids: random.Random,
        *,
        municipality: Municipality,
        organizer_id: int | None,
        start: dt.date,
        until: dt.date,
        residents: int,
        place: SeedPlace,
        progress: Callable[[str], None],
    ) -> None:
        self.writer = writer
        self.ids = ids
        self.rng = rng
        self.uuids = uuids
        self.municipality = municipality
        self.organizer_id = organizer_id
        self.start = start
        self.until = until
        self.residents = residents
        self.place = place
        self.say = progress
        self.counts: dict[str, int] = {}
        category_vocabulary_ensure()
        self.categories = dict(Category.objects.values_list("code", "pk"))
        self.provider_names = set(
            Provider.objects.filter(municipality=municipality).values_list("name", flat=True)
        )
        self.providers: dict[tuple[str, str], tuple[int, str]] = {}  # (kind, key) -> id, name
        self.city_providers: dict[str, list[tuple[int, str]]] = {}
        self.names_taken: set[tuple[int, str]] = set()
        self.locations: dict[tuple[str, int | None], int] = {}  # (name, area) -> id
        self.resources: list[_Resource] = []
        # resources in the order they were created (their days alongside, for bisecting)
        self.by_created: tuple[list[dt.date], list[_Resource]] = ([], [])
        self.by_kind: dict[str, tuple[list[dt.date], list[_Resource]]] = {}
        self.hoods = self._neighbourhoods()

    def add(self, model: type[Any], row: dict[str, Any]) -> None:
        self.writer.add(model, row)
        label = model._meta.label
        self.counts[label] = self.counts.get(label, 0) + 1

    def uuid(self) -> uuid.UUID:
        return uuid.UUID(int=self.uuids.getrandbits(128), version=4)

    def scaled(self, per_100k: float, years: float = 1.0) -> int:
        """A rate per 100,000 residents, for this city and that many years."""
        return _rounded(self.rng, per_100k * self.residents / PER * years)

    def phone(self) -> str:
        prefix = self.place.phone_prefix
        middle = 6 - len(prefix)
        return (
            f"{prefix}-{self.rng.randint(2 * 10 ** (middle - 1), 10**middle - 1)}"
            f"-{self.rng.randint(1000, 9999)}"
        )

    def moment(self, day: dt.date) -> dt.datetime:
        return dt.datetime.combine(
            day, dt.time(self.rng.randint(8, 18), self.rng.randint(0, 59)), tzinfo=TOKYO
        )

    def day_between(self, first: dt.date, last: dt.date) -> dt.date:
        return first + dt.timedelta(days=self.rng.randint(0, max(0, (last - first).days)))

    # -- where -----------------------------------------------------------------------------

    def _neighbourhoods(self) -> list[_Neighbourhood]:
        """The city's neighbourhoods: the localities its plan lists per 地区, else fictional
        towns spread over its smallest areas; split into 丁目 as the city's size needs."""
        rng = self.rng
        areas = list(
            Area.objects.filter(municipality=self.municipality)
            .exclude(kind=Area.Kind.CITY)
            .order_by("sort_order", "code")
        )
        parents = {a.parent_id for a in areas}
        leaves = [a for a in areas if a.pk not in parents]
        radius = RADIUS_KM_PER_100K * math.sqrt(self.residents / PER)
        centre = (self.place.latitude, self.place.longitude)
        spots = {a.pk: self._scatter(centre, radius * 0.75, uniform=True) for a in leaves}
        wanted = min(
            max(self.residents // RESIDENTS_PER_NEIGHBOURHOOD, NEIGHBOURHOODS[0]), NEIGHBOURHOODS[1]
        )
        # (town, area): the plan's localities in their 地区, else fictional towns
        towns: list[tuple[str, int | None]] = [
            (loc.removesuffix("地区") or loc, a.pk) for a in leaves for loc in a.localities
        ]
        fictional = not towns
        if fictional:
            pool = list(names.TOWNS)
            rng.shuffle(pool)
            towns = [(town, None) for town in pool[: min(len(pool), wanted)]]
        chome = max(1, min(9, math.ceil(wanted / len(towns))))
        pairs = [(town, area_id, n) for town, area_id in towns for n in range(1, chome + 1)]
        spread = radius / max(2.0, math.sqrt(len(leaves) or len(pairs)))
        out = []
        for i, (town, area_id, n) in enumerate(pairs):
            if fictional and leaves:
                # a fictional town's 丁目 in turn over the areas, a town in one or two of them
                area_id = leaves[i * len(leaves) // len(pairs)].pk
            base = spots[area_id] if area_id is not None else centre
            lat, lon = self._scatter(base, spread)
            out.append(
                _Neighbourhood(
                    town=town,
                    label=f"{town}{KANJI_NUMBERS[n]}丁目" if chome > 1 else town,
                    chome=n if chome > 1 else 0,
                    area_id=area_id,
                    latitude=lat,
                    longitude=lon,
                )
            )
        return out

    def _scatter(
        self, at: tuple[float, float], km: float, *, uniform: bool = False
    ) -> tuple[float, float]:
        """A point around `at`: uniform in a disc of `km`, else about `km` away (normal)."""
        angle = self.rng.uniform(0, 2 * math.pi)
        distance = km * math.sqrt(self.rng.random()) if uniform else abs(self.rng.gauss(0, km))
        lat = at[0] + distance * math.sin(angle) / KM_PER_DEGREE
        lon = at[1] + distance * math.cos(angle) / (KM_PER_DEGREE * math.cos(math.radians(at[0])))
        return lat, lon

    def location(self, name: str, hood: _Neighbourhood) -> int:
        """The place of that name in the neighbourhood's 地区, written the first time: a
        集会所 is shared by the groups meeting there."""
        key = (name, hood.area_id)
        if key in self.locations:
            return self.locations[key]
        rng = self.rng
        lat, lon = self._scatter((hood.latitude, hood.longitude), 0.25)
        number = hood.chome or rng.randint(1, 5)
        pk = self.ids.take(Location)
        created = self.moment(self.start - dt.timedelta(days=rng.randint(30, 3650)))
        self.add(
            Location,
            {
                "id": pk,
                "municipality_id": self.municipality.pk,
                "kind": Location.Kind.PHYSICAL,
                "name": name,
                "address": f"{self.municipality.name}{hood.town}{number}丁目"
                f"{rng.randint(1, 30)}番{rng.randint(1, 20)}号",
                "area_id": hood.area_id,
                "latitude": Decimal(f"{lat:.6f}"),
                "longitude": Decimal(f"{lon:.6f}"),
                "transportation": f"{hood.town}バス停から徒歩{rng.randint(1, 15)}分",
                "accessibility": rng.choice(ACCESSIBILITY),
                "hsds_id": self.uuid(),
                "updated_at": created,
            },
        )
        self.locations[key] = pk
        return pk

    # -- who ---------------------------------------------------------------------------------

    def provider(self, kind: str, hood: _Neighbourhood) -> tuple[int, str]:
        local = LOCAL_PROVIDERS.get(kind)
        if local is not None:
            key = (kind, hood.label if local == "hood" else hood.town)
            if key not in self.providers:
                self.providers[key] = self._provider_new(kind, hood)
            return self.providers[key]
        made = self.city_providers.setdefault(kind, [])
        if made and self.rng.random() < PROVIDER_REUSE:
            return self.rng.choice(made)
        made.append(self._provider_new(kind, hood))
        return made[-1]

    def _provider_new(self, kind: str, hood: _Neighbourhood) -> tuple[int, str]:
        rng = self.rng
        name_t, kana_t, description = PROVIDER_KINDS[kind]
        nick, kana = rng.choice(NICKS)
        fill = {"hood": hood.label, "town": hood.town, "nick": nick, "kana": kana}
        name = name_t.format(**fill)
        reading = kana_t.format(**fill)
        if name in self.provider_names:
            name, reading = f"{name}（{hood.label}）", ""
        n = 2
        base = name
        while name in self.provider_names:
            name = f"{base}{n}"
            n += 1
        self.provider_names.add(name)
        pk = self.ids.take(Provider)
        self.add(
            Provider,
            {
                "id": pk,
                "municipality_id": self.municipality.pk,
                "name": name,
                "name_kana": reading,
                "description": description.format(**fill),
                "phone": self.phone() if kind not in LOCAL_PROVIDERS else "",
                "hsds_id": self.uuid(),
                "updated_at": self.moment(self.start - dt.timedelta(days=rng.randint(30, 3650))),
            },
        )
        return pk, name

    # -- resources ---------------------------------------------------------------------------

    def run(self) -> CommunityReport:
        for kind in KINDS:
            for _ in range(self.scaled(kind.per_100k)):
                self.resource(kind)
        providers = self.counts.get("resources.Provider", 0)
        self.say(
            f"社会資源 {len(self.resources):,} 件、運営団体 {providers:,}、"
            f"場所 {len(self.locations):,}"
        )
        ordered = sorted(self.resources, key=lambda r: (r.created, r.id))
        self.by_created = ([r.created for r in ordered], ordered)
        for r in ordered:
            created, rows = self.by_kind.setdefault(r.kind.code, ([], []))
            created.append(r.created)
            rows.append(r)
        self.activities()
        self.consultations()
        self.matchings()
        self.attendance()
        self.say(
            f"地域づくり: 活動 {self.counts.get('resources.Activity', 0):,} 件、"
            f"相談 {self.counts.get('resources.CommunityConsultation', 0):,} 件、"
            f"マッチング {self.counts.get('resources.Matching', 0):,} 件"
        )
        ordered = sorted(self.resources, key=lambda r: r.id)
        return CommunityReport(
            counts=dict(self.counts),
            resources=[r.id for r in ordered],
            hosts=[r.id for r in ordered if r.is_host],
        )

    def resource(self, kind: _Kind) -> None:
        rng = self.rng
        hood = rng.choice(self.hoods)
        provider_id, provider_name = self.provider(rng.choice(kind.providers), hood)
        nick, kana = rng.choice(NICKS)
        name_t, kana_t = rng.choice(kind.names)
        name, reading = name_t.format(nick=nick), kana_t.format(kana=kana)
        n = 2
        while (provider_id, name) in self.names_taken:
            name, reading = f"{name_t.format(nick=nick)} {n}", f"{kana_t.format(kana=kana)}{n}"
            n += 1
        self.names_taken.add((provider_id, name))

        if rng.random() < EXISTED_BEFORE_SHARE:
            created = self.start - dt.timedelta(days=rng.randint(1, 3650))
        else:
            created = self.day_between(self.start, self.until)
        status = rng.choices([s for s, _ in STATUSES], [w for _, w in STATUSES])[0]
        is_public = rng.random() < PUBLIC_SHARE
        is_host = status == "active" and rng.random() < kind.host_share
        verified = (
            None
            if rng.random() < UNVERIFIED_SHARE
            else self.day_between(max(created, self.until - dt.timedelta(days=540)), self.until)
        )
        fill = {"hood": hood.label, "town": hood.town, "nick": nick}
        places: list[int] = []
        place_names: list[str] = []
        if kind.venues and rng.random() >= kind.placeless:
            two = rng.random() < SECOND_PLACE_SHARE and len(kind.venues) > 1
            for venue in rng.sample(kind.venues, 2 if two else 1):
                place_name = venue.format(**fill)
                places.append(self.location(place_name, hood))
                place_names.append(place_name)

        pk = self.ids.take(CommunityResource)
        rules = [self.rule(rng.choice(kind.rules)) for _ in range(max(1, len(places)))]
        first = rules[0]
        when = describe(
            kind=first["kind"],
            weekdays=[c for c in first["weekdays"].split(",") if c],
            week_of_month=first["week_of_month"],
            dates=[dt.date.fromisoformat(d) for d in first["dates"]],
        )
        description = kind.description.format(hood=hood.label, when=when)
        created_at = self.moment(created)
        updated_at = (
            self.moment(verified) if verified is not None and verified > created else created_at
        )
        self.add(
            CommunityResource,
            {
                "id": pk,
                "municipality_id": self.municipality.pk,
                "provider_id": provider_id,
                "name": name,
                "name_kana": reading,
                "description": description,
                "status": status,
                "audiences": [a for a in Audience.values if a in set(kind.audiences)],
                "minimum_age": kind.ages[0],
                "maximum_age": kind.ages[1],
                "fees_description": rng.choice(kind.fees),
                "application_process": rng.choice(
                    ("申込み不要。直接会場へお越しください", "事前に電話でお申し込みください")
                ),
                "is_public": is_public,
                "is_host": is_host,
                "host_note": kind.host_note if is_host else "",
                "last_verified_on": verified,
                "search_text": search_text(name, reading, provider_name, description),
                "hsds_id": self.uuid(),
                "created_at": created_at,
                "updated_at": updated_at,
            },
        )
        wanted = [kind.categories[0]] + [c for c in kind.categories[1:] if rng.random() < 0.5]
        for code in wanted:
            self.add(
                CommunityResource.categories.through,
                {
                    "id": self.ids.take(CommunityResource.categories.through),
                    "communityresource_id": pk,
                    "category_id": self.categories[code],
                },
            )
        for location_id in places:
            self.add(
                ResourceLocation,
                {
                    "id": self.ids.take(ResourceLocation),
                    "resource_id": pk,
                    "location_id": location_id,
                    "hsds_id": self.uuid(),
                },
            )
        for i, rule in enumerate(rules):
            self.add(
                Schedule,
                {
                    **rule,
                    "id": self.ids.take(Schedule),
                    "resource_id": pk,
                    "location_id": places[i] if places else None,
                    "hsds_id": self.uuid(),
                },
            )
        self.contact(pk, provider_name)
        self.resources.append(
            _Resource(
                id=pk,
                kind=kind,
                created=created,
                place=place_names[0] if place_names else "",
                status=status,
                is_host=is_host,
            )
        )

    def rule(self, rule: _Rule) -> dict[str, Any]:
        """A schedule's columns as `schedule_add` writes them."""
        rng = self.rng
        opens, closes = rng.choice(rule.hours)
        row: dict[str, Any] = {
            "kind": rule.kind,
            "weekdays": "",
            "week_of_month": None,
            "dates": [],
            "opens_at": opens,
            "closes_at": closes,
        }
        if rule.kind == Schedule.Kind.DATES:
            code = rng.choice(rule.days)
            days: set[dt.date] = set()
            base = self.until - dt.timedelta(days=60)
            while len(days) < 4:
                day = base + dt.timedelta(days=rng.randint(0, 150))
                day += dt.timedelta(days=(WEEKDAYS.index(code) - day.weekday()) % 7)
                days.add(day)
            row["dates"] = sorted(d.isoformat() for d in days)
            return row
        chosen = set(rng.sample(rule.days, min(rule.per_week, len(rule.days))))
        row["weekdays"] = ",".join(c for c in WEEKDAYS if c in chosen)
        if rule.kind == Schedule.Kind.MONTHLY:
            row["week_of_month"] = rng.choice((1, 2, 3, 4, -1))
        return row

    def contact(self, resource_id: int, provider_name: str) -> None:
        """The group's office (public), or its organiser, a private person (staff only)."""
        rng = self.rng
        if rng.random() < 0.6:
            row = {
                "name": f"{provider_name} 事務局"[:100],
                "phone": self.phone(),
                "is_public": True,
            }
        else:
            family = rng.choice(names.FAMILY)[0]
            given = rng.choice(names.GIVEN_OLD + names.GIVEN_MID)[0]
            row = {
                "name": f"{family} {given}",
                "title": "代表",
                "phone": f"090-{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}",
                "is_public": False,
            }
        self.add(
            Contact,
            {
                **row,
                "id": self.ids.take(Contact),
                "resource_id": resource_id,
                "hsds_id": self.uuid(),
            },
        )

    def existing(self, day: dt.date, kinds: tuple[str, ...] | None = None) -> _Resource | None:
        """A resource of those kinds (any, without) there on that day and not defunct, or
        None. Drawn among those created by then, a few tries past the defunct ones."""
        pools = [self.by_kind.get(k, ([], [])) for k in kinds] if kinds else [self.by_created]
        sizes = [bisect_right(created, day) for created, _ in pools]
        if not any(sizes):
            return None
        for _ in range(5):
            i = self.rng.choices(range(len(pools)), sizes)[0]
            found = pools[i][1][self.rng.randrange(sizes[i])]
            if found.status != "defunct":
                return found
        return None

    # -- 地域づくり records ----------------------------------------------------------------

    def activities(self) -> None:
        rng = self.rng
        years = (self.until - self.start).days / 365
        periods = (
            (self.start, self.until, years),
            (
                self.until + dt.timedelta(days=1),
                self.until + dt.timedelta(days=AHEAD_DAYS),
                AHEAD_DAYS / 365,
            ),
        )
        for event in EVENTS:
            for first, last, share in periods:
                count = self.scaled(event.per_100k, share) + _rounded(rng, event.per_city * share)
                for _ in range(count):
                    self.activity(event, self.day_between(first, last))

    def activity(self, event: _Event, held: dt.date) -> None:
        """One activity; past ones with their participants, recorded within two weeks; ahead
        ones announced a few weeks before."""
        rng = self.rng
        resource = self.existing(held, (event.at,)) if event.at is not None else None
        hood = rng.choice(self.hoods)
        place = resource.place if resource is not None else event.place.format(town=hood.town)
        category = event.category or (event.at if event.at in self.categories else None)
        past = held <= self.until
        if past:
            recorded = min(held + dt.timedelta(days=rng.randint(0, 14)), self.until)
        else:
            recorded = min(held - dt.timedelta(days=rng.randint(14, 60)), self.until)
        at = self.moment(recorded)
        self.add(
            Activity,
            {
                "id": self.ids.take(Activity),
                "municipality_id": self.municipality.pk,
                "kind": event.kind,
                "title": event.title,
                "resource_id": resource.id if resource is not None else None,
                "category_id": self.categories[category] if category else None,
                "organizer_id": None if resource is not None else self.organizer_id,
                "held_on": held,
                "starts_at": event.hours[0],
                "ends_at": event.hours[1],
                "place": place,
                "description": event.description,
                "is_public": rng.random() < event.public,
                "participants": rng.randint(*event.participants) if past else None,
                "created_at": at,
                "updated_at": at,
            },
        )

    def consultations(self) -> None:
        rng = self.rng
        years = (self.until - self.start).days / 365
        groups = [name for (_, _), (_, name) in self.providers.items()] + [
            name for made in self.city_providers.values() for _, name in made
        ]
        companies = [name for _, name in self.city_providers.get("company", [])]
        for party, rate in CONSULTATIONS_PER_100K.items():
            for _ in range(self.scaled(rate, years)):
                received = self.day_between(self.start, self.until)
                if party == Party.GROUP:
                    party_name = rng.choice(groups) if groups else "地域の団体"
                elif party == Party.COMPANY:
                    party_name = (
                        rng.choice(companies)
                        if companies and rng.random() < 0.5
                        else f"{rng.choice(NICKS)[0]}{rng.choice(('商事', '建設', '食品', '運輸'))}"
                    )
                else:
                    party_name = ""
                about = (
                    self.existing(received) if party == Party.GROUP and rng.random() < 0.4 else None
                )
                closed = received < self.until - dt.timedelta(days=30) or rng.random() < 0.3
                self.add(
                    CommunityConsultation,
                    {
                        "id": self.ids.take(CommunityConsultation),
                        "municipality_id": self.municipality.pk,
                        "received_on": received,
                        "party": party,
                        "party_name": party_name,
                        "summary": rng.choice(CONSULTATION_SUMMARIES[party]),
                        "resource_id": about.id if about is not None else None,
                        "status": CommunityConsultation.Status.CLOSED
                        if closed
                        else CommunityConsultation.Status.OPEN,
                        "organization_id": self.organizer_id,
                        "updated_at": self.moment(
                            min(received + dt.timedelta(days=rng.randint(0, 20)), self.until)
                        ),
                    },
                )

    def matchings(self) -> None:
        rng = self.rng
        years = (self.until - self.start).days / 365
        companies = [name for _, name in self.city_providers.get("company", [])] or [
            f"{nick}商事" for nick, _ in NICKS[:5]
        ]
        matched_before: set[str] = set()
        for party, rate in MATCHINGS_PER_100K.items():
            days = sorted(
                self.day_between(self.start, self.until) for _ in range(self.scaled(rate, years))
            )
            for day in days:
                to = self.existing(day, MATCHED_TO[party])
                if to is None:
                    continue
                if party == Party.COMPANY:
                    party_name = rng.choice(companies)
                    is_new = party_name not in matched_before
                    matched_before.add(party_name)
                else:
                    party_name, is_new = "", rng.random() < 0.75
                recent = day > self.until - dt.timedelta(days=60)
                status = rng.choices(
                    [
                        Matching.Status.MATCHED,
                        Matching.Status.NOT_MATCHED,
                        Matching.Status.ARRANGING,
                    ],
                    [85, 10, 5 if recent else 0],
                )[0]
                self.add(
                    Matching,
                    {
                        "id": self.ids.take(Matching),
                        "municipality_id": self.municipality.pk,
                        "matched_on": day,
                        "party": party,
                        "party_name": party_name,
                        "resource_id": to.id,
                        "is_new": is_new,
                        "note": rng.choice(MATCHING_NOTES[party]),
                        "status": status,
                        "organization_id": self.organizer_id,
                        "updated_at": self.moment(day),
                    },
                )

    def attendance(self) -> None:
        """Visitors of each 居場所, a row a month (those whole months it was open)."""
        rng = self.rng
        for r in self.resources:
            if r.kind.code != "ibasho" or r.status != "active":
                continue
            month = max(r.created, self.start).replace(day=1)
            while True:
                month = (month + dt.timedelta(days=32)).replace(day=1)
                end = (month + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
                if end >= self.until:
                    break
                visits = rng.randint(*IBASHO_VISITS_A_MONTH)
                self.add(
                    AttendanceCount,
                    {
                        "id": self.ids.take(AttendanceCount),
                        "resource_id": r.id,
                        "period_start": month,
                        "period_end": end,
                        "visits": visits,
                        "unique_visitors": rng.randint(visits // 5, visits // 2),
                        "updated_at": self.moment(end + dt.timedelta(days=rng.randint(1, 5))),
                    },
                )


def _rounded(rng: random.Random, value: float) -> int:
    """The whole part, and one more with the chance of the fraction."""
    whole = math.floor(value)
    return whole + (1 if rng.random() < value - whole else 0)
