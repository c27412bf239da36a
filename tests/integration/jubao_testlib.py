"""Processes and clients for jubao's black-box integration tests.

Everything here talks to the programs from the outside: a private redis-server on a spare port
in a temporary directory, the gateway built in $JUBAO_BUILD (default: build/ at the repo root),
HTTP over real sockets. conftest.py turns these classes into fixtures; later suites (workers,
review, web) reuse them.
"""

import base64
import ctypes
import http.client
import json
import os
import pathlib
import re
import shutil
import signal
import socket
import subprocess
import time
import uuid

import redis as redislib
import requests

from jubao_keys import (CROCKFORD, PREFIX, QUEUES, ShardedKeys, id_of_shard,  # noqa: F401
                        shard_of_id, shard_prefix)

REPO = pathlib.Path(__file__).resolve().parents[2]
BUILD = pathlib.Path(os.environ.get("JUBAO_BUILD") or (REPO / "build")).resolve()
GATEWAY_BIN = BUILD / "jubao-gateway"
ADMIN_BIN = BUILD / "jubao-admin"
REDIS_CONF = REPO / "deploy" / "redis.conf"
DATA_DIR = pathlib.Path(__file__).resolve().parent / "data"

INTAKE = PREFIX + "intake"    # the unsharded layout's intake stream

# What a sanitizer prints when it finds something; any of these in a log fails the test.
SANITIZER_MARKERS = ("AddressSanitizer", "runtime error:", "LeakSanitizer")

ID_RE = re.compile(r"^R-[%s]{4}-[%s]{4}-[%s]{4}$" % ((CROCKFORD,) * 3))
CASE_RE = re.compile(r"^C-[%s]{4}-[%s]{4}-[%s]{4}$" % ((CROCKFORD,) * 3))
SECRET_RE = re.compile(r"^[%s]{26}$" % CROCKFORD.lower())
ISO_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")

JSON = {"Content-Type": "application/json"}


