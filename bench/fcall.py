#!/usr/bin/env python3
"""fcall.py NAME — turns one of the gateway's real Function calls, as redis-cli MONITOR
printed it, into redis-benchmark arguments (bench/run.sh reads them NUL-separated from stdout).
NAME is jb_admit or jb_report (default): the intake is two calls per report, jb_admit on the
reporter's slot, then jb_report on the case's shard (docs/SCALING.md "The intake in two calls").

The call keeps every argument as the gateway sent it (so sizes and contents match whatever
gateway/intake.c sends today), except that what makes a report and a case new gets its last 12
characters replaced by __rand_int__, which redis-benchmark -r fills with 12 random digits per
occurrence:
  jb_report: the case-URL key (KEYS[1]), the report key (KEYS[2]), the report id (ARGV[2]) and
             the new case id (ARGV[3]): every call opens a new case, as every request of the
             wrk runs does;
  jb_admit:  the report id the gateway drew (ARGV[7]). Its keys name the reporter (the rate
             limit's bucket, the idempotency record): wrk's reports all come from one client
             without an Idempotency-Key, so they stay as they are, as for the gateway.
The hash tag of a key is in its prefix (jb:{tag}:), so a randomized key stays in its slot.
"""
import re
import sys

ESCAPES = {"n": 10, "r": 13, "t": 9, "a": 7, "b": 8, "\\": 92, '"': 34}


def unrepr(s):
    """Decodes one argument of MONITOR's output (sdscatrepr: C escapes and \\xhh)."""
    out = bytearray()
    i = 0
    while i < len(s):
        c = s[i]
        if c == "\\" and i + 1 < len(s):
            n = s[i + 1]
            if n == "x" and i + 3 < len(s):
                out.append(int(s[i + 2:i + 4], 16))
                i += 4
                continue
            out.append(ESCAPES.get(n, ord(n)))
            i += 2
            continue
        out.extend(c.encode("utf-8"))
        i += 1
    return bytes(out)


def fresh(nkeys, name):
    """The indexes, in FCALL's arguments, of what is made new in each call of Function name."""
    argv = 3 + nkeys  # index of ARGV[1]
    if name == "jb_admit":
        return (argv + 6,)
    return (3, 4, argv + 1, argv + 2)


def parse(lines, name="jb_report"):
    """The arguments (from "FCALL" on, ids randomized) of the first FCALL of Function name in
    lines of MONITOR output; exits with a message when there is none."""
    arg = re.compile(r'"((?:[^"\\]|\\.)*)"')
    want = ('"FCALL" "%s"' % name, '"fcall" "%s"' % name)
    for line in lines:
        if not any(w in line for w in want):
            continue
        args = [unrepr(a) for a in arg.findall(line.split("]", 1)[1])]
        for i in fresh(int(args[2]), name):
            if len(args[i]) < 14:
                sys.exit("fcall.py: %s argument %d is too short to randomize: %r"
                         % (name, i, args[i]))
            args[i] = args[i][:-12] + b"__rand_int__"
        return args
    sys.exit("fcall.py: no FCALL %s in the MONITOR output" % name)


def main():
    name = sys.argv[1] if len(sys.argv) > 1 else "jb_report"
    if name not in ("jb_admit", "jb_report"):
        sys.exit("usage: fcall.py [jb_admit|jb_report] <monitor-output")
    sys.stdout.buffer.write(b"\0".join(parse(sys.stdin, name)) + b"\0")


if __name__ == "__main__":
    main()
