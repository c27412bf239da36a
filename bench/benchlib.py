"""benchlib — what the Python benchmarks (review.py, fcall_ab.py) share: a spare loopback port,
and waiting for a condition with a bound."""
import socket
import time

import redis
import requests


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(pred, secs, what, who):
    """Polls pred until it is true; after secs seconds exits the benchmark saying who waited
    for what. Connection errors while polling count as not yet."""
    end = time.monotonic() + secs
    while time.monotonic() < end:
        try:
            if pred():
                return
        except (OSError, requests.RequestException, redis.RedisError):
            pass
        time.sleep(0.05)
    raise SystemExit("%s%s did not happen" % (who, what))