def _die_with_parent():
    """In a child before exec: get SIGKILL when the test run dies, so that no redis-server or
    gateway outlives an interrupted pytest (Linux prctl PR_SET_PDEATHSIG)."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)
    except OSError:
        pass


def spare_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now (never 6379 or 8080)."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in (6379, 8080):
            return port


def unique_url(tag="t"):
    """A URL no other test reports, so that cases never mix between tests."""
    return "https://example.com/%s/%s" % (tag, uuid.uuid4().hex)


def sanitizer_findings(text):
    return [m for m in SANITIZER_MARKERS if m in text]


def wait_until(pred, timeout, interval=0.05, what="condition"):
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %.1fs waiting for %s" % (timeout, what))
        time.sleep(interval)


# ---- Redis ----------------------------------------------------------------------------------


class RedisServer(ShardedKeys):
    """A private redis-server (deploy/redis.conf: AOF, appendfsync always) in its own dir;
    args are more options for its command line (redis_cluster.py: --cluster-enabled yes)."""

    def __init__(self, workdir, port=None, args=()):
        self.dir = pathlib.Path(workdir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.args = list(args)
        self.port = port or spare_port()
        self.logfile = self.dir / "redis.log"
        self.proc = None
        for attempt in range(3):
            try:
                self.start()
                break
            except AssertionError:
                # the spare port was taken meanwhile: try another (not on restarts)
                if attempt == 2 or port or self.alive():
                    raise
                self.port = spare_port()

    @property
    def addr(self):
        return "127.0.0.1:%d" % self.port

    def start(self, timeout=10):
        assert self.proc is None or self.proc.poll() is not None, "redis-server already running"
        self.proc = subprocess.Popen(
            ["redis-server", str(REDIS_CONF), "--port", str(self.port), "--dir", str(self.dir),
             "--logfile", str(self.logfile), "--daemonize", "no"] + self.args,
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=_die_with_parent)
        self.wait_ping(timeout)

    def wait_ping(self, timeout=10):
        def ping():
            if self.proc.poll() is not None:
                raise AssertionError("redis-server exited with %s; log:\n%s"
                                     % (self.proc.returncode, self.log_text()[-2000:]))
            try:
                # our own process answers, not some other server on the port
                info = self.client(socket_timeout=0.5).info("server")
                return int(info["process_id"]) == self.proc.pid
            except redislib.exceptions.RedisError:
                return False
        wait_until(ping, timeout, what="redis PING on port %d" % self.port)

    def client(self, decode_responses=True, **kw):
        return redislib.Redis(host="127.0.0.1", port=self.port, decode_responses=decode_responses,
                              **kw)

    def log_text(self):
        try:
            return self.logfile.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def kill(self):
        """SIGKILL: no shutdown, no final fsync beyond what appendfsync always already did."""
        if self.alive():
            self.proc.send_signal(signal.SIGKILL)
        if self.proc is not None:
            self.proc.wait(10)

    def stop_process(self):
        self.proc.send_signal(signal.SIGSTOP)

    def continue_process(self):
        self.proc.send_signal(signal.SIGCONT)

    def restart(self, timeout=20):
        """Kills it if it runs, then starts it again on the same port and dir (AOF reload)."""
        self.kill()
        self.start(timeout)

    def close(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    # Redis inspection helpers shared by the tests (and ShardedKeys').

    def save_json(self, path):
        """Writes every key (type, PTTL, value; streams with their consumer groups, last
        delivered ids and pending entries) to path as JSON: readable, and loadable into any
        later Redis by load_json. Bytes that are not UTF-8 are written as {"b64": ...}."""
        c = self.client(decode_responses=False)
        keys = {}
        for key in sorted(c.scan_iter(count=1000)):
            t = c.type(key).decode()
            v = _SAVE[t](c, key)
            keys[_j(key)] = {"type": t, "pttl": c.pttl(key), "value": v}
        pathlib.Path(path).write_text(json.dumps(keys, indent=1, sort_keys=True,
                                                 ensure_ascii=False) + "\n")

    def load_json(self, path):
        """Loads what save_json wrote into this (empty) Redis, TTLs counting from now."""
        c = self.client(decode_responses=False)
        for key, k in json.loads(pathlib.Path(path).read_text()).items():
            key = _b(key)
            _LOAD[k["type"]](c, key, k["value"])
            if k["pttl"] > 0:
                c.pexpire(key, k["pttl"])


def _j(b):
    """bytes as a JSON value: the text when it is UTF-8, else {"b64": base64}."""
    try:
        return b.decode("utf-8")
    except UnicodeDecodeError:
        return {"b64": base64.b64encode(b).decode()}


def _b(v):
    return base64.b64decode(v["b64"]) if isinstance(v, dict) else v.encode("utf-8")


def _save_stream(c, key):
    entries = [[_j(eid), [_j(x) for kv in f.items() for x in kv]] for eid, f in c.xrange(key)]
    groups = []
    for g in c.xinfo_groups(key):
        pending = []
        if g["pending"]:
            for p in c.xpending_range(key, g["name"], "-", "+", g["pending"]):
                pending.append([_j(p["message_id"]), _j(p["consumer"])])
        groups.append({"name": _j(g["name"]), "last_delivered": _j(g["last-delivered-id"]),
                       "pending": pending})
    return {"entries": entries, "groups": groups}


def _load_stream(c, key, v):
    ids = []
    for eid, fields in v["entries"]:
        f = [_b(x) for x in fields]
        c.xadd(key, dict(zip(f[0::2], f[1::2])), id=_b(eid))
        ids.append(_b(eid))
    for g in v["groups"]:
        name = _b(g["name"])
        c.xgroup_create(key, name, id="0", mkstream=True)
        # each pending entry delivered again to its consumer: the group's cursor set just
        # before it, then one XREADGROUP
        for eid, consumer in g["pending"]:
            i = ids.index(_b(eid))
            c.xgroup_setid(key, name, ids[i - 1] if i else "0")
            c.xreadgroup(name, _b(consumer), {key: ">"}, count=1)
        c.xgroup_setid(key, name, _b(g["last_delivered"]))


_SAVE = {
    "string": lambda c, k: _j(c.get(k)),
    "hash": lambda c, k: {f.decode(): _j(v) for f, v in sorted(c.hgetall(k).items())},
    "list": lambda c, k: [_j(x) for x in c.lrange(k, 0, -1)],
    "set": lambda c, k: sorted(_j(x) for x in c.smembers(k)),
    "zset": lambda c, k: [[_j(m), s] for m, s in c.zrange(k, 0, -1, withscores=True)],
    "stream": _save_stream,
}
_LOAD = {
    "string": lambda c, k, v: c.set(k, _b(v)),
    "hash": lambda c, k, v: c.hset(k, mapping={f.encode(): _b(x) for f, x in v.items()}),
    "list": lambda c, k, v: c.rpush(k, *[_b(x) for x in v]),
    "set": lambda c, k, v: c.sadd(k, *[_b(x) for x in v]),
    "zset": lambda c, k, v: c.zadd(k, {_b(m): s for m, s in v}),
    "stream": _load_stream,
}


# ---- the gateway ----------------------------------------------------------------------------


class Response:
    """A raw HTTP answer read off a socket."""

    def __init__(self, status, reason, headers, body, raw):
        self.status, self.reason, self.headers, self.body, self.raw = (
            status, reason, headers, body, raw)

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return "<Response %s %r %r>" % (self.status, self.headers, self.body[:300])


def parse_response(raw):
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    status = int(parts[1])
    headers = []
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers.append((k.strip(), v.strip()))
    return Response(status, parts[2] if len(parts) > 2 else "", headers, body, raw)


def read_response(sock, timeout=5.0):
    """Reads one HTTP/1.1 answer (Content-Length framed, or until close)."""
    sock.settimeout(timeout)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            if not data:
                raise ConnectionError("connection closed without an answer")
            break
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    m = re.search(rb"(?im)^content-length:\s*(\d+)\s*$", head)
    if m:
        need = int(m.group(1))
        while len(rest) < need:
            chunk = sock.recv(65536)
            if not chunk:
                break
            rest += chunk
    return parse_response(head + b"\r\n\r\n" + rest)


class Daemon:
    """What the gateway and the worker share: a process (.proc) writing to .log_path."""

    def log_text(self):
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_bytes().decode("utf-8", errors="replace")

    def alive(self):
        return self.proc.poll() is None

    def send_signal(self, sig):
        self.proc.send_signal(sig)

    def _before_stop(self):
        pass

    def stop(self, sig=signal.SIGTERM, timeout=15):
        """Ends the process on purpose; returns its exit status (None when it would not end)."""
        self.stopped = True
        self._before_stop()
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
            return None


class Gateway(Daemon):
    """One jubao-gateway process with its own data dir; see the `gateway` fixture."""

    def __init__(self, workdir, redis, env=None, config=None, args=(), wait_ready=True,
                 port=None, data_from=None):
        self.dir = pathlib.Path(workdir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.redis = redis
        self.data_dir = self.dir / "data"
        if data_from is not None:     # the keys of another installation (jubao-admin init)
            shutil.copytree(data_from, self.data_dir)
            for f in self.data_dir.iterdir():
                f.chmod(0o600)
            self.data_dir.chmod(0o700)
        self.port = port or spare_port()
        self.url = "http://127.0.0.1:%d" % self.port
        self.metrics_port = spare_port()     # /metrics is served only here (metrics_listen)
        self.metrics_url = "http://127.0.0.1:%d" % self.metrics_port
        self.log_path = self.dir / "gateway.log"
        self.config_path = None
        self.env = self._env(env)
        self.stopped = False     # set when a test ended the process on purpose
        self.admin_logs = []
        if config is not None:
            self.config_path = self.dir / "jubao.conf"
            self.config_path.write_text(config)
        self.admin("init")
        self.cmd = [str(GATEWAY_BIN)]
        if self.config_path:
            self.cmd += ["-c", str(self.config_path)]
        self.cmd += list(args)
        self._log = open(self.log_path, "ab")
        self.session = requests.Session()
        self.proc = None
        try:
            self._start(port, wait_ready)
        except BaseException:
            if self.proc is not None and self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait(5)
            raise

    def _start(self, port, wait_ready):
        for attempt in range(3):
            self.proc = subprocess.Popen(self.cmd, env=self.env, stdin=subprocess.DEVNULL,
                                         stdout=self._log, stderr=subprocess.STDOUT,
                                         cwd=self.dir, preexec_fn=_die_with_parent)
            if self._wait_listening() or attempt == 2 or port:
                break
            # a spare port was taken meanwhile: try others
            self.port, self.metrics_port = spare_port(), spare_port()
            self.url = "http://127.0.0.1:%d" % self.port
            self.metrics_url = "http://127.0.0.1:%d" % self.metrics_port
            self.env["JUBAO_LISTEN"] = "127.0.0.1:%d" % self.port
            self.env["JUBAO_METRICS_LISTEN"] = "127.0.0.1:%d" % self.metrics_port
        self.wait_healthy()
        if wait_ready and self.redis is not None:
            wait_until(lambda: self._ready(), 15, what="/readyz 200")

    def _env(self, extra):
        env = {k: v for k, v in os.environ.items() if not k.startswith("JUBAO_")}
        env.update({
            "JUBAO_LISTEN": "127.0.0.1:%d" % self.port,
            "JUBAO_METRICS_LISTEN": "127.0.0.1:%d" % self.metrics_port,
            "JUBAO_REDIS": self.redis.addr if self.redis else "127.0.0.1:%d" % spare_port(),
            "JUBAO_DATA_DIR": str(self.data_dir),
            "JUBAO_RATE_LIMIT": "0",
            "JUBAO_RULES": str(REPO / "rules" / "packs"),
        })
        for k, v in (extra or {}).items():
            if v is None:
                env.pop(k, None)
            else:
                env[k] = v
        return env

    def _ready(self):
        try:
            return requests.get(self.url + "/readyz", timeout=3).status_code == 200
        except requests.RequestException:
            return False

    def _wait_listening(self, timeout=15):
        """True once /healthz answers while our process lives (and still lives a moment
        later: an answer could come from another server that took the port first); False
        when the process exited, e.g. because its port was taken meanwhile."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                ok = requests.get(self.url + "/healthz", timeout=1).status_code == 200
            except requests.RequestException:
                ok = False
            if ok:
                time.sleep(0.2)
                return self.proc.poll() is None
            time.sleep(0.02)
        raise AssertionError("jubao-gateway: no /healthz within %ds; log:\n%s"
                             % (timeout, self.log_text()[-3000:]))

    def wait_healthy(self, timeout=15):
        def healthy():
            if self.proc.poll() is not None:
                raise AssertionError("jubao-gateway exited with %s before /healthz; log:\n%s"
                                     % (self.proc.returncode, self.log_text()[-3000:]))
            try:
                return requests.get(self.url + "/healthz", timeout=1).status_code == 200
            except requests.RequestException:
                return False
        wait_until(healthy, timeout, what="/healthz 200")

    # -- the programs --

    def admin(self, *args, stdin=None, check=True):
        cmd = [str(ADMIN_BIN)]
        if self.config_path:
            cmd += ["-c", str(self.config_path)]
        cmd += list(args)
        p = subprocess.run(cmd, env=self.env, input=stdin, capture_output=True, text=True,
                           timeout=30, cwd=self.dir)
        self.admin_logs.append(p.stderr)
        if check:
            assert p.returncode == 0, "jubao-admin %s: exit %s\nstdout: %s\nstderr: %s" % (
                " ".join(args), p.returncode, p.stdout, p.stderr)
        return p

    def apikey(self, name=None):
        """Creates a platform key and returns it (the last line of stdout)."""
        name = name or "p-" + uuid.uuid4().hex[:12]
        out = self.admin("apikey", "create", name).stdout
        return out.strip().splitlines()[-1]

    def teardown_problems(self):
        """Ends the process and returns what went wrong (empty when nothing did)."""
        problems = []
        if not self.stopped and self.proc.poll() is not None:
            problems.append("jubao-gateway died during the test (exit %s)" % self.proc.returncode)
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                problems.append("jubao-gateway did not exit within 20 s of SIGTERM")
                self.proc.kill()
                self.proc.wait(5)
        self.session.close()
        self._log.close()
        text = self.log_text()
        for m in sanitizer_findings(text):
            problems.append("gateway log contains %r" % m)
        for m in sanitizer_findings("\n".join(self.admin_logs)):
            problems.append("jubao-admin stderr contains %r" % m)
        if problems:
            problems.append("gateway log (tail):\n" + text[-6000:])
        return problems

    # -- HTTP --

    def request(self, method, path, **kw):
        kw.setdefault("timeout", 10)
        return self.session.request(method, self.url + path, **kw)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, *, key=None, headers=None, data=None, **kw):
        """POSTs body (a dict/list serialized as JSON, or bytes/str sent as they are)."""
        h = dict(JSON)
        if key:
            h["Authorization"] = "Bearer " + key
        h.update(headers or {})
        if data is None:
            data = body if isinstance(body, (bytes, str)) else json.dumps(body)
        if isinstance(data, str):
            data = data.encode("utf-8")
        return self.request("POST", path, data=data, headers=h, **kw)

    def report(self, body=None, **kw):
        if body is None:
            body = {"url": unique_url(), "category": "fraud"}
        return self.post("/api/v1/reports", body, **kw)

    def status(self, report_id, secret=None, key=None, headers=None):
        h = {}
        if secret is not None:
            h["X-Report-Secret"] = secret
        if key is not None:
            h["Authorization"] = "Bearer " + key
        h.update(headers or {})
        return self.get("/api/v1/reports/" + report_id, headers=h)

    def metrics_get(self, path="/metrics", method="GET", **kw):
        """A request to the metrics listener (metrics_listen), which only serves /metrics."""
        kw.setdefault("timeout", 10)
        return requests.request(method, self.metrics_url + path, **kw)

    def metrics(self):
        """The /metrics samples, read from the metrics listener, as {'name{labels}': value}."""
        r = self.metrics_get()
        assert r.status_code == 200, r.text
        out = {}
        for line in r.text.splitlines():
            if line and not line.startswith("#"):
                name, _, value = line.rpartition(" ")
                out[name] = float(value)
        return out

    def post_from(self, source_ip, path, body, headers=None, timeout=10):
        """POSTs JSON from a chosen loopback source address (127.x.y.z); returns
        (status, headers dict, body text)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout,
                                          source_address=(source_ip, 0))
        try:
            h = dict(JSON)
            h.update(headers or {})
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            conn.request("POST", path, body=data, headers=h)
            resp = conn.getresponse()
            text = resp.read()
            return resp.status, dict(resp.getheaders()), text.decode("utf-8", "replace")
        finally:
            conn.close()

    def raw(self, data, timeout=5.0, shutdown_write=False, source=None):
        """Sends bytes on a fresh socket and reads one answer (Response)."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=timeout,
                                      source_address=source) as s:
            s.sendall(data)
            if shutdown_write:
                s.shutdown(socket.SHUT_WR)
            return read_response(s, timeout)

    def connect(self, timeout=5.0, source=None):
        return socket.create_connection(("127.0.0.1", self.port), timeout=timeout,
                                        source_address=source)


