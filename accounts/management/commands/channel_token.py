from django.core.management.base import BaseCommand, CommandError

from accounts.models import OfficialAccount
from accounts.services import channel_token_issue


class Command(BaseCommand):
    help = "Issue a long-lived channel access token and print it."

    def add_arguments(self, parser):
        parser.add_argument("basic_id", help="e.g. @abcd1234 (the @ is optional)")
        parser.add_argument("--label", default="issued by manage.py")

    def handle(self, *args, basic_id, label, **options):
        basic_id = basic_id if basic_id.startswith("@") else "@" + basic_id
        account = OfficialAccount.objects.filter(basic_id=basic_id).first()
        if account is None:
            raise CommandError(f"No account with basic ID {basic_id}.")
        _record, token = channel_token_issue(account=account, actor=None, label=label)
        self.stdout.write(token)
