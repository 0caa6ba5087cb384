"""A synthetic city: staff, residents and the records and access log their work would leave.

Deterministic for a seed and an end date: the same arguments give the same rows (ids aside,
which follow what the database already holds). Everything is written in one transaction, so an
interrupted run leaves nothing. Fictional people only.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import time
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.apps import apps as django_apps
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.db.models import Q

from tsunagu.access.chain import GENESIS, municipal_chain, row_hash
from tsunagu.access.models import AccessGrant, AccessLog, AuditChainHead, Basis
from tsunagu.accounts.models import Role, RoleAssignment, User
from tsunagu.cases.models import (
    ActionResult,
    Assessment,
    Case,
    CaseClosure,
    CaseEvent,
    CaseMember,
    CaseStatus,
    CaseTeamMember,
    GoalsMet,
    Monitoring,
    MonitoringResult,
    PlanAction,
    PlanKind,
    PlanStatus,
    ResourceGap,
    ResourceGapCase,
    SupportPlan,
    TeamRole,
    Urgency,
)
from tsunagu.cases.sheets import ASSESSMENT_ITEMS
from tsunagu.cityplan.models import Clause, ProgramOrganization
from tsunagu.cityplan.services import plan_load
from tsunagu.consent.models import Consent, ConsentEvent
from tsunagu.consultations.models import (
    Channel,
    Consultation,
    ConsultationTopic,
    Requester,
    Response,
    Topic,
)
from tsunagu.demo.resources import demo_resources
from tsunagu.meetingrecords.models import (
    ActionItem,
    AgendaItem,
    AgendaKind,
    ConfidentialityPledge,
    Meeting,
    MeetingAttendee,
    MeetingDecision,
)
from tsunagu.meetings.models import (
    STATUTORY_CONFIDENTIAL_KINDS,
    MeetingBody,
    MeetingBodyKind,
    MeetingBodyMember,
)
from tsunagu.organizations.models import Municipality, Organization, SupportField
from tsunagu.outreach.models import (
    ENGAGED_OUTCOMES,
    ContactAttempt,
    ContactMethod,
    ContactOutcome,
    NoticeSource,
    OutreachTarget,
    Stage,
)
from tsunagu.participation.models import (
    Attendance,
    FollowUp,
    HostOffer,
    OfferKind,
    Placement,
    PlacementStage,
)
from tsunagu.people import matching
from tsunagu.people.models import Household, HouseholdMember, Person, PersonKey, Relationship
from tsunagu.referrals.models import Referral, ReferralEvent
from tsunagu.resources.models import CommunityResource
from tsunagu.synthetic import names
from tsunagu.synthetic.city import Volume, consultation_volumes, scaled_plan
from tsunagu.synthetic.community import community
from tsunagu.synthetic.writer import Ids, Writer, foreign_keys_checked_at_end

TOKYO = ZoneInfo("Asia/Tokyo")
UTC = dt.UTC
STAFF_PASSWORD = "tsunagu-bench-2026"  # noqa: S105  (printed on purpose: generated staff only)
# consultations a counselor takes a year (sets how many staff an organization gets)
CONSULTATIONS_PER_COUNSELOR = 1500
LIST_PAGE = 20  # rows a consultation list page shows (one access-log row per person shown)

CONTENTS: dict[str, str] = {
    Topic.PROBLEM_8050: "高齢の親の年金で50代の子と二人暮らし。子は長く仕事をしていない。",
    Topic.DOUBLE_CARE: "親の介護と子育てが重なり、仕事を続けられるか不安。",
    Topic.CARE: "介護の負担が重く、介護サービスの使い方を知りたい。",
    Topic.INCOME: "収入が減り、家賃と公共料金の支払いが遅れている。",
    Topic.HIKIKOMORI: "家族が長く自宅から出ない。本人と話ができない。",
    Topic.ISOLATION: "近所付き合いがなく、最近姿を見ないと地域の人から連絡があった。",
    Topic.CHILDCARE: "ひとりで子育てをしていて、頼れる人がいない。",
    Topic.YOUNG_CARER: "中学生の子が家族の世話をしていて、学校を休みがち。",
    Topic.HEALTH: "持病があり通院しているが、生活の見通しが立たない。",
    Topic.DEBT: "借入れの返済が苦しく、どこに相談すればよいかわからない。",
    Topic.JOB_SEARCH: "離職してから仕事が見つからない。",
    Topic.HOUSING: "住まいの更新ができず、転居先を探している。",
    Topic.HOARDING: "自宅にごみがたまり、近隣から苦情がある。",
}
FOLLOW_UP = "前回の相談の続き。状況を確認し、次の連絡日を決めた。"
# Persons of concern the アウトリーチ等を通じた継続的支援事業 comes to know, a year per 100,000
# residents. 伊勢市's plan aims at 10 new アウトリーチ等支援 plans a year for about 122,000
# residents; the generator assumes about two persons of concern known for each plan written
# (most never reach a plan). An assumption, not a figure of the seed plans.
OUTREACH_PER_100K = 16
OUTREACH_CONCERNS = (
    "日中も雨戸が閉まったまま。郵便物がたまっている。",
    "高齢の親と中年の子の二人暮らし。子の姿を長く見ていない。",
    "ごみが敷地の外まであふれ、近所から心配の声がある。",
    "電気・水道の使用量が急に減った。",
    "家族から、本人が何年も部屋から出ないと相談があった。",
)
OUTREACH_WHO = ("高齢の男性", "高齢の女性", "中年の男性", "若い女性", "親子")
OUTREACH_SOURCES = (
    (NoticeSource.MINSEI, 30),
    (NoticeSource.RESIDENT, 20),
    (NoticeSource.METER, 10),
    (NoticeSource.FAMILY, 15),
    (NoticeSource.ORGANIZATION, 15),
    (NoticeSource.SUPPORT_MEETING, 5),
    (NoticeSource.OTHER, 5),
)
# Persons the 参加支援事業 matches to a host, a year per 100,000 residents: 伊勢市's plan aims at
# 10 persons matched a year (about 122,000 residents), each attending twice a month.
PARTICIPATION_PER_100K = 8
# days from a placement's proposal to its trial, from the trial to the start, from the start
# to the end (uniform ranges); a host's place is taken from the trial to the end
TRIAL_AFTER_DAYS = (7, 21)
START_AFTER_DAYS = (7, 14)
PLACED_DAYS = (90, 365)
# years a matched person takes a host's place, on average
PLACED_YEARS = (sum(START_AFTER_DAYS) + sum(PLACED_DAYS)) / 2 / 365
# what the community resources offer participants (in turn, as many offers as `structure` makes)
HOST_OFFERS = (
    (OfferKind.SALON, "サロンの準備と片付け"),
    (OfferKind.PLACE, "居場所で過ごす"),
    (OfferKind.VOLUNTEER, "受付・お茶出しの役割"),
    (OfferKind.AGRI_WELFARE, "畑作業の体験"),
    (OfferKind.WORK_EXPERIENCE, "軽作業の就労体験"),
    (OfferKind.LEARNING, "趣味の教室に参加"),
)
# 本人同意: the share of cases whose persons consent at the assessment to their case going to
# the 重層的支援会議; the others are first discussed at the 支援会議 (法第106条の6, no consent
# needed) and consent some weeks after it, or not yet. An assumption: the seed plans give no share.
CONSENT_AT_ASSESSMENT = 0.8
CONSENT_AFTER_SUPPORT_MEETING_DAYS = (14, 60)
CONSENT_PURPOSE = "重層的支援会議での支援プランの協議と、出席する関係機関との情報共有"
# the weekdays the 重層的支援会議 (Thursday) and the 支援会議 (Tuesday) meet
CONFERENCE_WEEKDAY = 3
SUPPORT_MEETING_WEEKDAY = 1
# organizations attending every meeting when the plan names no members (the busiest windows)
ATTENDING = 3
# 社会資源の不足 a closure evaluation finds when existing services were not enough (評価シート)
RESOURCE_GAPS = (
    (SupportField.EMPLOYMENT, "ひきこもりの人が短い時間から働ける場"),
    (SupportField.HOUSING, "保証人のいない人が入居できる住まい"),
    (SupportField.ELDERLY, "夜間と休日の見守り"),
    (SupportField.CHILDREN, "ヤングケアラーが気軽に集える居場所"),
    (SupportField.POVERTY, "家計の立て直しに同行する支援"),
)
# what an attending organization takes on for a case at a meeting (宿題)
MEETING_ACTIONS = (
    "本人宅を訪問し、生活の様子を確認する",
    "家族と面談し、介護の負担を聞き取る",
    "利用できる制度を調べ、次回までに報告する",
    "医療機関と受診の調整をする",
)
# 役割分担 of a generated support plan (three of these)
PLAN_ACTIONS = (
    "家計の状況を一緒に整理し、債務の相談につなぐ",
    "介護サービスの利用を調整する",
    "就労準備支援の利用を検討する",
    "月に一度訪問し、生活の様子を確認する",
    "地域のサロンへの参加を本人と検討する",
    "医療機関への受診に同行する",
    "学校と連絡を取り合い、子の登校を支える",
)


@dataclass(frozen=True)
class Shape:
    """A household shape: (relationship, age range, generation) of each member; the first is
    the person the consultation is about; topics the consultation is likely to be about."""

    label: str
    members: tuple[tuple[str, int, int], ...]
    topics: tuple[str, ...]


SHAPES: dict[str, tuple[tuple[Shape, int], ...]] = {
    # weights per support field of the organization that takes the consultation
    "elderly": (
        (Shape("高齢単身", (("head", 72, 95),), (Topic.CARE, Topic.ISOLATION, Topic.HEALTH)), 40),
        (Shape("高齢夫婦", (("head", 70, 92), ("spouse", 68, 90)), (Topic.CARE, Topic.HEALTH)), 25),
        (
            Shape(
                "8050",
                (("head", 78, 92), ("child", 48, 62)),
                (Topic.PROBLEM_8050, Topic.HIKIKOMORI),
            ),
            25,
        ),
        (
            Shape(
                "ダブルケア",
                (("head", 36, 50), ("child", 1, 10), ("parent", 70, 88)),
                (Topic.DOUBLE_CARE, Topic.CARE),
            ),
            10,
        ),
    ),
    "child": (
        (
            Shape(
                "ひとり親", (("head", 24, 45), ("child", 0, 12)), (Topic.CHILDCARE, Topic.INCOME)
            ),
            45,
        ),
        (
            Shape(
                "子育て世帯",
                (("head", 26, 45), ("spouse", 25, 45), ("child", 0, 10)),
                (Topic.CHILDCARE,),
            ),
            35,
        ),
        (
            Shape(
                "ヤングケアラー",
                (("child", 12, 17), ("head", 38, 55)),
                (Topic.YOUNG_CARER, Topic.HEALTH),
            ),
            10,
        ),
        (
            Shape(
                "ダブルケア",
                (("head", 36, 50), ("child", 1, 10), ("parent", 70, 88)),
                (Topic.DOUBLE_CARE,),
            ),
            10,
        ),
    ),
    "other": (
        (
            Shape(
                "単身",
                (("head", 20, 64),),
                (Topic.INCOME, Topic.JOB_SEARCH, Topic.DEBT, Topic.HEALTH),
            ),
            45,
        ),
        (
            Shape(
                "8050",
                (("child", 45, 60), ("parent", 76, 92)),
                (Topic.PROBLEM_8050, Topic.HIKIKOMORI, Topic.INCOME),
            ),
            15,
        ),
        (
            Shape("高齢単身", (("head", 70, 95),), (Topic.ISOLATION, Topic.HOARDING, Topic.HEALTH)),
            20,
        ),
        (
            Shape("ひとり親", (("head", 24, 45), ("child", 0, 15)), (Topic.INCOME, Topic.HOUSING)),
            20,
        ),
    ),
}
FIELD_SHAPES = {"elderly": "elderly", "child": "child"}


@dataclass
class Options:
    residents: int
    years: int
    seed: int
    city: str = "ise"
    slug: str = "generated"
    until: dt.date | None = None  # the day the records end (default: today, Tokyo)


@dataclass
class Report:
    municipality: Municipality
    counts: dict[str, int]
    seconds: float
    staff_password: str = STAFF_PASSWORD


@dataclass
class _Org:
    org: Organization
    volume: Volume
    staff: list[int]
    manager: int
    shapes: tuple[tuple[Shape, int], ...]
    consultations: list[tuple[dt.datetime, int, int | None, int]] = field(default_factory=list)


class GenerateError(Exception):
    pass


def _age_birth(rng: random.Random, until: dt.date, low: int, high: int) -> dt.date:
    age = rng.randint(low, high)
    return until - dt.timedelta(days=age * 365 + rng.randint(0, 364))


def _given(rng: random.Random, birth: dt.date, sex: str | None) -> tuple[str, str, str]:
    pool = (
        names.GIVEN_OLD
        if birth.year < 1950
        else names.GIVEN_MID
        if birth.year < 1980
        else names.GIVEN_YOUNG
    )
    if sex is not None:
        pool = tuple(g for g in pool if g[2] == sex) or pool
    return rng.choice(pool)


def _workday(day: dt.date) -> dt.date:
    """The day, or the Friday before it when it falls on a weekend."""
    while day.weekday() >= 5:
        day -= dt.timedelta(days=day.weekday() - 4)
    return day


def _office_time(rng: random.Random, day: dt.date) -> dt.datetime:
    day = _workday(day)
    local = dt.datetime(
        day.year,
        day.month,
        day.day,
        rng.randint(8, 16),
        rng.randint(0, 59),
        rng.randint(0, 59),
        tzinfo=TOKYO,
    )
    return local.astimezone(UTC)


def _meetings_a_month(residents: int) -> int:
    """How often a meeting body of the 多機関協働 hub meets: monthly in a city of the seed
    plans' size (伊勢市: 月1回程度), twice a month up to 600,000 residents, weekly beyond
    (a designated city's cases would not fit one monthly agenda). An assumption."""
    return 1 if residents <= 200_000 else 2 if residents <= 600_000 else 4


def _meeting_days(start: dt.date, end: dt.date, weekday: int, per_month: int) -> list[dt.date]:
    """The days a body meets from `start` to `end`: the month's second `weekday` (and its
    fourth, for twice a month), or its first four (weekly)."""
    weeks = {1: (1,), 2: (1, 3)}.get(per_month, (0, 1, 2, 3))
    days: list[dt.date] = []
    month = dt.date(start.year, start.month, 1)
    while month <= end:
        first = month + dt.timedelta(days=(weekday - month.weekday()) % 7)
        days.extend(day for n in weeks if start <= (day := first + dt.timedelta(days=7 * n)) <= end)
        month = (month + dt.timedelta(days=32)).replace(day=1)
    return days


@dataclass(slots=True)
class _Item:
    """A case on a meeting's agenda: its persons, its coordinator (who puts it on the agenda),
    the consent it goes there under (重層的支援会議), and what the meeting decides about it: a
    plan to approve, or a closure to evaluate (neither: it is shared and watched, 支援会議)."""

    case: int
    persons: list[int]
    lead: int
    consent: int | None = None
    plan: int | None = None
    closure: tuple[int, str] | None = None  # the evaluation and its goals met


@dataclass
class _Body:
    """A meeting body the hub convenes: the organizations attending each meeting, the days it
    meets, and the cases each meeting's agenda will hold (filled as the cases are written)."""

    body: MeetingBody
    secretariat: _Org
    attending: list[_Org]
    days: list[dt.date]
    agenda: dict[dt.date, list[_Item]] = field(default_factory=dict)

    def next_after(self, day: dt.date) -> dt.date | None:
        i = bisect_right(self.days, day)
        return self.days[i] if i < len(self.days) else None

    def put(self, day: dt.date, item: _Item) -> None:
        self.agenda.setdefault(day, []).append(item)


@dataclass(slots=True)
class _LogRow:
    """An access-log row before it is written: the fields its hash is made of (a model instance
    per row would cost a fifth of the generator's time)."""

    at: dt.datetime
    user_id: int | None
    organization_id: int | None
    action: str
    person_id: int | None
    object_type: str
    object_id: str
    via: str
    channel: str
    grant_id: int | None = None
    operator: str = ""


class _Generator:
    def __init__(
        self,
        opts: Options,
        progress: Callable[[str], None],
        steps: Callable[[int, int], None] = lambda done, total: None,
    ) -> None:
        self.opts = opts
        self.say = progress
        self.steps = steps
        self.rng = random.Random(opts.seed)  # noqa: S311 (synthetic data, not security)
        self.ids = Ids()
        self.last_report = 0.0
        self.writer = Writer(progress=self._progress)
        self.log: list[_LogRow] = []
        self.log_rows = 0
        self.prev_hash = GENESIS
        self.municipality_id = 0
        self.until = opts.until or dt.datetime.now(TOKYO).date()
        self.start = self.until - dt.timedelta(days=365 * opts.years)
        self.written_log = 0
        # set by `structure`: the アウトリーチ carrier (第4号) and its アウトリーチ支援員, the
        # 参加支援 carrier (第2号) and its 参加支援コーディネーター, and the hosts' offers
        self.outreach_org: _Org | None = None
        self.outreach_worker = 0
        self.participation_org: _Org | None = None
        self.participation_coordinator = 0
        self.offers: list[tuple[int, int]] = []  # (offer id, capacity)
        # set by `structure`: the 重層的支援会議 and the 支援会議 the hub convenes, if the plan
        # has them; the register of 社会資源の不足 (ids, made when a closure first names one)
        self.conference: _Body | None = None
        self.support_meeting: _Body | None = None
        self.gaps: dict[int, int] = {}
        self.protected: set[int] = set()  # persons under 住所秘匿

    def _progress(self, label: str, count: int) -> None:
        now = time.monotonic()
        if now - self.last_report > 2:
            self.last_report = now
            self.say(f"  {label}: {count:,}")

    # -- structure and staff ------------------------------------------------------------------

    def structure(self) -> tuple[Municipality, list[_Org], Organization | None]:
        o = self.opts
        if Municipality.objects.filter(slug=o.slug).exists():
            raise GenerateError(
                f"市 {o.slug!r} は既にあります。"
                "別の --slug を指定するか、新しいデータベースで実行してください"
            )
        taken = frozenset(Municipality.objects.values_list("code", flat=True))
        plan = scaled_plan(seed=o.city, residents=o.residents, slug=o.slug, taken_codes=taken)
        volumes = consultation_volumes(plan, seed=o.city)
        plan_load(plan=plan)
        municipality = Municipality.objects.get(slug=o.slug)
        # generated staff have printed passwords and no phones (benchmark and load tests only)
        municipality.two_factor_required = False
        municipality.save(update_fields=["two_factor_required"])
        orgs = list(
            Organization.objects.filter(municipality=municipality, is_active=True)
            .prefetch_related("support_fields")
            .order_by("sort_order", "code")
        )
        children: dict[int, list[Organization]] = {}
        for org in orgs:
            if org.group_id is not None:
                children.setdefault(org.group_id, []).append(org)
        per_org: dict[int, Volume] = {}
        for org in orgs:
            v = volumes.get(org.code)
            if v is None:
                continue
            kids = children.get(org.pk)
            if kids:
                for kid in kids:
                    per_org[kid.pk] = Volume(new=v.new / len(kids), total=v.total / len(kids))
            else:
                per_org[org.pk] = v
        password = make_password(STAFF_PASSWORD)
        carrier = (
            ProgramOrganization.objects.filter(
                program__municipality=municipality, program__clause=Clause.C5
            )
            .order_by("program__sort_order", "sort_order")
            .values_list("organization_id", flat=True)
            .first()
        )
        result: list[_Org] = []
        users: list[tuple[User, str]] = []
        for org in orgs:
            if org.kind == Organization.Kind.COMMUNITY or (org.pk in children):
                continue
            v = per_org.get(org.pk, Volume(new=0.0, total=0.0))
            yearly = v.total * o.residents
            n = max(1, min(40, math.ceil(yearly / CONSULTATIONS_PER_COUNSELOR)))
            role: str = Role.COORDINATOR if org.pk == carrier else Role.COUNSELOR
            for i in range(1, n + 1):
                users.append(
                    (
                        User(
                            username=f"{o.slug}-{org.code}-{i}"[:150],
                            password=password,
                            organization=org,
                            last_name=self.rng.choice(names.FAMILY)[0],
                            first_name=self.rng.choice(names.GIVEN_MID)[0],
                        ),
                        role,
                    )
                )
            users.append(
                (
                    User(
                        username=f"{o.slug}-{org.code}-manager"[:150],
                        password=password,
                        organization=org,
                        last_name="管理",
                        first_name=org.name[:20],
                    ),
                    Role.MANAGER,
                )
            )
        User.objects.bulk_create([u for u, _ in users], batch_size=1000)
        saved = {
            u.username: u
            for u in User.objects.filter(username__startswith=f"{o.slug}-", organization__in=orgs)
        }
        RoleAssignment.objects.bulk_create(
            [
                RoleAssignment(user=saved[u.username], role=role, start_date=self.start)
                for u, role in users
            ],
            batch_size=1000,
        )
        by_org: dict[int, list[int]] = {}
        managers: dict[int, int] = {}
        for u, role in users:
            uid = saved[u.username].pk
            if role == Role.MANAGER:
                managers[u.organization_id] = uid  # type: ignore[index]
            else:
                by_org.setdefault(u.organization_id, []).append(uid)  # type: ignore[arg-type]
        for org in orgs:
            if org.pk not in by_org:
                continue
            fields = {f.field for f in org.support_fields.all()}
            kind = next((FIELD_SHAPES[f] for f in fields if f in FIELD_SHAPES), "other")
            result.append(
                _Org(
                    org=org,
                    volume=per_org.get(org.pk, Volume(new=0.0, total=0.0)),
                    staff=by_org[org.pk],
                    manager=managers[org.pk],
                    shapes=SHAPES[kind],
                )
            )
        self.say(f"{municipality.name}: 機関 {len(result)}、職員 {len(users)} 人")
        # the community resources of the demo (public map), kept by a 生活支援コーディネーター
        hub = next((x.org for x in result if x.org.pk == carrier), result[0].org)
        lsc = User.objects.create(
            username=f"{o.slug}-lsc",
            password=password,
            organization=hub,
            last_name="地域",
            first_name="結衣",
        )
        RoleAssignment.objects.create(
            user=lsc, role=Role.LIFE_SUPPORT_COORDINATOR, start_date=self.start
        )
        demo_resources(editor=lsc, today=self.until)
        # and the community at the city's scale: groups, places, resources, events (community.py)
        community(
            self.writer,
            self.ids,
            self.rng,
            municipality=municipality,
            organizer_id=hub.pk,
            start=self.start,
            until=self.until,
            residents=o.residents,
            seed_city=o.city,
            progress=self.say,
        )
        self.writer.flush()
        coordination = next((x.org for x in result if x.org.pk == carrier), None)
        hub_org = next((x for x in result if x.org.pk == carrier), result[0])

        def carried(clause: str) -> _Org:
            """The organization carrying the program of that clause, else the 多機関協働 hub."""
            pks = (
                ProgramOrganization.objects.filter(
                    program__municipality=municipality, program__clause=clause
                )
                .order_by("program__sort_order", "sort_order")
                .values_list("organization_id", flat=True)
            )
            return next((x for pk in pks for x in result if x.org.pk == pk), hub_org)

        def worker(org: _Org, suffix: str, name: tuple[str, str], role: str) -> int:
            user = User.objects.create(
                username=f"{o.slug}-{suffix}",
                password=password,
                organization=org.org,
                last_name=name[0],
                first_name=name[1],
            )
            RoleAssignment.objects.create(user=user, role=role, start_date=self.start)
            return user.pk

        # the meetings of the 多機関協働 hub (第5号, 第6号)
        self.conference = self.meeting_body(
            MeetingBodyKind.CASE_CONFERENCE, hub_org, result, CONFERENCE_WEEKDAY
        )
        self.support_meeting = self.meeting_body(
            MeetingBodyKind.CONFIDENTIAL_SUPPORT_MEETING, hub_org, result, SUPPORT_MEETING_WEEKDAY
        )
        # the アウトリーチ等を通じた継続的支援事業 (第4号) and the 参加支援事業 (第2号)
        self.outreach_org = carried(Clause.C4)
        self.outreach_worker = worker(
            self.outreach_org, "outreach", ("訪問", "陽子"), Role.OUTREACH_WORKER
        )
        self.participation_org = carried(Clause.C2)
        self.participation_coordinator = worker(
            self.participation_org,
            "participation",
            ("参加", "拓海"),
            Role.PARTICIPATION_COORDINATOR,
        )
        # the active resources that host participants take them: offers of 3–8 places, enough
        # for the persons placed at once (`PARTICIPATION_PER_100K`, each for about
        # `PLACED_YEARS`) with half again to spare, at least one a host; a host offers several
        # activities when the city has fewer hosts than that
        resources = list(
            CommunityResource.objects.filter(
                municipality=municipality, is_host=True, status=CommunityResource.Status.ACTIVE
            ).order_by("pk")
        )
        placed_at_once = PARTICIPATION_PER_100K * o.residents / 100_000 * PLACED_YEARS
        wanted = max(len(resources), math.ceil(1.5 * placed_at_once / 5.5)) if resources else 0
        for i in range(wanted):
            kind, title = HOST_OFFERS[i % len(HOST_OFFERS)]
            weekdays = sorted(self.rng.sample(range(5), 2))
            offer = self.ids.take(HostOffer)
            capacity = self.rng.randint(3, 8)
            self.writer.add(
                HostOffer,
                {
                    "id": offer,
                    "municipality_id": municipality.pk,
                    "resource_id": resources[i % len(resources)].pk,
                    "kind": kind,
                    "title": f"{title}（{'・'.join('月火水木金'[d] for d in weekdays)}）",
                    "weekdays": [("MO", "TU", "WE", "TH", "FR")[d] for d in weekdays],
                    "time_note": "10時〜12時",
                    "capacity": capacity,
                    "audiences": [],
                    "is_active": True,
                    "created_by_id": lsc.pk,
                    "created_at": dt.datetime.combine(self.start, dt.time(9), tzinfo=TOKYO),
                },
            )
            self.offers.append((offer, capacity))
        return municipality, result, coordination

    def meeting_body(self, kind: str, hub: _Org, orgs: list[_Org], weekday: int) -> _Body | None:
        """The city's body of that kind the hub convenes (it is the body's secretariat, or none is
        named), if the plan has one. Attending: the members the plan names that have staff,
        else the busiest windows of different fields (`ATTENDING`)."""
        body = (
            MeetingBody.objects.filter(municipality=hub.org.municipality, kind=kind, is_active=True)
            .filter(Q(secretariat=hub.org) | Q(secretariat__isnull=True))
            .order_by("sort_order", "code")
            .first()
        )
        if body is None:
            return None
        by_pk = {x.org.pk: x for x in orgs if x is not hub}
        members = MeetingBodyMember.objects.filter(meeting_body=body).order_by("pk")
        attending = [
            by_pk[pk] for pk in members.values_list("organization_id", flat=True) if pk in by_pk
        ][:6]
        if not attending:
            busiest = sorted(by_pk.values(), key=lambda x: (-x.volume.new, x.org.pk))
            fields: set[int] = set()
            for x in busiest:
                if id(x.shapes) not in fields:
                    fields.add(id(x.shapes))
                    attending.append(x)
            attending = (attending + [x for x in busiest if x not in attending])[:ATTENDING]
        per_month = _meetings_a_month(self.opts.residents)
        end = self.until + dt.timedelta(days=120)  # the next meeting after the last one held
        return _Body(body, hub, attending, _meeting_days(self.start, end, weekday, per_month))

    # -- the access log -----------------------------------------------------------------------

    def logged(self, **values: Any) -> None:
        self.log.append(_LogRow(**values))
        if len(self.log) >= 20_000:
            self.flush_log()

    def flush_log(self) -> None:
        rows = sorted(self.log, key=lambda r: r.at)
        self.log = []
        for row in rows:
            digest = row_hash(row, self.prev_hash)
            self.writer.add(
                AccessLog,
                {
                    "id": self.ids.take(AccessLog),
                    "at": row.at,
                    "user_id": row.user_id,
                    "organization_id": row.organization_id,
                    "operator": row.operator,
                    "action": row.action,
                    "person_id": row.person_id,
                    "object_type": row.object_type,
                    "object_id": row.object_id,
                    "via": row.via,
                    "grant_id": row.grant_id,
                    "channel": row.channel,
                    "municipality_id": self.municipality_id,
                    "prev_hash": self.prev_hash,
                    "hash": digest,
                },
            )
            self.prev_hash = digest
        self.written_log += len(rows)
        self.writer.flush()

    # -- people and their records -------------------------------------------------------------

    def person(
        self,
        org: _Org,
        *,
        at: dt.datetime,
        by: int,
        family: tuple[str, str],
        rel: tuple[str, int, int],
        address: str,
        phone: str,
    ) -> int:
        rng = self.rng
        _, low, high = rel
        birth = _age_birth(rng, self.until, low, high)
        given, given_kana, sex = _given(rng, birth, None)
        pid = self.ids.take(Person)
        protected = rng.random() < 0.003
        if protected:
            self.protected.add(pid)
        postal = f"{rng.randint(100, 999)}-{rng.randint(0, 9999):04d}"
        self.writer.add(
            Person,
            {
                "id": pid,
                "organization_id": org.org.pk,
                "family_name": family[0],
                "given_name": given,
                "family_name_kana": family[1],
                "given_name_kana": given_kana,
                "former_family_names": [],
                "birth_date": birth,
                "sex": sex,
                "postal_code": postal,
                "address": address,
                "phone": phone,
                "contact_method": "phone" if phone else "visit",
                "contact_note": "",
                "address_protected": protected,
                "address_protection_until": self.until + dt.timedelta(days=180)
                if protected
                else None,
                "created_at": at,
                "created_by_id": by,
                "updated_at": at,
                "version": 1,
            },
        )
        facts = matching.PersonFacts(
            family_name=family[0],
            given_name=given,
            family_name_kana=family[1],
            given_name_kana=given_kana,
            birth_date=birth,
            phone=phone,
            postal_code=postal,
            address=address,
            former_family_names=(),
        )
        for key in sorted(matching.match_keys(facts)):
            self.writer.add(
                PersonKey, {"id": self.ids.take(PersonKey), "person_id": pid, "key": key}
            )
        self.created(org, by=by, at=at, person=pid, obj=("people.person", pid))
        return pid

    def household(self, org: _Org, at: dt.datetime, by: int) -> tuple[list[int], Shape, str]:
        """A household's persons, its shape and its family name (kanji)."""
        rng = self.rng
        shapes, weights = zip(*org.shapes, strict=True)
        shape = rng.choices(shapes, weights)[0]
        family = rng.choice(names.FAMILY)
        town = rng.choice(names.TOWNS)
        address = (
            f"{org.org.municipality.name}{town}{rng.randint(1, 5)}丁目"
            f"{rng.randint(1, 30)}番{rng.randint(1, 20)}号"
        )
        phone = (
            f"0{rng.randint(100, 999)}-{rng.randint(10, 99)}-{rng.randint(1000, 9999)}"
            if rng.random() < 0.6
            else f"090-{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}"
        )
        # the household is recorded with the consultation about one of its members
        record_all = len(shape.members) > 1 and rng.random() < 0.5
        members = shape.members if record_all else shape.members[:1]
        pids = [
            self.person(org, at=at, by=by, family=family, rel=m, address=address, phone=phone)
            for m in members
        ]
        if record_all:
            hid = self.ids.take(Household)
            self.writer.add(
                Household,
                {
                    "id": hid,
                    "organization_id": org.org.pk,
                    "name": f"{family[0]}さん世帯",
                    "address_protected": False,
                    "created_at": at,
                    "created_by_id": by,
                },
            )
            for pid, (rel, _, _) in zip(pids, members, strict=True):
                self.writer.add(
                    HouseholdMember,
                    {
                        "id": self.ids.take(HouseholdMember),
                        "household_id": hid,
                        "person_id": pid,
                        "relationship": rel if rel in Relationship.values else "other_relative",
                    },
                )
        return pids, shape, family[0]

    def consultation(
        self,
        org: _Org,
        *,
        at: dt.datetime,
        by: int,
        person: int | None,
        topic: str,
        is_new: bool,
        follows: int | None,
        response: str,
    ) -> int:
        rng = self.rng
        cid = self.ids.take(Consultation)
        self.writer.add(
            Consultation,
            {
                "id": cid,
                "organization_id": org.org.pk,
                "person_id": person,
                "anonymous_label": "" if person else f"匿名{cid}",
                "follows_id": follows,
                "received_at": at,
                "received_by_id": by,
                "channel": rng.choice(
                    (Channel.WINDOW, Channel.PHONE, Channel.PHONE, Channel.VISIT)
                ),
                "requester": rng.choice(
                    (
                        Requester.SELF,
                        Requester.SELF,
                        Requester.FAMILY,
                        Requester.MINSEI_IIN,
                        Requester.AGENCY,
                    )
                ),
                "requester_detail": "",
                "main_topic": topic,
                "content": CONTENTS.get(topic, "生活のことで相談したい。") if is_new else FOLLOW_UP,
                "response": response,
                "is_new": is_new,
                "external_id": "",
                "created_at": at,
                "updated_at": at,
            },
        )
        self.writer.add(
            ConsultationTopic,
            {"id": self.ids.take(ConsultationTopic), "consultation_id": cid, "topic": topic},
        )
        self.created(
            org,
            by=by,
            at=at + dt.timedelta(minutes=20),
            person=person,
            obj=("consultations.consultation", cid),
        )
        org.consultations.append((at, cid, person, by))
        return cid

    def consent(
        self,
        org: _Org,
        *,
        by: int,
        at: dt.datetime,
        person: int,
        purpose: str,
        scope: list[int],
        until: dt.date | None,
    ) -> int:
        """A written consent of a person to share with the organizations of `scope`, from the
        day it is recorded, with its event and access-log row."""
        consent = self.ids.take(Consent)
        self.writer.add(
            Consent,
            {
                "id": consent,
                "person_id": person,
                "organization_id": org.org.pk,
                "method": "written",
                "purpose": purpose,
                "valid_from": at.astimezone(TOKYO).date(),
                "valid_until": until,
                "obtained_by_id": by,
                "obtained_at": at,
                "withdrawal_note": "",
            },
        )
        through = Consent.scope_organizations.through
        for pk in scope:
            self.writer.add(
                through,
                {"id": self.ids.take(through), "consent_id": consent, "organization_id": pk},
            )
        self.writer.add(
            ConsentEvent,
            {
                "id": self.ids.take(ConsentEvent),
                "consent_id": consent,
                "kind": "recorded",
                "at": at,
                "by_id": by,
                "note": "",
            },
        )
        self.created(org, by=by, at=at, person=person, obj=("consent.consent", consent))
        return consent

    def referral(
        self, org: _Org, target: _Org, *, at: dt.datetime, by: int, person: int, consultation: int
    ) -> None:
        rng = self.rng
        day = at.astimezone(TOKYO).date()
        until = day + dt.timedelta(days=365)
        consent = self.consent(
            org,
            by=by,
            at=at,
            person=person,
            purpose=f"{target.org.name}への相談内容の提供",
            scope=[target.org.pk],
            until=until,
        )
        answered = at + dt.timedelta(days=rng.randint(1, 5), hours=rng.randint(0, 6))
        end = dt.datetime.combine(self.until, dt.time(), tzinfo=TOKYO).astimezone(UTC)
        roll = rng.random()
        if answered > end or roll < 0.1:
            status = Referral.Status.REQUESTED
        elif roll < 0.18:
            status = Referral.Status.DECLINED
        elif roll < 0.5:
            status = Referral.Status.COMPLETED
        else:
            status = Referral.Status.ACCEPTED
        receiver = rng.choice(target.staff)
        rid = self.ids.take(Referral)
        self.writer.add(
            Referral,
            {
                "id": rid,
                "consultation_id": consultation,
                "person_id": person,
                "from_organization_id": org.org.pk,
                "to_organization_id": target.org.pk,
                "reason": "専門的な支援が必要なため、本人の同意を得てつなぎます。",
                "share_content": True,
                "share_contact": True,
                "share_address": False,
                "basis": Basis.CONSENT,
                "consent_id": consent,
                "statute": "",
                "status": status,
                "due_date": day + dt.timedelta(days=7),
                "decline_reason": "対象外のため" if status == Referral.Status.DECLINED else "",
                "outcome": "支援につながった" if status == Referral.Status.COMPLETED else "",
                "created_by_id": by,
                "assignee_id": receiver if status in ("accepted", "completed") else None,
                "created_at": at,
                "updated_at": answered if status != "requested" else at,
            },
        )
        events = [("requested", at, by)]
        if status != Referral.Status.REQUESTED:
            reply = "declined" if status == Referral.Status.DECLINED else "accepted"
            events.append((reply, answered, receiver))
        if status == Referral.Status.COMPLETED:
            events.append(("completed", answered + dt.timedelta(days=rng.randint(7, 60)), receiver))
        for s, when, who in events:
            self.writer.add(
                ReferralEvent,
                {
                    "id": self.ids.take(ReferralEvent),
                    "referral_id": rid,
                    "status": s,
                    "at": when,
                    "by_id": who,
                    "note": "",
                },
            )
        gid = self.ids.take(AccessGrant)
        self.writer.add(
            AccessGrant,
            {
                "id": gid,
                "person_id": person,
                "organization_id": target.org.pk,
                "consultation_id": consultation,
                "includes_content": True,
                "includes_contact": True,
                "includes_address": False,
                "basis": Basis.CONSENT,
                "consent_id": consent,
                "referral_id": rid,
                "statute": "",
                "valid_from": at,
                "valid_until": until,
                "ended_at": answered if status == Referral.Status.DECLINED else None,
                "end_reason": "つなぎが辞退されました"
                if status == Referral.Status.DECLINED
                else "",
                "created_at": at,
                "created_by_id": by,
            },
        )
        self.logged(
            at=at,
            user_id=by,
            organization_id=org.org.pk,
            action=AccessLog.Action.SHARE,
            person_id=person,
            object_type="referrals.referral",
            object_id=str(rid),
            via=AccessLog.Via.OWN,
            grant_id=gid,
            channel=AccessLog.Channel.WEB,
        )
        if status != Referral.Status.REQUESTED:
            for action in (AccessLog.Action.VIEW, AccessLog.Action.UPDATE):
                self.logged(
                    at=answered,
                    user_id=receiver,
                    organization_id=target.org.pk,
                    action=action,
                    person_id=person,
                    object_type="referrals.referral",
                    object_id=str(rid),
                    via=AccessLog.Via.GRANT,
                    grant_id=gid,
                    channel=AccessLog.Channel.WEB,
                )

    def case(
        self, org: _Org, *, at: dt.datetime, persons: list[int], consultation: int, title: str
    ) -> None:
        rng = self.rng
        lead = rng.choice(org.staff)
        day = at.astimezone(TOKYO).date()
        closed = day + dt.timedelta(days=rng.randint(90, 400))
        if self.conference is not None:
            # the 重層的支援会議 evaluates the case at closure: the first meeting from that day
            closed = self.conference.next_after(closed - dt.timedelta(days=1)) or self.until
        is_closed = closed < self.until
        kid = self.ids.take(Case)
        # the sheets first: how far the case got decides its status
        reached = self.case_work(
            org,
            case=kid,
            lead=lead,
            opened=day,
            end=closed if is_closed else None,
            persons=persons,
        )
        self.writer.add(
            Case,
            {
                "id": kid,
                "organization_id": org.org.pk,
                "title": title,
                "subject": "household" if len(persons) > 1 else "person",
                "origin": "consultation",
                "origin_consultation_id": consultation,
                "lead_coordinator_id": lead,
                "status": CaseStatus.CLOSED if is_closed else reached,
                "issues": [],
                "opened_on": day,
                "closed_on": closed if is_closed else None,
                "last_contact_on": min(closed, self.until),
                "created_by_id": lead,
                "created_at": at,
                "updated_at": at,
            },
        )
        for i, pid in enumerate(persons):
            self.writer.add(
                CaseMember,
                {
                    "id": self.ids.take(CaseMember),
                    "case_id": kid,
                    "person_id": pid,
                    "relationship": "head" if i == 0 else "other_relative",
                    "is_principal": i == 0,
                    "added_at": at,
                    "added_by_id": lead,
                },
            )
        self.writer.add(
            CaseTeamMember,
            {
                "id": self.ids.take(CaseTeamMember),
                "case_id": kid,
                "organization_id": org.org.pk,
                "staff_id": lead,
                "role": "coordinator",
                "role_note": "",
                "joined_on": day,
                "left_reason": "",
                "added_by_id": lead,
                "created_at": at,
            },
        )
        for n in range(rng.randint(2, 8)):
            when = at + dt.timedelta(days=7 * (n + 1), hours=rng.randint(0, 5))
            if when.date() >= self.until:
                break
            self.writer.add(
                CaseEvent,
                {
                    "id": self.ids.take(CaseEvent),
                    "case_id": kid,
                    "kind": "contact",
                    "occurred_at": when,
                    "summary": "本人と面談し、支援の状況を確認した。",
                    "organization_id": org.org.pk,
                    "by_id": lead,
                    "created_at": when,
                },
            )
            self.logged(
                at=when,
                user_id=lead,
                organization_id=org.org.pk,
                action=AccessLog.Action.VIEW,
                person_id=persons[0],
                object_type="cases.case",
                object_id=str(kid),
                via=AccessLog.Via.OWN,
                channel=AccessLog.Channel.WEB,
            )

    def case_work(
        self,
        org: _Org,
        *,
        case: int,
        lead: int,
        opened: dt.date,
        end: dt.date | None,
        persons: list[int],
    ) -> str:
        """The case's sheets as a coordinator writes them, each with its timeline entry and its
        access-log row: the インテーク・アセスメントシート a few days after the case opens; the
        persons' consent to the 重層的支援会議 then, or after the 支援会議 has discussed the case
        without it; the support plan (多機関協働事業) drafted, conferred at the next 重層的支援会議
        and started; its monitoring every three months; and the 評価シート when the case closes
        (`end`), at a 重層的支援会議. The meetings' records are written later (`meetings`), from
        the agenda filled here. The sheets stop where the case is today (`until`); returns the
        status that leaves it in."""
        rng = self.rng
        person = persons[0]
        last = min(end, self.until) if end is not None else self.until
        when = _workday(opened + dt.timedelta(days=rng.randint(2, 14)))
        if when >= last:
            return CaseStatus.RECEIVED
        answers = {}
        for item in ASSESSMENT_ITEMS:
            picked = {c for c, _ in rng.sample(item.options, min(2, len(item.options)))}
            answers[item.code] = {
                "checks": [c for c, _ in item.options if c in picked],  # in the sheet's order
                "note": "" if item.options else "今の暮らしを続けたい。",
            }
        sheet = self.ids.take(Assessment)
        self.writer.add(
            Assessment,
            {
                "id": sheet,
                "case_id": case,
                "version": 1,
                "answers": answers,
                "urgency": rng.choice(Urgency.values),
                "assessed_on": when,
                "organization_id": org.org.pk,
                "created_by_id": lead,
                "created_at": _office_time(rng, when),
            },
        )
        self.case_written(
            org,
            case,
            lead,
            when,
            person,
            ("cases.assessment", sheet),
            "インテーク・アセスメントシート 第1版",
        )
        agreed: dt.date | None = when
        support, conference = self.support_meeting, self.conference
        if support is not None and rng.random() >= CONSENT_AT_ASSESSMENT:
            agreed = None
            shared = support.next_after(when)
            if shared is not None and shared < last:
                support.put(shared, _Item(case, persons, lead))
                after = rng.randint(*CONSENT_AFTER_SUPPORT_MEETING_DAYS)
                agreed = _workday(shared + dt.timedelta(days=after))
        if agreed is None or agreed >= last:
            return CaseStatus.ASSESSMENT
        consent: int | None = None
        if conference is not None:
            at = _office_time(rng, agreed)
            scope = [x.org.pk for x in conference.attending]
            consents = [
                self.consent(
                    org, by=lead, at=at, person=p, purpose=CONSENT_PURPOSE, scope=scope, until=None
                )
                for p in persons
            ]
            consent = consents[0]
            for guest in conference.attending:
                self.team_join(org, case, lead, guest, at, persons, consents)
        drafted = _workday(agreed + dt.timedelta(days=rng.randint(7, 21)))
        if drafted >= last:
            return CaseStatus.ASSESSMENT
        conferred = (
            conference.next_after(drafted + dt.timedelta(days=2))
            if conference is not None
            else _workday(drafted + dt.timedelta(days=rng.randint(3, 14)))
        )
        started = conferred if conferred is not None and conferred < last else None
        done = end is not None and started is not None
        plan = self.ids.take(SupportPlan)
        # monitoring every three months from the start, up to the case's end or today; the
        # plan's next monitoring (and its review, when that comes first) moves with each, as
        # `cases.services.monitoring_record` moves them
        base = started or drafted
        first_check = _workday(base + dt.timedelta(days=90))
        checks: list[dt.date] = []
        upcoming = first_check
        while started is not None and upcoming < last:
            checks.append(upcoming)
            upcoming = _workday(base + dt.timedelta(days=90 * (len(checks) + 1)))
        self.writer.add(
            SupportPlan,
            {
                "id": plan,
                "case_id": case,
                "kind": PlanKind.MULTI_AGENCY,
                "version": 1,
                "status": PlanStatus.EVALUATED
                if done
                else PlanStatus.IN_FORCE
                if started
                else PlanStatus.DRAFT,
                "wishes": "家族と一緒に今の家で暮らしたい。",
                "goals": "世帯の困りごとを整理し、必要な支援につながる。",
                "issues": "家計の立て直し、介護と就労の両立、地域とのつながり。",
                "referral_checks": [],
                "monitoring_on": upcoming,
                "review_on": max(first_check + dt.timedelta(days=90), upcoming),
                "conferred_on": started,
                "started_on": started,
                "created_by_id": lead,
                "created_at": _office_time(rng, drafted),
                "updated_at": _office_time(rng, started or drafted),
            },
        )
        actions = []
        # the hub's role first, then the team's (the organizations attending the meetings)
        takers = [org] + (conference.attending if conference is not None else [])
        for i, text in enumerate(rng.sample(PLAN_ACTIONS, 3)):
            aid = self.ids.take(PlanAction)
            actions.append(aid)
            self.writer.add(
                PlanAction,
                {
                    "id": aid,
                    "plan_id": plan,
                    "description": text,
                    "organization_id": takers[i % len(takers)].org.pk,
                    "due_on": drafted + dt.timedelta(days=rng.randint(60, 180)),
                    "sort_order": i,
                },
            )
        self.case_written(
            org,
            case,
            lead,
            drafted,
            person,
            ("cases.supportplan", plan),
            "支援プラン（多機関協働事業）第1版",
        )
        if started is None:
            return CaseStatus.PLANNING
        meeting = "重層的支援会議"
        if conference is not None:
            conference.put(started, _Item(case, persons, lead, consent=consent, plan=plan))
            meeting = f"{conference.body.name}（{started:%Y-%m-%d}）"
        at = self.case_event(
            org,
            case,
            lead,
            started,
            CaseEvent.Kind.MEETING,
            f"{meeting}で支援プラン（多機関協働事業）第1版を協議",
        )
        self.created(
            org,
            by=lead,
            at=at,
            person=person,
            obj=("cases.supportplan", plan),
            action=AccessLog.Action.UPDATE,
        )
        status: str = CaseStatus.SUPPORTING
        for n, monitored in enumerate(checks):
            mid = self.ids.take(Monitoring)
            following = checks[n + 1] if n + 1 < len(checks) else upcoming
            self.writer.add(
                Monitoring,
                {
                    "id": mid,
                    "plan_id": plan,
                    "monitored_on": monitored,
                    "summary": "取り組みの状況を本人と確認した。",
                    "next_monitoring_on": following,
                    "organization_id": org.org.pk,
                    "created_by_id": lead,
                    "created_at": _office_time(rng, monitored),
                },
            )
            for aid in actions:
                self.writer.add(
                    MonitoringResult,
                    {
                        "id": self.ids.take(MonitoringResult),
                        "monitoring_id": mid,
                        "action_id": aid,
                        "result": rng.choice(ActionResult.values),
                        "note": "",
                    },
                )
            self.case_written(
                org, case, lead, monitored, person, ("cases.monitoring", mid), "モニタリング"
            )
            status = CaseStatus.MONITORING
        if end is None:
            return status
        sufficient = rng.random() < 0.6
        goals_met = rng.choice(GoalsMet.values)
        closure = self.ids.take(CaseClosure)
        self.writer.add(
            CaseClosure,
            {
                "id": closure,
                "case_id": case,
                "closed_on": end,
                "outcome": CaseStatus.CLOSED,
                "goals_met": goals_met,
                "person_changes": "支援につながり、生活が落ち着いた。",
                "existing_services_sufficient": sufficient,
                "why_not": "" if sufficient else "世帯の課題が複数の制度にまたがっていた。",
                "organization_id": org.org.pk,
                "created_by_id": lead,
                "created_at": _office_time(rng, end),
            },
        )
        summary = f"評価: {GoalsMet(goals_met).label}。{CaseStatus.CLOSED.label}へ"
        if not sufficient:
            self.gap_found(org, case, lead, end)
            summary += "（不足する社会資源 1件）"
        kind = CaseEvent.Kind.DECISION
        if conference is not None:
            conference.put(
                end, _Item(case, persons, lead, consent=consent, closure=(closure, goals_met))
            )
            summary = f"{conference.body.name}（{end:%Y-%m-%d}）で{summary}"
            kind = CaseEvent.Kind.MEETING
        at = self.case_event(org, case, lead, end, kind, summary)
        self.created(org, by=lead, at=at, person=person, obj=("cases.caseclosure", closure))
        return CaseStatus.CLOSED

    def team_join(
        self,
        org: _Org,
        case: int,
        lead: int,
        guest: _Org,
        at: dt.datetime,
        persons: list[int],
        consents: list[int],
    ) -> None:
        """An organization the persons' consent covers joins the case's support team (支援機関)
        as they consent, with the grants `cases.services.case_team_join` opens: one per person
        under that person's consent, contact without the consultation content."""
        rng = self.rng
        member = self.ids.take(CaseTeamMember)
        staff = rng.choice(guest.staff)
        self.writer.add(
            CaseTeamMember,
            {
                "id": member,
                "case_id": case,
                "organization_id": guest.org.pk,
                "staff_id": staff,
                "role": TeamRole.SUPPORT,
                "role_note": "",
                "joined_on": at.astimezone(TOKYO).date(),
                "left_reason": "",
                "added_by_id": lead,
                "created_at": at,
            },
        )
        for person, consent in zip(persons, consents, strict=True):
            self.writer.add(
                AccessGrant,
                {
                    "id": self.ids.take(AccessGrant),
                    "person_id": person,
                    "organization_id": guest.org.pk,
                    "includes_content": False,
                    "includes_contact": True,
                    "includes_address": person not in self.protected,
                    "basis": Basis.CONSENT,
                    "consent_id": consent,
                    "case_team_member_id": member,
                    "statute": "",
                    "valid_from": at,
                    "valid_until": None,
                    "created_at": at,
                    "created_by_id": lead,
                },
            )
        self.case_event_at(
            org,
            case,
            lead,
            at,
            CaseEvent.Kind.TEAM,
            f"支援チームに参加: {guest.org.name}（支援機関）",
        )
        self.created(
            org,
            by=lead,
            at=at,
            person=persons[0],
            obj=("cases.caseteammember", member),
            action=AccessLog.Action.UPDATE,
        )

    def gap_found(self, org: _Org, case: int, by: int, day: dt.date) -> None:
        """A missing resource the closure evaluation names: an entry of the city's register of
        社会資源の不足 (made when first named), linked to the case."""
        index = self.rng.randrange(len(RESOURCE_GAPS))
        if index not in self.gaps:
            self.gaps[index] = self.ids.take(ResourceGap)
            field_, description = RESOURCE_GAPS[index]
            at = _office_time(self.rng, day)
            self.writer.add(
                ResourceGap,
                {
                    "id": self.gaps[index],
                    "municipality_id": self.municipality_id,
                    "field": field_,
                    "description": description,
                    "status": ResourceGap.Status.CONSIDERING,
                    "created_by_id": by,
                    "created_at": at,
                    "updated_at": at,
                },
            )
        self.writer.add(
            ResourceGapCase,
            {
                "id": self.ids.take(ResourceGapCase),
                "gap_id": self.gaps[index],
                "case_id": case,
                "found_at": ResourceGapCase.FoundAt.CLOSURE,
                "found_on": day,
                "created_at": _office_time(self.rng, day),
            },
        )

    def case_event(
        self, org: _Org, case: int, by: int, day: dt.date, kind: str, summary: str
    ) -> dt.datetime:
        at = _office_time(self.rng, day)
        self.case_event_at(org, case, by, at, kind, summary)
        return at

    def case_event_at(
        self, org: _Org, case: int, by: int, at: dt.datetime, kind: str, summary: str
    ) -> None:
        self.writer.add(
            CaseEvent,
            {
                "id": self.ids.take(CaseEvent),
                "case_id": case,
                "kind": kind,
                "occurred_at": at,
                "summary": summary,
                "organization_id": org.org.pk,
                "by_id": by,
                "created_at": at,
            },
        )

    def case_written(
        self,
        org: _Org,
        case: int,
        by: int,
        day: dt.date,
        person: int,
        sheet: tuple[str, int],
        title: str,
    ) -> None:
        """A sheet of a case written: its timeline entry (書類) and its access-log row, as the
        cases app's services write them (under the case's principal person)."""
        at = self.case_event(org, case, by, day, CaseEvent.Kind.DOCUMENT, title)
        self.created(org, by=by, at=at, person=person, obj=sheet)

    def lone_person(
        self, org: _Org, *, at: dt.datetime, by: int, ages: tuple[int, int], town: str
    ) -> int:
        """A person recorded alone (no household, no phone), as an アウトリーチ支援員 or a
        参加支援コーディネーター records someone they have met: name, birth date, district."""
        rng = self.rng
        return self.person(
            org,
            at=at,
            by=by,
            family=rng.choice(names.FAMILY),
            rel=("head", *ages),
            address=f"{org.org.municipality.name}{town}{rng.randint(1, 5)}丁目",
            phone="",
        )

    def created(
        self,
        org: _Org,
        *,
        by: int,
        at: dt.datetime,
        person: int | None,
        obj: tuple[str, int],
        action: str = AccessLog.Action.CREATE,
    ) -> None:
        """The access-log row of a record a member of staff wrote (its type and id; `action`:
        created, or updated), about a person (None: not yet identified), on the basis of
        holding it."""
        self.logged(
            at=at,
            user_id=by,
            organization_id=org.org.pk,
            action=action,
            person_id=person,
            object_type=obj[0],
            object_id=str(obj[1]),
            via=AccessLog.Via.OWN,
            channel=AccessLog.Channel.WEB,
        )

    # -- the whole activity -------------------------------------------------------------------

    def activity(self, orgs: list[_Org], coordination: Organization | None) -> None:
        o, rng = self.opts, self.rng
        days = (self.until - self.start).days
        years = days / 365
        for index, org in enumerate(orgs):
            new_count = round(org.volume.new * o.residents * years)
            follow_total = max(0, round(org.volume.total * o.residents * years) - new_count)
            others = [x for x in orgs if x.org.pk != org.org.pk and x.volume.new > 0]
            is_hub = coordination is not None and org.org.pk == coordination.pk
            self.say(
                f"[{index + 1}/{len(orgs)}] {org.org.name}: "
                f"新規 {new_count:,}、継続 {follow_total:,}"
            )
            starts: list[tuple[dt.datetime, int, int | None, str]] = []
            for _ in range(new_count):
                at = _office_time(rng, self.start + dt.timedelta(days=rng.randrange(days)))
                by = rng.choice(org.staff)
                topic_person: int | None = None
                if rng.random() < 0.05:
                    topic = rng.choice(list(CONTENTS))
                    persons: list[int] = []
                    title = ""
                else:
                    persons, shape, family = self.household(org, at, by)
                    topic = rng.choice(shape.topics)
                    topic_person = persons[0]
                    title = f"{family}さん世帯"
                response = rng.choices(
                    (
                        Response.INFORMATION,
                        Response.ONGOING,
                        Response.REFERRAL,
                        Response.MULTI_AGENCY,
                        Response.CLOSED,
                    ),
                    (35, 35, 12, 5 if is_hub else 1, 14),
                )[0]
                cid = self.consultation(
                    org,
                    at=at,
                    by=by,
                    person=topic_person,
                    topic=topic,
                    is_new=True,
                    follows=None,
                    response=response,
                )
                if topic_person is not None:
                    starts.append((at, cid, topic_person, topic))
                    if response == Response.REFERRAL and others:
                        target = rng.choice(others)
                        self.referral(
                            org,
                            target,
                            at=at + dt.timedelta(minutes=30),
                            by=by,
                            person=topic_person,
                            consultation=cid,
                        )
                    if response == Response.MULTI_AGENCY and is_hub:
                        self.case(org, at=at, persons=persons, consultation=cid, title=title)
                self._maybe_flush()
            # follow-ups (延べ − 新規) continue the consultations with a person
            for _ in range(follow_total if starts else 0):
                at0, cid0, pid, topic = rng.choice(starts)
                gap = dt.timedelta(days=rng.randint(3, 120))
                if at0 + gap >= dt.datetime.combine(self.until, dt.time(), tzinfo=TOKYO):
                    continue
                at = _office_time(rng, (at0 + gap).astimezone(TOKYO).date())
                by = rng.choice(org.staff)
                self.logged(
                    at=at - dt.timedelta(minutes=2),
                    user_id=by,
                    organization_id=org.org.pk,
                    action=AccessLog.Action.VIEW,
                    person_id=pid,
                    object_type="people.person",
                    object_id=str(pid),
                    via=AccessLog.Via.OWN,
                    channel=AccessLog.Channel.WEB,
                )
                self.consultation(
                    org,
                    at=at,
                    by=by,
                    person=pid,
                    topic=topic,
                    is_new=False,
                    follows=cid0,
                    response=Response.ONGOING,
                )
                self._maybe_flush()
            self.list_views(org)
            self.steps(index + 2, len(orgs) + 2)
        if self.outreach_org is not None:
            self.outreach(self.outreach_org)
        if self.participation_org is not None and self.offers:
            self.participation(self.participation_org)
        for body in (self.conference, self.support_meeting):
            if body is not None:
                self.meetings(body)
        self.flush_log()

    def outreach(self, org: _Org) -> None:
        """The persons of concern the アウトリーチ支援員 comes to know (`OUTREACH_PER_100K`) and
        the visits to each: a knock every one to three weeks, most unanswered at first; once the
        person is met, the relationship is built; some are connected to support (the person is
        then identified: a record and its link), some ended. Each target and each contact has
        its access-log row, as the outreach app's services write them."""
        o, rng = self.opts, self.rng
        worker = self.outreach_worker
        days = (self.until - self.start).days
        count = max(1, round(OUTREACH_PER_100K * o.residents / 100_000 * days / 365))
        self.say(f"アウトリーチ: 対象 {count:,}")
        sources, weights = zip(*OUTREACH_SOURCES, strict=True)
        for _ in range(count):
            noticed = self.start + dt.timedelta(days=rng.randrange(days))
            town = rng.choice(names.TOWNS)
            target = self.ids.take(OutreachTarget)
            contacts: list[tuple[dt.date, str]] = []
            engaged: dt.date | None = None
            day = noticed
            for _ in range(rng.randint(1, 12)):
                day += dt.timedelta(days=rng.randint(5, 21))
                if day >= self.until:
                    break
                outcome: str
                if engaged is None:
                    outcome = rng.choices(
                        (
                            ContactOutcome.ABSENT,
                            ContactOutcome.NO_ANSWER,
                            ContactOutcome.REFUSED,
                            ContactOutcome.MET,
                            ContactOutcome.TALKED,
                        ),
                        (30, 25, 10, 20, 15),
                    )[0]
                else:
                    outcome = rng.choice((ContactOutcome.MET, ContactOutcome.TALKED))
                if engaged is None and outcome in ENGAGED_OUTCOMES:
                    engaged = day
                contacts.append((day, outcome))
            last = contacts[-1][0] if contacts else None
            stage: str = Stage.CONTACTED if contacts else Stage.NOTICED
            person: int | None = None
            ended: dt.date | None = None
            if engaged is not None:
                stage = Stage.BUILDING
                roll = rng.random()
                if roll < 0.35:
                    stage = Stage.CONNECTED
                    person = self.lone_person(
                        org, at=_office_time(rng, engaged), by=worker, ages=(20, 70), town=town
                    )
                elif roll < 0.5 and last is not None and last + dt.timedelta(days=14) < self.until:
                    stage = Stage.ENDED
                    ended = last + dt.timedelta(days=14)
            self.writer.add(
                OutreachTarget,
                {
                    "id": target,
                    "organization_id": org.org.pk,
                    "label": f"{town}の{rng.choice(OUTREACH_WHO)}",
                    "whereabouts": f"{town}{rng.randint(1, 5)}丁目付近",
                    "concern": rng.choice(OUTREACH_CONCERNS),
                    "noticed_on": noticed,
                    "source": rng.choices(sources, weights)[0],
                    "source_detail": "",
                    "stage": stage,
                    "engaged_on": engaged,
                    "person_id": person,
                    "check_in_every_days": 14
                    if stage in (Stage.BUILDING, Stage.CONNECTED)
                    else None,
                    "next_check_in_on": (last or noticed) + dt.timedelta(days=14)
                    if ended is None
                    else None,
                    "last_contact_on": last,
                    "ended_on": ended,
                    "end_reason": "転居により終了" if ended is not None else "",
                    "created_by_id": worker,
                    "created_at": (noticed_at := _office_time(rng, noticed)),
                },
            )
            self.created(
                org,
                by=worker,
                at=noticed_at,
                person=person,
                obj=("outreach.outreachtarget", target),
            )
            for when, outcome in contacts:
                contact = self.ids.take(ContactAttempt)
                self.writer.add(
                    ContactAttempt,
                    {
                        "id": contact,
                        "target_id": target,
                        "contacted_on": when,
                        "method": ContactMethod.VISIT
                        if rng.random() < 0.7
                        else ContactMethod.PHONE,
                        "place": "",
                        "staff_id": worker,
                        "companions": "",
                        "outcome": outcome,
                        "note": "玄関先で声をかけた。" if outcome in ENGAGED_OUTCOMES else "",
                        "created_at": (at := _office_time(rng, when)),
                    },
                )
                self.created(
                    org, by=worker, at=at, person=person, obj=("outreach.contactattempt", contact)
                )
            self._maybe_flush()

    def participation(self, org: _Org) -> None:
        """The persons the 参加支援コーディネーター matches to a host (`PARTICIPATION_PER_100K`):
        proposed, tried within a few weeks and started, or declined; attending twice a month
        while placed; ended after three months to a year, with the follow-up (定着支援) due
        three months later and done when that date has passed. A host never has more persons
        trying or placed at once than its offer's capacity (a proposal finding every host full
        is declined). Each placement and attendance has its access-log row."""
        o, rng = self.opts, self.rng
        staff = self.participation_coordinator
        days = (self.until - self.start).days
        count = max(1, round(PARTICIPATION_PER_100K * o.residents / 100_000 * days / 365))
        self.say(f"参加支援: マッチング {count:,}")
        # occupied (from, to) of each offer, to keep within its capacity
        taken: dict[int, list[tuple[dt.date, dt.date]]] = {offer: [] for offer, _ in self.offers}
        proposals = sorted(
            self.start + dt.timedelta(days=rng.randrange(days)) for _ in range(count)
        )
        for proposed in proposals:
            trial = proposed + dt.timedelta(days=rng.randint(*TRIAL_AFTER_DAYS))
            started = trial + dt.timedelta(days=rng.randint(*START_AFTER_DAYS))
            ended = started + dt.timedelta(days=rng.randint(*PLACED_DAYS))
            until = ended if ended < self.until else self.until
            free = [
                offer
                for offer, capacity in self.offers
                if sum(1 for a, b in taken[offer] if a <= until and trial <= b) < capacity
            ]
            declined = not free or rng.random() < 0.15
            offer = rng.choice(free) if free else rng.choice(self.offers)[0]
            stage: str
            if declined:
                stage = PlacementStage.DECLINED
            elif trial >= self.until:
                stage = PlacementStage.PROPOSED
            elif started >= self.until:
                stage = PlacementStage.TRIAL
            elif ended >= self.until:
                stage = PlacementStage.ACTIVE
            else:
                stage = PlacementStage.ENDED
            if stage in (PlacementStage.TRIAL, PlacementStage.ACTIVE, PlacementStage.ENDED):
                taken[offer].append((trial, until))
            at = _office_time(rng, proposed)
            person = self.lone_person(
                org, at=at, by=staff, ages=(18, 65), town=rng.choice(names.TOWNS)
            )
            placement = self.ids.take(Placement)
            self.writer.add(
                Placement,
                {
                    "id": placement,
                    "organization_id": org.org.pk,
                    "person_id": person,
                    "offer_id": offer,
                    "case_id": None,
                    "consent_id": None,
                    "share_profile": False,
                    "share_contact": False,
                    "stage": stage,
                    "is_new": True,
                    "proposed_on": proposed,
                    "trial_on": trial
                    if stage != PlacementStage.PROPOSED and not declined
                    else None,
                    "started_on": started
                    if stage in (PlacementStage.ACTIVE, PlacementStage.ENDED)
                    else None,
                    "ended_on": ended if stage == PlacementStage.ENDED else None,
                    "end_reason": "就労につながった" if stage == PlacementStage.ENDED else "",
                    "declined_on": min(trial, self.until) if declined else None,
                    "decline_reason": (
                        "受け入れ先に空きがない" if not free else "本人の体調がすぐれない"
                    )
                    if declined
                    else "",
                    "note": "",
                    "created_by_id": staff,
                    "created_at": at,
                },
            )
            self.created(
                org, by=staff, at=at, person=person, obj=("participation.placement", placement)
            )
            if stage in (PlacementStage.ACTIVE, PlacementStage.ENDED):
                day = started
                while day < until:
                    attendance = self.ids.take(Attendance)
                    self.writer.add(
                        Attendance,
                        {
                            "id": attendance,
                            "placement_id": placement,
                            "attended_on": day,
                            "attended": rng.random() < 0.85,
                            "note": "",
                            "created_by_id": staff,
                        },
                    )
                    self.created(
                        org,
                        by=staff,
                        at=_office_time(rng, day),
                        person=person,
                        obj=("participation.attendance", attendance),
                    )
                    day += dt.timedelta(days=14)
            if stage == PlacementStage.ENDED:
                due = ended + dt.timedelta(days=91)
                done = due < self.until
                self.writer.add(
                    FollowUp,
                    {
                        "id": self.ids.take(FollowUp),
                        "placement_id": placement,
                        "due_on": due,
                        "done_on": due if done else None,
                        "result": rng.choice(FollowUp.Result.values) if done else "",
                        "note": "",
                        "done_by_id": staff if done else None,
                    },
                )
            self._maybe_flush()

    def meetings(self, body: _Body) -> None:
        """The records of a body's meetings, one for each day its agenda holds cases, as the
        meetingrecords app's services write them:
        - the meeting, convened by the hub (the secretariat) a week before;
        - the attending organizations (and, at a 支援会議, a 民生委員), with their 守秘義務の誓約
          at a confidential body: an organization's for the fiscal year, signed when its first
          meeting of the year is convened; the 民生委員's for the day;
        - each case on the agenda with its minutes, a decision (a plan approved, a closure
          evaluated, or watching continued) and an action an attending organization takes on;
        - at a confidential meeting, its cases' persons shared with the pledged organizations
          until `share_until` (one grant per item, organization and person), each of which
          reads the principal's record once."""
        rng = self.rng
        secretariat = body.secretariat
        clerk = secretariat.staff[0]
        name = body.body.name
        confidential = body.body.kind in STATUTORY_CONFIDENTIAL_KINDS
        pledges: dict[tuple[int, int], int] = {}  # (organization, fiscal year) → pledge
        held = sorted(day for day in body.agenda if day < self.until)
        self.say(f"{name}: 開催 {len(held):,}")
        for day in held:
            items = body.agenda[day]
            meeting = self.ids.take(Meeting)
            share_until = day + dt.timedelta(days=settings.SUPPORT_MEETING_GRANT_DAYS)
            convened = _office_time(rng, day - dt.timedelta(days=7))
            self.writer.add(
                Meeting,
                {
                    "id": meeting,
                    "municipality_id": self.municipality_id,
                    "body_id": body.body.pk,
                    "kind": body.body.kind,
                    "held_on": day,
                    "starts_at": dt.time(14),
                    "place": f"{secretariat.org.name} 会議室",
                    "online": False,
                    "secretariat_id": secretariat.org.pk,
                    "share_until": share_until,
                    "next_meeting_on": body.next_after(day),
                    "created_by_id": clerk,
                    "created_at": convened,
                },
            )
            self.created(
                secretariat,
                by=clerk,
                at=convened,
                person=None,
                obj=("meetingrecords.meeting", meeting),
            )
            opens = dt.datetime.combine(day, dt.time(14), tzinfo=TOKYO).astimezone(UTC)
            year = day.year if day.month >= 4 else day.year - 1
            guests: list[tuple[_Org | None, str, dt.date]] = [
                (x, "", dt.date(year + 1, 3, 31)) for x in body.attending
            ]
            if confidential:
                family, given = rng.choice(names.FAMILY)[0], rng.choice(names.GIVEN_OLD)[0]
                guests.append((None, f"{family} {given}", day))
            for guest, person_name, valid_until in guests:
                pledge: int | None = None
                key = (guest.org.pk if guest is not None else 0, year)
                if confidential and (guest is None or key not in pledges):
                    pledge = self.ids.take(ConfidentialityPledge)
                    signer = person_name or (
                        f"{rng.choice(names.FAMILY)[0]} {rng.choice(names.GIVEN_MID)[0]}"
                    )
                    self.writer.add(
                        ConfidentialityPledge,
                        {
                            "id": pledge,
                            "meeting_body_id": body.body.pk,
                            "organization_id": guest.org.pk if guest is not None else None,
                            "signer_name": signer,
                            "affiliation": "" if guest is not None else "民生委員・児童委員",
                            "signed_on": convened.astimezone(TOKYO).date(),
                            "valid_until": valid_until,
                            "recorded_by_organization_id": secretariat.org.pk,
                            "recorded_by_id": clerk,
                            "recorded_at": convened,
                        },
                    )
                    self.created(
                        secretariat,
                        by=clerk,
                        at=convened,
                        person=None,
                        obj=("meetingrecords.confidentialitypledge", pledge),
                    )
                    if guest is not None:
                        pledges[key] = pledge
                elif confidential:
                    pledge = pledges[key]
                attendee = self.ids.take(MeetingAttendee)
                self.writer.add(
                    MeetingAttendee,
                    {
                        "id": attendee,
                        "meeting_id": meeting,
                        "organization_id": guest.org.pk if guest is not None else None,
                        "name": person_name,
                        "affiliation": "" if guest is not None else "民生委員・児童委員",
                        "pledge_id": pledge,
                        "added_at": convened,
                    },
                )
                self.created(
                    secretariat,
                    by=clerk,
                    at=convened,
                    person=None,
                    obj=("meetingrecords.meetingattendee", attendee),
                )
            for position, item in enumerate(items, start=1):
                self.agenda_item(body, meeting, day, position, item, opens, share_until)
            self._maybe_flush()

    def agenda_item(
        self,
        body: _Body,
        meeting: int,
        day: dt.date,
        position: int,
        item: _Item,
        opens: dt.datetime,
        share_until: dt.date,
    ) -> None:
        """One case on a meeting's agenda, put there by its coordinator three days before, with
        its minutes, decision and action, and (at a confidential body) its grants."""
        rng = self.rng
        secretariat = body.secretariat
        principal = item.persons[0]
        added = _office_time(rng, day - dt.timedelta(days=3))
        minuted = opens + dt.timedelta(hours=3)
        aid = self.ids.take(AgendaItem)
        if item.plan is not None:
            minutes = "支援プランの案を関係機関で確認し、役割分担を決めた。"
        elif item.closure is not None:
            minutes = "支援の経過を振り返り、終結を確認した。"
        else:
            minutes = "見守りの状況を共有し、本人の同意に向けた働きかけを続けることを確認した。"
        self.writer.add(
            AgendaItem,
            {
                "id": aid,
                "meeting_id": meeting,
                "position": position,
                "kind": AgendaKind.CASE,
                "case_id": item.case,
                "person_id": None,
                "topic": "",
                "consent_id": item.consent,
                "minutes": minutes,
                "minutes_at": minuted,
                "created_by_id": item.lead,
                "version": 2,  # the minutes recorded once
            },
        )
        self.created(
            secretariat,
            by=item.lead,
            at=added,
            person=principal,
            obj=("meetingrecords.agendaitem", aid),
        )
        self.created(
            secretariat,
            by=item.lead,
            at=minuted,
            person=principal,
            obj=("meetingrecords.agendaitem", aid),
            action=AccessLog.Action.UPDATE,
        )
        decision = self.ids.take(MeetingDecision)
        if item.plan is not None:
            text = "支援プラン（多機関協働事業）第1版を承認"
        elif item.closure is not None:
            text = f"終結の評価: 目標{GoalsMet(item.closure[1]).label}、{CaseStatus.CLOSED.label}へ"
        else:
            text = "見守りを続け、本人の同意が得られたら重層的支援会議で協議する"
        self.writer.add(
            MeetingDecision,
            {
                "id": decision,
                "meeting_id": meeting,
                "agenda_item_id": aid,
                "text": text,
                "plan_id": item.plan,
                "resource_gap_id": None,
                "closure_id": item.closure[0] if item.closure is not None else None,
                "decided_by_id": item.lead,
                "created_at": minuted,
            },
        )
        self.created(
            secretariat,
            by=item.lead,
            at=minuted,
            person=principal,
            obj=("meetingrecords.meetingdecision", decision),
        )
        taker = rng.choice(body.attending)
        action = self.ids.take(ActionItem)
        due = day + dt.timedelta(days=30)
        done = _workday(day + dt.timedelta(days=rng.randint(3, 30)))
        done_by = rng.choice(taker.staff) if done < self.until else None
        self.writer.add(
            ActionItem,
            {
                "id": action,
                "meeting_id": meeting,
                "agenda_item_id": aid,
                "organization_id": taker.org.pk,
                "description": rng.choice(MEETING_ACTIONS),
                "due_on": due,
                "done_on": done if done_by is not None else None,
                "done_by_id": done_by,
                "created_by_id": item.lead,
            },
        )
        self.created(
            secretariat,
            by=item.lead,
            at=minuted,
            person=None,
            obj=("meetingrecords.actionitem", action),
        )
        if done_by is not None:
            self.logged(
                at=_office_time(rng, done),
                user_id=done_by,
                organization_id=taker.org.pk,
                action=AccessLog.Action.UPDATE,
                person_id=None,
                object_type="meetingrecords.actionitem",
                object_id=str(action),
                via=AccessLog.Via.ROLE,
                channel=AccessLog.Channel.WEB,
            )
        if body.body.kind not in STATUTORY_CONFIDENTIAL_KINDS:
            return
        # the pledged organizations see the persons discussed until `share_until`
        for guest in body.attending:
            for person in item.persons:
                grant = self.ids.take(AccessGrant)
                self.writer.add(
                    AccessGrant,
                    {
                        "id": grant,
                        "person_id": person,
                        "organization_id": guest.org.pk,
                        "includes_content": True,
                        "includes_contact": True,
                        "includes_address": person not in self.protected,
                        "basis": Basis.SUPPORT_MEETING,
                        "statute": "",
                        "meeting_body_id": body.body.pk,
                        "meeting_agenda_item_id": aid,
                        "valid_from": added,
                        "valid_until": share_until,
                        "created_at": added,
                        "created_by_id": item.lead,
                    },
                )
                if person == principal:
                    self.logged(
                        at=opens - dt.timedelta(minutes=rng.randint(10, 120)),
                        user_id=rng.choice(guest.staff),
                        organization_id=guest.org.pk,
                        action=AccessLog.Action.VIEW,
                        person_id=person,
                        object_type="people.person",
                        object_id=str(person),
                        via=AccessLog.Via.GRANT,
                        grant_id=grant,
                        channel=AccessLog.Channel.WEB,
                    )

    def list_views(self, org: _Org) -> None:
        """Before taking about every other consultation, its counselor opens the consultation
        list: one access-log row per person on the first page (the newest consultations)."""
        rows = sorted(org.consultations)
        org.consultations = []
        times = [r[0] for r in rows]
        for at, _, _, by in rows:
            if self.rng.random() >= 0.5:
                continue
            at = at - dt.timedelta(minutes=5)
            end = bisect_right(times, at)
            shown: dict[int | None, list[int]] = {}
            for _, cid, pid, _ in rows[max(0, end - LIST_PAGE) : end]:
                shown.setdefault(pid, []).append(cid)
            for pid, cids in shown.items():
                self.logged(
                    at=at,
                    user_id=by,
                    organization_id=org.org.pk,
                    action=AccessLog.Action.LIST,
                    person_id=pid,
                    object_type="consultations.consultation",
                    object_id=",".join(str(c) for c in cids),
                    via=AccessLog.Via.OWN,
                    channel=AccessLog.Channel.WEB,
                )

    def _maybe_flush(self) -> None:
        if sum(self.writer.pending(m) for m in (Person, Consultation, PersonKey)) > 60_000:
            self.flush_log()

    def finish(self) -> None:
        self.flush_log()
        head = AuditChainHead.objects.get(pk=municipal_chain(self.municipality_id))
        head.last_hash = self.prev_hash
        head.count += self.written_log
        head.save(update_fields=["last_hash", "count"])
        self.ids.fix_sequences()


def _tables() -> list[str]:
    """The tables of the project's own models (what the generator may write)."""
    return [
        m._meta.db_table
        for m in django_apps.get_models()
        if m.__module__.startswith("tsunagu.") and m._meta.managed and not m._meta.proxy
    ]


def generate(
    opts: Options,
    *,
    progress: Callable[[str], None] = lambda s: None,
    steps: Callable[[int, int], None] = lambda done, total: None,
) -> Report:
    """Generate a city (see the module's docstring). Refused for a slug that already exists.
    `progress` is told what is being written, in words; `steps` how many of the phases (the
    structure, one per organization's activity, the finish) are done of how many."""
    if opts.residents < 1000 or opts.years < 1:
        raise GenerateError("住民は 1,000 人以上、年数は 1 以上にしてください")
    started = time.monotonic()
    gen = _Generator(opts, progress, steps)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("SET LOCAL synchronous_commit TO OFF")
        municipality, orgs, coordination = gen.structure()
        # the new city's chain head is locked for the rest of the run (other cities' are not);
        # the structure's own services may have logged: continue after their rows
        head, _ = AuditChainHead.objects.select_for_update().get_or_create(
            pk=municipal_chain(municipality.pk),
            defaults={"last_hash": GENESIS, "municipality": municipality},
        )
        gen.municipality_id = municipality.pk
        gen.prev_hash = head.last_hash
        steps(1, len(orgs) + 2)
        with foreign_keys_checked_at_end(_tables()):
            gen.activity(orgs, coordination)
            gen.finish()
        steps(len(orgs) + 2, len(orgs) + 2)
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            # VACUUM also fills the visibility map, without which the planner cannot answer a
            # count from an index alone (a fiscal year's month counts read every row instead);
            # it cannot run inside a transaction (a caller's, as in the tests): ANALYZE there
            cur.execute("ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)")
    return Report(
        municipality=municipality,
        counts=dict(gen.writer.counts),
        seconds=time.monotonic() - started,
    )
