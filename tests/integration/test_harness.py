"""The fixtures themselves: a sanitizer report or a dead gateway must fail the test."""

import signal

from jubao_testlib import Gateway


def test_teardown_catches_sanitizer_reports(tmp_path, redis):
    for name, line in (("AddressSanitizer", "==1==ERROR: AddressSanitizer: heap-use-after-free"),
                       ("runtime error:", "api.c:12:3: runtime error: signed integer overflow"),
                       ("LeakSanitizer", "==1==ERROR: LeakSanitizer: detected memory leaks")):
        g = Gateway(tmp_path / name.replace(" ", "").replace(":", ""), redis)
        with open(g.log_path, "ab") as f:
            f.write(line.encode() + b"\n")
        problems = g.teardown_problems()
        assert "gateway log contains %r" % name in problems, problems


def test_teardown_catches_a_dead_gateway(tmp_path, redis):
    g = Gateway(tmp_path / "g", redis)
    g.proc.send_signal(signal.SIGKILL)
    g.proc.wait(5)
    problems = g.teardown_problems()
    assert any("died" in p for p in problems), problems


def test_teardown_clean_gateway_has_no_problems(tmp_path, redis):
    g = Gateway(tmp_path / "g", redis)
    assert g.report().status_code == 202
    assert g.teardown_problems() == []
