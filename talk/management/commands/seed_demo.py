import json

from django.core.management.base import BaseCommand

from talk.demo import demo_seed


class Command(BaseCommand):
    help = "Create or refresh the demo account; print one JSON line of credentials."

    def handle(self, *args, **options):
        self.stdout.write(json.dumps(demo_seed(), ensure_ascii=False))
