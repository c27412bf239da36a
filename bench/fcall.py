#!/usr/bin/env python3
"""fcall.py — turns the gateway's real FCALL jb_report, as redis-cli MONITOR printed it, into
redis-benchmark arguments (bench/run.sh reads them NUL-separated from stdout).

The call keeps every argument as the gateway sent it (so sizes and contents match whatever
gateway/intake.c intake_command sends today), except that the ids that make a report and a case
new get their last 12 characters replaced by __rand_int__, which redis-benchmark -r fills with
12 random digits per occurrence: the case-URL key (KEYS[1]), the report key (KEYS[2]), the
report id (ARGV[2]) and the new case id (ARGV[3]). Every call then opens a new case, as every
request of the wrk runs does.
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


def parse(lines):
    """The arguments (from "FCALL" on, ids randomized) of the first FCALL jb_report in lines
    of MONITOR output; exits with a message when there is none."""
    arg = re.compile(r'"((?:[^"\\]|\\.)*)"')
    for line in lines:
        if '"FCALL" "jb_report"' not in line and '"fcall" "jb_report"' not in line:
            continue
        args = [unrepr(a) for a in arg.findall(line.split("]", 1)[1])]
        nkeys = int(args[2])
        keys = list(range(3, 3 + nkeys))
        argv = 3 + nkeys  # index of ARGV[1]
        for i in (keys[0], keys[1], argv + 1, argv + 2):
            if len(args[i]) < 14:
                sys.exit("fcall.py: argument %d is too short to randomize: %r" % (i, args[i]))
            args[i] = args[i][:-12] + b"__rand_int__"
        return args
    sys.exit("fcall.py: no FCALL jb_report in the MONITOR output")


def main():
    sys.stdout.buffer.write(b"\0".join(parse(sys.stdin)) + b"\0")


if __name__ == "__main__":
    main()
