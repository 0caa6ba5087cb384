"""HSDS 3.0: every exported service validates against the official schema; the API answers as
the HSDS API reference says; an export imported elsewhere gives the same directory."""

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from tsunagu.accounts.models import Role, User
from tsunagu.accounts.tokens import api_token_create
from tsunagu.organizations.models import Municipality
from tsunagu.resources import selectors
from tsunagu.resources.hsds import HsdsInvalid, hsds_errors, hsds_import, service_document
from tsunagu.resources.models import Category, CommunityResource, Location
from tsunagu.resources.services import ProviderData, ResourceData, provider_create, resource_create
from tsunagu.resources.templatetags.resources import schedule_text

pytestmark = pytest.mark.django_db

# the official compiled schema, next to the repository (../shared/hsds); the vendored single
# object schemas (hsds_schema/) are checked always
COMPILED = Path(__file__).resolve().parents[4] / "shared/hsds/schema/compiled/service.json"


def _compiled_errors(doc: dict[str, Any]) -> list[str]:
    if not COMPILED.exists():
        return []

    validator = _compiled_validator()
    return [e.message for e in validator.iter_errors(doc)]


_VALIDATOR: list[Any] = []


def _compiled_validator() -> Any:
    from jsonschema import Draft202012Validator

    if not _VALIDATOR:
        _VALIDATOR.append(Draft202012Validator(json.loads(COMPILED.read_text("utf-8"))))
    return _VALIDATOR[0]


def _published(municipality: Municipality) -> list[CommunityResource]:
    return list(
        selectors.resource_search(
            resources=selectors.public_resources(municipality=municipality),
            query=selectors.ResourceQuery(),
        ).prefetch_related("contacts")
    )


def test_a_service_validates_and_keeps_private_contacts_out(salon: CommunityResource) -> None:
    [resource] = _published(salon.municipality)
    doc = service_document(resource)
    assert hsds_errors(doc) == []
    assert _compiled_errors(doc) == []
    assert doc["status"] == "active"
    assert doc["organization"]["name"] == "北地区ささえあいの会"
    [sal] = doc["service_at_locations"]
    assert sal["location"]["latitude"] == 36.7
    assert sal["location"]["addresses"][0]["city"] == "南市"
    assert doc["schedules"][0]["freq"] == "WEEKLY" and doc["schedules"][0]["byday"] == "MO,TH"
    assert [c["name"] for c in doc["contacts"]] == ["北地区社協 窓口"]
    assert "山田花子" not in json.dumps(doc, ensure_ascii=False)
    terms = {a["taxonomy_term"]["code"] for a in doc["attributes"]}
    assert terms == {"salon", "elderly", "everyone"}


def test_every_demo_service_of_the_five_cities_validates(db: None) -> None:
    from tsunagu.cityplan.planfile import read_plan_file
    from tsunagu.cityplan.services import plan_load
    from tsunagu.demo.resources import demo_resources

    data = Path(__file__).resolve().parents[2] / "cityplan/data"
    checked = 0
    for slug in ("ise", "imizu", "sanda", "inzai", "toyokawa"):
        municipality = plan_load(plan=read_plan_file(data / f"{slug}.yaml")).municipality
        from conftest import make_user

        org = municipality.organizations.filter(kind="department").first() or (
            municipality.organizations.first()
        )
        assert org is not None
        editor = make_user(municipality, org.code, Role.LIFE_SUPPORT_COORDINATOR, f"{slug}-lsc")
        demo_resources(editor=editor)
        for resource in _published(municipality):
            doc = service_document(resource)
            assert hsds_errors(doc) == [], (slug, resource.name)
            assert _compiled_errors(doc) == [], (slug, resource.name)
            checked += 1
    assert checked >= 25


def _summary(municipality: Municipality) -> list[tuple[Any, ...]]:
    out = []
    for r in _published(municipality):
        out.append(
            (
                r.name,
                r.name_kana,
                r.description,
                r.status,
                tuple(sorted(c.code for c in r.categories.all())),
                tuple(r.audiences),
                tuple(
                    (
                        link.location.name,
                        link.location.address,
                        link.location.latitude,
                        link.location.longitude,
                        link.location.accessibility,
                    )
                    for link in r.resource_locations.all()
                ),
                tuple(sorted(schedule_text(s) + str(s.opens_at) for s in r.schedules.all())),
                tuple(sorted((c.name, c.phone) for c in r.contacts.all() if c.is_public)),
                r.provider.name,
            )
        )
    return out


