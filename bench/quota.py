"""Quota reservation throughput under contention.

Every counted send takes one conditional UPDATE on the account's month row.
This measures reservations per second with 1 and 8 threads racing on one
account, against the same number of plain ``UPDATE … SET n = n + 1`` on the
same row in the same run (the cheapest possible write to that row), and
prints the ratio. The conditional UPDATE should cost close to the plain one:
the guard is evaluated on the row PostgreSQL has already locked.
"""

import statistics
import threading

from bench.common import Timer, bench_database

OPS_PER_THREAD = 400


ROUNDS = 5


def _run(threads: int, op) -> float:
    from django.db import connection

    barrier = threading.Barrier(threads)

    def work():
        try:
            barrier.wait()
            for _ in range(OPS_PER_THREAD):
                op()
        finally:
            connection.close()

    pool = [threading.Thread(target=work) for _ in range(threads)]
    with Timer() as t:
        for th in pool:
            th.start()
        for th in pool:
            th.join()
    return threads * OPS_PER_THREAD / t.seconds


def main(argv=None) -> None:
    with bench_database():
        from django.db import connection

        from accounts import quota
        from accounts.models import MonthlyUsage, OfficialAccount, Plan, User
        from accounts.services import account_create, account_quota_override_set

        admin = User.objects.create(username="bench")
        account = account_create(
            actor=admin, display_name="Bench", plan=Plan.objects.get(code="standard")
        )
        account_quota_override_set(account=account, actor=None, limit=10**9)
        usage = quota.usage_get(account=account)
        account = OfficialAccount.objects.get(pk=account.pk)
        connection.close()

        def reserve():
            quota.quota_reserve(account=account, count=1)

        table = MonthlyUsage._meta.db_table

        def plain():
            with connection.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {table} SET used = used + 1 WHERE id = %s", [usage.pk]
                )

        print(
            f"{OPS_PER_THREAD} operations per thread, one account's month row; "
            f"{ROUNDS} rounds, alternating which runs first"
        )
        for threads in (1, 8):
            ratios = []
            for round_ in range(ROUNDS):
                # Alternate the order: whichever runs second meets a warmer
                # cache and a busier WAL, which biased single runs ±20 %.
                if round_ % 2:
                    guarded = _run(threads, reserve)
                    base = _run(threads, plain)
                else:
                    base = _run(threads, plain)
                    guarded = _run(threads, reserve)
                ratios.append(guarded / base)
            ratios.sort()
            print(
                f"threads={threads}: quota_reserve / plain UPDATE ratio "
                f"median {statistics.median(ratios):.2f} "
                f"(spread {ratios[0]:.2f}–{ratios[-1]:.2f}, {ROUNDS} rounds)"
            )
        usage.refresh_from_db()
        expected = OPS_PER_THREAD * 9 * ROUNDS
        assert usage.reserved == expected, (usage.reserved, expected)
        print(f"reserved total {usage.reserved:,} == {expected:,} (nothing lost)")


if __name__ == "__main__":
    main()
