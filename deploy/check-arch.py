#!/usr/bin/python3
"""check-arch — the boundaries of docs/ARCHITECTURE.md, checked on every #include of the C code.

    deploy/check-arch.py [ROOT]     (make check-arch; ROOT: the repository, by default this one)

It reads three tables of docs/ARCHITECTURE.md: "part | folders | may include" (the arrows),
"library | header | owner" (each third-party header and the one file that includes it) and
"known circle | goes when" (circles not yet broken). Then it reads every #include of the .c and
.h files under ROOT and fails, naming file, line and include, when:
  - a file belongs to no part of the table;
  - a quoted include names a header of a part its own part may not include (or of none);
  - a third-party header (any <...> header that is not the C or POSIX system library: SYSTEM
    below) is not in the library table, is included by another file than its owner, or an
    owner in the table includes it no longer. Parts whose "may include" lists "third-party"
    (the tests, which use libraries as oracles and to forge inputs) may include any;
  - headers of the gateway (CIRCLE_PARTS) depend on each other in a circle that is not a
    known one: h1 -> h2 when h1 includes h2, or a .c file that implements h1 (it is named like
    h1, or defines a function h1 declares) includes h2; or a known circle is gone (delete its
    row, so that it cannot come back unnoticed). A module's internal header (x_int.h) counts
    as the module's own (x.h).
Exit status 0 when the tree holds, 1 with one line per violation on stderr, 2 when the table
cannot be read. Standard library only.
"""
import os
import re
import sys

DOC = "docs/ARCHITECTURE.md"
SKIP_DIRS = {".git", "node_modules", "var"}     # and every build* folder
# Parts whose headers may not depend on each other in a circle. Elsewhere a module split into
# files shares an internal header with it (rules_int.h, url_internal.h): a circle by design.
CIRCLE_PARTS = {"gateway"}

# The C17 library, POSIX and the few Linux/glibc headers that come with libc6-dev: headers in
# <...> that are not third-party.
SYSTEM = set("""
assert.h complex.h ctype.h errno.h fenv.h float.h inttypes.h iso646.h limits.h locale.h math.h
setjmp.h signal.h stdalign.h stdarg.h stdatomic.h stdbool.h stddef.h stdint.h stdio.h stdlib.h
stdnoreturn.h string.h tgmath.h threads.h time.h uchar.h wchar.h wctype.h
aio.h arpa/inet.h cpio.h dirent.h dlfcn.h fcntl.h fnmatch.h glob.h grp.h iconv.h langinfo.h
libgen.h monetary.h mqueue.h net/if.h netdb.h netinet/in.h netinet/tcp.h nl_types.h poll.h
pthread.h pwd.h regex.h sched.h search.h semaphore.h spawn.h strings.h sys/ipc.h sys/mman.h
sys/msg.h sys/resource.h sys/select.h sys/sem.h sys/shm.h sys/socket.h sys/stat.h
sys/statvfs.h sys/time.h sys/times.h sys/types.h sys/uio.h sys/un.h sys/utsname.h sys/wait.h
syslog.h termios.h ulimit.h unistd.h utime.h utmpx.h wordexp.h
malloc.h sys/prctl.h sys/epoll.h sys/random.h sys/syscall.h sys/sysinfo.h endian.h
""".split())

INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')
# A function definition at the start of a line, not static: its name.
DEFINITION = re.compile(r'^(?!static\b)[A-Za-z_][\w \t*]*?\b(\w+)\s*\([^;{}]*\)\s*\{', re.M)
DECLARED = re.compile(r'\b(\w+)\s*\(')


class Arch(Exception):
    pass


def table(text, header):
    """The rows (lists of cells) of the markdown table whose header row is `header`."""
    want = [h.strip() for h in header.split("|")]
    rows, inside = [], False
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not line.lstrip().startswith("|"):
            if inside:
                break
            continue
        if not inside:
            inside = [c.lower() for c in cells] == want
            continue
        if not set("".join(cells)) <= set("-: "):
            rows.append(cells)
    if not inside:
        raise Arch("%s: no table with the columns | %s |" % (DOC, " | ".join(want)))
    return rows


