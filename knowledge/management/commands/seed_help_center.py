"""`manage.py seed_help_center`: the demo help center (knowledge/demo.py). Safe to run again."""

from django.core.management.base import BaseCommand

from knowledge.demo import help_center_seed


class Command(BaseCommand):
    help = "Add the demo help center categories and articles (English, Persian, Arabic) that are missing."

    def handle(self, *args, **options) -> None:
        added = help_center_seed()
        self.stdout.write(self.style.SUCCESS(f"Added {added} help center articles."))
