"""The `tsunagu` console command: Django's management commands under one name.

`tsunagu load-plan ise` and `tsunagu load_plan ise` are the same command; hyphens read better
in a shell, underscores are what Python modules allow.
"""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tsunagu.config.settings")
    from django.core.management import execute_from_command_line

    argv = list(sys.argv)
    argv[0] = "tsunagu"
    if len(argv) > 1 and not argv[1].startswith("-"):
        argv[1] = argv[1].replace("-", "_")
    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