def names(cell):
    return [n.strip().strip("`") for n in cell.split(",") if n.strip().strip("`")]


def read_doc(root):
    try:
        text = open(os.path.join(root, DOC), encoding="utf-8").read()
    except OSError as e:
        raise Arch("%s: %s" % (DOC, e.strerror))
    parts = {}          # name -> (folders, may include)
    for cells in table(text, "part | folders | may include"):
        if len(cells) != 3:
            raise Arch("%s: a row of the parts table has %d cells: %s" % (DOC, len(cells), cells))
        folders = [f.rstrip("/") + "/" for f in names(cells[1])]
        parts[cells[0].strip("`")] = (folders, set(names(cells[2])))
    for p, (_, may) in parts.items():
        for q in may - set(parts) - {"third-party"}:
            raise Arch("%s: part %s may include %s, which is no part of the table" % (DOC, p, q))
    owners = {}         # third-party header -> owner file
    for cells in table(text, "library | header | owner"):
        if len(cells) != 3:
            raise Arch("%s: a row of the library table has %d cells: %s" % (DOC, len(cells), cells))
        for h in names(cells[1]):
            owners[h] = cells[2].strip("`")
    known = {}          # circle, as check_cycles writes it -> its row's "goes when"
    for cells in table(text, "known circle | goes when"):
        known[" ".join(cells[0].strip("`").split())] = cells[1] if len(cells) > 1 else ""
    return parts, owners, known


def c_files(root):
    for d, dirs, files in os.walk(root):
        dirs[:] = sorted(x for x in dirs if x not in SKIP_DIRS and not x.startswith("build"))
        for f in sorted(files):
            if f.endswith((".c", ".h")):
                yield os.path.relpath(os.path.join(d, f), root).replace(os.sep, "/")


def part_of(path, parts):
    best = None
    for p, (folders, _) in parts.items():
        for f in folders:
            if path.startswith(f) and (best is None or len(f) > len(best[1])):
                best = (p, f)
    return best[0] if best else None


def includes(root, path):
    with open(os.path.join(root, path), encoding="utf-8", errors="replace") as f:
        for n, line in enumerate(f, 1):
            m = INCLUDE.match(line)
            if m:
                yield n, m.group(1) == "<", m.group(2)


def resolve(root, path, name, parts, files):
    """Where a quoted include of path finds name: beside path (as the compiler looks first),
    else the headers of that name in every part's folders."""
    here = os.path.normpath(os.path.join(os.path.dirname(path), name)).replace(os.sep, "/")
    if here in files:
        return [here]
    return [f + name for p in parts for f in parts[p][0] if f + name in files]


def check_includes(root, parts, owners, files, graph, bad):
    users = {}          # third-party header -> [(file, line)] outside the exempt parts
    for path in sorted(files):
        part = part_of(path, parts)
        if part is None:
            bad.append("%s: belongs to no part of %s's table" % (path, DOC))
            continue
        may = parts[part][1]
        for line, angle, name in includes(root, path):
            where = "%s:%d: #include %s" % (path, line, "<%s>" % name if angle else '"%s"' % name)
            if angle:
                if name in SYSTEM or "third-party" in may:
                    continue
                users.setdefault(name, []).append((path, line))
                continue
            found = resolve(root, path, name, parts, files)
            if not found:
                bad.append("%s: no such header in any part" % where)
                continue
            ok = [h for h in found if part_of(h, parts) in may]
            if not ok:
                bad.append("%s: part %s may not include part %s (it may include: %s)"
                           % (where, part, part_of(found[0], parts), ", ".join(sorted(may))))
                continue
            graph.setdefault(path, set()).add(ok[0])
    for name, at in sorted(users.items()):
        owner = owners.get(name)
        if owner is None:
            bad.append("%s:%d: #include <%s>: a third-party header that %s's library table does "
                       "not list (add it with its one owner file)" % (at[0] + (name, DOC)))
            continue
        for path, line in at:
            if path != owner:
                bad.append("%s:%d: #include <%s>: a third-party header has one includer, %s; "
                           "use its interface" % (path, line, name, owner))
    for name, owner in sorted(owners.items()):
        if not any(p == owner for p, _ in users.get(name, [])):
            bad.append("%s: the library table names %s as the owner of <%s>, which it does not "
                       "include" % (DOC, owner, name))


