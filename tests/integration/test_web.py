"""The web pages over HTTP (docs/WEB.md), below the browser: the form's anti-forgery checks,
the proof of work past the rate limit, evidence stripped of its metadata, kept encrypted and
given only to the lease holder, the security headers, ETags, and the bounded form parser. The browser tests
(tests/browser) drive the same pages in Chromium."""

import hashlib
import io
import re
import zlib

import requests
from PIL import Image, ImageSequence, PngImagePlugin

from jubao_testlib import (ID_RE, Reviewer, start_stack, unique_url, wait_queued,
                           wait_until)

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
       b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff"
       b"\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82")


class Browser:
    """A cookie jar and the form's hidden token, as a browser holds them."""

    def __init__(self, g, lang=None):
        self.g = g
        self.http = requests.Session()
        r = self.http.get(g.url + "/" + ("?lang=" + lang if lang else ""), timeout=10)
        assert r.status_code == 200, r.text
        self.page = r
        self.csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', r.text).group(1)

    def post(self, fields, files=None, headers=None):
        data = dict(fields)
        data.setdefault("csrf", self.csrf)
        return self.http.post(self.g.url + "/report", data=data, files=files,
                              headers=headers or {}, timeout=10)


def receipt(r):
    assert r.status_code == 200, r.text[:2000]
    rid = re.search(r'id="receipt-id">([^<]+)<', r.text).group(1)
    secret = re.search(r'id="receipt-secret">([^<]+)<', r.text).group(1)
    assert ID_RE.match(rid), rid
    return rid, secret


def field_errors(text):
    return dict(re.findall(r'<p class="error" id="([a-z]+)-error">([^<]*)<', text))


def test_pages_carry_the_security_headers(gw):
    for path in ("/", "/?lang=en", "/status", "/review", "/assets/style.css",
                 "/assets/console.js", "/assets/form.js"):
        r = gw.get(path)
        assert r.status_code == 200, (path, r.status_code)
        csp = r.headers["Content-Security-Policy"]
        assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp, csp
        assert "'unsafe-inline'" not in csp and "http" not in csp, csp
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert r.headers["Referrer-Policy"] == "no-referrer"
    page = gw.get("/").text
    # nothing inline, nothing from elsewhere
    assert "<script>" not in page and " style=" not in page and "<style" not in page
    assert not re.search(r'(src|href)="(https?:)?//', page), page


