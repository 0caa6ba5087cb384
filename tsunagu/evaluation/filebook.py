"""個人情報ファイル簿: the personal-information files this system keeps, as the city publishes
them (個人情報の保護に関する法律 第75条).

What the law asks per file (名称, 利用目的, 記録項目, 記録範囲, 収集方法,
要配慮個人情報, 経常的提供先, 保存期間) comes from two places only: the models
(記録項目 are the Japanese `verbose_name`s of their fields, so a new field appears by
itself; the system's own bookkeeping — ids, version counters, hashes, form tokens, who and
when a row was written — is named in `TECHNICAL_FIELDS` and left out, and a link between two
records of the same file is how the file holds together, not an item)
and the one registry below (`FILES`: each file's purpose, range, collection,
recipients and retention, written once). Every model that holds personal data (its
`objects` is a scoped manager) must belong to exactly one file; the tests fail
otherwise, so the 簿 cannot fall behind the code.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.apps import apps
from django.conf import settings
from django.db import models

from tsunagu.access.scoping import ScopedManager
from tsunagu.organizations.models import Municipality

CSV_HEADER = (
    "個人情報ファイルの名称",
    "保有する機関",
    "利用目的",
    "記録項目",
    "記録範囲",
    "収集方法",
    "要配慮個人情報",
    "経常的提供先",
    "保存期間",
    "記録の単位（システム上のデータ）",
)


def _retention() -> str:
    return (
        f"最後の記録から{settings.RETENTION_YEARS}年。その後、氏名・連絡先・自由記述を消去し、"
        "日付・相談内容の区分・件数だけを統計のために残す"
    )


@dataclass(frozen=True)
class FileDeclaration:
    """The part of a file's entry that the models cannot say, declared once."""

    name: str
    models: tuple[str, ...]  # app_label.ModelName, the first is the file's main record
    purpose: str
    scope: str  # 記録範囲: whose information
    collection: str
    sensitive: str  # 要配慮個人情報: whether and which
    recipients: str
    retention: str = ""  # empty: the retention run's period (`_retention`)


