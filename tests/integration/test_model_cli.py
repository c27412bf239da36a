"""jubao-rules train: a model trained on the repository's small labelled set (tests/data/triage)
with the shipped packs, its thresholds printed, and what it adds when eval runs it beside the
rules; usage errors, bad files, and a damaged model file refused with a message."""

import re
import subprocess

from jubao_testlib import BUILD, REPO

RULES_BIN = BUILD / "jubao-rules"
DATA = REPO / "tests" / "data" / "triage"
PACKS = REPO / "rules" / "packs"
LAST = re.compile(r"^macro_recall=([0-9.]+) none_false_hits=([0-9.]+) cases=(\d+)$")


def run(*args, timeout=60):
    return subprocess.run([str(RULES_BIN), *map(str, args)], capture_output=True, text=True,
                          timeout=timeout)


def last_line(out):
    m = LAST.match(out.strip().splitlines()[-1])
    assert m, out
    return float(m.group(1)), float(m.group(2))


def test_train_then_eval_finds_more_than_the_rules(tmp_path):
    model = tmp_path / "m.bin"
    p = run("train", "-o", model, "--rules", PACKS, "--seed", "3", DATA / "written_train.tsv",
            timeout=300)
    assert p.returncode == 0, p.stderr
    for cat in ("gambling", "fraud", "rumor", "minors"):
        assert re.search(rf"^{cat}\s+16\s+[01]\.\d{{3}}\s", p.stdout, re.M), p.stdout
    assert re.search(r"^none\s+112\s+false hits 0\.\d{3}$", p.stdout, re.M), p.stdout
    assert re.search(r"^model \S+Z n=320 written to ", p.stdout, re.M), p.stdout
    assert model.stat().st_size > 1000

    rules_only = run("eval", "--rules", PACKS, DATA / "written_dev.tsv")
    both = run("eval", "--rules", PACKS, "--model", model, DATA / "written_dev.tsv")
    assert rules_only.returncode == 0 and both.returncode == 0, both.stderr
    r0, _ = last_line(rules_only.stdout)
    r1, f1 = last_line(both.stdout)
    assert r1 >= r0 + 0.05, (r0, r1)
    assert f1 <= 0.06, f1


def test_train_usage_errors(tmp_path):
    assert run("train", DATA / "written_train.tsv").returncode == 2              # no -o
    assert run("train", "-o", tmp_path / "m").returncode == 2            # no file
    assert run("train", "-o", tmp_path / "m", "--c", "-1", DATA / "written_train.tsv").returncode == 2
    assert run("train", "-o", tmp_path / "m", "--precision", "2",
               DATA / "written_train.tsv").returncode == 2


def test_train_refuses_bad_files(tmp_path):
    bad = tmp_path / "bad.tsv"
    bad.write_text("id\tcategory\tlang\ttext\n1\tspam\ten\thello there\n", encoding="utf-8")
    p = run("train", "-o", tmp_path / "m", bad)
    assert p.returncode == 1 and "bad.tsv:2" in p.stderr, p.stderr
    few = tmp_path / "few.tsv"
    few.write_text("id\tcategory\tlang\ttext\n1\tnone\ten\thello there\n", encoding="utf-8")
    p = run("train", "-o", tmp_path / "m", few)
    assert p.returncode == 1 and "too few examples" in p.stderr, p.stderr
    assert not (tmp_path / "m").exists()


def test_eval_refuses_a_damaged_model(tmp_path):
    model = tmp_path / "m.bin"
    assert run("train", "-o", model, DATA / "written_train.tsv", timeout=300).returncode == 0
    data = model.read_bytes()
    model.write_bytes(data[: len(data) // 2])
    p = run("eval", "--rules", PACKS, "--model", model, DATA / "written_dev.tsv")
    assert p.returncode != 0 and "checksum" in p.stderr, p.stderr
    model.write_bytes(b"not a model at all")
    p = run("eval", "--rules", PACKS, "--model", model, DATA / "written_dev.tsv")
    assert p.returncode != 0 and "not a jubao model" in p.stderr, p.stderr