def test_assets_have_etags(gw):
    r = gw.get("/assets/style.css")
    assert r.headers["Content-Type"].startswith("text/css")
    etag = r.headers["ETag"]
    again = gw.get("/assets/style.css", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert gw.get("/assets/style.css", headers={"If-None-Match": '"other"'}).status_code == 200
    assert gw.get("/assets/nothing.js").status_code == 404
    assert gw.get("/assets/console.js").headers["Content-Type"].startswith("text/javascript")


def test_language_by_query_and_accept_language(gw):
    assert '<html lang="zh-CN">' in gw.get("/").text
    assert '<html lang="en">' in gw.get("/?lang=en").text
    en = gw.get("/", headers={"Accept-Language": "en-GB,en;q=0.9,zh;q=0.5"}).text
    assert '<html lang="en">' in en and 'id="lang-switch" href="/?lang=zh"' in en
    assert '<html lang="zh-CN">' in gw.get(
        "/", headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"}).text


def test_a_report_from_the_form_is_the_api_report(gw, redis):
    b = Browser(gw)
    url = unique_url("web")
    r = b.post({"url": url, "category": "fraud", "description": "冒充客服 13812345678",
                "contact": "wang@example.com", "lang": "zh"})
    assert r.headers["Cache-Control"] == "no-store"
    rid, secret = receipt(r)
    st = gw.status(rid, secret=secret).json()
    assert st["status"] == "received" and st["category"] == "fraud", st
    rep = redis.report(rid)
    # the contact is sealed, the reviewers' copy redacted, as for the JSON API
    assert "wang@example.com" not in str(rep) and "13812345678" not in rep["description_redacted"]
    # the status page shows it
    s = b.http.post(gw.url + "/status", data={"id": rid.lower(), "secret": secret}, timeout=10)
    assert s.status_code == 200 and 'data-status="received"' in s.text, s.text
    wrong = b.http.post(gw.url + "/status", data={"id": rid, "secret": "x" * 26}, timeout=10)
    assert wrong.status_code == 404 and 'id="error-summary"' in wrong.text


def test_every_mistake_is_named_beside_its_field(gw):
    b = Browser(gw, "en")
    r = b.post({"url": "ftp://x", "title": "t" * 301, "description": "kept <b>as typed</b>",
                "lang": "en"})
    assert r.status_code in (400, 422)
    errs = field_errors(r.text)
    assert set(errs) == {"url", "category", "title"}, errs
    assert 'aria-describedby="url-hint url-error" aria-invalid="true" value="ftp://x"' in r.text
    assert "kept &lt;b&gt;as typed&lt;/b&gt;</textarea>" in r.text
    assert 'id="error-summary"' in r.text


def test_forged_and_stale_forms_are_refused(gw, redis):
    b = Browser(gw)
    url = unique_url("forged")
    fields = {"url": url, "category": "fraud"}
    # no token, a wrong token, no cookie, another site's Origin or Sec-Fetch-Site
    assert b.post(dict(fields, csrf="")).status_code == 403
    assert b.post(dict(fields, csrf="0" * 64)).status_code == 403
    fresh = requests.post(gw.url + "/report", data=dict(fields, csrf=b.csrf), timeout=10)
    assert fresh.status_code == 403 and "Set-Cookie" in fresh.headers
    assert b.post(fields, headers={"Origin": "https://evil.example"}).status_code == 403
    assert b.post(fields, headers={"Sec-Fetch-Site": "cross-site"}).status_code == 403
    c = redis.client()
    assert not [k for k in redis.keys_of_shards("report:*") if c.hget(k, "url") == url]
    # the right token from a page of ours is taken (a page without a referrer sends Origin: null)
    receipt(b.post(fields, headers={"Origin": gw.url, "Sec-Fetch-Site": "same-origin"}))
    receipt(b.post(dict(fields, url=url + "/null"),
                   headers={"Origin": "null", "Sec-Fetch-Site": "same-origin"}))
    assert [k for k in redis.keys_of_shards("report:*") if c.hget(k, "url") == url]


def test_evidence_is_sniffed_encrypted_and_only_for_the_lease_holder(redis_factory, gateway,
                                                                     worker):
    r, g, _ = start_stack(redis_factory, gateway, worker)
    b = Browser(g)
    html_as_jpg = b.post({"url": unique_url("evil"), "category": "fraud"},
                         files={"evidence": ("evil.jpg", b"<html><script>alert(1)</script>",
                                             "image/jpeg")})
    assert html_as_jpg.status_code == 422 and "evidence" in field_errors(html_as_jpg.text)
    rid, _ = receipt(b.post({"url": unique_url("png"), "category": "minors"},
                            files={"evidence": ("shot.png", PNG, "image/png")}))
    stored = r.client(decode_responses=False).hgetall(r.report_key(rid).encode())
    assert stored[b"evidence_type"] == b"image/png"
    assert PNG not in stored[b"evidence"] and PNG[8:30] not in stored[b"evidence"]
    case = r.client().hget(r.report_key(rid), "case")
    wait_queued(r, {case})
    a, other = Reviewer(g), Reviewer(g)
    got = a.claim().json()
    assert got["case"] == case, got
    [ev] = got["evidence"]
    assert ev["report"] == rid and ev["type"] == "image/png"
    img = a.http.get(g.url + ev["href"], headers={"Authorization": "Bearer " + a.token},
                     timeout=10)
    assert img.status_code == 200 and pixels(img.content) == pixels(PNG)
    assert img.headers["Content-Type"] == "image/png"
    assert img.headers["Content-Disposition"].startswith("attachment")
    assert img.headers["X-Content-Type-Options"] == "nosniff"
    refused = other.http.get(g.url + ev["href"],
                             headers={"Authorization": "Bearer " + other.token}, timeout=10)
    assert refused.status_code == 409
    assert requests.get(g.url + ev["href"], timeout=10).status_code == 401


def test_a_body_over_the_limit_gets_a_page(gateway):
    g = gateway(config="evidence_max = 1024\n")
    b = Browser(g)
    r = b.post({"url": unique_url("big"), "category": "fraud"},
               files={"evidence": ("big.png", PNG + b"\0" * 2048, "image/png")})
    assert r.status_code == 413 and "evidence" in field_errors(r.text), r.text[:500]
    huge = b.post({"url": unique_url("huge"), "category": "fraud"},
                  files={"evidence": ("huge.png", PNG + b"\0" * 200000, "image/png")})
    assert huge.status_code == 413 and huge.headers["Content-Type"].startswith("text/html")


def pixels(data):
    """The decoded image: its format, mode, size and every pixel."""
    im = Image.open(io.BytesIO(data))
    im.load()
    return im.format, im.mode, im.size, im.tobytes()


def gps_exif():
    ex = Image.Exif()
    ex[0x010F] = "SECRET-CAMERA"
    ex[0x8825] = {1: "N", 2: (39.0, 54.0, 27.0), 3: "E", 4: (116.0, 23.0, 30.0)}
    ex[0x8769] = {0xA431: "SECRET-SERIAL"}
    return ex.tobytes()


def picture(mode):
    """A small picture with gradients (so that every encoder has work to do)."""
    im = Image.new(mode, (67, 45))
    im.putdata([(x * 3, y * 5, (x * y) % 256, 255 - x)[:len(mode)]
                for y in range(45) for x in range(67)])
    return im


def jpeg_with_metadata():
    out = io.BytesIO()
    picture("RGB").save(out, "JPEG", quality=85, exif=gps_exif(), comment=b"SECRET-COMMENT")
    data = out.getvalue()
    xmp = b"http://ns.adobe.com/xap/1.0/\0<x:xmpmeta>SECRET-XMP</x:xmpmeta>"
    app1 = b"\xff\xe1" + (len(xmp) + 2).to_bytes(2, "big") + xmp
    return data[:2] + app1 + data[2:] + b"SECRET-AFTER-EOI"


def png_with_metadata():
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "SECRET-TEXT")
    info.add_text("Author", "SECRET-ZTXT", zip=True)
    info.add_itxt("XML:com.adobe.xmp", "<x:xmpmeta>SECRET-XMP</x:xmpmeta>")
    info.add(b"tIME", b"\x07\xe8\x05\x11\x0c\x22\x38")
    out = io.BytesIO()
    picture("RGBA").save(out, "PNG", pnginfo=info, exif=gps_exif())
    return out.getvalue()


def png_interlaced_with_metadata():
    """An Adam7-interlaced RGB PNG (Pillow writes none) with a text chunk."""
    im = picture("RGB")
    w, h = im.size
    raw = im.tobytes()
    passes = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2),
              (0, 1, 1, 2))
    data = b""
    for x0, y0, dx, dy in passes:
        for y in range(y0, h, dy):
            data += b"\0" + b"".join(raw[(y * w + x) * 3:(y * w + x) * 3 + 3]
                                      for x in range(x0, w, dx))

    def chunk(kind, body):
        return (len(body).to_bytes(4, "big") + kind + body +
                zlib.crc32(kind + body).to_bytes(4, "big"))
    return (b"\x89PNG\r\n\x1a\n" +
            chunk(b"IHDR", w.to_bytes(4, "big") + h.to_bytes(4, "big") + b"\x08\x02\0\0\x01") +
            chunk(b"tEXt", b"Comment\0SECRET-1") + chunk(b"tEXt", b"Comment\0SECRET-2") +
            chunk(b"tEXt", b"Comment\0SECRET-3") + chunk(b"IDAT", zlib.compress(data)) +
            chunk(b"IEND", b""))