def assert_error(r, status, code, field="__absent__"):
    """Asserts an error answer: status, the error body's shape and code (None: any code), and
    X-Request-Id (and Retry-After for 429 and 503). field: expected value of error.field; "__absent__" means the body must not carry it; None
    means "do not care"."""
    if isinstance(r, Response):
        got_status, headers_get, text = r.status, r.header, r.body.decode("utf-8", "replace")
    else:
        got_status, headers_get, text = r.status_code, r.headers.get, r.text
    assert got_status == status, "status %s, expected %s; body: %s" % (got_status, status,
                                                                        text[:500])
    body = json.loads(text)
    assert set(body) == {"error"}, body
    err = body["error"]
    if code is None:
        assert isinstance(err.get("code"), str) and err["code"], body
    else:
        assert err.get("code") == code, body
    assert isinstance(err.get("message"), str) and err["message"], body
    allowed = {"code", "message", "field"}
    assert set(err) <= allowed, body
    if field == "__absent__":
        assert "field" not in err, body
    elif field is not None:
        assert err.get("field") == field, body
    assert headers_get("X-Request-Id"), "no X-Request-Id"
    if status in (429, 503):
        ra = headers_get("Retry-After")
        assert ra is not None and ra.isdigit() and int(ra) > 0, "Retry-After: %r" % ra
    return err


