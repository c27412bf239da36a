"""Workers on several hosts share the intake's consumer group (issue 12): each worker process's
consumers have names of their own (<host>/<pid of the supervisor>/<consumer-1, reaper>), so two
workers never read, claim or count deliveries under one name; and the names of a worker that
stopped are forgotten once the reaper took over what they held (workers/reaper.c)."""

import socket

from jubao_testlib import unique_url, wait_queued, wait_until

CONFIG = "worker_consumers = 2\nworker_idle_ms = 300\n"


def group_consumers(r):
    """{name: pending} of every consumer in the workers' group, over every intake stream."""
    c = r.client()
    out = {}
    for key in c.scan_iter(match="jb:*intake", count=1000):
        try:
            for x in c.xinfo_consumers(key, "workers"):
                out[x["name"]] = out.get(x["name"], 0) + x["pending"]
        except Exception as e:          # a stream without the group yet
            if "NOGROUP" not in str(e):
                raise
    return out


def test_two_workers_on_one_host_have_their_own_consumer_names_and_stopped_ones_are_forgotten(
        redis, gateway, worker):
    g = gateway(config=CONFIG)
    host = socket.gethostname()

    def names_of(w):
        return {n for n in group_consumers(redis) if n.split("/")[:2] == [host, str(w.pid)]}

    def post(n, tag):
        cases = set()
        for i in range(n):
            x = g.report({"url": unique_url("%s-%d" % (tag, i)), "category": "fraud"})
            assert x.status_code == 202, x.text
            cases.add(x.json()["case"])
        wait_queued(redis, cases, timeout=15)

    # Redis names a consumer when it first gets an entry: a reads the first reports alone
    a = worker(g)
    post(10, "names-a")
    wait_until(lambda: names_of(a), 10, what="worker a's consumer names")
    # b starts beside a; then a stops for good and b reads the next ones
    b = worker(g)
    a.stop()
    post(10, "names-b")
    wait_until(lambda: names_of(b), 10, what="worker b's consumer names")
    assert names_of(a).isdisjoint(names_of(b))
    assert all(n.split("/")[2] in ("consumer-1", "consumer-2", "reaper")
               for n in names_of(a) | names_of(b)), group_consumers(redis)

    # a's names go once they hold nothing and have not read for a while; b's stay
    gone, kept = names_of(a), names_of(b)
    wait_until(lambda: not gone & set(group_consumers(redis)), 30,
               what="the stopped worker's consumer names forgotten")
    assert kept <= set(group_consumers(redis)), (kept, group_consumers(redis))
    assert sum(group_consumers(redis).values()) == 0