def webp_with_metadata():
    out = io.BytesIO()
    picture("RGBA").save(out, "WEBP", quality=80, exif=gps_exif(),
                         xmp=b"<x:xmpmeta>SECRET-XMP</x:xmpmeta>")
    return out.getvalue()


def webp_animated_with_metadata():
    frames = [picture("RGBA").rotate(angle) for angle in (0, 30, 60)]
    out = io.BytesIO()
    frames[0].save(out, "WEBP", save_all=True, append_images=frames[1:], duration=100, loop=0,
                   exif=gps_exif(), xmp=b"<x:xmpmeta>SECRET-XMP</x:xmpmeta>")
    return out.getvalue()


def frames(data):
    im = Image.open(io.BytesIO(data))
    return [(f.mode, f.size, f.convert("RGBA").tobytes()) for f in ImageSequence.Iterator(im)]


def test_evidence_loses_its_metadata_and_keeps_its_pixels(redis_factory, gateway, worker):
    r, g, _ = start_stack(redis_factory, gateway, worker)
    b = Browser(g)
    url = unique_url("meta")
    sent = {}
    for name, ctype, data in (("photo.jpg", "image/jpeg", jpeg_with_metadata()),
                              ("shot.png", "image/png", png_with_metadata()),
                              ("interlaced.png", "image/png", png_interlaced_with_metadata()),
                              ("pic.webp", "image/webp", webp_with_metadata()),
                              ("anim.webp", "image/webp", webp_animated_with_metadata())):
        assert data.count(b"SECRET") >= 3, name
        rid, _ = receipt(b.post({"url": url, "category": "fraud"},
                                files={"evidence": (name, data, ctype)}))
        sent[rid] = data
    case = r.client().hget(r.report_key(rid), "case")
    wait_queued(r, {case})
    assert not [k for k, _, vals in r.dump_everything() if any(b"SECRET" in v for v in vals)]
    a = Reviewer(g)
    got = a.claim().json()
    assert got["case"] == case and len(got["evidence"]) == len(sent), got
    for ev in got["evidence"]:
        img = a.http.get(g.url + ev["href"], headers={"Authorization": "Bearer " + a.token},
                         timeout=10)
        assert img.status_code == 200, img.text
        served, original = img.content, sent[ev["report"]]
        assert b"SECRET" not in served, ev
        assert pixels(served) == pixels(original), ev
        assert frames(served) == frames(original), ev
        im = Image.open(io.BytesIO(served))
        assert not im.getexif(), (ev, dict(im.getexif()))
        leaked = set(im.info) & {"exif", "xmp", "XML:com.adobe.xmp", "comment", "icc_profile",
                                 "Comment", "Author"}
        assert not leaked, (ev, im.info)
        assert len(served) < len(original), (ev, len(served), len(original))


