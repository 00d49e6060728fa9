"""Lottery draws per second under contention, against a plain UPDATE.

Every draw (``coupons.services.coupon_acquire``) looks up the friend's
ticket, takes a winner's place with one conditional ``UPDATE`` on the
coupon's row (``winners < max_acquire_count``) and inserts the ticket.
This measures draws per second with 1 and 8 threads drawing for different
friends of one lottery coupon (every draw a winning number, so each takes
the gate), against the same number of plain ``UPDATE … SET winners =
winners + 1`` on the same row in the same run, alternating which runs
first, and prints the ratio. At the end the winners are checked against
the maximum: never more, nothing lost.
"""

import statistics
import threading

from bench.common import Timer, bench_database

DRAWS_PER_THREAD = 150
ROUNDS = 3


def _run(threads: int, op) -> float:
    from django.db import connection

    barrier = threading.Barrier(threads)

    def work(index):
        try:
            barrier.wait()
            for i in range(DRAWS_PER_THREAD):
                op(index, i)
        finally:
            connection.close()

    pool = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    with Timer() as t:
        for th in pool:
            th.start()
        for th in pool:
            th.join()
    return threads * DRAWS_PER_THREAD / t.seconds


def main(argv=None) -> None:
    with bench_database():
        from django.db import connection
        from django.utils import timezone

        from accounts.models import Plan, User
        from accounts.services import account_create
        from coupons.models import Coupon, CouponTicket
        from coupons.services import coupon_acquire, coupon_create
        from messaging.friends.models import Friend, LineUser

        admin = User.objects.create(username="bench")
        account = account_create(
            actor=admin, display_name="Bench", plan=Plan.objects.get(code="standard")
        )
        friends_needed = 9 * DRAWS_PER_THREAD * ROUNDS
        users = LineUser.objects.bulk_create(
            LineUser(user_id=f"U{n:032x}", display_name=f"B{n}")
            for n in range(friends_needed)
        )
        friends = Friend.objects.bulk_create(
            Friend(account=account, line_user=u, status=Friend.Status.FOLLOWING)
            for u in users
        )
        now = int(timezone.now().timestamp())
        max_winners = friends_needed - 100  # the last draws find it full
        coupon = coupon_create(
            account=account,
            data={
                "title": "Bench lottery",
                "startTimestamp": now - 60,
                "endTimestamp": now + 3600,
                "timezone": "ASIA_TOKYO",
                "visibility": "UNLISTED",
                "maxUseCountPerTicket": 1,
                "acquisitionCondition": {
                    "type": "lottery",
                    "lotteryProbability": 99,
                    "maxAcquireCount": max_winners,
                },
            },
        )
        connection.close()
        cursor_friend = iter(friends)
        lock = threading.Lock()

        def draw(_thread, _i):
            with lock:
                friend = next(cursor_friend)
            coupon_acquire(coupon=coupon, friend=friend, draw=0.0)

        table = Coupon._meta.db_table

        def plain(_thread, _i):
            with connection.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {table} SET lottery_probability = lottery_probability"
                    " WHERE id = %s",
                    [coupon.pk],
                )

        print(
            f"{DRAWS_PER_THREAD} draws per thread, one lottery coupon's row; "
            f"{ROUNDS} rounds, alternating which runs first"
        )
        for threads in (1, 8):
            ratios, rates = [], []
            for round_ in range(ROUNDS):
                if round_ % 2:
                    drawn = _run(threads, draw)
                    base = _run(threads, plain)
                else:
                    base = _run(threads, plain)
                    drawn = _run(threads, draw)
                ratios.append(drawn / base)
                rates.append((drawn, base))
            ratios.sort()
            drawn_med = statistics.median(r[0] for r in rates)
            base_med = statistics.median(r[1] for r in rates)
            print(
                f"threads={threads}: {drawn_med:,.0f} draws/s vs {base_med:,.0f} "
                f"plain UPDATE/s; ratio median {statistics.median(ratios):.2f} "
                f"(spread {ratios[0]:.2f}–{ratios[-1]:.2f})"
            )
        coupon.refresh_from_db()
        won = CouponTicket.objects.filter(coupon=coupon, won=True).count()
        drawn_total = CouponTicket.objects.filter(coupon=coupon).count()
        assert drawn_total == friends_needed, (drawn_total, friends_needed)
        assert won == coupon.winners == max_winners, (won, coupon.winners)
        print(
            f"{drawn_total:,} draws, {won:,} winners == max {max_winners:,} "
            "(never more, nothing lost)"
        )


if __name__ == "__main__":
    main()
