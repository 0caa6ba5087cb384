"""Plan files: a city's 重層的支援体制 as it stands in its implementation plan, in YAML.

`read_plan_file(path)` parses and checks a file and returns a `PlanFile`; every problem is a
`PlanFileError` that names the file, the line and the field (`organizations[3].departments[0]`).
Nothing here touches the database: `services.plan_load` writes a checked `PlanFile`.
The format is documented in docs/plan-files.md.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator

from tsunagu.cityplan.bindings import FilterKind, computation_spec
from tsunagu.cityplan.models import Clause, MilestoneStage, ProgramCategory, ProgramStatus
from tsunagu.meetings.models import LEGAL_BASES, MeetingBodyKind
from tsunagu.organizations.models import Area, Organization, Site, SupportField

type FieldPath = tuple[str | int, ...]

CODE_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
Code = Annotated[str, Field(pattern=CODE_PATTERN, max_length=80)]


class PlanFileError(Exception):
    def __init__(self, path: Path, line: int | None, field: str, message: str) -> None:
        self.path, self.line, self.field, self.message = path, line, field, message
        where = f"{path}:{line}" if line else str(path)
        super().__init__(f"{where}: {field or '(ファイル全体)'}: {message}")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


class PlanInfo(_Strict):
    name: str = Field(min_length=1, max_length=200)
    nickname: str = ""
    # Leave both out when the document states no plan period (三田市's progress report).
    start_fiscal_year: int | None = Field(default=None, ge=2000, le=2100)
    end_fiscal_year: int | None = Field(default=None, ge=2000, le=2100)
    published: str = ""
    adopted_on: dt.date | None = None
    department: str = ""


class MunicipalityEntry(_Strict):
    code: str = Field(pattern=r"^\d{6}$")
    slug: Code
    name: str = Field(min_length=1, max_length=50)
    prefecture: str = Field(min_length=1, max_length=10)
    fiscal_year_start_month: int = Field(default=4, ge=1, le=12)
    plan: PlanInfo

    @field_validator("code")
    @classmethod
    def _check_digit(cls, value: str) -> str:
        # 全国地方公共団体コード: the 6th digit is 11 − (Σ digit×6,5,4,3,2 mod 11), last digit.
        total = sum(int(d) * w for d, w in zip(value[:5], (6, 5, 4, 3, 2), strict=True))
        if int(value[5]) != (11 - total % 11) % 10:
            raise ValueError(f"全国地方公共団体コード {value} の検査数字が合いません")
        return value


class AreaEntry(_Strict):
    code: Code
    name: str = Field(min_length=1, max_length=100)
    kind: Area.Kind
    parent: Code | None = None
    localities: list[str] = []


class SiteEntry(_Strict):
    code: Code
    name: str = Field(min_length=1, max_length=200)
    kind: Site.Kind = Site.Kind.MAIN
    address: str = ""
    phone: str = ""
    areas: list[Code] = []


class OrganizationEntry(_Strict):
    code: Code
    name: str = Field(min_length=1, max_length=200)
    aliases: list[Annotated[str, Field(min_length=1, max_length=100)]] = []
    kind: Organization.Kind
    fields: list[SupportField] = []
    operation: Organization.Operation | None = None
    operator: str = ""
    departments: list[Code] = []
    target_group: str = ""
    description: str = ""
    postal_code: str = Field(default="", pattern=r"^(\d{3}-?\d{4})?$")
    address: str = ""
    phone: str = ""
    email: str = ""
    site_count: int | None = Field(default=None, ge=1, le=1000)
    sites_unnamed: bool = False
    sites: list[SiteEntry] = []
    group: Code | None = None
    liaison_title: str = Field(default="", max_length=100)
    staffing: str = ""
    areas: list[Code] = []


class Carrier(_Strict):
    organization: Code
    role: str = ""


def _carrier(value: Any) -> Any:
    return {"organization": value} if isinstance(value, str) else value


def _label_or_code(choices: list[tuple[str, str]], value: Any) -> Any:
    labels = {label: code for code, label in choices}
    return labels.get(value, value) if isinstance(value, str) else value


class MilestoneEntry(_Strict):
    year: int = Field(ge=2000, le=2100)
    stage: MilestoneStage
    subject: str = Field(default="", max_length=100)
    note: str = Field(default="", max_length=200)

    @field_validator("stage", mode="before")
    @classmethod
    def _stage_from_label(cls, value: Any) -> Any:
        return _label_or_code(MilestoneStage.choices, value)


class ProgramEntry(_Strict):
    code: Code
    category: ProgramCategory = ProgramCategory.STATUTORY
    clause: Clause | None = None
    name: str = Field(min_length=1, max_length=200)
    status: ProgramStatus | None = None
    operation: list[Organization.Operation] = []
    milestones: list[MilestoneEntry] = []
    existing_scheme: str = ""
    legal_basis: str = ""
    target_group: str = ""
    description: str = ""
    area_description: str = ""
    start_fiscal_year: int | None = Field(default=None, ge=2000, le=2100)
    departments: list[Code] = []
    organizations: list[Carrier] = []

    @field_validator("clause", mode="before")
    @classmethod
    def _clause_from_label(cls, value: Any) -> Any:
        labels = {label: code for code, label in Clause.choices}
        if value is None or (isinstance(value, str) and value in labels):
            return labels[value] if value is not None else None
        raise ValueError(f"根拠条項は {'・'.join(labels)} のいずれかです")

    @field_validator("status", mode="before")
    @classmethod
    def _status_from_label(cls, value: Any) -> Any:
        return _label_or_code(ProgramStatus.choices, value)

    @field_validator("operation", mode="before")
    @classmethod
    def _operations(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("organizations", mode="before")
    @classmethod
    def _short_carriers(cls, value: Any) -> Any:
        return [_carrier(v) for v in value] if isinstance(value, list) else value


class MeetingBodyEntry(_Strict):
    code: Code
    name: str = Field(min_length=1, max_length=200)
    kind: MeetingBodyKind
    second_kind: MeetingBodyKind | None = None
    legal_basis: str = Field(default="", max_length=200)
    discusses_individuals: bool | None = None
    requires_consent: bool | None = None
    confidentiality_duty: bool | None = None
    parent: Code | None = None
    purpose: str = ""
    members_description: str = ""
    frequency: str = ""
    secretariat: Code | None = None
    members: list[Carrier] = []

    @field_validator("members", mode="before")
    @classmethod
    def _short_members(cls, value: Any) -> Any:
        return [_carrier(v) for v in value] if isinstance(value, list) else value


class Figure(_Strict):
    value: Decimal = Field(ge=0, max_digits=14, decimal_places=3)
    note: str = Field(default="", max_length=100)


def _figure(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("数値ではありません")
    if isinstance(value, int | float):
        return {"value": value}
    if isinstance(value, str):
        raise ValueError(f"数値ではありません: {value!r}")
    return value


class Binding(_Strict):
    """`computed:` of an indicator: a computation over the records, with its filters."""

    computation: Code
    filters: dict[str, Annotated[str, Field(min_length=1, max_length=80)]] = {}


class IndicatorEntry(_Strict):
    code: Code
    name: str = Field(min_length=1, max_length=200)
    unit: str = Field(min_length=1, max_length=20)
    program: Code | None = None
    organization: Code | None = None
    note: str = ""
    targets: dict[int, Figure] = {}
    actuals: dict[int, Figure] = {}
    # How the actual of a year is found: from the records, or entered by a manager.
    computed: Binding | None = None
    manual: bool = False

    @field_validator("targets", "actuals", mode="before")
    @classmethod
    def _short_figures(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        out = {}
        for year, figure in value.items():
            try:
                out[year] = _figure(figure)
            except ValueError as exc:
                raise ValueError(f"{year}年度: {exc}") from exc
        return out


class PlanFile(_Strict):
    municipality: MunicipalityEntry
    areas: list[AreaEntry] = []
    organizations: list[OrganizationEntry] = []
    programs: list[ProgramEntry] = []
    meeting_bodies: list[MeetingBodyEntry] = []
    indicators: list[IndicatorEntry] = []

    # Where the file came from and the line of every key, for errors found while loading.
    _path: Path | None = PrivateAttr(default=None)
    _lines: dict[FieldPath, int] = PrivateAttr(default_factory=dict)

    def error(self, path: FieldPath, message: str) -> PlanFileError:
        """An error about a part of the file, with its line when the file was read from disk."""
        line = None
        for end in range(len(path), -1, -1):
            if path[:end] in self._lines:
                line = self._lines[path[:end]]
                break
        return PlanFileError(self._path or Path("<plan>"), line, _field_name(path), message)


def meeting_body_flags(body: MeetingBodyEntry) -> tuple[str, bool, bool, bool]:
    """(legal basis, discusses individuals, requires consent, confidentiality duty) of a body:
    what the file says, else its kind's default."""
    default = LEGAL_BASES[body.kind]
    return (
        body.legal_basis or default.basis,
        default.discusses_individuals
        if body.discusses_individuals is None
        else body.discusses_individuals,
        default.requires_consent if body.requires_consent is None else body.requires_consent,
        default.confidentiality_duty
        if body.confidentiality_duty is None
        else body.confidentiality_duty,
    )