# ---- the worker -----------------------------------------------------------------------------

WORKER_BIN = BUILD / "jubao-worker"

AUDIT = PREFIX + "audit"


def _proc_children(pid):
    """The pids of pid's children (from /proc; [] once pid is gone)."""
    try:
        text = pathlib.Path("/proc/%d/task/%d/children" % (pid, pid)).read_text()
    except (FileNotFoundError, ProcessLookupError):
        return []
    return [int(x) for x in text.split()]


def _proc_desc(pid):
    """'comm cmdline' of a process ('' once it is gone), to tell consumers from the reaper."""
    try:
        comm = pathlib.Path("/proc/%d/comm" % pid).read_text().strip()
        cmdline = pathlib.Path("/proc/%d/cmdline" % pid).read_bytes().replace(b"\0", b" ")
        return comm + " " + cmdline.decode("utf-8", "replace").strip()
    except (FileNotFoundError, ProcessLookupError):
        return ""


def _proc_state(pid):
    """The state letter of /proc/<pid>/stat (None when it is gone)."""
    try:
        stat = pathlib.Path("/proc/%d/stat" % pid).read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return stat.rpartition(")")[2].split()[0]


def pid_gone(pid):
    """True when pid is gone or a zombie (dead, not yet reaped)."""
    return _proc_state(pid) in (None, "Z", "X")


