from django.contrib import admin

from tsunagu.access.models import Statute
from tsunagu.core.admin_scope import CityScopedAdmin


@admin.register(Statute)
class StatuteAdmin(CityScopedAdmin[Statute]):
    """The city's own legal bases for sharing without consent (条例・要綱), beside the national
    list that ships with the system."""

    list_display = ["name", "article", "code", "summary", "is_active"]
    search_fields = ["name", "code"]