def implementers(root, files):
    """For each header, the .c files that implement it."""
    defined = {}
    for c in files:
        if c.endswith(".c"):
            text = open(os.path.join(root, c), encoding="utf-8", errors="replace").read()
            text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
            defined[c] = set(DEFINITION.findall(text))
    out = {}
    for h in files:
        if not h.endswith(".h"):
            continue
        text = open(os.path.join(root, h), encoding="utf-8", errors="replace").read()
        declared = set(DECLARED.findall(re.sub(r"/\*.*?\*/", "", text, flags=re.S)))
        here = os.path.dirname(h)
        out[h] = {c for c, d in defined.items()
                  if c[:-2] == h[:-2] or (os.path.dirname(c) == here and d & declared)}
    return out


def module(header):
    """The header a module's internal header belongs to: x_int.h, x_internal.h and x_impl.h
    are x.h's, shared by the files x is split into, and no circle with it."""
    return re.sub(r"_(int|internal|impl)\.h$", ".h", header)


def check_cycles(root, parts, known, files, graph, bad):
    impl = implementers(root, files)
    edges = {}          # header -> {header: the file whose include makes the arrow}
    for h, cs in impl.items():
        for src in [h] + sorted(cs):
            for dst in graph.get(src, ()):
                a, b = module(h), module(dst)
                if (a != b and dst.endswith(".h") and part_of(h, parts) in CIRCLE_PARTS
                        and part_of(dst, parts) == part_of(h, parts)):
                    edges.setdefault(a, {}).setdefault(b, src)
    seen, stack, cycles = {}, [], set()

    def visit(h):
        seen[h] = 1
        stack.append(h)
        for d in sorted(edges.get(h, {})):
            if seen.get(d) == 1:
                cyc = stack[stack.index(d):]
                k = cyc.index(min(cyc))
                cycles.add(tuple(cyc[k:] + cyc[:k]))
            elif d not in seen:
                visit(d)
        stack.pop()
        seen[h] = 2

    for h in sorted(edges):
        if h not in seen:
            visit(h)
    found = set()
    for cyc in sorted(cycles):
        name = " -> ".join(cyc + cyc[:1])
        found.add(name)
        if name in known:
            continue
        why = ", ".join("%s includes %s" % (edges[a][b], b)
                        for a, b in zip(cyc, cyc[1:] + cyc[:1]))
        bad.append("%s: headers in a circle: %s (%s)" % (cyc[0], name, why))
    for name in sorted(set(known) - found):
        bad.append("%s: the known circle %s is gone: delete its row" % (DOC, name))


def main(argv):
    root = argv[1] if len(argv) > 1 else os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    try:
        parts, owners, known = read_doc(root)
    except Arch as e:
        print("check-arch: %s" % e, file=sys.stderr)
        return 2
    files = set(c_files(root))
    graph, bad = {}, []
    check_includes(root, parts, owners, files, graph, bad)
    check_cycles(root, parts, known, files, graph, bad)
    for b in bad:
        print("check-arch: %s" % b, file=sys.stderr)
    if bad:
        print("check-arch: %d violation(s) of %s" % (len(bad), DOC), file=sys.stderr)
        return 1
    print("check-arch: %d files, %d parts, %d third-party headers: the boundaries hold"
          % (len(files), len(parts), len(owners)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
