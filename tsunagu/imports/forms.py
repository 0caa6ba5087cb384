from __future__ import annotations

from django import forms
from django.core.files.uploadedfile import UploadedFile

from tsunagu.imports.csvfile import size_error
from tsunagu.imports.models import ImportKind


class ImportUploadForm(forms.Form):
    label_suffix = ""

    kind = forms.ChoiceField(
        label="取り込むデータ", choices=ImportKind.choices, widget=forms.RadioSelect
    )
    file = forms.FileField(
        label="CSV ファイル",
        help_text="UTF-8 か Shift_JIS の CSV（10 MB まで）。1 行目は列名（見出し）にします。",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,text/csv"}),
    )

    def clean_file(self) -> UploadedFile[bytes]:
        upload: UploadedFile[bytes] = self.cleaned_data["file"]
        problem = size_error(upload.size or 0)
        if problem:
            raise forms.ValidationError(problem)
        return upload
