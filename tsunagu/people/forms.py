from django import forms
from django.urls import reverse_lazy

from tsunagu.core.once import OnceFormMixin
from tsunagu.people.matching import REVIEW_THRESHOLD
from tsunagu.people.models import ContactMethod, DuplicateRun, Person, Relationship, Sex
from tsunagu.people.services import HouseholdData, PersonData

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class PersonForm(forms.Form):
    family_name = forms.CharField(label="姓", max_length=50, required=False)
    given_name = forms.CharField(label="名", max_length=50, required=False)
    family_name_kana = forms.CharField(label="せい（ふりがな）", max_length=100, required=False)
    given_name_kana = forms.CharField(label="めい（ふりがな）", max_length=100, required=False)
    birth_date = forms.DateField(label="生年月日", required=False, widget=DATE)
    sex = forms.ChoiceField(label="性別", choices=Sex.choices, initial=Sex.UNKNOWN, required=False)
    postal_code = forms.CharField(
        label="郵便番号",
        max_length=8,
        required=False,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "postal-code",
                "inputmode": "numeric",
                # app.js: look the address up and put it in front of what was typed
                "data-postal-lookup": reverse_lazy("people:postal_address"),
                "data-address-field": "id_address",
                "data-status": "address-status",
            }
        ),
    )
    address = forms.CharField(
        label="住所",
        max_length=300,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "street-address"}),
    )
    phone = forms.CharField(
        label="電話番号",
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel"}),
    )
    contact_method = forms.ChoiceField(
        label="希望する連絡方法",
        required=False,
        choices=[("", "（未確認）"), *ContactMethod.choices],
    )
    contact_note = forms.CharField(label="連絡の注意", max_length=300, required=False)
    former_family_names = forms.CharField(
        label="旧姓（あれば、読点で区切る）", max_length=200, required=False
    )
    address_protected = forms.BooleanField(label="住所秘匿（DV等支援措置）の対象", required=False)
    address_protection_until = forms.DateField(
        label="住所秘匿の更新期限", required=False, widget=DATE
    )

    def to_data(self) -> PersonData:
        d = self.cleaned_data
        return PersonData(
            family_name=d["family_name"],
            given_name=d["given_name"],
            family_name_kana=d["family_name_kana"],
            given_name_kana=d["given_name_kana"],
            birth_date=d["birth_date"],
            sex=d["sex"] or Sex.UNKNOWN,
            postal_code=d["postal_code"],
            address=d["address"],
            phone=d["phone"],
            contact_method=d["contact_method"],
            contact_note=d["contact_note"],
            former_family_names=[
                n
                for n in d["former_family_names"].replace("，", "、").replace(",", "、").split("、")
                if n.strip()
            ],
            address_protected=d["address_protected"],
            address_protection_until=d["address_protection_until"],
        )


class PersonCreateForm(OnceFormMixin, PersonForm):
    """A new person: sent twice, it is registered once."""


class SearchForm(forms.Form):
    q = forms.CharField(label="氏名・ふりがな・電話番号・住所", max_length=100, required=False)
    birth_date = forms.DateField(label="生年月日", required=False, widget=DATE)


class HouseholdMemberForm(OnceFormMixin):
    relationship = forms.ChoiceField(label="続柄（世帯主から見て）", choices=Relationship.choices)
    household_name = forms.CharField(label="新しい世帯の呼び名", max_length=100, required=False)


class HouseholdNewMemberForm(OnceFormMixin):
    """A new member registered from the household's page, in one step."""

    family_name = forms.CharField(label="姓", max_length=50, required=False)
    given_name = forms.CharField(label="名", max_length=50, required=False)
    family_name_kana = forms.CharField(label="せい（ふりがな）", max_length=100, required=False)
    given_name_kana = forms.CharField(label="めい（ふりがな）", max_length=100, required=False)
    birth_date = forms.DateField(label="生年月日", required=False, widget=DATE)
    sex = forms.ChoiceField(label="性別", choices=Sex.choices, initial=Sex.UNKNOWN, required=False)
    relationship = forms.ChoiceField(label="続柄（世帯主から見て）", choices=Relationship.choices)
    same_address = forms.BooleanField(label="住所は世帯と同じ", required=False, initial=True)

    def to_data(self, *, address_from: Person) -> PersonData:
        d = self.cleaned_data
        same = d["same_address"]
        return PersonData(
            family_name=d["family_name"],
            given_name=d["given_name"],
            family_name_kana=d["family_name_kana"],
            given_name_kana=d["given_name_kana"],
            birth_date=d["birth_date"],
            sex=d["sex"] or Sex.UNKNOWN,
            postal_code=address_from.postal_code if same else "",
            address=address_from.address if same else "",
        )


class HouseholdForm(forms.Form):
    """A household's own fields; the page carries the household's version (`form_version`)."""

    name = forms.CharField(label="世帯の呼び名", max_length=100, help_text="例: 山田さん世帯")
    address_protected = forms.BooleanField(
        label="住所秘匿（DV等支援措置）の対象",
        required=False,
        help_text="世帯の全員の住所を、他の機関には表示しません",
    )
    address_protection_until = forms.DateField(
        label="住所秘匿の更新期限", required=False, widget=DATE
    )

    def to_data(self) -> HouseholdData:
        d = self.cleaned_data
        return HouseholdData(
            name=d["name"],
            address_protected=d["address_protected"],
            address_protection_until=d["address_protection_until"],
        )


class DuplicateRunForm(OnceFormMixin):
    """Start a find-duplicates over the whole city (its system administrator)."""

    threshold = forms.FloatField(
        label="一致の度合いの下限",
        min_value=0.01,
        max_value=1,
        initial=REVIEW_THRESHOLD,
        help_text="この値以上の組を出力します（既定: 要確認の下限）",
        widget=forms.NumberInput(attrs={"step": "0.01"}),
    )
    tier = forms.ChoiceField(
        label="出力する組", choices=DuplicateRun.Tier.choices, initial=DuplicateRun.Tier.ALL
    )
