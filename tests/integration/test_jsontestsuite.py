"""JSONTestSuite: every text a JSON parser must reject is a 400 invalid_json, and the gateway
stays up. body_max is raised so that the parser, not the size limit, meets the two big files."""

import pathlib

import pytest

from jubao_testlib import DATA_DIR, assert_error

FILES = sorted((DATA_DIR / "jsontestsuite").glob("n_*.json"))


def test_corpus_is_present():
    assert len(FILES) == 188, len(FILES)
    assert (DATA_DIR / "jsontestsuite" / "LICENSE").exists()


@pytest.fixture(scope="module")
def big(module_gateway):
    return module_gateway(config="body_max = 1048576\n")


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_rejected(big, path):
    raw = pathlib.Path(path).read_bytes()
    r = big.report(raw)
    assert_error(r, 400, "invalid_json")


def test_still_healthy_after_the_corpus(big):
    assert big.get("/healthz").status_code == 200
    assert big.alive()
    assert big.report().status_code == 202
