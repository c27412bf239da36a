"""jubao-rules eval and classify: what an analyst measures before changing rules or a model.
The table's numbers, the last line that scripts read, classify's one line per row in the
stored form, and clear errors for bad files."""

import re
import subprocess

from jubao_testlib import BUILD, REPO

RULES_BIN = BUILD / "jubao-rules"

RULES = """rule t.casino
category:    gambling
severity:    high
pattern:     百家乐.{0,10}彩金
action:      suggest
description: casino ad
match:       百家乐注册送彩金
nomatch:     警方打掉一个赌场

rule t.brushing
category:    fraud
severity:    medium
pattern:     刷单.{0,10}返利
action:      suggest
description: task scam
match:       兼职刷单日结返利
nomatch:     谨防诈骗
"""

# 3 gambling (2 caught), 2 fraud (1 caught), 3 none (1 false hit: a gambling ad quoted in
# an ordinary message is still suggested).
ROWS = [
    ("g1", "gambling", "百家乐真人，注册就送彩金"),
    ("g2", "gambling", "百家乐首存送彩金，提款秒到"),
    ("g3", "gambling", "今晚足球稳胆推荐，跟单必赢"),
    ("f1", "fraud", "在家兼职刷单，一单一结返利"),
    ("f2", "fraud", "您的快递丢失，客服为您退款，请提供验证码"),
    ("n1", "none", "明天下午三点开会，请准时参加"),
    ("n2", "none", "朋友转来一条：百家乐送彩金，真离谱"),
    ("n3", "none", "今天天气不错，适合散步"),
]


def write(tmp_path, rows=ROWS, header="id\tcategory\tlang\ttext"):
    (tmp_path / "t.rules").write_text(RULES, encoding="utf-8")
    f = tmp_path / "set.tsv"
    lines = [header] + ["\t".join((i, c, "zh", t)) for i, c, t in rows]
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return tmp_path / "t.rules", f


def run(*args, stdin=None):
    return subprocess.run([str(RULES_BIN), *map(str, args)], input=stdin, capture_output=True,
                          text=True, timeout=60)


def test_eval_counts_recall_precision_and_false_hits(tmp_path):
    rules, data = write(tmp_path)
    p = run("eval", "--rules", rules, "--show", "10", data)
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    # Macro recall over the two categories present: (2/3 + 1/2) / 2; 1 of 3 benign texts hit.
    assert lines[-1] == "macro_recall=0.5833 none_false_hits=0.3333 cases=8"
    row = {}
    for l in lines[:lines.index(next(l for l in lines if l.startswith("confusion")))]:
        if re.match(r"^(gambling|fraud|none) ", l):
            row[l.split()[0]] = l.split()
    # category texts found suggested precision recall f1
    assert row["gambling"][1:6] == ["3", "2", "3", "0.667", "0.667"]
    assert row["fraud"][1:6] == ["2", "1", "1", "1.000", "0.500"]
    assert "false hits 33.33%" in " ".join(row["none"])
    # The confusion matrix counts each text once by its strongest suggestion.
    conf = lines[lines.index(next(l for l in lines if l.startswith("confusion"))) + 2:]
    grow = next(l for l in conf if l.startswith("gambling")).split()
    assert sum(map(int, grow[1:])) == 3
    # Misses and false hits are listed with their ids, suggestions and an excerpt.
    text = p.stdout
    assert re.search(r"misses \(2; the 2 worst\):\n(  .*\n){2}", text)
    assert re.search(r"^  g3\tgambling\t-\t今晚足球", text, re.M)
    assert re.search(r"^  n2\tnone\tgambling:0\.90\t朋友转来", text, re.M)


def test_classify_prints_what_would_be_stored(tmp_path):
    rules, data = write(tmp_path)
    p = run("classify", "--rules", rules, stdin=data.read_text(encoding="utf-8"))
    assert p.returncode == 0, p.stderr
    out = dict(l.split("\t") for l in p.stdout.splitlines())
    assert list(out) == [r[0] for r in ROWS]
    assert out["g1"] == "gambling:0.90"       # a high-severity rule scores 0.90
    assert out["f1"] == "fraud:0.75"          # medium: 0.75
    assert out["g3"] == "" and out["n1"] == ""
    # Rows without a category column are accepted too.
    two = "\n".join(f"{i}\t{t}" for i, _, t in ROWS) + "\n"
    p = run("classify", "--rules", rules, stdin=two)
    assert p.returncode == 0, p.stderr
    assert dict(l.split("\t") for l in p.stdout.splitlines())["g2"] == "gambling:0.90"