def test_export_then_import_round_trips(
    salon: CommunityResource, outsider: User, lsc: User, tmp_path: Path
) -> None:
    import datetime as dt

    from tsunagu.resources.services import ScheduleData, schedule_add

    schedule_add(
        user=lsc,
        resource=salon,
        data=ScheduleData(kind="monthly", weekdays=["TU"], week_of_month=-1),
    )
    schedule_add(
        user=lsc,
        resource=salon,
        data=ScheduleData(kind="dates", dates=[dt.date(2030, 5, 10), dt.date(2030, 6, 14)]),
    )
    call_command("export_hsds", str(tmp_path), city="minami")
    files = list(tmp_path.glob("*.json"))
    assert len(files) == 1
    # into another city (北市), published, by its staff
    call_command("import_hsds", str(tmp_path), user=outsider.username, publish=True)
    kita = outsider.organization.municipality  # type: ignore[union-attr]
    assert _summary(kita) == _summary(salon.municipality)
    # the same file again changes nothing
    before = _summary(kita)
    report = hsds_import(
        user=outsider, documents=[json.loads(files[0].read_text("utf-8"))], publish=True
    )
    assert (report.created, report.updated) == (0, 1)
    assert _summary(kita) == before
    assert CommunityResource.objects.filter(municipality=kita).count() == 1


def test_an_invalid_document_writes_nothing(outsider: User) -> None:
    with pytest.raises(HsdsInvalid) as exc:
        hsds_import(user=outsider, documents=[{"name": "x", "status": "open"}])
    assert any("id" in e for e in exc.value.errors)
    assert not CommunityResource.objects.exists()
    assert not Location.objects.exists()


def _api(user: User) -> Client:
    return Client(headers={"Authorization": f"Token {api_token_create(user=user)}"})


def test_the_hsds_api(salon: CommunityResource, hidden: CommunityResource, third: User) -> None:
    client = _api(third)  # any staff member of the city: the published directory
    info = client.get("/api/v1/hsds/").json()
    assert info["version"] == "3.0"
    page = client.get("/api/v1/hsds/services?per_page=10").json()
    assert page["total_items"] == 1 and page["first_page"] and page["last_page"]
    assert [s["name"] for s in page["contents"]] == ["ふれあいサロン髙田"]
    assert client.get("/api/v1/hsds/services?search=さろん").json()["total_items"] == 1
    assert client.get("/api/v1/hsds/services?search=こども食堂").json()["total_items"] == 0
    salon_term = salon.categories.get().hsds_id
    by_term = client.get(f"/api/v1/hsds/services?taxonomy_term_id={salon_term}").json()
    assert by_term["total_items"] == 1
    later = client.get("/api/v1/hsds/services?modified_after=2999-01-01T00:00:00%2B09:00").json()
    assert later["total_items"] == 0
    naive = client.get("/api/v1/hsds/services?modified_after=2000-01-01T00:00:00").json()
    assert naive["total_items"] == 1
    for bad in ("0.5", "2026-13-01T00:00:00", "yesterday"):
        response = client.get(f"/api/v1/hsds/services?modified_after={bad}")
        assert response.status_code == 422, bad
        assert "日時は" in response.json()["detail"]
    one = client.get(f"/api/v1/hsds/services/{salon.hsds_id}")
    assert one.status_code == 200 and hsds_errors(one.json()) == []
    assert client.get(f"/api/v1/hsds/services/{hidden.hsds_id}").status_code == 404
    orgs = client.get("/api/v1/hsds/organizations").json()
    assert [o["name"] for o in orgs["contents"]] == ["北地区ささえあいの会"]
    terms = client.get("/api/v1/hsds/taxonomy_terms?per_page=200").json()
    assert terms["total_items"] >= 16
    assert all(hsds_errors(t, "taxonomy_term") == [] for t in terms["contents"])
    assert client.get("/api/v1/hsds/services?per_page=100000").status_code == 422


def test_the_api_shows_nothing_of_another_city(salon: CommunityResource, outsider: User) -> None:
    client = _api(outsider)
    assert client.get("/api/v1/hsds/services").json()["total_items"] == 0
    assert client.get(f"/api/v1/hsds/services/{salon.hsds_id}").status_code == 404
    assert Client().get("/api/v1/hsds/services").status_code == 401


def test_the_open_data_file(salon: CommunityResource, hidden: CommunityResource) -> None:
    response = Client().get("/map/minami/hsds/services.json")
    docs = response.json()
    assert [d["name"] for d in docs] == ["ふれあいサロン髙田"]
    assert all(hsds_errors(d) == [] for d in docs)


COMPILED_SAL = COMPILED.parent / "service_at_location.json"


