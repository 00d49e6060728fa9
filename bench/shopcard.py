"""Shop card point grants per second under 8 concurrent clients.

Each client is one customer scanning a reusable point QR code
(``shopcard.services.points_scan``: lock the card row, read the card's
rewards, append the ledger line, update the balance; a ticket and a
completion line every 50 points). The baseline is the cheapest possible
write to the same rows in the same run: a plain ``UPDATE … SET points =
points + 1`` on each client's card row. Prints both rates and the ratio.
"""

import statistics
import threading

from bench.common import Timer, bench_database

OPS_PER_THREAD = 200
THREADS = 8
ROUNDS = 3


def _run(op) -> float:
    from django.db import connection

    barrier = threading.Barrier(THREADS)

    def work(i):
        try:
            barrier.wait()
            for _ in range(OPS_PER_THREAD):
                op(i)
        finally:
            connection.close()

    pool = [threading.Thread(target=work, args=(i,)) for i in range(THREADS)]
    with Timer() as t:
        for th in pool:
            th.start()
        for th in pool:
            th.join()
    return THREADS * OPS_PER_THREAD / t.seconds


def main(argv=None) -> None:
    with bench_database():
        from django.db import connection

        from accounts.models import Plan, User
        from accounts.services import account_create
        from messaging.friends.models import Friend, LineUser
        from shopcard.models import PointCard, PointEntry
        from shopcard.services import (
            card_publish,
            card_save,
            point_codes_create,
            points_scan,
        )

        admin = User.objects.create(username="bench")
        account = account_create(
            actor=admin, display_name="Bench", plan=Plan.objects.get(code="standard")
        )
        card = card_save(
            account=account,
            actor=admin,
            data={
                "name": "Bench card",
                "goal": 50,
                "validity_basis": "last_use",
                "validity_months": 12,
                "welcome_points": 0,
                "scan_limit": "none",
                "scan_limit_hours": 1,
                "color": "#06c755",
                "stamp_color": "#ffffff",
            },
            rewards=[{"points": 50, "title": "Coffee", "validity_days": 30}],
        )
        card_publish(card=card, actor=admin)
        code = point_codes_create(
            account=account, actor=admin, points=1, single_use=False, valid_days=30
        )[0]
        friends = []
        for i in range(THREADS):
            user = LineUser.objects.create(
                user_id=f"U{i:032x}", display_name=f"Bench {i}"
            )
            friends.append(
                Friend.objects.select_related("account").get(
                    pk=Friend.objects.create(account=account, line_user=user).pk
                )
            )
        for friend in friends:
            points_scan(friend=friend, code=code)
        cards = [PointCard.objects.get(friend=f).pk for f in friends]
        connection.close()

        def grant(i):
            points_scan(friend=friends[i], code=code)

        table = PointCard._meta.db_table

        def plain(i):
            with connection.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {table} SET points = points + 1 WHERE id = %s", [cards[i]]
                )

        print(
            f"{THREADS} clients, {OPS_PER_THREAD} grants each, one card row per "
            f"client; {ROUNDS} rounds, alternating which runs first"
        )
        ratios, rates = [], []
        for round_ in range(ROUNDS):
            if round_ % 2:
                granted = _run(grant)
                base = _run(plain)
            else:
                base = _run(plain)
                granted = _run(grant)
            rates.append((granted, base))
            ratios.append(granted / base)
        ratios.sort()
        grants = statistics.median(r[0] for r in rates)
        plains = statistics.median(r[1] for r in rates)
        print(
            f"points_scan: {grants:,.0f} grants/s; plain UPDATE: {plains:,.0f}/s; "
            f"ratio median {statistics.median(ratios):.2f} "
            f"(spread {ratios[0]:.2f}–{ratios[-1]:.2f}, {ROUNDS} rounds)"
        )
        scans = PointEntry.objects.filter(kind="scan").count()
        expected = THREADS * (1 + OPS_PER_THREAD * ROUNDS)
        assert scans == expected, (scans, expected)
        print(f"ledger scan lines {scans:,} == {expected:,} (nothing lost)")


if __name__ == "__main__":
    main()
