"""Fixtures of the black-box integration suite (see jubao_testlib.py for the classes).

  redis            a private redis-server for the whole test module (.port, .client(), .kill(),
                   .restart(), .stop_process()/.continue_process() for SIGSTOP/SIGCONT)
  redis_factory    redis_factory() -> a fresh private redis-server for one test
  gateway          gateway(env=None, config=None, redis=None, args=(), wait_ready=True) -> a
                   jubao-gateway with its own data dir (jubao-admin init done), rate limits off
                   unless env={"JUBAO_RATE_LIMIT": None}; checked and stopped at teardown
  module_gateway   the same factory as gateway, for gateways shared by a test module
  gw               one default gateway shared by a test module (on the module's redis)

At teardown every gateway gets SIGTERM; the test fails if the process died before teardown or
if its log holds a sanitizer report (AddressSanitizer, runtime error:, LeakSanitizer).
"""

import pytest

from jubao_testlib import ADMIN_BIN, GATEWAY_BIN, Gateway, RedisServer


def pytest_configure(config):
    for b in (GATEWAY_BIN, ADMIN_BIN):
        if not b.exists():
            raise pytest.UsageError("%s is missing: run make (or set JUBAO_BUILD)" % b)


@pytest.fixture(scope="module")
def redis(tmp_path_factory):
    r = RedisServer(tmp_path_factory.mktemp("redis"))
    yield r
    r.close()


@pytest.fixture
def redis_factory(tmp_path_factory):
    made = []

    def make():
        r = RedisServer(tmp_path_factory.mktemp("redis"))
        made.append(r)
        return r
    yield make
    for r in made:
        r.close()


class _Gateways:
    def __init__(self, tmp_path_factory, default_redis):
        self.tmp = tmp_path_factory
        self.default_redis = default_redis
        self.made = []

    def __call__(self, env=None, config=None, redis=None, args=(), wait_ready=True):
        g = Gateway(self.tmp.mktemp("gateway"), redis or self.default_redis, env=env,
                    config=config, args=args, wait_ready=wait_ready)
        self.made.append(g)
        return g

    def finish(self):
        problems = []
        for g in self.made:
            problems += g.teardown_problems()
        if problems:
            pytest.fail("\n".join(problems), pytrace=False)


@pytest.fixture
def gateway(tmp_path_factory, redis):
    gs = _Gateways(tmp_path_factory, redis)
    yield gs
    gs.finish()


@pytest.fixture(scope="module")
def module_gateway(tmp_path_factory, redis):
    gs = _Gateways(tmp_path_factory, redis)
    yield gs
    gs.finish()


@pytest.fixture(scope="module")
def gw(module_gateway):
    return module_gateway()