class Worker(Daemon):
    """One jubao-worker supervisor (and its consumer and reaper children); see the `worker`
    fixture. It shares the gateway's Redis, data dir and (by default) configuration text."""

    def __init__(self, workdir, redis, data_dir, config=None, env=None, args=(),
                 wait_started=True):
        self.dir = pathlib.Path(workdir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.redis = redis
        self.data_dir = pathlib.Path(data_dir)
        self.log_path = self.dir / "worker.log"
        self.config_path = None
        self.config = config
        if config is not None:
            self.config_path = self.dir / "jubao.conf"
            self.config_path.write_text(config)
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("JUBAO_")}
        self.env.update({
            "JUBAO_REDIS": redis.addr,
            "JUBAO_DATA_DIR": str(self.data_dir),
            "JUBAO_RATE_LIMIT": "0",
            "JUBAO_RULES": str(REPO / "rules" / "packs"),
        })
        for k, v in (env or {}).items():
            if v is None:
                self.env.pop(k, None)
            else:
                self.env[k] = v
        self.cmd = [str(WORKER_BIN)]
        if self.config_path:
            self.cmd += ["-c", str(self.config_path)]
        self.cmd += list(args)
        self.stopped = False
        self.seen_children = set()
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.cmd, env=self.env, stdin=subprocess.DEVNULL,
                                     stdout=self._log, stderr=subprocess.STDOUT, cwd=self.dir,
                                     preexec_fn=_die_with_parent)
        if wait_started:
            self.wait_started()

    def consumers_configured(self):
        m = re.search(r"(?m)^\s*worker_consumers\s*=\s*(\d+)", self.config or "")
        return int(m.group(1)) if m else 2

    def wait_started(self, timeout=15):
        """Waits until the supervisor runs all its children (consumers, reaper, trainer)."""
        want = self.consumers_configured() + 2   # and the reaper and the trainer

        def started():
            if self.proc.poll() is not None:
                raise AssertionError("jubao-worker exited with %s; log:\n%s"
                                     % (self.proc.returncode, self.log_text()[-3000:]))
            return len(self.children()) >= want
        wait_until(started, timeout, what="jubao-worker's %d children" % want)

    @property
    def pid(self):
        return self.proc.pid

    def children(self):
        """The live children of the supervisor (pids)."""
        kids = [p for p in _proc_children(self.proc.pid) if not pid_gone(p)]
        self.seen_children.update(kids)
        return kids

    def child_descriptions(self):
        return {p: _proc_desc(p) for p in self.children()}

    def roles(self):
        """{pid: name} of the children the supervisor's log says it started
        ("started consumer-1 (pid 123)")."""
        return {int(pid): role for role, pid in
                re.findall(r"started (\S+) \(pid (\d+)\)", self.log_text())}

    def consumer_pids(self):
        """The children that are consumers: by their process name when the worker names them,
        else by its log ("started consumer-1 (pid 123)"), else every child but a reaper."""
        desc = self.child_descriptions()
        named = [p for p, d in desc.items() if "consumer" in d]
        if named:
            return sorted(named)
        roles = self.roles()
        logged = [p for p in desc if roles.get(p, "").startswith("consumer")]
        if logged:
            return sorted(logged)
        return sorted(p for p, d in desc.items()
                      if "reaper" not in d and roles.get(p) not in ("reaper", "trainer"))

    def kill(self):
        """SIGKILL to the supervisor, on purpose; waits for it (not for its children)."""
        self.stopped = True
        self.children()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        return self.proc.wait(10)

    def _before_stop(self):
        self.children()   # remembered, to check at teardown that they ended too

    def _ours(self, pid):
        return str(WORKER_BIN.name) in _proc_desc(pid) or "jubao" in _proc_desc(pid)

    def teardown_problems(self):
        problems = []
        if not self.stopped and self.proc.poll() is not None:
            problems.append("jubao-worker died during the test (exit %s)" % self.proc.returncode)
        if self.proc.poll() is None:
            self.children()
            self.proc.send_signal(signal.SIGTERM)
            try:
                rc = self.proc.wait(20)
                if rc != 0:
                    problems.append("jubao-worker exited with %s after SIGTERM" % rc)
            except subprocess.TimeoutExpired:
                problems.append("jubao-worker did not exit within 20 s of SIGTERM")
                self.proc.kill()
                self.proc.wait(5)
        # children die with the supervisor; end any straggler ourselves (they are ours)
        try:
            wait_until(lambda: all(pid_gone(p) for p in self.seen_children), 10,
                       what="the worker's children to exit")
        except AssertionError:
            left = [p for p in self.seen_children if not pid_gone(p)]
            problems.append("jubao-worker children outlived the supervisor: %s" % left)
            for p in left:
                if self._ours(p):
                    try:
                        os.kill(p, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
        self._log.close()
        text = self.log_text()
        for m in sanitizer_findings(text):
            problems.append("worker log contains %r" % m)
        if problems:
            problems.append("worker log (tail):\n" + text[-6000:])
        return problems


def review_entries(r, streams=None):
    """Every entry of the review queue streams (every shard's): [(stream, entry id, case)]."""
    c = r.client()
    out = []
    for s in streams or r.review_streams():
        for eid, f in c.xrange(s):
            out.append((s, eid, f.get("case")))
    return out


def queued_cases(r):
    """{case: [stream, …]} over the review queue streams."""
    out = {}
    for s, _, case in review_entries(r):
        out.setdefault(case, []).append(s)
    return out


def wait_queued(r, cases, timeout=30):
    """Waits until the worker has put every case of cases in a review queue."""
    cases = set(cases)
    wait_until(lambda: cases <= set(queued_cases(r)), timeout, interval=0.1,
               what="%d case(s) in the review queues" % len(cases))


def intake_pending(r):
    """XPENDING count of the intake streams' group `workers` (a stream without the group: 0),
    summed over the shards."""
    n = 0
    for s in r.intake_streams():
        try:
            n += r.client().xpending(s, "workers")["pending"]
        except redislib.exceptions.ResponseError:
            pass
    return n


def deadletters(r):
    """The dead letters of every shard."""
    return [dict(f, id=eid) for s in r.deadletter_streams() for eid, f in r.client().xrange(s)]


def metric_sum(metrics, name):
    """The sum of every sample of a metric (any labels); 0 when it has none."""
    return sum(v for k, v in metrics.items() if k == name or k.startswith(name + "{"))


# ---- reviewers ------------------------------------------------------------------------------

REVIEWER_PASSWORD = "correct horse battery staple"


def add_reviewer(g, name=None, role=None, password=REVIEWER_PASSWORD):
    """Adds a reviewer with jubao-admin (role None: the default, reviewer); returns the name."""
    name = name or "rev-" + uuid.uuid4().hex[:10]
    args = ["reviewer", "add", name] + (["--role", role] if role else [])
    g.admin(*args, stdin=password + "\n")
    return name


def login(g, name, password=REVIEWER_PASSWORD):
    """POST /api/v1/session; returns the token (asserts the 200)."""
    r = requests.post(g.url + "/api/v1/session", json={"user": name, "password": password},
                      timeout=10)
    assert r.status_code == 200, r.text
    return r.json()["token"]


class Reviewer:
    """A reviewer (or supervisor) with its own HTTP session and token; the methods return the
    requests Response. Safe to use from one thread each."""

    def __init__(self, g, role=None, name=None, password=REVIEWER_PASSWORD, add=True):
        self.g = g
        self.role = role or "reviewer"
        self.name = add_reviewer(g, name, role, password) if add else name
        self.http = requests.Session()
        self.token = login(g, self.name, password)

    def call(self, method, path, body="{}", token="__mine__", headers=None):
        """body: a dict (sent as JSON), a str/bytes (sent as it is, as JSON), or None (no
        body, no Content-Type)."""
        h = {}
        if token == "__mine__":
            token = self.token
        if token is not None:
            h["Authorization"] = "Bearer " + token
        data = None
        if body is not None:
            h["Content-Type"] = "application/json"
            data = body if isinstance(body, (bytes, str)) else json.dumps(body)
            if isinstance(data, str):
                data = data.encode("utf-8")
        h.update(headers or {})
        return self.http.request(method, self.g.url + path, data=data, headers=h, timeout=15)

    def claim(self, queue="default", **kw):
        body = kw.pop("body", {"queue": queue} if queue is not None else None)
        return self.call("POST", "/api/v1/review/claim", body, **kw)

    def renew(self, case, body="{}", **kw):
        return self.call("POST", "/api/v1/review/cases/%s/renew" % case, body, **kw)

    def release(self, case, body="{}", **kw):
        return self.call("POST", "/api/v1/review/cases/%s/release" % case, body, **kw)

    def break_lease(self, case, body="{}", **kw):
        return self.call("POST", "/api/v1/review/cases/%s/break" % case, body, **kw)

    def decide(self, case, verdict, category=None, note=None, **kw):
        body = {"verdict": verdict}
        if category is not None:
            body["category"] = category
        if note is not None:
            body["note"] = note
        body = kw.pop("body", body)
        return self.call("POST", "/api/v1/review/cases/%s/decision" % case, body, **kw)

    def queues(self, **kw):
        return self.call("GET", "/api/v1/review/queues", None, **kw)

    def close(self):
        self.http.close()


def start_stack(redis_factory, gateway, worker, config=None, with_worker=True):
    """A fresh Redis, a gateway on it and (with_worker) a jubao-worker with the same
    configuration text: (redis, gateway, worker or None). Review queues, the audit stream and
    the dead-letter stream then hold only the test's own entries."""
    r = redis_factory()
    g = gateway(redis=r, config=config)
    w = worker(g) if with_worker else None
    return r, g, w
