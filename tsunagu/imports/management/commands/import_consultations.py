from tsunagu.imports.management.base import ImportCommand
from tsunagu.imports.models import ImportKind


class Command(ImportCommand):
    help = "相談の CSV を取り込みます: tsunagu import-consultations FILE.csv --user USERNAME"
    kind = ImportKind.CONSULTATIONS