# --- reading -----------------------------------------------------------------------------


def _field_name(path: FieldPath) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) and out else f".{part}" if out else str(part)
    return out


class _Located:
    """The parsed YAML with the line of every key and list item."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.lines: dict[FieldPath, int] = {}
        loader = yaml.SafeLoader(text)
        try:
            node = loader.get_single_node()
            if node is None:
                raise PlanFileError(path, None, "", "ファイルが空です")
            self._walk(loader, node, ())
            self.data = loader.construct_document(node)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 if mark else None
            raise PlanFileError(path, line, "", f"YAMLとして読めません: {exc.problem}") from exc
        finally:
            loader.dispose()

    def _walk(self, loader: yaml.SafeLoader, node: yaml.Node, path: FieldPath) -> None:
        self.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            seen: set[Any] = set()
            for key_node, value_node in node.value:
                key = loader.construct_object(key_node, deep=True)
                sub = (*path, key)
                if key in seen:
                    raise PlanFileError(
                        self.path,
                        key_node.start_mark.line + 1,
                        _field_name(sub),
                        "同じ項目が2回書かれています",
                    )
                seen.add(key)
                self.lines[sub] = key_node.start_mark.line + 1
                self._walk(loader, value_node, sub)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                self._walk(loader, item, (*path, i))

    def line_of(self, path: FieldPath) -> int | None:
        for end in range(len(path), -1, -1):
            if path[:end] in self.lines:
                return self.lines[path[:end]]
        return None

    def error(self, path: FieldPath, message: str) -> PlanFileError:
        return PlanFileError(self.path, self.line_of(path), _field_name(path), message)


_MESSAGES = {
    "missing": "必須項目がありません",
    "extra_forbidden": "この項目はありません（綴りを確かめてください）",
    "string_pattern_mismatch": "形式が違います",
    "string_type": "文字列ではありません",
    "string_too_short": "空です",
    "string_too_long": "長すぎます",
    "int_type": "整数ではありません",
    "int_parsing": "整数ではありません",
    "int_from_float": "整数ではありません",
    "decimal_type": "数値ではありません",
    "decimal_parsing": "数値ではありません",
    "decimal_max_digits": "桁数が多すぎます",
    "decimal_max_places": "小数点以下が3桁を超えています",
    "greater_than_equal": "小さすぎます",
    "less_than_equal": "大きすぎます",
    "list_type": "リスト（- で始まる項目）ではありません",
    "dict_type": "項目の集まり（キー: 値）ではありません",
    "model_type": "項目の集まり（キー: 値）ではありません",
}


def _pydantic_message(err: Any) -> str:
    kind = err["type"]
    if kind == "enum":
        return f"使えない値です（{err['ctx']['expected']}）"
    if kind in {"greater_than_equal", "less_than_equal"}:
        bound = err["ctx"].get("ge", err["ctx"].get("le"))
        return f"{_MESSAGES[kind]}（{'下限' if kind == 'greater_than_equal' else '上限'} {bound}）"
    if kind == "value_error":
        return str(err["msg"]).removeprefix("Value error, ")
    return _MESSAGES.get(kind, str(err["msg"]))


def read_plan_file(path: Path) -> PlanFile:
    """Parse and check a plan file; raise PlanFileError naming the first problem."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise PlanFileError(path, None, "", "ファイルがありません") from exc
    except UnicodeDecodeError as exc:
        raise PlanFileError(path, None, "", "UTF-8 で読めません") from exc
    located = _Located(path, text)
    try:
        plan = PlanFile.model_validate(located.data)
    except ValidationError as exc:
        # A misspelt key gives "unknown key" and "missing key"; the unknown one says more.
        first = sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")[0]
        loc: FieldPath = tuple(p for p in first["loc"] if isinstance(p, str | int))
        # pydantic adds the name of a union member or validator to the location; drop it
        loc = tuple(p for p in loc if not (isinstance(p, str) and p.startswith("function-")))
        raise located.error(loc, _pydantic_message(first)) from exc
    plan._path, plan._lines = path, located.lines
    _check_references(plan, located)
    return plan


