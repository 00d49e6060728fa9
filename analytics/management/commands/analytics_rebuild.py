"""``manage.py analytics_rebuild --from 2026-01-01 --to 2026-01-31 [--account @id]``"""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from accounts.models import OfficialAccount
from analytics.rollups import rollup_days


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"not a date (YYYY-MM-DD): {value!r}") from None


class Command(BaseCommand):
    help = "Recompute the daily analytics rollups of a range of local days."

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="first", required=True, type=_date)
        parser.add_argument("--to", dest="last", required=True, type=_date)
        parser.add_argument("--account", help="basic ID such as @abcd1234")

    def handle(self, *args, first, last, account=None, **options):
        if first > last:
            raise CommandError("--from is after --to")
        accounts = OfficialAccount.objects.order_by("id")
        if account:
            accounts = accounts.filter(basic_id=account)
            if not accounts.exists():
                raise CommandError(f"no account {account}")
        days = 0
        for each in accounts:
            days += rollup_days(account=each, first=first, last=last)
        self.stdout.write(f"rolled {days} account-days")