FILES: tuple[FileDeclaration, ...] = (
    FileDeclaration(
        name="本人・世帯の記録",
        models=(
            "people.Person",
            "people.Household",
            "people.HouseholdMember",
            "people.PersonKey",
            "people.PersonLink",
            "people.DuplicateRun",
            "imports.ImportJob",
        ),
        purpose="重層的支援体制整備事業（社会福祉法第106条の4）の相談支援において、相談者本人と"
        "世帯を特定し、同じ人の記録を名寄せして継続した支援を行うため",
        scope="市の相談支援機関に相談した人、その世帯員",
        collection="本人・家族からの聞き取り、相談票、関係機関のシステムからの取込（CSV）",
        sensitive="含む（障害・病歴等が記録されることがある）",
        recipients="なし（本人同意・法令に基づく場合に限り、つなぎ先の機関が閲覧）",
    ),
    FileDeclaration(
        name="本人同意の記録",
        models=("consent.Consent", "consent.ConsentEvent", "consent.ConsentAttachment"),
        purpose="関係機関の間で情報を共有する本人の同意と、その撤回・期限を管理するため",
        scope="情報共有に同意した相談者本人（代理人を含む）",
        collection="本人・代理人の署名した同意書、口頭での同意の記録",
        sensitive="含まない（同意書の写しに記載があるときを除く）",
        recipients="なし",
    ),
    FileDeclaration(
        name="相談受付記録",
        models=("consultations.Consultation", "consultations.ConsultationTopic"),
        purpose="相談を受け付け、内容と対応を記録し、支援と事業評価（件数）に用いるため",
        scope="市の相談支援機関に相談した人（匿名の相談を含む）",
        collection="窓口・電話・訪問・メール等での本人・家族・関係者からの聞き取り",
        sensitive="含む（病歴・障害・犯罪被害（DV・虐待）等）",
        recipients="なし（本人同意・法令に基づく場合に限り、つなぎ先の機関が閲覧）",
    ),
    FileDeclaration(
        name="つなぎ（関係機関への依頼）の記録",
        models=("referrals.Referral", "referrals.ReferralEvent"),
        purpose="相談を他の支援機関へつなぎ、受理・対応の結果を確認するため",
        scope="他の機関へつないだ相談者本人",
        collection="つなぐ機関の職員の入力",
        sensitive="含む（つなぐ理由に病歴・障害等が記載されることがある）",
        recipients="つなぎ先の支援機関（本人同意・支援会議・法令の根拠がある場合に限る）",
    ),
    FileDeclaration(
        name="多機関協働事業の事例記録",
        models=(
            "cases.Case",
            "cases.CaseRequest",
            "cases.CaseMember",
            "cases.CaseTeamMember",
            "cases.CaseEvent",
            "cases.Assessment",
            "cases.SupportPlan",
            "cases.PlanAction",
            "cases.Monitoring",
            "cases.MonitoringResult",
            "cases.CaseClosure",
            "cases.ResourceGap",
            "cases.ResourceGapCase",
        ),
        purpose="複合的な課題を抱える世帯について、多機関協働事業・支援プランの作成（社会福祉法"
        "第106条の4第2項第5号・第6号）により支援を調整し、評価するため",
        scope="多機関協働事業の対象となった本人と世帯員",
        collection="相談支援機関からの依頼、アセスメントでの聞き取り、支援チームの機関の記録",
        sensitive="含む（病歴・障害・犯罪被害等）",
        recipients="支援チームの機関（本人同意の範囲）、重層的支援会議の構成員",
    ),
    FileDeclaration(
        name="会議の記録（支援会議・重層的支援会議）",
        models=(
            "meetingrecords.Meeting",
            "meetingrecords.MeetingAttendee",
            "meetingrecords.ConfidentialityPledge",
            "meetingrecords.AgendaItem",
            "meetingrecords.MeetingDecision",
            "meetingrecords.ActionItem",
        ),
        purpose="支援会議（社会福祉法第106条の6）・重層的支援会議等で検討した事例、決定事項と"
        "役割分担を記録するため",
        scope="会議で検討された本人・世帯、出席者",
        collection="会議の事務局の職員の記録",
        sensitive="含む（病歴・障害・犯罪被害等）",
        recipients="守秘義務を誓約した会議の構成員（会議の議題の範囲・期間に限る）",
    ),
    FileDeclaration(
        name="アウトリーチ等を通じた継続的支援の記録",
        models=(
            "outreach.OutreachTarget",
            "outreach.ContactAttempt",
            "outreach.SessionConsultation",
        ),
        purpose="支援が届いていない人を把握し、接触と関係づくりを続ける（同項第4号）ため",
        scope="アウトリーチの対象として把握された人（氏名が分からない人を含む）",
        collection="関係機関・地域住民からの情報提供、訪問・出張相談会での接触",
        sensitive="含む（病歴・障害等が記載されることがある）",
        recipients="なし",
    ),
    FileDeclaration(
        name="参加支援の記録",
        models=(
            "participation.NeedsProfile",
            "participation.Placement",
            "participation.Attendance",
            "participation.FollowUp",
        ),
        purpose="社会とのつながりづくりに向けた参加支援（同項第2号）で、本人の希望と受け入れ先の"
        "マッチング、参加の状況とフォローアップを記録するため",
        scope="参加支援を受けた本人",
        collection="本人からの聞き取り、受け入れ先からの報告",
        sensitive="含む（障害・健康状態等）",
        recipients="受け入れ先（本人が同意した範囲に限る）",
    ),
    FileDeclaration(
        name="地域づくりの担い手名簿",
        models=("resources.CommunityWorker",),
        purpose="地域づくりに向けた支援（同項第3号）で、民生委員協力員・生活支援サポーター・"
        "ボランティア等の担い手と、その受講した講座・研修を把握し、連絡するため",
        scope="地域づくりの担い手（民生委員協力員、生活支援サポーター、ボランティア等）",
        collection="本人からの申出、講座・研修の受講の記録",
        sensitive="含まない（福祉の記録は持たない）",
        recipients="なし（市の生活支援コーディネーター・管理者だけが閲覧する）",
        retention="活動終了日を記録して保持する（保存期間による自動の消去の対象外）",
    ),
)