def _duplicates(items: list[Any]) -> Iterator[int]:
    seen: set[str] = set()
    for i, item in enumerate(items):
        if item.code in seen:
            yield i
        seen.add(item.code)


def _check_references(plan: PlanFile, located: _Located) -> None:
    sections: dict[str, list[Any]] = {
        "areas": list(plan.areas),
        "organizations": list(plan.organizations),
        "programs": list(plan.programs),
        "meeting_bodies": list(plan.meeting_bodies),
        "indicators": list(plan.indicators),
    }
    for section, items in sections.items():
        for i in _duplicates(items):
            raise located.error((section, i, "code"), f"コード {items[i].code!r} が重複しています")

    areas = {a.code for a in plan.areas}
    orgs = {o.code: o for o in plan.organizations}
    programs = {p.code for p in plan.programs}
    bodies = {m.code for m in plan.meeting_bodies}
    m = plan.municipality
    if (m.plan.start_fiscal_year is None) != (m.plan.end_fiscal_year is None):
        raise located.error(
            ("municipality", "plan"),
            "計画期間は start_fiscal_year と end_fiscal_year の両方を書くか、両方とも省きます",
        )
    if (
        m.plan.start_fiscal_year is not None
        and m.plan.end_fiscal_year is not None
        and m.plan.end_fiscal_year < m.plan.start_fiscal_year
    ):
        raise located.error(
            ("municipality", "plan", "end_fiscal_year"), "計画期間の終了年度が開始年度より前です"
        )

    def need(ok: bool, path: FieldPath, message: str) -> None:
        if not ok:
            raise located.error(path, message)

    def need_departments(codes: list[str], path: FieldPath) -> None:
        for j, code in enumerate(codes):
            need(code in orgs, (*path, j), f"組織コード {code!r} がありません")
            need(
                orgs[code].kind == Organization.Kind.DEPARTMENT,
                (*path, j),
                f"{code!r} は庁内課（kind: department）ではありません",
            )
        need(len(set(codes)) == len(codes), path, "同じ課が二度書かれています")

    for i, a in enumerate(plan.areas):
        need(
            a.parent is None or a.parent in areas,
            ("areas", i, "parent"),
            f"圏域コード {a.parent!r} がありません",
        )
        need(a.parent != a.code, ("areas", i, "parent"), "自分自身を上位にできません")
    for i, o in enumerate(plan.organizations):
        need_departments(o.departments, ("organizations", i, "departments"))
        for j, code in enumerate(o.areas):
            need(
                code in areas, ("organizations", i, "areas", j), f"圏域コード {code!r} がありません"
            )
        _check_sites(o, ("organizations", i), orgs, areas, need)
    for i, p in enumerate(plan.programs):
        need_departments(p.departments, ("programs", i, "departments"))
        _check_program(p, ("programs", i), m.plan, need)
        for j, c in enumerate(p.organizations):
            need(
                c.organization in orgs,
                ("programs", i, "organizations", j),
                f"組織コード {c.organization!r} がありません",
            )
    for i, b in enumerate(plan.meeting_bodies):
        _check_legal_flags(b, ("meeting_bodies", i), need)
        need(
            b.parent is None or b.parent in bodies,
            ("meeting_bodies", i, "parent"),
            f"会議体コード {b.parent!r} がありません",
        )
        need(
            b.secretariat is None or b.secretariat in orgs,
            ("meeting_bodies", i, "secretariat"),
            f"組織コード {b.secretariat!r} がありません",
        )
        for j, c in enumerate(b.members):
            need(
                c.organization in orgs,
                ("meeting_bodies", i, "members", j),
                f"組織コード {c.organization!r} がありません",
            )
    period = _period(m.plan)
    for i, ind in enumerate(plan.indicators):
        need(
            ind.program is None or ind.program in programs,
            ("indicators", i, "program"),
            f"事業コード {ind.program!r} がありません",
        )
        need(
            ind.organization is None or ind.organization in orgs,
            ("indicators", i, "organization"),
            f"組織コード {ind.organization!r} がありません",
        )
        need(
            bool(ind.targets or ind.actuals),
            ("indicators", i),
            "targets か actuals の少なくとも一方が必要です",
        )
        for fy in ind.targets:
            need(
                period is not None,
                ("indicators", i, "targets", fy),
                "計画期間がない文書に目標は書けません（実績だけを書きます）",
            )
            need(
                period is None or fy in period,
                ("indicators", i, "targets", fy),
                f"目標の年度 {fy} が計画期間（{_period_text(period)}）の外です",
            )
        for fy in ind.actuals:
            need(
                period is None or fy <= period.stop - 1,
                ("indicators", i, "actuals", fy),
                f"実績の年度 {fy} が計画期間の終わりより後です",
            )
        _check_binding(ind, ("indicators", i), orgs, bodies, need, located)


