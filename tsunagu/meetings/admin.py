from django.contrib import admin

from tsunagu.meetings.models import MeetingBody, MeetingBodyMember


class MeetingBodyMemberInline(admin.TabularInline[MeetingBodyMember, MeetingBody]):
    model = MeetingBodyMember
    extra = 0
    raw_id_fields = ["organization"]


@admin.register(MeetingBody)
class MeetingBodyAdmin(admin.ModelAdmin[MeetingBody]):
    list_display = ["name", "kind", "municipality", "parent", "frequency"]
    list_filter = ["municipality", "kind"]
    search_fields = ["name", "code"]
    inlines = [MeetingBodyMemberInline]
    raw_id_fields = ["secretariat", "parent"]