def personal_data_models() -> list[type[models.Model]]:
    """Every model that holds personal data: its default manager is the scoped one door."""
    return [
        m
        for m in apps.get_models()
        if isinstance(m._meta.managers_map.get("objects"), ScopedManager)
    ]


# The system's bookkeeping, not information about anyone: left out of 記録項目.
TECHNICAL_FIELDS = frozenset(
    {
        "id",
        "external_id",  # the record's number in the agency's own system, for imports
        "version",  # the edit counter (and a plan's 版 number)
        "revision",
        "submission_key",  # a form's one-time key
        "sha256",
        "task_id",
        "sort_order",
        "created_at",  # when and by whom a row was written (the access log keeps who did what)
        "created_by",
        "updated_at",
        "municipality",  # the city: the 簿's holder
    }
)
TECHNICAL_MODEL_FIELDS = {
    # an import's progress and counters
    "imports.ImportJob": frozenset(
        {
            "encoding",
            "next_offset",
            "next_line",
            "total_rows",
            "processed_rows",
            "status",
            "errors",
            "error_count",
            "created_count",
            "updated_count",
            "unchanged_count",
            "skipped_count",
            "linked_count",
        }
    ),
    # a city-wide find-duplicates: who asked, its settings and progress (the ZIP and the list of
    # persons in it are the items)
    "people.DuplicateRun": frozenset(
        {
            "requested_by",
            "threshold",
            "tier",
            "status",
            "done_steps",
            "total_steps",
            "message",
            "pair_count",
            "file_name",
            "size",
            "configured_password",
            "sealed_password",
            "password_shown_at",
            "finished_at",
        }
    ),
    "people.PersonKey": frozenset({"key"}),  # the matching keys made from the name
    "consent.ConsentAttachment": frozenset({"content_type", "size"}),  # the file's format
}


def _file_of(label: str) -> FileDeclaration | None:
    return next((f for f in FILES if label in f.models), None)


def item_fields(model: type[models.Model]) -> list[models.Field[object, object]]:
    """The fields that hold information about someone: every concrete field but the
    bookkeeping and the links to another record of the same file."""
    label = model._meta.label
    technical = TECHNICAL_FIELDS | TECHNICAL_MODEL_FIELDS.get(label, frozenset())
    own = _file_of(label)
    out = []
    for f in model._meta.concrete_fields:
        if f.name in technical:
            continue
        related = f.related_model
        if own is not None and isinstance(related, type) and related._meta.label in own.models:
            continue
        out.append(f)
    return out


def recorded_items(model: type[models.Model]) -> list[str]:
    """記録項目: the Japanese names of the fields that hold information about someone."""
    names: list[str] = []
    for f in item_fields(model):
        name = str(f.verbose_name)
        if name not in names:
            names.append(name)
    return names


@dataclass(frozen=True)
class Part:
    label: str
    title: str  # the model's Japanese name, or "" where it has none (a technical table)
    items: list[str]


@dataclass(frozen=True)
class FileEntry:
    declaration: FileDeclaration
    holder: str
    parts: list[Part]
    retention: str

    @property
    def items(self) -> list[str]:
        seen: list[str] = []
        for part in self.parts:
            seen += [i for i in part.items if i not in seen]
        return seen

    def csv_row(self) -> list[str]:
        d = self.declaration
        return [
            d.name,
            self.holder,
            d.purpose,
            "、".join(self.items),
            d.scope,
            d.collection,
            d.sensitive,
            d.recipients,
            self.retention,
            "、".join(p.label for p in self.parts),
        ]


def file_register(*, municipality: Municipality) -> list[FileEntry]:
    """The 簿 of a city: one entry per declared file, its items read from the models."""
    entries = []
    for declaration in FILES:
        parts = []
        for label in declaration.models:
            model = apps.get_model(label)
            title = str(model._meta.verbose_name)
            parts.append(
                Part(
                    label=label,
                    title="" if title.isascii() else title,
                    items=recorded_items(model),
                )
            )
        entries.append(
            FileEntry(
                declaration=declaration,
                holder=f"{municipality.name}（重層的支援体制整備事業の実施機関）",
                parts=parts,
                retention=declaration.retention or _retention(),
            )
        )
    return entries