def _sal_errors(doc: dict[str, Any]) -> list[str]:
    from jsonschema import Draft202012Validator

    if not COMPILED_SAL.exists():
        return hsds_errors(doc, "service_at_location")
    validator = Draft202012Validator(json.loads(COMPILED_SAL.read_text("utf-8")))
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(doc)]


def test_service_at_locations(
    salon: CommunityResource, hidden: CommunityResource, third: User, outsider: User
) -> None:
    client = _api(third)
    link = salon.resource_locations.get()
    brief = client.get("/api/v1/hsds/service_at_locations").json()
    assert brief["total_items"] == 1 and brief["first_page"] and brief["last_page"]
    item = brief["contents"][0]
    assert item == {
        "id": str(link.hsds_id),
        "service_id": str(salon.hsds_id),
        "location_id": str(link.location.hsds_id),
    }
    assert _sal_errors(item) == [] and hsds_errors(item, "service_at_location") == []
    full = client.get("/api/v1/hsds/service_at_locations?full=true").json()["contents"][0]
    assert _sal_errors(full) == []
    assert full["service"]["name"] == "ふれあいサロン髙田"
    assert full["location"]["latitude"] == 36.7
    assert [s["byday"] for s in full["schedules"]] == ["MO,TH"]
    assert all(s["service_at_location_id"] == str(link.hsds_id) for s in full["schedules"])
    assert "世話役 山田花子" not in json.dumps(full, ensure_ascii=False)  # private contact
    one = client.get(f"/api/v1/hsds/service_at_locations/{link.hsds_id}")
    assert one.status_code == 200 and one.json() == full
    # filters as /services: search, taxonomy term, taxonomy, modified_after
    assert client.get("/api/v1/hsds/service_at_locations?search=さろん").json()["total_items"] == 1
    assert client.get("/api/v1/hsds/service_at_locations?search=食堂").json()["total_items"] == 0
    term = salon.categories.get().hsds_id
    by_term = client.get(f"/api/v1/hsds/service_at_locations?taxonomy_term_id={term}").json()
    assert by_term["total_items"] == 1
    taxonomies = client.get("/api/v1/hsds/taxonomies").json()["contents"]
    for taxonomy in taxonomies:
        got = client.get(f"/api/v1/hsds/service_at_locations?taxonomy_id={taxonomy['id']}").json()
        assert got["total_items"] == 1  # the salon has a kind and audiences
    unknown = client.get(f"/api/v1/hsds/service_at_locations?taxonomy_id={uuid.uuid4()}").json()
    assert unknown["total_items"] == 0
    bad = client.get("/api/v1/hsds/service_at_locations?modified_after=yesterday")
    assert bad.status_code == 422
    assert client.get("/api/v1/hsds/service_at_locations?colour=red").status_code == 422
    assert client.get("/api/v1/hsds/service_at_locations?per_page=100000").status_code == 422
    # the unpublished resource and another city see nothing
    hidden.locations.add(link.location)
    hidden_link = hidden.resource_locations.get()
    assert client.get(f"/api/v1/hsds/service_at_locations/{hidden_link.hsds_id}").status_code == 404
    assert client.get("/api/v1/hsds/service_at_locations").json()["total_items"] == 1
    foreign = _api(outsider)
    assert foreign.get("/api/v1/hsds/service_at_locations").json()["total_items"] == 0
    assert foreign.get(f"/api/v1/hsds/service_at_locations/{link.hsds_id}").status_code == 404
    assert Client().get("/api/v1/hsds/service_at_locations").status_code == 401


def test_taxonomies(third: User) -> None:
    client = _api(third)
    page = client.get("/api/v1/hsds/taxonomies").json()
    assert page["total_items"] == 2
    assert all(hsds_errors(t, "taxonomy") == [] for t in page["contents"])
    ids = {t["id"] for t in page["contents"]}
    terms = client.get("/api/v1/hsds/taxonomy_terms?per_page=200").json()["contents"]
    assert {t["taxonomy_id"] for t in terms} == ids  # every term names its taxonomy
    assert all(hsds_errors(t, "taxonomy_term") == [] for t in terms)
    found = client.get("/api/v1/hsds/taxonomies?search=子ども").json()
    assert [t["name"] for t in found["contents"]] == ["tsunagu-audience"]
    assert client.get("/api/v1/hsds/taxonomies?per_page=1&page=2").json()["contents"][0]["id"]
    one = page["contents"][0]
    assert client.get(f"/api/v1/hsds/taxonomies/{one['id']}").json() == one
    assert client.get(f"/api/v1/hsds/taxonomies/{uuid.uuid4()}").status_code == 404
    assert client.get("/api/v1/hsds/taxonomies/not-a-uuid").status_code in (404, 422)
    assert client.get("/api/v1/hsds/taxonomies?search=" + "あ" * 10_000).status_code == 422
    assert Client().get("/api/v1/hsds/taxonomies").status_code == 401