type _Need = Any  # need(ok, path, message)


def _check_binding(
    ind: IndicatorEntry,
    where: FieldPath,
    orgs: dict[str, OrganizationEntry],
    bodies: set[str],
    need: _Need,
    located: _Located,
) -> None:
    """A `computed:` binding names a registered computation and only its filters, with values
    that exist in this file."""
    binding = ind.computed
    if binding is None:
        return
    need(
        not ind.manual,
        (*where, "manual"),
        "computed（記録から計算）と manual: true（手入力）は同時に書けません",
    )
    spec = computation_spec(binding.computation)
    if spec is None:
        raise located.error(
            (*where, "computed", "computation"),
            f"計算 {binding.computation!r} はありません（使える計算は docs/plan-files.md の一覧）",
        )
    for name, value in binding.filters.items():
        path = (*where, "computed", "filters", name)
        allowed = "・".join(spec.filters) or "なし"
        need(
            name in spec.filters,
            path,
            f"計算 {spec.name} に絞り込み {name!r} はありません（使えるもの: {allowed}）",
        )
        f = spec.filters[name]
        if f.kind == FilterKind.ORGANIZATION:
            need(value in orgs, path, f"組織コード {value!r} がありません")
        elif f.kind == FilterKind.MEETING_BODY:
            need(value in bodies, path, f"会議体コード {value!r} がありません")
        elif f.kind == FilterKind.SITE:
            owner = binding.filters.get("organization", "")
            need(owner in orgs, path, "拠点で絞り込むには organization も書きます")
            need(
                value in {s.code for s in orgs[owner].sites},
                path,
                f"{owner!r} に拠点コード {value!r} がありません",
            )
        else:
            need(
                value in f.choices,
                path,
                f"{f.label}の値 {value!r} は使えません（{'・'.join(f.choices)}）",
            )


