"""Households created without a name are named after their head (or first member), as staff
call them (山田さん世帯), instead of a number."""

from django.db import migrations


def name_households(apps, schema_editor):  # type: ignore[no-untyped-def]
    Household = apps.get_model("people", "Household")
    HouseholdMember = apps.get_model("people", "HouseholdMember")
    for household in Household._default_manager.filter(name=""):
        members = HouseholdMember._default_manager.filter(household=household).select_related("person")
        member = members.filter(relationship="head").first() or members.order_by("pk").first()
        if member is None:
            continue
        p = member.person
        name = p.family_name or p.family_name_kana or f"{p.given_name}{p.given_name_kana}"
        if name:
            household.name = f"{name}さん世帯"
            household.save(update_fields=["name"])


class Migration(migrations.Migration):
    dependencies = [("people", "0005_person_anonymised_at")]

    operations = [migrations.RunPython(name_households, migrations.RunPython.noop)]
