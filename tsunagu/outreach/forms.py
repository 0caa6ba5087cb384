"""Forms of アウトリーチ: shape only; the rules live in the services."""

from __future__ import annotations

from django import forms

from tsunagu.consultations.models import Requester, Response, Topic
from tsunagu.core.once import OnceFormMixin
from tsunagu.outreach.models import (
    ActivityKind,
    ContactMethod,
    ContactOutcome,
    NoticeSource,
    Stage,
)

DATE = forms.DateInput(attrs={"type": "date"})


class TargetForm(OnceFormMixin):
    label = forms.CharField(
        label="呼び名",
        max_length=100,
        help_text=(
            "例: 本町三丁目の一人暮らしの高齢男性（氏名などは本人が分かってから本人の記録に）"
        ),
    )
    whereabouts = forms.CharField(label="所在の手がかり", max_length=200, required=False)
    concern = forms.CharField(
        label="気になる様子", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    noticed_on = forms.DateField(label="把握日", widget=DATE)
    source = forms.ChoiceField(label="把握のきっかけ", choices=NoticeSource.choices)
    source_detail = forms.CharField(label="知らせた人・機関", max_length=200, required=False)
    check_in_every_days = forms.IntegerField(
        label="見守りの間隔（日）", required=False, min_value=1, max_value=365
    )


class ContactForm(OnceFormMixin):
    contacted_on = forms.DateField(label="日付", widget=DATE)
    method = forms.ChoiceField(label="方法", choices=ContactMethod.choices)
    outcome = forms.ChoiceField(label="結果", choices=ContactOutcome.choices)
    place = forms.CharField(label="場所", max_length=200, required=False)
    companions = forms.CharField(label="同行者", max_length=200, required=False)
    note = forms.CharField(label="記録", required=False, widget=forms.Textarea(attrs={"rows": 3}))


class StageForm(forms.Form):
    stage = forms.ChoiceField(label="段階", choices=Stage.choices)
    on = forms.DateField(label="日付（終了のとき）", required=False, widget=DATE)
    reason = forms.CharField(label="終了の理由", max_length=200, required=False)


class CheckInForm(forms.Form):
    every_days = forms.IntegerField(
        label="見守りの間隔（日）",
        required=False,
        min_value=1,
        max_value=365,
        help_text="空欄にすると見守りの予定を止めます",
    )
    next_on = forms.DateField(label="次の見守り", required=False, widget=DATE)


class IdentifyForm(forms.Form):
    person = forms.IntegerField(label="本人の記録（番号）", min_value=1)
    case = forms.IntegerField(label="事例（番号）", required=False, min_value=1)


class ActivityForm(OnceFormMixin):
    kind = forms.ChoiceField(label="種別", choices=ActivityKind.choices)
    title = forms.CharField(label="名称", max_length=200)
    held_on = forms.DateField(label="実施日", widget=DATE)
    place = forms.CharField(label="場所・地区", max_length=200, required=False)
    asked_count = forms.IntegerField(label="依頼した数（アンケート）", required=False, min_value=0)
    answered_count = forms.IntegerField(label="回答数", required=False, min_value=0)
    resources_found = forms.IntegerField(
        label="把握した社会資源（マッピング）", required=False, min_value=0
    )
    people_of_concern = forms.IntegerField(
        label="気になる人・世帯の数", required=False, min_value=0
    )
    note = forms.CharField(
        label="内容・所見",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="実施した機関だけが読めます。気になる人は、名前や住所を書かずに"
        "「対象者」として登録してください",
    )


class SessionConsultationForm(OnceFormMixin):
    received_time = forms.TimeField(
        label="受付時刻", widget=forms.TimeInput(attrs={"type": "time"})
    )
    requester = forms.ChoiceField(label="相談者", choices=Requester.choices)
    main_topic = forms.ChoiceField(label="主な相談内容", choices=Topic.choices)
    content = forms.CharField(label="相談の内容", widget=forms.Textarea(attrs={"rows": 3}))
    response = forms.ChoiceField(label="対応", choices=Response.choices)
    anonymous_label = forms.CharField(
        label="呼び名（匿名の相談）", max_length=100, help_text="例: 北町の70代の方"
    )