def _period_text(period: range | None) -> str:
    return f"{period.start}〜{period.stop - 1}年度" if period else "なし"


def _period(info: PlanInfo) -> range | None:
    if info.start_fiscal_year is None or info.end_fiscal_year is None:
        return None
    return range(info.start_fiscal_year, info.end_fiscal_year + 1)


def _check_sites(
    o: OrganizationEntry,
    where: FieldPath,
    orgs: dict[str, OrganizationEntry],
    areas: set[str],
    need: _Need,
) -> None:
    if o.group is not None:
        need(o.group in orgs, (*where, "group"), f"組織コード {o.group!r} がありません")
        need(o.group != o.code, (*where, "group"), "自分自身をまとめにできません")
        need(
            orgs[o.group].group is None,
            (*where, "group"),
            f"{o.group!r} は別のまとめの下にあります（まとめは一段だけです）",
        )
    seen: set[str] = set()
    for j, site in enumerate(o.sites):
        need(site.code not in seen, (*where, "sites", j, "code"), "拠点コードが重複しています")
        seen.add(site.code)
        for k, code in enumerate(site.areas):
            need(
                code in areas,
                (*where, "sites", j, "areas", k),
                f"圏域コード {code!r} がありません",
            )
    members = sum(1 for other in orgs.values() if other.group == o.code)
    named = len(o.sites) + members
    if o.sites_unnamed:
        need(
            o.site_count is not None and o.site_count > 1,
            (*where, "sites_unnamed"),
            "設置数のみ記載とするには site_count（2以上）が必要です",
        )
        need(not named, (*where, "sites_unnamed"), "拠点を書いたときは設置数のみ記載にできません")
    elif o.site_count is not None and o.site_count > 1:
        need(
            named >= o.site_count,
            (*where, "site_count"),
            f"設置数 {o.site_count} に対して拠点が {named} か所です。計画が名前を挙げている"
            "拠点を sites（または group で束ねる機関）に書くか、計画が数しか書いていなければ "
            "sites_unnamed: true（設置数のみ記載）としてください",
        )


