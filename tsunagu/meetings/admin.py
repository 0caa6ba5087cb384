from django.contrib import admin

from tsunagu.core.admin_scope import CityScopedAdmin, CityScopedInline
from tsunagu.meetings.models import MeetingBody, MeetingBodyMember


class MeetingBodyMemberInline(CityScopedInline[MeetingBodyMember, MeetingBody]):
    model = MeetingBodyMember
    extra = 0
    raw_id_fields = ["organization"]


@admin.register(MeetingBody)
class MeetingBodyAdmin(CityScopedAdmin[MeetingBody]):
    list_display = ["name", "kind", "municipality", "parent", "frequency"]
    list_filter = ["kind"]
    search_fields = ["name", "code"]
    inlines = [MeetingBodyMemberInline]
    raw_id_fields = ["secretariat", "parent"]