def test_an_image_that_does_not_decode_or_is_too_large_is_refused_beside_the_field(gateway):
    g = gateway(config="evidence_max_pixels = 2000\n")
    b = Browser(g)
    out = io.BytesIO()
    picture("RGB").save(out, "JPEG")
    truncated = out.getvalue()[:len(out.getvalue()) // 2]
    out = io.BytesIO()
    Image.new("RGB", (50, 41)).save(out, "PNG")          # 2050 pixels
    for name, data in (("cut.jpg", truncated), ("big.png", out.getvalue()),
                       ("fake.webp", b"RIFF\x10\0\0\0WEBPVP8 \x04\0\0\0abcd")):
        r = b.post({"url": unique_url("bad"), "category": "fraud", "description": "kept"},
                   files={"evidence": (name, data, "application/octet-stream")})
        assert r.status_code == 422, (name, r.status_code)
        assert "evidence" in field_errors(r.text), (name, r.text[:2000])
        assert ">kept</textarea>" in r.text and 'id="receipt-id"' not in r.text


def solve(challenge, bits):
    for counter in range(1 << 26):
        s = "%s:%d" % (challenge, counter)
        if int.from_bytes(hashlib.sha256(s.encode()).digest(), "big") >> (256 - bits) == 0:
            return s
    raise AssertionError("no solution")


def test_past_the_rate_limit_a_proof_of_work_lets_one_report_through(gateway):
    g = gateway(env={"JUBAO_RATE_LIMIT": None}, config="rate_anon = 1\npow_bits = 10\n")
    b = Browser(g)
    receipt(b.post({"url": unique_url("rl"), "category": "fraud"}))
    limited = b.post({"url": unique_url("rl"), "category": "fraud", "description": "kept"})
    assert limited.status_code == 429 and limited.headers["Retry-After"]
    m = re.search(r'id="pow"[^>]*data-challenge="([^"]+)" data-bits="(\d+)"', limited.text)
    assert m, limited.text[:2000]
    assert ">kept</textarea>" in limited.text
    answer = solve(m.group(1), int(m.group(2)))
    receipt(b.post({"url": unique_url("rl"), "category": "fraud", "pow": answer}))
    # one solution is good once; a wrong or forged one is no solution
    assert b.post({"url": unique_url("rl"), "category": "fraud", "pow": answer}).status_code == 429
    assert b.post({"url": unique_url("rl"), "category": "fraud",
                   "pow": m.group(1) + ":1"}).status_code == 429
    forged = "9999999999." + "0" * 32 + "." + "0" * 32
    assert b.post({"url": unique_url("rl"), "category": "fraud",
                   "pow": solve(forged, 10)}).status_code == 429


def test_malformed_forms_get_a_page_not_a_crash(gw):
    b = Browser(gw)
    bad = [
        ("multipart/form-data; boundary=zz", b"--zz\r\nContent-Disposition: form-data\r\n\r\nx"),
        ("multipart/form-data", b"anything"),
        ("application/x-www-form-urlencoded", b"url=%zz&category=fraud"),
        ("text/plain", b"url=x"),
    ]
    for ctype, body in bad:
        r = b.http.post(gw.url + "/report", data=body, headers={"Content-Type": ctype},
                        timeout=10)
        assert r.status_code == 400 and r.headers["Content-Type"].startswith("text/html"), (
            ctype, r.status_code)
    unknown = b.post({"url": unique_url("x"), "category": "fraud", "admin": "1"})
    assert unknown.status_code == 400 and 'id="error-summary"' in unknown.text
    wait_until(lambda: gw.get("/healthz").status_code == 200, 5)
