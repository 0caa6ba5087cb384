"""Demo アウトリーチ and 参加支援, through the real services: targets at different stages with
their contacts, a 出張相談会 with a consultation taken there, a マッピング調査; hosts' offers,
support given to a host, needs profiles and placements at different stages with attendance and a
follow-up due. Fictional people only."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from tsunagu.accounts.models import User
from tsunagu.cases.services import CaseData, case_create
from tsunagu.consultations.services import ConsultationData
from tsunagu.outreach.services import (
    ActivityData,
    ContactData,
    TargetData,
    activity_create,
    contact_record,
    session_consultation_add,
    target_create,
    target_identify,
    target_stage_change,
)
from tsunagu.participation.models import HostOffer, Placement
from tsunagu.participation.services import (
    OfferData,
    PlacementData,
    ProfileData,
    attendance_record,
    host_support_record,
    offer_create,
    placement_propose,
    placement_step,
    profile_save,
)
from tsunagu.people.models import Person
from tsunagu.people.services import PersonData, person_create
from tsunagu.resources.models import CommunityResource


def _person(user: User, family: str, given: str, kana: tuple[str, str], born: dt.date) -> Person:
    return person_create(
        user=user,
        data=PersonData(
            family_name=family,
            given_name=given,
            family_name_kana=kana[0],
            given_name_kana=kana[1],
            birth_date=born,
            sex="male",
        ),
    )


@transaction.atomic
def demo_outreach(*, worker: User, today: dt.date | None = None) -> int:
    """The worker's organization (the coordinating one, so it may open the case) reaches out.
    Returns the number of targets made."""
    day = today or timezone.localdate()
    session = activity_create(
        user=worker,
        data=ActivityData(
            kind="session",
            title="ふくしなんでも相談所（中央公民館）（架空）",
            held_on=day - dt.timedelta(days=14),
            place="中央公民館",
            note="来場 6人。介護と家計の相談が多かった。",
        ),
    )
    session_consultation_add(
        user=worker,
        activity=session,
        person=None,
        data=ConsultationData(
            received_at=timezone.make_aware(dt.datetime.combine(session.held_on, dt.time(10, 30))),
            channel="outreach_session",
            requester="family",
            main_topic="care",
            content="同居の父の物忘れが増えた。どこに相談すればよいか。",
            response="information",
            anonymous_label="公民館の相談所に来た60代の女性",
        ),
    )
    mapping = activity_create(
        user=worker,
        data=ActivityData(
            kind="mapping",
            title="駅南地区のマッピング調査（架空）",
            held_on=day - dt.timedelta(days=60),
            place="駅南地区",
            resources_found=12,
            people_of_concern=3,
            note="集いの場が少ない。民生委員と自治会長に聞き取り。",
        ),
    )

    # noticed by the 民生委員, not yet met: 見守り every 7 days, the next one overdue
    alone = target_create(
        user=worker,
        data=TargetData(
            label="本町三丁目の一人暮らしの高齢男性（架空）",
            noticed_on=day - dt.timedelta(days=45),
            source="minsei",
            source_detail="担当地区の民生委員",
            whereabouts="本町三丁目、公民館の裏の平屋",
            concern="郵便受けに郵便物がたまっている。庭にごみ袋。",
            check_in_every_days=7,
        ),
    )
    for days, method, outcome, note in (
        (40, "visit", "absent", "呼び鈴に応答なし。手紙を置いた。"),
        (33, "visit", "refused", "玄関越しに「放っておいてくれ」。"),
    ):
        contact_record(
            user=worker,
            target=alone,
            data=ContactData(
                contacted_on=day - dt.timedelta(days=days),
                method=method,
                outcome=outcome,
                place="自宅",
                companions="民生委員",
                note=note,
            ),
        )

    # found in the mapping: letters, a meeting, a talk (関係構築)
    young = target_create(
        user=worker,
        data=TargetData(
            label="駅南のアパートの30代の男性（架空）",
            noticed_on=day - dt.timedelta(days=55),
            source="mapping",
            activity=mapping,
            whereabouts="駅南二丁目のアパート",
            concern="数年外出していないと家主から。",
            check_in_every_days=14,
        ),
    )
    for days, method, outcome, note in (
        (50, "letter", "no_answer", "自己紹介の手紙を入れた。"),
        (40, "visit", "met", "ドア越しに少し顔を見せた。"),
        (30, "visit", "talked", "ゲームの話を10分ほど。また来てよいと。"),
    ):
        contact_record(
            user=worker,
            target=young,
            data=ContactData(
                contacted_on=day - dt.timedelta(days=days),
                method=method,
                outcome=outcome,
                note=note,
            ),
        )

    # identified, with a case: 支援につながった
    meter = target_create(
        user=worker,
        data=TargetData(
            label="西町の高齢の姉妹の世帯（架空）",
            noticed_on=day - dt.timedelta(days=150),
            source="meter",
            source_detail="水道の検針員",
            concern="水道料金の滞納が続いている。",
        ),
    )
    contact_record(
        user=worker,
        target=meter,
        data=ContactData(
            contacted_on=day - dt.timedelta(days=120),
            method="visit",
            outcome="talked",
            note="姉が応対。家計の相談を受けることに。",
        ),
    )
    sister = person_create(
        user=worker,
        data=PersonData(
            family_name="架空",
            given_name="松子",
            family_name_kana="かくう",
            given_name_kana="まつこ",
            birth_date=dt.date(1946, 2, 3),
            sex="female",
        ),
    )
    case = case_create(
        user=worker,
        data=CaseData(title="架空さん姉妹の世帯", origin="outreach"),
        principal=sister,
    )
    target_identify(user=worker, target=meter, person=sister, case=case)
    target_stage_change(user=worker, target=meter, stage="connected")
    return 3


@transaction.atomic
def demo_participation(*, coordinator: User, editor: User, today: dt.date | None = None) -> int:
    """Offers at the city's demo hosts, support to a host, two persons' needs profiles and their
    placements: one ended with its follow-up overdue, one running, one just proposed. Returns the
    number of placements (0 when the city's demo has no host)."""
    day = today or timezone.localdate()
    municipality = editor.organization.municipality  # type: ignore[union-attr]
    hosts = list(
        CommunityResource.objects.filter(municipality=municipality, is_host=True).order_by("pk")
    )
    if not hosts:
        return 0
    # the café every demo city has (demo/resources.py COMMON), else the city's first host
    host = next((h for h in hosts if h.name == "ふらっとカフェ"), hosts[0])
    place = offer_create(
        user=editor,
        resource=host,
        data=OfferData(
            kind="place",
            title="カフェで過ごす（居場所）",
            capacity=5,
            weekdays=["WE"],
            time_note="13時〜16時",
            barrier_free=True,
            audiences=["everyone", "youth"],
            welcome_note="見学だけでも歓迎",
        ),
    )
    helper = offer_create(
        user=editor,
        resource=host,
        data=OfferData(
            kind="volunteer",
            title="カフェの手伝い（配膳・片付け）",
            capacity=2,
            weekdays=["WE", "SA"],
            time_note="10時〜12時",
            audiences=["youth", "disability"],
        ),
    )
    host_support_record(
        user=editor,
        resource=host,
        supported_on=day - dt.timedelta(days=20),
        kind="training",
        note="受け入れの心構えの説明会（スタッフ4人）",
    )
    first = _person(coordinator, "架空", "一平", ("かくう", "いっぺい"), dt.date(1990, 6, 1))
    second = _person(coordinator, "架空", "二郎", ("かくう", "じろう"), dt.date(1985, 11, 20))
    profile_save(
        user=coordinator,
        person=first,
        data=ProfileData(
            interests="料理、片付け",
            kinds=["volunteer", "place"],
            weekdays=["WE"],
            times="午前",
            goals="週に一度、家の外で役割をもつ",
            support_needed="初回は同行",
        ),
    )
    profile_save(
        user=coordinator,
        person=second,
        data=ProfileData(
            interests="コーヒー、読書",
            kinds=["place"],
            weekdays=["WE"],
            times="午後",
            limits="人の多い時間は避けたい",
            goals="外出の習慣をつくる",
        ),
    )

    def placed(person: Person, offer: HostOffer, proposed: int) -> Placement:
        return placement_propose(
            user=coordinator,
            person=person,
            offer=offer,
            data=PlacementData(proposed_on=day - dt.timedelta(days=proposed)),
        )

    # 一平: tried, started, attended weekly, ended; the follow-up (3 months) is now overdue
    ended = placed(first, helper, 200)
    for step, days in (("trial", 190), ("start", 180)):
        placement_step(
            user=coordinator,
            placement=ended,
            step=step,
            on=day - dt.timedelta(days=days),
        )
    for days in (173, 166, 159, 152, 145):
        attendance_record(
            user=coordinator,
            placement=ended,
            attended_on=day - dt.timedelta(days=days),
        )
    placement_step(
        user=coordinator,
        placement=ended,
        step="end",
        on=day - dt.timedelta(days=100),
        reason="就労移行支援の利用が決まった",
    )
    # 二郎: running, last attended over two weeks ago (on the work list)
    running = placed(second, place, 40)
    for step, days in (("trial", 35), ("start", 28)):
        placement_step(
            user=coordinator,
            placement=running,
            step=step,
            on=day - dt.timedelta(days=days),
        )
    for days, attended in ((28, True), (21, True), (17, False)):
        attendance_record(
            user=coordinator,
            placement=running,
            attended_on=day - dt.timedelta(days=days),
            attended=attended,
        )
    # 一平 again: a new suggestion (延べ)
    placed(first, place, 3)
    return 3