def _check_program(p: ProgramEntry, where: FieldPath, info: PlanInfo, need: _Need) -> None:
    if p.category == ProgramCategory.STATUTORY:
        need(p.clause is not None, (*where, "clause"), "第106条の4の事業には根拠条項が必要です")
    else:
        need(
            p.clause is None,
            (*where, "clause"),
            "分野横断の窓口・関連事業には根拠条項を書きません（category を確かめてください）",
        )
    need(len(set(p.operation)) == len(p.operation), (*where, "operation"), "同じ運営形態が二度")
    period = _period(info)
    seen: set[tuple[str, int]] = set()
    for j, ms in enumerate(p.milestones):
        need(
            period is not None,
            (*where, "milestones", j, "year"),
            "計画期間がない文書に工程は書けません",
        )
        need(
            period is None or ms.year in period,
            (*where, "milestones", j, "year"),
            f"工程の年度 {ms.year} が計画期間（{_period_text(period)}）の外です",
        )
        need(
            (ms.subject, ms.year) not in seen,
            (*where, "milestones", j, "year"),
            "同じ項目・年度の工程が二度書かれています",
        )
        seen.add((ms.subject, ms.year))


def _check_legal_flags(b: MeetingBodyEntry, where: FieldPath, need: _Need) -> None:
    kind = LEGAL_BASES[b.kind]
    _, individuals, consent, duty = meeting_body_flags(b)
    need(
        not (consent and not individuals),
        (*where, "requires_consent"),
        "個人の事例を扱わない会議体（discusses_individuals: false）に本人同意は要りません",
    )
    need(
        not (duty and not individuals),
        (*where, "confidentiality_duty"),
        "個人の事例を扱わない会議体（discusses_individuals: false）に守秘義務の定めは要りません",
    )
    if kind.confidentiality_duty:
        need(
            not consent,
            (*where, "requires_consent"),
            f"{b.kind.label}は法定の守秘義務にもとづく会議で、本人同意を根拠にしません",
        )
        need(
            duty,
            (*where, "confidentiality_duty"),
            f"{b.kind.label}の構成員には法定の守秘義務があります",
        )
    if not kind.discusses_individuals:
        need(
            not individuals,
            (*where, "discusses_individuals"),
            f"{b.kind.label}は個人の事例を扱わない会議体です（種別を確かめてください）",
        )
    if b.second_kind is not None:
        need(b.second_kind != b.kind, (*where, "second_kind"), "kind と同じです")
        need(
            not LEGAL_BASES[b.second_kind].confidentiality_duty or kind.confidentiality_duty,
            (*where, "second_kind"),
            "法定の会議としての役割は kind に、もう一つの役割を second_kind に書いてください",
        )
        need(
            LEGAL_BASES[b.second_kind].discusses_individuals == individuals,
            (*where, "second_kind"),
            "個人の事例を扱う会議と扱わない会議を一つの会議体にはできません",
        )


CITY_DATA_DIR = Path(__file__).resolve().parent / "data"


def plan_file_path(city: str) -> Path:
    """The data file of a seed city (`ise`), or the path given as is."""
    if re.fullmatch(r"[a-z0-9-]+", city):
        return CITY_DATA_DIR / f"{city}.yaml"
    return Path(city)


def known_cities() -> list[str]:
    return sorted(p.stem for p in CITY_DATA_DIR.glob("*.yaml"))
