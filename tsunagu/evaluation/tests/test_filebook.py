"""個人情報ファイル簿: every personal-data model is in exactly one declared file, the 記録項目 come
from the models, and the page and CSV show it to the city's staff."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.apps import apps
from django.db import models
from django.test.utils import isolate_apps
from django.urls import reverse

from conftest import client_for
from tsunagu.access.scoping import ScopedManager, ScopedQuerySet, UnscopedManager
from tsunagu.accounts.models import User
from tsunagu.evaluation import filebook
from tsunagu.organizations.models import Municipality


def _unlisted() -> list[str]:
    declared = [label for f in filebook.FILES for label in f.models]
    return [m._meta.label for m in filebook.personal_data_models() if m._meta.label not in declared]


def test_every_personal_data_model_is_in_one_file() -> None:
    declared = [label for f in filebook.FILES for label in f.models]
    assert len(declared) == len(set(declared)), "a model is declared in two files"
    assert not _unlisted(), (
        f"personal-data models missing from the 個人情報ファイル簿: {_unlisted()}"
    )
    # and nothing declared that is not a personal-data model
    personal = {m._meta.label for m in filebook.personal_data_models()}
    assert set(declared) <= personal
    # the apps the one-door test names are all covered
    for label in ("people", "consultations", "consent", "referrals", "cases", "outreach"):
        assert any(m._meta.app_label == label for m in filebook.personal_data_models())


@isolate_apps("tsunagu.evaluation")
def test_a_new_personal_data_model_without_an_entry_fails() -> None:
    class Secret(models.Model):  # noqa: DJ008
        note = models.TextField("秘密のメモ")
        objects = ScopedManager["Secret"](ScopedQuerySet)
        dangerously_unscoped = UnscopedManager()

        class Meta:
            app_label = "evaluation"

    real = apps.get_models
    try:
        apps.get_models = lambda *a, **k: [*real(*a, **k), Secret]  # type: ignore[method-assign]
        assert _unlisted() == ["evaluation.Secret"]
    finally:
        apps.get_models = real  # type: ignore[method-assign]
    assert _unlisted() == []


def test_recorded_items_are_the_models_japanese_field_names() -> None:
    from tsunagu.people.models import Person

    items = filebook.recorded_items(Person)
    assert {"姓", "名", "生年月日", "住所", "電話番号"} <= set(items)
    assert all(not i.isascii() for i in items)
    assert "id" not in items


# what the system keeps for itself, under whatever name: never a 記録項目
TECHNICAL_WORDS = ("ID", "id", "版", "更新番号", "sha", "key", "token", "キー", "offset", "task")


def test_no_recorded_item_is_a_technical_name() -> None:
    """Every field of a personal-data model that holds information about someone has a Japanese
    name (a new field named in English fails here: name it, or list it as bookkeeping in
    `TECHNICAL_FIELDS`); no item is an ASCII name, an id, a version counter, a hash or a
    form token."""
    english = [
        f"{m._meta.label}.{f.name} ({f.verbose_name})"
        for m in filebook.personal_data_models()
        for f in filebook.item_fields(m)
        if str(f.verbose_name).isascii()
    ]
    assert not english, f"fields without a Japanese name: {english}"
    untitled = [
        m._meta.label
        for m in filebook.personal_data_models()
        if str(m._meta.verbose_name).isascii()
    ]
    assert not untitled, f"record units without a Japanese name: {untitled}"
    for declaration in filebook.FILES:
        for label in declaration.models:
            for item in filebook.recorded_items(apps.get_model(label)):
                assert not re.fullmatch(r"[ -~]+", item), (label, item)
                assert not any(word in item for word in TECHNICAL_WORDS), (label, item)
    for name in ("id", "version", "revision", "submission_key", "sha256", "task_id"):
        assert name in filebook.TECHNICAL_FIELDS


@pytest.mark.django_db
def test_the_items_read_as_a_city_publishes_them(city: Municipality) -> None:
    """Per file, the items a resident would recognise, without the system's bookkeeping."""
    by_name = {e.declaration.name: e for e in filebook.file_register(municipality=city)}
    consent = by_name["本人同意の記録"].items
    assert {"本人", "利用目的", "有効期間（開始）", "撤回日時", "同意を得た職員"} <= set(consent)
    referral = by_name["つなぎ（関係機関への依頼）の記録"].items
    assert {"本人", "つなぐ理由", "依頼先", "状態", "日時"} <= set(referral)
    people = by_name["本人・世帯の記録"]
    assert "ファイルの内容" in people.items  # an import's file holds the people it names
    for bookkeeping in ("行数", "エラーの数", "文字コード", "版"):
        assert bookkeeping not in people.items
    assert all(part.title for entry in by_name.values() for part in entry.parts)


@pytest.mark.django_db
def test_every_field_with_a_japanese_name_is_listed(city: Municipality) -> None:
    entries = filebook.file_register(municipality=city)
    assert [e.declaration.name for e in entries] == [f.name for f in filebook.FILES]
    by_name = {e.declaration.name: e for e in entries}
    consultation = by_name["相談受付記録"]
    assert {"受付日時", "主訴", "相談内容", "対応"} <= set(consultation.items)
    for entry in entries:
        assert entry.items, entry.declaration.name
        for text in (
            entry.declaration.purpose,
            entry.declaration.collection,
            entry.declaration.recipients,
            entry.retention,
        ):
            assert text.strip()


def test_the_page_and_the_csv(city: Municipality, counselor: User) -> None:
    client = client_for(counselor)
    response = client.get(reverse("evaluation:file_register"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "個人情報ファイル簿" in html
    assert city.name in html
    for declaration in filebook.FILES:
        assert declaration.name in html
    # the CSP: no inline style or script (the base page's scripts are files)
    assert not re.search(r"\sstyle=", html)
    assert not re.search(r"<script(?![^>]*\ssrc=)", html)
    response = client.get(reverse("evaluation:file_register"), {"format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert tuple(rows[0]) == filebook.CSV_HEADER
    assert [r[0] for r in rows[1:]] == [f.name for f in filebook.FILES]
    assert "生年月日" in rows[1][3]


@pytest.mark.django_db
def test_the_page_needs_a_sign_in() -> None:
    response = client_for(None).get(reverse("evaluation:file_register"))
    assert response.status_code == 302
