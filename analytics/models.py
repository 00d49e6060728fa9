"""Daily rollups per account, in the account's time zone (issue 12).

Each table holds one row per account and local day (and kind, where it has
one), filled by ``analytics.rollups`` from the live tables. A rollup of a
day replaces that day's rows, so re-running it changes nothing and a
backfill (``manage.py analytics_rebuild``) is the same code.
"""

from django.db import models

from accounts.models import OfficialAccount


class DailyFriends(models.Model):
    """Friend movements of one local day and the totals at its end.

    ``following``/``blocked`` at the end of the day are reconstructed from
    each friend's first-add, latest block and latest unblock times, so a
    friend who blocked and unblocked several times in one day counts by
    their latest state (the same simplification LINE's Insight makes:
    totals, not a log).
    """

    account = models.ForeignKey(OfficialAccount, on_delete=models.CASCADE)
    day = models.DateField()
    added = models.PositiveIntegerField(default=0)
    blocked = models.PositiveIntegerField(default=0)
    unblocked = models.PositiveIntegerField(default=0)
    following = models.PositiveIntegerField(default=0)
    blocked_total = models.PositiveIntegerField(default=0)
    # Following friends whose gender, age and region are known: the ones a
    # targeted (attribute) message can reach (LINE's "targeted reaches").
    target_reach = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "day"], name="daily_friends_one_per_day"
            )
        ]
        ordering = ["account_id", "day"]

    def __str__(self) -> str:
        return f"{self.account_id} {self.day}: {self.following} following"


class DailyFriendSource(models.Model):
    """Friends added on one local day per acquisition source (0 = direct)."""

    account = models.ForeignKey(OfficialAccount, on_delete=models.CASCADE)
    day = models.DateField()
    source_id = models.BigIntegerField(default=0)
    source_name = models.CharField(max_length=100, blank=True)
    added = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "day", "source_id"],
                name="daily_source_one_per_day",
            )
        ]
        ordering = ["account_id", "day", "source_id"]

    def __str__(self) -> str:
        return f"{self.account_id} {self.day} source {self.source_id}: +{self.added}"


class DailyMessages(models.Model):
    """Messages the account sent on one local day, per kind (``source``).

    ``bubbles`` counts message objects; ``deliveries`` counts one per
    recipient per send, the unit LINE bills and its Insight reports;
    ``counted`` is the part of ``deliveries`` that uses quota (spec:
    message counting).
    """

    account = models.ForeignKey(OfficialAccount, on_delete=models.CASCADE)
    day = models.DateField()
    source = models.CharField(max_length=16)
    bubbles = models.PositiveIntegerField(default=0)
    deliveries = models.PositiveIntegerField(default=0)
    counted = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "day", "source"],
                name="daily_messages_one_per_kind",
            )
        ]
        ordering = ["account_id", "day", "source"]

    def __str__(self) -> str:
        return f"{self.account_id} {self.day} {self.source}: {self.deliveries}"


class DailyChat(models.Model):
    """Chat work of one local day: conversations started, answers given."""

    account = models.ForeignKey(OfficialAccount, on_delete=models.CASCADE)
    day = models.DateField()
    started = models.PositiveIntegerField(default=0)
    customer_messages = models.PositiveIntegerField(default=0)
    responses = models.PositiveIntegerField(default=0)
    response_p50_seconds = models.PositiveIntegerField(null=True, blank=True)
    response_p90_seconds = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "day"], name="daily_chat_one_per_day"
            )
        ]
        ordering = ["account_id", "day"]

    def __str__(self) -> str:
        return f"{self.account_id} {self.day}: {self.started} started"


class RollupCursor(models.Model):
    """How far the beat task has rolled each account: every local day up to
    and including ``through`` is final."""

    account = models.OneToOneField(OfficialAccount, on_delete=models.CASCADE)
    through = models.DateField()
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.account_id} rolled through {self.through}"


class DemographicSnapshot(models.Model):
    """Friends' attribute shares of one account, as of ``computed_at``.

    Refreshed by the rollup task (at most every ``SNAPSHOT_MAX_AGE``), read
    by the dashboard and ``GET /v2/bot/insight/demographic``: at a million
    friends the breakdown costs seconds, which a page view must not pay
    (LINE's own demographics are a daily figure too). ``dashboard`` is the
    dashboard's shape (``analytics.selectors.demographics``), ``insight``
    LINE's (``analytics.insight.demographics``); either is None below the
    privacy threshold.
    """

    account = models.OneToOneField(OfficialAccount, on_delete=models.CASCADE)
    computed_at = models.DateTimeField()
    dashboard = models.JSONField(null=True)
    insight = models.JSONField()

    def __str__(self) -> str:
        return f"{self.account_id} demographics at {self.computed_at:%Y-%m-%d %H:%M}"