COMPILED_ORG = COMPILED.parent / "organization.json"


def _org_errors(doc: dict[str, Any]) -> list[str]:
    from jsonschema import Draft202012Validator

    if not COMPILED_ORG.exists():
        return hsds_errors(doc, "organization")
    validator = Draft202012Validator(json.loads(COMPILED_ORG.read_text("utf-8")))
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(doc)]


def test_one_organization(
    salon: CommunityResource, hidden: CommunityResource, third: User, outsider: User
) -> None:
    client = _api(third)
    provider = salon.provider
    assert provider is not None
    url = f"/api/v1/hsds/organizations/{provider.hsds_id}"
    brief = client.get(url)
    assert brief.status_code == 200
    doc = brief.json()
    assert _org_errors(doc) == [] and hsds_errors(doc, "organization") == []
    assert doc["name"] == "北地区ささえあいの会"
    # its published services only (the hidden one of the same provider is not there)
    assert doc["services"] == [
        {
            "id": str(salon.hsds_id),
            "organization_id": str(provider.hsds_id),
            "name": "ふれあいサロン髙田",
            "description": "お茶を飲みながらおしゃべりする集まりです",
            "status": "active",
        }
    ]
    full = client.get(url + "?full_service=true").json()
    assert _org_errors(full) == []
    [service] = full["services"]
    assert service["name"] == "ふれあいサロン髙田" and service["schedules"][0]["byday"] == "MO,TH"
    assert "山田花子" not in json.dumps(full, ensure_ascii=False)  # the staff-only contact
    # the listed organizations each open
    listed = client.get("/api/v1/hsds/organizations").json()["contents"]
    assert [o["id"] for o in listed] == [str(provider.hsds_id)]
    assert client.get(url + "?colour=red").status_code == 422
    assert client.get(url + "?full_service=maybe").status_code == 422
    missing = client.get(f"/api/v1/hsds/organizations/{uuid.uuid4()}")
    assert missing.status_code == 404
    assert client.get("/api/v1/hsds/organizations/not-a-uuid").status_code in (404, 422)
    # a provider with nothing published, and another city: the same 404
    CommunityResource.objects.filter(pk=salon.pk).update(is_public=False)
    unpublished = client.get(url)
    assert unpublished.status_code == 404 and unpublished.content == missing.content
    CommunityResource.objects.filter(pk=salon.pk).update(is_public=True)
    foreign = _api(outsider).get(url)
    assert foreign.status_code == 404 and foreign.content == missing.content
    assert Client().get(url).status_code == 401


def test_one_taxonomy_term(salon: CommunityResource, third: User, outsider: User) -> None:
    client = _api(third)
    terms = client.get("/api/v1/hsds/taxonomy_terms?per_page=200").json()["contents"]
    for term in terms:  # every listed term opens, the same document, valid
        one = client.get(f"/api/v1/hsds/taxonomy_terms/{term['id']}")
        assert one.status_code == 200 and one.json() == term
        assert hsds_errors(one.json(), "taxonomy_term") == []
    salon_term = str(salon.categories.get().hsds_id)
    assert client.get(f"/api/v1/hsds/taxonomy_terms/{salon_term}").json()["code"] == "salon"
    # the vocabulary is the same in every city
    assert _api(outsider).get(f"/api/v1/hsds/taxonomy_terms/{salon_term}").status_code == 200
    assert client.get(f"/api/v1/hsds/taxonomy_terms/{uuid.uuid4()}").status_code == 404
    assert client.get("/api/v1/hsds/taxonomy_terms/not-a-uuid").status_code in (404, 422)
    assert client.get(f"/api/v1/hsds/taxonomy_terms/{salon_term}?x=1").status_code == 422
    assert Client().get(f"/api/v1/hsds/taxonomy_terms/{salon_term}").status_code == 401


