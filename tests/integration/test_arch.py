"""make check-arch (deploy/check-arch.py): the tree holds docs/ARCHITECTURE.md's boundaries, and
each kind of violation planted in a copy of the tree is caught, named by file and include."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "deploy" / "check-arch.py"


def check(root):
    p = subprocess.run([sys.executable, str(SCRIPT), str(root)], capture_output=True,
                       text=True, timeout=60)
    return p.returncode, p.stdout + p.stderr


@pytest.fixture
def tree(tmp_path):
    """A copy of the tree's C files and docs/ARCHITECTURE.md."""
    def ignore(d, names):
        return [n for n in names
                if n in (".git", "node_modules", "var") or n.startswith("build")
                or (Path(d, n).is_file() and not n.endswith((".c", ".h"))
                    and n != "ARCHITECTURE.md")]
    dst = tmp_path / "tree"
    shutil.copytree(ROOT, dst, ignore=ignore)
    return dst


def plant(path, line, before=None):
    """Adds line to the file at path: after its first #include, or before the text before."""
    text = path.read_text()
    if before is not None:
        assert before in text, "%s has no %r" % (path, before)
        text = text.replace(before, line + "\n" + before, 1)
    else:
        at = text.index("#include")
        end = text.index("\n", at) + 1
        text = text[:end] + line + "\n" + text[end:]
    path.write_text(text)


def test_the_tree_holds():
    rc, out = check(ROOT)
    assert rc == 0, out
    assert "the boundaries hold" in out


def test_the_copy_holds(tree):
    rc, out = check(tree)
    assert rc == 0, out


@pytest.mark.parametrize("path, include, message", [
    ("gateway/feed.c", '#include "route.h"', "part gateway may not include part workers"),
    ("workers/reaper.c", '#include "http.h"', "part workers may not include part gateway"),
    ("lib/buf.c", '#include "rules.h"', "part lib may not include part rules"),
    ("rules/fold.c", '#include "call.h"', "part rules may not include part gateway"),
    ("lib/log.c", '#include "no_such_header.h"', "no such header in any part"),
])
def test_a_forbidden_arrow_is_named(tree, path, include, message):
    plant(tree / path, include)
    rc, out = check(tree)
    assert rc == 1, out
    line = [l for l in out.splitlines() if include in l]
    assert line and line[0].startswith("check-arch: %s:" % path), out
    assert message in line[0], out


def test_a_second_includer_of_a_third_party_header(tree):
    plant(tree / "gateway/api.c", "#include <hiredis/hiredis.h>")
    rc, out = check(tree)
    assert rc == 1, out
    assert "gateway/api.c:" in out and "<hiredis/hiredis.h>" in out, out
    assert "one includer, lib/store.c" in out, out


def test_an_unlisted_third_party_header(tree):
    plant(tree / "lib/log.c", "#include <yaml.h>")
    rc, out = check(tree)
    assert rc == 1, out
    assert "lib/log.c:" in out and "<yaml.h>" in out and "does not list" in out, out


def test_tests_may_use_a_library_as_an_oracle(tree):
    plant(tree / "tests/unit/test_buf.c", "#include <sodium.h>")
    rc, out = check(tree)
    assert rc == 0, out


def test_an_owner_that_no_longer_includes_its_header(tree):
    p = tree / "lib/text.c"
    p.write_text(p.read_text().replace("#include <utf8proc.h>", ""))
    rc, out = check(tree)
    assert rc == 1, out
    assert "lib/text.c" in out and "<utf8proc.h>" in out and "does not include" in out, out


def test_a_file_of_no_part(tree):
    (tree / "tools").mkdir()
    (tree / "tools/x.c").write_text('#include "buf.h"\n')
    rc, out = check(tree)
    assert rc == 1, out
    assert "tools/x.c: belongs to no part" in out, out


def test_a_new_circle_in_the_gateway(tree):
    # path.c implements path.h; path.h -> cursor.h (path.c includes it), cursor.h -> path.h.
    plant(tree / "gateway/path.c", '#include "cursor.h"')
    plant(tree / "gateway/cursor.h", '#include "path.h"', before="#endif")
    rc, out = check(tree)
    assert rc == 1, out
    assert "headers in a circle: gateway/cursor.h -> gateway/path.h -> gateway/cursor.h" in out, out
    assert "gateway/path.c includes gateway/cursor.h" in out, out


def test_a_known_circle_that_is_gone_must_be_deleted(tree):
    doc = tree / "docs/ARCHITECTURE.md"
    row = "| `gateway/budget.h -> gateway/http.h -> gateway/budget.h` | never |\n"
    text = doc.read_text()
    head = "| known circle | goes when |\n|---|---|\n"
    assert head in text
    doc.write_text(text.replace(head, head + row))
    rc, out = check(tree)
    assert rc == 1, out
    assert "gateway/budget.h -> gateway/http.h -> gateway/budget.h is gone" in out, out


def test_a_document_without_the_table(tree):
    (tree / "docs/ARCHITECTURE.md").write_text("# nothing here\n")
    rc, out = check(tree)
    assert rc == 2, out
    assert "part | folders | may include" in out, out


def test_a_modules_internal_header_is_no_circle(tree):
    # path.c and a second file of the module share path_int.h, which includes path.h.
    (tree / "gateway/path_int.h").write_text('#include "path.h"\n')
    plant(tree / "gateway/path.c", '#include "path_int.h"')
    rc, out = check(tree)
    assert rc == 0, out
