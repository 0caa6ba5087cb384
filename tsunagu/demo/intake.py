"""Demo intake data: fictional residents and their consultations, written through the real
services (so grants and access logs are real too). Never real personal data."""

from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from tsunagu.access.models import Basis
from tsunagu.accounts.models import User
from tsunagu.consent.services import consent_record
from tsunagu.consultations.models import Channel, Requester, Response, Topic
from tsunagu.consultations.services import ConsultationData, consultation_create
from tsunagu.people.models import Relationship
from tsunagu.people.services import PersonData, household_member_add, person_create
from tsunagu.referrals.services import ReferralData, referral_create, referral_decline

FAMILY = [
    ("山田", "やまだ"),
    ("佐々木", "ささき"),
    ("髙橋", "たかはし"),
    ("渡邊", "わたなべ"),
    ("中村", "なかむら"),
    ("小林", "こばやし"),
    ("齋藤", "さいとう"),
    ("松本", "まつもと"),
    ("井上", "いのうえ"),
    ("木村", "きむら"),
]
GIVEN_OLD = [  # (name, reading, sex)
    ("トメ", "とめ", "female"),
    ("正雄", "まさお", "male"),
    ("キヨ", "きよ", "female"),
    ("勝", "まさる", "male"),
    ("ハル", "はる", "female"),
]
GIVEN_MID = [
    ("一郎", "いちろう"),
    ("浩二", "こうじ"),
    ("美香", "みか"),
    ("健太", "けんた"),
    ("由美", "ゆみ"),
]
CONTENTS = {
    Topic.PROBLEM_8050: "高齢の親の年金で50代の子と二人暮らし。子は長く仕事をしていない。",
    Topic.CARE: "親の介護の負担が重く、介護サービスの使い方を知りたい。",
    Topic.INCOME: "収入が減り、家賃と公共料金の支払いが遅れている。",
    Topic.HIKIKOMORI: "家族が長く自宅から出ない。本人と話ができない。",
    Topic.ISOLATION: "近所付き合いがなく、最近姿を見ないと地域の人から連絡があった。",
}


def demo_intake(
    *,
    counselor: User,
    colleague: User,
    coordinator: User | None = None,
    liaison: User | None = None,
    seed: int = 2026,
) -> int:
    """Create households with a parent in their 80s and a child in their 50s (8050), their
    consultations over the past months, and something for every role to do: a referral waiting
    at the colleague's window, one at the organization carrying 多機関協働事業 (the
    coordinator's, under a consent that names it), one at the liaison's department, and one the
    colleague declined, on the counselor's home page. Returns the number of persons made."""
    rng = random.Random(seed)  # noqa: S311 (demo data, not security)
    if counselor.organization is None or colleague.organization is None:
        raise ValueError("demo staff must belong to organizations")
    now = timezone.now()
    made = 0
    first_pair = None
    for i, (family, family_kana) in enumerate(FAMILY):
        address = f"本町{i + 1}丁目{rng.randint(1, 20)}番{rng.randint(1, 30)}号"
        phone = f"0766-{rng.randint(10, 99)}-{rng.randint(1000, 9999)}"
        old_given, old_kana, old_sex = GIVEN_OLD[i % len(GIVEN_OLD)]
        mid_given, mid_kana = GIVEN_MID[i % len(GIVEN_MID)]
        parent = person_create(
            user=counselor,
            data=PersonData(
                family_name=family,
                given_name=old_given,
                family_name_kana=family_kana,
                given_name_kana=old_kana,
                birth_date=dt.date(1940 + i, rng.randint(1, 12), 1 + i),
                sex=old_sex,
                address=address,
                phone=phone,
            ),
        )
        child = person_create(
            user=counselor,
            data=PersonData(
                family_name=family,
                given_name=mid_given,
                family_name_kana=family_kana,
                given_name_kana=mid_kana,
                birth_date=dt.date(1970 + i, rng.randint(1, 12), 2 + i),
                address=address,
                phone=phone,
            ),
        )
        household_member_add(
            user=counselor,
            person=parent,
            relationship=Relationship.HEAD,
            household_name=f"{family}さん世帯",
        )
        household_member_add(
            user=counselor,
            person=child,
            relationship=Relationship.CHILD,
            household=parent.household_membership.household,
        )
        made += 2
        topic = list(CONTENTS)[i % len(CONTENTS)]
        for k in range(rng.randint(1, 3)):
            consultation = consultation_create(
                user=counselor,
                person=parent,
                data=ConsultationData(
                    received_at=now
                    - dt.timedelta(days=rng.randint(1, 200), hours=rng.randint(0, 8)),
                    channel=rng.choice([Channel.WINDOW, Channel.PHONE, Channel.VISIT]),
                    requester=rng.choice([Requester.SELF, Requester.FAMILY, Requester.MINSEI_IIN]),
                    main_topic=topic,
                    topics=[topic, Topic.CARE],
                    content=CONTENTS[topic],
                    response=Response.ONGOING,
                    is_new=k == 0,
                ),
            )
            if first_pair is None:
                first_pair = (parent, consultation)
    if first_pair is not None:
        person, consultation = first_pair
        own = counselor.organization
        others = [
            u.organization
            for u in (colleague, coordinator, liaison)
            if u is not None and u.organization is not None and u.organization != own
        ]
        scope = list(dict.fromkeys(others))  # the consent names 多機関協働事業's carrier too
        consent = consent_record(
            user=counselor,
            person=person,
            method="written",
            purpose="支援関係機関が連携して支援を行うための情報共有"
            "（多機関協働事業による支援の調整を含む）",
            scope_organizations=scope,
            valid_from=timezone.localdate(),
            valid_until=timezone.localdate() + dt.timedelta(days=365),
        )
        # one the colleague's window declined: the counselor's home page shows it
        declined = referral_create(
            user=counselor,
            consultation=consultation,
            data=ReferralData(
                to_organization=colleague.organization,
                reason="母の介護サービスの利用について",
                basis=Basis.CONSENT,
                consent=consent,
            ),
        )
        referral_decline(
            user=colleague,
            referral=declined,
            reason="介護サービスは地域包括支援センターの担当です。ケアマネジャーにご相談ください",
        )
        reasons = [
            (colleague, "同居の子の就労と家計について相談したい"),
            (coordinator, "8050の世帯で課題が複合しているため、多機関協働事業で支援を調整したい"),
            (liaison, "税と公共料金の滞納について、庁内での分納相談につなぎたい"),
        ]
        sent: set[int] = set()
        for user, reason in reasons:
            target = user.organization if user is not None else None
            if target is None or target == own or target.pk in sent:
                continue
            sent.add(target.pk)
            referral_create(
                user=counselor,
                consultation=consultation,
                data=ReferralData(
                    to_organization=target,
                    reason=reason,
                    basis=Basis.CONSENT,
                    consent=consent,
                ),
            )
    consultation_create(
        user=counselor,
        person=None,
        data=ConsultationData(
            received_at=now - dt.timedelta(days=3),
            channel=Channel.PHONE,
            requester=Requester.CITY_OFFICE,
            requester_detail="水道検針",
            main_topic=Topic.SELF_NEGLECT,
            topics=[Topic.SELF_NEGLECT, Topic.HOARDING],
            content="検針の際、庭にごみがたまり、住人の姿を最近見ないとの連絡。",
            response=Response.ONGOING,
            anonymous_label="本町の一人暮らしの方",
        ),
    )
    return made