def test_bad_files_get_clear_errors(tmp_path):
    rules, data = write(tmp_path, rows=ROWS[:2] + [("x", "spam", "text")])
    p = run("eval", "--rules", rules, data)
    assert p.returncode == 1
    assert f"{data}:4: unknown category \"spam\"" in p.stderr
    short = tmp_path / "short.tsv"
    short.write_text("id\tcategory\tlang\ttext\na\tgambling\n", encoding="utf-8")
    p = run("eval", "--rules", rules, short)
    assert p.returncode == 1 and f"{short}:2: expected 4 tab-separated columns" in p.stderr
    bad = tmp_path / "bad.tsv"
    bad.write_bytes(b"a\tnone\tzh\t\xff\xfe\n")
    p = run("eval", "--rules", rules, bad)
    assert p.returncode == 1 and "not valid UTF-8" in p.stderr
    p = run("eval", "--rules", rules, tmp_path / "missing.tsv")
    assert p.returncode == 1 and "No such file" in p.stderr
    assert run("eval", "--rules", rules).returncode == 2
    p = run("eval", "--rules", tmp_path / "none.rules", data)
    assert p.returncode == 1


# What reporters write: they name the thing and what it carries, rarely quoting it. The shipped
# packs must read that (the issue's own example fired nothing before), and must not read news,
# warnings or questions about the same harm as a report of it.
STATEMENTS = [
    ("s1", "这个网站提供网络赌博", "gambling"),
    ("s2", "該賬號發佈淫穢視頻，請處理", "pornography"),
    ("s3", "这个平台是个杀猪盘，专门骗钱", "fraud"),
    ("s4", "这个博主造谣说明天全市停水", "rumor"),
    ("s5", "这个群在传播暴恐视频", "violence_terrorism"),
    ("s6", "这个公众号在宣传邪教", "cult_superstition"),
    ("s7", "这个用户在帖子里辱骂和诽谤我", "defamation"),
    ("s8", "这个账号在出售公民个人信息", "privacy_violation"),
    ("s9", "this site is a phishing page that steals passwords", "hacking"),
    ("s10", "这个群在传播儿童色情", "minors"),
    ("s11", "this website sells counterfeit watches", "ip_infringement"),
    ("s12", "这个平台涉嫌非法集资", "financial_crime"),
]
ASIDES = [
    ("n1", "警方破获一个网络赌博网站，抓获犯罪嫌疑人五名"),
    ("n2", "帮我看看这个链接是不是钓鱼网站？"),
    ("n3", "版权局开展专项行动，关闭一批提供盗版影视资源的网站"),
    ("n4", "这个网站很好用，推荐给大家"),
    # Technical text is not an attack or a casino: licences, file lists, prompts, placeholders.
    ("t1", "This program is free software; you can redistribute it and/or modify it under the "
           "terms of the GNU General Public License. It comes without any warranty. The "
           "software, the source code, the server scripts and tools are provided as is; "
           "security vulnerabilities and exploits of the code are reported upstream."),
    ("t2", "Files: src/utils.cc src/conversions.cc src/shell.cc Copyright: 2020 Example Authors "
           "License: BSD-3-clause"),
    ("t3", "真的要移除此用户标识吗？(y/N)"),
    ("t4", "%P%F：不支持 -pie"),
]


def test_shipped_packs_read_what_reporters_write():
    packs = REPO / "rules" / "packs"
    rows = [(i, t) for i, t, _ in STATEMENTS] + ASIDES
    p = run("classify", "--rules", packs, stdin="".join(f"{i}\t{t}\n" for i, t in rows))
    assert p.returncode == 0, p.stderr
    got = {i: s for i, s in (l.split("\t") for l in p.stdout.splitlines())}
    for i, _, cat in STATEMENTS:
        assert cat in [x.split(":")[0] for x in got[i].split(",") if x], (i, got[i])
    for i, _ in ASIDES:
        assert got[i] == "", (i, got[i])
