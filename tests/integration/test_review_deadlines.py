"""Review deadlines (issue 13, "Review that keeps time"; docs/API.md, "Review"): each queued case
has a deadline, its queueing plus its band's review_deadline_band<N>; a claim takes the case
with the earliest deadline first, across the bands, the ended leases and the shards; the claim
answers deadline_at and seconds_left; /metrics counts the cases past their deadline by queue.

The deadlines here are tiny for band 0 (two seconds) and an hour for the others, so that a
lower band's older case comes before a higher band's newer one, which the order by band alone
(before deadlines) would not give."""

import time

from jubao_keys import shard_of_id
from jubao_testlib import Reviewer, metric_sum, start_stack, wait_until
from test_review import claimed, file_reports, iso_seconds

TINY = 2                    # seconds of band 0 here
CONFIG = ("review_deadline_band0 = %d\nreview_deadline_band1 = 3600\n"
          "review_deadline_band2 = 3600\nreview_deadline_band3 = 3600\n" % TINY)


def file_plain(g, r, tag):
    """A case of band 0 (nothing urgent, no rule hit), queued."""
    return file_reports(g, r, 1, tag, category="other",
                        description="nothing special about this page")[0]


def file_urgent(g, r, tag):
    """A case of band 3 (an urgent category), queued."""
    return file_reports(g, r, 1, tag, category="minors")[0]


def overdue(g):
    return g.metrics().get('jubao_review_overdue{queue="default"}')


def test_a_lower_bands_earlier_deadline_comes_first(redis_factory, gateway, worker):
    r, g, _ = start_stack(redis_factory, gateway, worker, config=CONFIG)
    plain = file_plain(g, r, "dl-plain")
    urgent = file_urgent(g, r, "dl-urgent")
    a = Reviewer(g)
    first = claimed(a.claim())
    assert (first["case"], first["priority"]) == (plain["case"], 0), first
    # its deadline: its queueing plus two seconds, and the seconds left by the same clock
    deadline = iso_seconds(first["deadline_at"])
    assert abs(deadline - time.time()) <= TINY + 3, first
    assert isinstance(first["seconds_left"], int) and -3 <= first["seconds_left"] <= TINY, first
    second = claimed(a.claim())
    assert (second["case"], second["priority"]) == (urgent["case"], 3), second
    assert 3500 <= second["seconds_left"] <= 3600, second
    assert abs(iso_seconds(second["deadline_at"]) - (time.time() + 3600)) <= 10, second
    assert a.claim().status_code == 204


def test_seconds_left_go_negative_and_metrics_count_the_overdue(redis_factory, gateway, worker):
    r, g, _ = start_stack(redis_factory, gateway, worker, config=CONFIG)
    assert overdue(g) == 0
    plain = file_plain(g, r, "dl-late")
    file_urgent(g, r, "dl-ontime")
    # band 0's case passes its deadline (leased or not, it is counted); band 3's does not
    wait_until(lambda: overdue(g) == 1, TINY + 10, interval=0.2, what="one case overdue")
    time.sleep(1.1)
    a = Reviewer(g)
    late = claimed(a.claim())
    assert late["case"] == plain["case"] and late["seconds_left"] <= -1, late
    assert iso_seconds(late["deadline_at"]) < time.time(), late
    assert overdue(g) == 1
    assert a.decide(late["case"], "no_violation").status_code == 200
    assert overdue(g) == 0
    assert metric_sum(g.metrics(), "jubao_review_overdue") == 0


def test_an_ended_lease_waits_its_deadline_turn(redis_factory, gateway, worker):
    """A released case goes back in its place by deadline, not ahead of every other case."""
    r, g, _ = start_stack(redis_factory, gateway, worker, config=CONFIG)
    urgent = file_urgent(g, r, "dl-released")
    a, b = Reviewer(g), Reviewer(g)
    assert claimed(a.claim())["case"] == urgent["case"]
    plain = file_plain(g, r, "dl-waiting")
    assert a.release(urgent["case"]).status_code == 204
    got = claimed(b.claim())
    assert got["case"] == plain["case"], got
    again = claimed(b.claim())
    assert again["case"] == urgent["case"] and again["seconds_left"] > 3500, again


def test_deadline_order_across_shards(redis_factory, gateway, worker):
    """With four shards (on the cluster too, JUBAO_TEST_REDIS=cluster), the peeks of the shards
    compare deadlines: band 0's cases, newer, in other shards, before the band 3 case."""
    shards = 4
    r, g, _ = start_stack(redis_factory, gateway, worker,
                          config=CONFIG + "redis_shards = %d\n" % shards)
    urgent = file_urgent(g, r, "dl-shard-urgent")
    plains = [file_plain(g, r, "dl-shard-plain")]
    while shard_of_id(plains[-1]["case"], shards) == shard_of_id(urgent["case"], shards):
        plains.append(file_plain(g, r, "dl-shard-plain"))
    a = Reviewer(g)
    got = [claimed(a.claim()) for _ in range(len(plains) + 1)]
    assert [c["case"] for c in got] == [p["case"] for p in plains] + [urgent["case"]], got
    assert a.claim().status_code == 204
