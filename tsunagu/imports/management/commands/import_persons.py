from tsunagu.imports.management.base import ImportCommand
from tsunagu.imports.models import ImportKind


class Command(ImportCommand):
    help = "本人の CSV を取り込みます: tsunagu import-persons FILE.csv --user USERNAME"
    kind = ImportKind.PERSONS