def test_the_organizations_reference_parameters(
    salon: CommunityResource, hidden: CommunityResource, lsc: User, third: User
) -> None:
    other = provider_create(user=lsc, data=ProviderData(name="南ﾎﾞﾗﾝﾃｨｱ連絡会"))
    resource_create(
        user=lsc,
        data=ResourceData(
            provider=other,
            name="南の子ども食堂",
            description="毎月の食事会",
            categories=[Category.objects.get(code="salon")],
            is_public=True,
        ),
    )
    client = _api(third)
    both = client.get("/api/v1/hsds/organizations").json()
    assert both["total_items"] == 2 and "services" not in both["contents"][0]
    # search: reading, full/half width and kana forgiven, every word must match
    for query, names in [
        ("ささえあい", ["北地区ささえあいの会"]),
        ("ボランティア", ["南ﾎﾞﾗﾝﾃｨｱ連絡会"]),
        ("ぼらんてぃあ 連絡会", ["南ﾎﾞﾗﾝﾃｨｱ連絡会"]),
        ("ささえあい 連絡会", []),
    ]:
        found = client.get("/api/v1/hsds/organizations", {"search": query}).json()
        assert [o["name"] for o in found["contents"]] == names, query
        assert found["total_items"] == len(names)
    # full: each organization with its published services in brief (the hidden one left out)
    full = client.get("/api/v1/hsds/organizations?search=ささえあい&full=true").json()
    [org] = full["contents"]
    assert _org_errors(org) == [] and hsds_errors(org, "organization") == []
    assert [s["name"] for s in org["services"]] == ["ふれあいサロン髙田"]
    assert set(org["services"][0]) == {"id", "organization_id", "name", "description", "status"}
    # full_service: whole services, each valid as an HSDS service
    whole = client.get("/api/v1/hsds/organizations?full_service=true").json()["contents"]
    assert all(_org_errors(o) == [] for o in whole)
    services = [s for o in whole for s in o["services"]]
    assert sorted(s["name"] for s in services) == ["ふれあいサロン髙田", "南の子ども食堂"]
    assert all(hsds_errors(s) == [] for s in services)
    assert "準備中の居場所" not in json.dumps(whole, ensure_ascii=False)
    # paging applies to the filtered list
    second = client.get("/api/v1/hsds/organizations?per_page=1&page=2").json()
    assert second["total_items"] == 2 and second["size"] == 1 and second["last_page"]
    for bad in ("full=maybe", "full_service=2", "search=" + "あ" * 201, "colour=red"):
        assert client.get("/api/v1/hsds/organizations?" + bad).status_code == 422, bad


def test_the_taxonomy_terms_reference_parameters(salon: CommunityResource, third: User) -> None:
    client = _api(third)
    salon_term = Category.objects.get(code="salon")
    child = Category.objects.create(
        code="salon-tea", name="お茶会", description="サロンのうちお茶会", parent=salon_term
    )
    every = client.get("/api/v1/hsds/taxonomy_terms?per_page=200").json()
    assert all(hsds_errors(t, "taxonomy_term") == [] for t in every["contents"])
    [child_doc] = [t for t in every["contents"] if t["code"] == "salon-tea"]
    assert child_doc["parent_id"] == str(salon_term.hsds_id)
    # parent_id: the children of one term
    children = client.get(f"/api/v1/hsds/taxonomy_terms?parent_id={salon_term.hsds_id}").json()
    assert [t["id"] for t in children["contents"]] == [str(child.hsds_id)]
    # top_only: the terms without a parent
    top = client.get("/api/v1/hsds/taxonomy_terms?top_only=true&per_page=200").json()
    assert top["total_items"] == every["total_items"] - 1
    assert str(child.hsds_id) not in {t["id"] for t in top["contents"]}
    # taxonomy_id: one taxonomy's terms
    taxonomies = {
        t["name"]: t["id"] for t in client.get("/api/v1/hsds/taxonomies").json()["contents"]
    }
    audience = client.get(
        f"/api/v1/hsds/taxonomy_terms?taxonomy_id={taxonomies['tsunagu-audience']}&per_page=200"
    ).json()["contents"]
    assert audience and {t["taxonomy"] for t in audience} == {"tsunagu-audience"}
    kinds = client.get(
        f"/api/v1/hsds/taxonomy_terms?taxonomy_id={taxonomies['tsunagu-community-resources']}&per_page=200"
    ).json()["total_items"]
    assert kinds + len(audience) == every["total_items"]
    unknown = client.get(f"/api/v1/hsds/taxonomy_terms?taxonomy_id={uuid.uuid4()}").json()
    assert unknown["total_items"] == 0 and unknown["empty"]
    # search: name, description or code
    found = client.get("/api/v1/hsds/taxonomy_terms?search=お茶会").json()["contents"]
    assert [t["code"] for t in found] == ["salon-tea"]
    for bad in ("top_only=maybe", "parent_id=salon", "taxonomy_id=1", "search=" + "あ" * 201):
        assert client.get("/api/v1/hsds/taxonomy_terms?" + bad).status_code == 422, bad
