/* url_cases.h — case tables for test_url.c (included by it only).
 *
 * A row is an input and the canonical URL url_canonicalize must give, or NULL when it must
 * fail. Rows whose input holds a NUL byte give its length (RAW); the others use strlen.
 * Non-ASCII inputs are UTF-8; "\x.." escapes are split from following hex-like characters.
 */
#ifndef JUBAO_URL_CASES_H
#define JUBAO_URL_CASES_H

#include <stddef.h>

struct url_case {
    const char *in;
    size_t len;       /* 0: strlen(in) */
    const char *want; /* canonical URL, or NULL: must fail */
};

#define OK(in, want) {in, 0, want}
#define BAD(in) {in, 0, NULL}
#define RAW(lit, want) {lit, sizeof(lit) - 1, want}

/* Every canonicalization example of Google Safe Browsing "URLs and hashing" (Update API v4,
 * developers.google.com/safe-browsing/v4/urls-hashing), in the document's order. Where our
 * additions change the documented result, the comment says so and the row holds ours. */
static const struct url_case sb_doc_cases[] = {
    OK("http://host/%25%32%35", "http://host/%25"),
    OK("http://host/%25%32%35%25%32%35", "http://host/%25%25"),
    OK("http://host/%2525252525252525", "http://host/%25"),
    OK("http://host/asdf%25%32%35asd", "http://host/asdf%25asd"),
    OK("http://host/%%%25%32%35asd%%", "http://host/%25%25%25asd%25%25"),
    OK("http://www.google.com/", "http://www.google.com/"),
    OK("http://%31%36%38%2e%31%38%38%2e%39%39%2e%32%36/%2E%73%65%63%75%72%65/"
       "%77%77%77%2E%65%62%61%79%2E%63%6F%6D/",
       "http://168.188.99.26/.secure/www.ebay.com/"),
    OK("http://195.127.0.11/uploads/%20%20%20%20/.verify/"
       ".eBaysecure=updateuserdataxplimnbqmn-xplmvalidateinfoswqpcmlx=hgplmcx/",
       "http://195.127.0.11/uploads/%20%20%20%20/.verify/"
       ".eBaysecure=updateuserdataxplimnbqmn-xplmvalidateinfoswqpcmlx=hgplmcx/"),
    /* jubao: Safe Browsing gives "http://host%23.com/~a!b@c%23d$e%25f^00&11*22(33)44_55+";
     * the host unescapes to "host#.com", and '#' is a forbidden host code point. The path part
     * of this example is kept below on a valid host. */
    BAD("http://host%23.com/%257Ea%2521b%2540c%2523d%2524e%25f%255E00%252611%252A22%252833"
        "%252944_55%252B"),
    OK("http://host.com/%257Ea%2521b%2540c%2523d%2524e%25f%255E00%252611%252A22%252833"
       "%252944_55%252B",
       "http://host.com/~a!b@c%23d$e%25f^00&11*22(33)44_55+"),
    OK("http://3279880203/blah", "http://195.127.0.11/blah"),
    OK("http://www.google.com/blah/..", "http://www.google.com/"),
    OK("www.google.com/", "http://www.google.com/"),
    OK("www.google.com", "http://www.google.com/"),
    OK("http://www.evil.com/blah#frag", "http://www.evil.com/blah"),
    OK("http://www.GOOgle.com/", "http://www.google.com/"),
    OK("http://www.google.com.../", "http://www.google.com/"),
    OK("http://www.google.com/foo\tbar\rbaz\n2", "http://www.google.com/foobarbaz2"),
    /* Safe Browsing keeps a bare "?" ("http://www.google.com/q?"); we drop an empty query
     * like any other (see url.c), so "q?" and "q" are one case. */
    OK("http://www.google.com/q?", "http://www.google.com/q"),
    OK("http://www.google.com/q?r?", "http://www.google.com/q?r?"),
    OK("http://www.google.com/q?r?s", "http://www.google.com/q?r?s"),
    OK("http://evil.com/foo#bar#baz", "http://evil.com/foo"),
    OK("http://evil.com/foo;", "http://evil.com/foo;"),
    OK("http://evil.com/foo?bar;", "http://evil.com/foo?bar;"),
    /* Safe Browsing: "http://%01%80.com/". Our input must be UTF-8 and a raw 0x80 is not
     * (url.c, "Invalid UTF-8"), so this is an error; the escaped spelling fails too, as the
     * unescaped host is no UTF-8 either (see host_cases). */
    BAD("http://\x01\x80.com/"),
    OK("http://notrailingslash.com", "http://notrailingslash.com/"),
    /* Safe Browsing drops every port ("http://www.gotaport.com/"); we keep all but the
     * scheme's default, as another port is another server. */
    OK("http://www.gotaport.com:1234/", "http://www.gotaport.com:1234/"),
    OK("  http://www.google.com/  ", "http://www.google.com/"),
    /* jubao: Safe Browsing keeps a space in the host ("http://%20leadingspace.com/"); we refuse
     * WHATWG's forbidden host code points, space among them: no such host resolves. */
    BAD("http:// leadingspace.com/"),
    BAD("http://%20leadingspace.com/"),
    BAD("%20leadingspace.com/"),
    OK("https://www.securesite.com/", "https://www.securesite.com/"),
    OK("http://host.com/ab%23cd", "http://host.com/ab%23cd"),
    OK("http://host.com//twoslashes?more//slashes", "http://host.com/twoslashes?more//slashes"),
};

/* Further Safe Browsing vectors: the test tables of Google's reference client
 * (github.com/google/safebrowsing, urls_test.go, Apache-2.0) and the IPv6 examples of the
 * newer "URLs and hashing" text. That client drops the query and every port, and writes
 * lower-case hex; the rows hold our results. */
static const struct url_case sb_extra_cases[] = {
    OK("http://www.google.com/foo.html", "http://www.google.com/foo.html"),
    OK("http://google.com./foo.html", "http://google.com/foo.html"),
    OK("http://google.com.:8080/foo.html", "http://google.com:8080/foo.html"),
    OK("http://google...com/foo.html", "http://google.com/foo.html"),
    OK("http://..google.com/foo.html", "http://google.com/foo.html"),
    OK("http://[FEDC:BA98:7654:3210:FEDC:BA98:7654:3210]:80/index.html",
       "http://[fedc:ba98:7654:3210:fedc:ba98:7654:3210]/index.html"),
    OK("http://[::192.9.5.5]/ipng", "http://[::192.9.5.5]/ipng"),
    OK("http://0x12.0x43.0x44.0x01", "http://18.67.68.1/"),
    OK("http://192.168.0.1:80/index.html", "http://192.168.0.1/index.html"),
    OK("http://12.0x12.01234/", "http://12.18.2.156/"),
    OK("http://012.034.01.055/", "http://10.28.1.45/"),
    OK("http://167838211/", "http://10.1.2.3/"),
    OK("http://4294967295/", "http://255.255.255.255/"),
    OK("http://a.com", "http://a.com/"),
    OK("http://a.com/foo/.././bar/./../foo.html", "http://a.com/foo.html"),
    OK("http://a.com/a/b/", "http://a.com/a/b/"),
    OK("http://a.com//a//b///c////", "http://a.com/a/b/c/"),
    OK("http://www.google.com/q?r?s%3F", "http://www.google.com/q?r?s?"),
    OK("ftp.example.com/", "http://ftp.example.com/"),
    BAD("http://some%1bhost.com/%1b"), /* jubao: a control character in the host is refused */
    OK("http://www.\xC3\xBCmlat.com/", "http://www.xn--mlat-zra.com/"),
    OK("http://[2001:470:1:18::114]/", "http://[2001:470:1:18::114]/"),
    BAD("http://W!eird<>Ho$^.com/"), /* jubao: '<', '>' and '^' are forbidden host code points */
    OK("http://i.have.way.too.many.dots.com/", "http://i.have.way.too.many.dots.com/"),
    OK("www.google.com:8080/foo.html", "http://www.google.com:8080/foo.html"),
    OK("www.google.com:80/", "http://www.google.com/"),
    OK("www.google.com:80", "http://www.google.com/"),
    OK("http://[2001:0db8:0000::1]/", "http://[2001:db8::1]/"),
    OK("http://[::ffff:1.2.3.4]/", "http://1.2.3.4/"),
    OK("http://[64:ff9b::1.2.3.4]/", "http://1.2.3.4/"),
    /* The reference client takes "276.2.3" as 20.2.0.3 (bytes wrap); inet_aton and WHATWG
     * refuse it, and so do we. It keeps "123.123.0.0.1" as a name; WHATWG and we refuse a
     * host ending in a number that is no address. */
    BAD("http://276.2.3/"),
    BAD("http://123.123.0.0.1/"),
    /* Not an IPv4 address (its reference parser says so), and "00x0" is no number, so a
     * name, as in WHATWG. */
    OK("http://1.2.3.00x0/", "http://1.2.3.00x0/"),
    /* It unescapes the whole URL before splitting it; we split first (url.c), so the
     * escaped "://" stays inside the host, where '/' is refused. */
    BAD("http%3A%2F%2Fwackyurl.com:80/"),
    /* Its failures: no host. */
    BAD(""),
    BAD(":"),
    BAD("/blah"),
    BAD("#ref"),
    BAD("/blah#ref"),
    BAD("?query#ref"),
    BAD("/blah?query#ref"),
    BAD("/blah;param"),
    BAD("http://#ref"),
    BAD("http:///blah#ref"),
    BAD("http://?query#ref"),
    BAD("http:///blah?query#ref"),
    BAD("http:///blah;param"),
    BAD("http:///blah;param?query#ref"),
    BAD("mailto:bryner@google.com"),
    BAD("http:www.google.com:8080/foo.html"),
    BAD("www.google.com:xxyy/foo.html:80"),
    BAD("/asdf"),
};

/* Host-parsing cases of the WHATWG URL tests (urltestdata.json, from web-platform-tests,
 * as shipped with rust-url: Copyright (c) 2013-2025 The rust-url developers, MIT licence:
 * "Permission is hereby granted, free of charge, to any person obtaining a copy ... The
 * above copyright notice and this permission notice shall be included in all copies or
 * substantial portions of the Software."), restricted to absolute http(s) inputs where Safe
 * Browsing and WHATWG agree on the host. Expected values are WHATWG's "href" except that we
 * drop userinfo and fragments (marked "ours"). Not taken: cases where Safe Browsing keeps
 * a host WHATWG refuses (spaces, '%', '#', '<', '|', C0 controls), where WHATWG keeps "//"
 * in paths or %2E, and "http:example.com" (we require "//"). */
static const struct url_case whatwg_cases[] = {
    OK("http://example\t.\norg", "http://example.org/"),
    OK("http://ExAmPlE.CoM", "http://example.com/"),
    OK("http://www.google.com", "http://www.google.com/"),
    OK("http://www.example2.com", "http://www.example2.com/"),
    OK("http://ho\tst/", "http://host/"),
    OK("http://ho\nst/", "http://host/"),
    OK("http://ho\rst/", "http://host/"),
    BAD("http://!\"$&'()*+,-.;=_`{}~/"), /* jubao: WHATWG allows '"' in a host; we do not */
    OK("http:\\\\www.google.com\\foo", "http://www.google.com/foo"),
    /* IPv4 */
    OK("http://192.0x00A80001", "http://192.168.0.1/"),
    OK("http://1.2.3.4/", "http://1.2.3.4/"),
    OK("http://1.2.3.4./", "http://1.2.3.4/"),
    OK("http://192.168.257", "http://192.168.1.1/"),
    OK("http://192.168.257.", "http://192.168.1.1/"),
    OK("http://192.168.257.com", "http://192.168.257.com/"),
    OK("http://256", "http://0.0.1.0/"),
    OK("http://256.com", "http://256.com/"),
    OK("http://999999999", "http://59.154.201.255/"),
    OK("http://999999999.", "http://59.154.201.255/"),
    OK("http://999999999.com", "http://999999999.com/"),
    OK("http://10000000000.com", "http://10000000000.com/"),
    OK("http://4294967295", "http://255.255.255.255/"),
    OK("http://0xffffffff", "http://255.255.255.255/"),
    OK("http://0x7f.0.0.0x7g", "http://0x7f.0.0.0x7g/"),
    OK("http://0X7F.0.0.0X7G", "http://0x7f.0.0.0x7g/"),
    OK("http://%30%78%63%30%2e%30%32%35%30.01", "http://192.168.0.1/"),
    OK("http://%30%78%63%30%2e%30%32%35%30.01%2e", "http://192.168.0.1/"),
    OK("http://\xEF\xBC\x90\xEF\xBC\xB8\xEF\xBD\x83\xEF\xBC\x90\xEF\xBC\x8E\xEF\xBC\x90"
       "\xEF\xBC\x92\xEF\xBC\x95\xEF\xBC\x90\xEF\xBC\x8E\xEF\xBC\x90\xEF\xBC\x91",
       "http://192.168.0.1/"), /* full-width "0Xc0.0250.01" */
    OK("http://127.0.0.1:10100/relative_import.html",
       "http://127.0.0.1:10100/relative_import.html"),
    BAD("http://192.168.0.257"),
    BAD("http://%3g%78%63%30%2e%30%32%35%30%2E.01"),
    BAD("http://10000000000"),
    BAD("http://4294967296"),
    BAD("http://0xffffffff1"),
    BAD("http://256.256.256.256"),
    BAD("https://0x100000000/test"),
    BAD("https://256.0.0.1/test"),
    BAD("http://1.2.3.4.5"),
    BAD("http://1.2.3.4.5."),
    BAD("http://256.256.256.256.256"),
    BAD("http://256.256.256.256.256."),
    BAD("http://1.2.3.08"),
    BAD("http://1.2.3.08."),
    BAD("http://1.2.3.09"),
    BAD("http://09.2.3.4"),
    BAD("http://09.2.3.4."),
    BAD("http://01.2.3.4.5"),
    BAD("http://01.2.3.4.5."),
    BAD("http://0x100.2.3.4"),
    BAD("http://0x100.2.3.4."),
    BAD("http://0x1.2.3.4.5"),
    BAD("http://0x1.2.3.4.5."),
    BAD("http://foo.1.2.3.4"),
    BAD("http://foo.1.2.3.4."),
    BAD("http://foo.2.3.4"),
    BAD("http://foo.2.3.4."),
    BAD("http://foo.09"),
    BAD("http://foo.09."),
    BAD("http://foo.0x4"),
    BAD("http://foo.0x4."),
    BAD("http://0999999999999999999/"),
    BAD("http://foo.0x"),
    BAD("http://foo.0XFfFfFfFfFfFfFfFfFfAcE123"),
    BAD("http://\xF0\x9F\x92\xA9.123/"),
    /* IPv6 */
    OK("http://[2001::1]", "http://[2001::1]/"),
    OK("http://[2001::1]:80", "http://[2001::1]/"),
    OK("http://[1:0::]", "http://[1::]/"),
    OK("http://[0:1:0:1:0:1:0:1]", "http://[0:1:0:1:0:1:0:1]/"),
    OK("http://[1:0:1:0:1:0:1:0]", "http://[1:0:1:0:1:0:1:0]/"),
    BAD("http://[1::2]:3:4"),
    BAD("http://2001::1"),
    BAD("http://2001::1]"),
    BAD("http://2001::1]:80"),
    BAD("http://[::127.0.0.1.]"),
    BAD("http://[]"),
    BAD("http://[:]"),
    BAD("http://[www.google.com]/"),
    BAD("http://[google.com]"),
    BAD("http://[::1.2.3.4x]"),
    BAD("http://[::1.2.3.]"),
    BAD("http://[::1.2.]"),
    BAD("http://[::.1.2]"),
    BAD("http://[::1.]"),
    BAD("http://[::.1]"),
    BAD("http://[::%31]"),
    BAD("http://%5B::1]"),
    BAD("http://[0:1:2:3:4:5:6:7:8]"),
    BAD("https://[0::0::0]"),
    BAD("https://[0:.0]"),
    BAD("https://[0:0:]"),
    BAD("https://[0:1:2:3:4:5:6:7.0.0.0.1]"),
    BAD("https://[0:1.00.0.0.0]"),
    BAD("https://[0:1.290.0.0.0]"),
    BAD("https://[0:1.23.23]"),
    BAD("http://[::127.0.0.0.1]"),
    /* IDN */
    OK("http://\xE4\xBD\xA0\xE5\xA5\xBD\xE4\xBD\xA0\xE5\xA5\xBD", "http://xn--6qqa088eba/"),
    OK("https://fa\xC3\x9F.ExAmPlE/", "https://xn--fa-hia.example/"),
    OK("http://\xEF\xBC\xA7\xEF\xBD\x8F.com", "http://go.com/"), /* full-width "Go" */
    OK("http://www.foo\xE3\x80\x82" "bar.com", "http://www.foo.bar.com/"),
    OK("http://GOO\xE2\x80\x8B\xE2\x81\xA0\xEF\xBB\xBF" "goo.com", "http://googoo.com/"),
    OK("https://a%C2%AD" "b/", "https://ab/"),
    OK("https://%e2%98%83", "https://xn--n3h/"), /* via the transitional fallback */
    BAD("http://GOO\xC2\xA0\xE3\x80\x80goo.com"),
    BAD("http://\xEF\xB7\x90zyx.com"),
    BAD("http://%ef%b7%90zyx.com"),
    BAD("https://\xEF\xBF\xBD"),
    BAD("https://%EF%BF%BD"),
    BAD("http://a.b.c.xn--pokxncvks"),
    BAD("http://10.0.0.xn--pokxncvks"),
    BAD("http://a.b.c.XN--pokxncvks"),
    BAD("http://a.b.c.Xn--pokxncvks"),
    BAD("http://10.0.0.XN--pokxncvks"),
    BAD("http://10.0.0.xN--pokxncvks"),
    BAD("http://\xEF\xBC\x85\xEF\xBC\x94\xEF\xBC\x91.com"), /* full-width "%41" */
    BAD("http://%ef%bc%85%ef%bc%94%ef%bc%91.com"),
    BAD("http://\xEF\xBC\x85\xEF\xBC\x90\xEF\xBC\x90.com"), /* full-width "%00" */
    BAD("http://%ef%bc%85%ef%bc%90%ef%bc%90.com"),
    BAD("https://\xEF\xBF\xBFy"),
    BAD("https://\xC2\xAD/"),
    BAD("https://%C2%AD/"),
    BAD("https://xn--/"),
    BAD("https://example.com%80/"),
    BAD("https://example.com%A0/"),
    /* delimiters and NUL in hosts */
    RAW("http://a\0b/", NULL),
    RAW("https://\0y", NULL),
    BAD("http://hello%00"),
    BAD("http://a[b/"),
    BAD("http://a]b/"),
    BAD("http://ho%00st/"),
    BAD("http://ho%2Fst/"),
    BAD("http://ho%3Ast/"),
    BAD("http://ho%3Fst/"),
    BAD("http://ho%40st/"),
    BAD("http://ho%5Bst/"),
    BAD("http://ho%5Cst/"),
    BAD("http://ho%5Dst/"),
    BAD("http://?"),
    BAD("http://#"),
    /* ports */
    OK("http://f:/c", "http://f/c"),
    OK("http://f:0/c", "http://f:0/c"),
    OK("http://f:00000000000000/c", "http://f:0/c"),
    OK("http://f:00000000000000000000080/c", "http://f/c"),
    OK("http://f:\n/c", "http://f/c"),
    OK("http://foo:80/", "http://foo/"),
    OK("http://foo:81/", "http://foo:81/"),
    OK("https://foo:443/", "https://foo/"),
    OK("https://foo:80/", "https://foo:80/"),
    OK("https://localhost:3000/jqueryui@1.2.3", "https://localhost:3000/jqueryui@1.2.3"),
    BAD("http://f:b/c"),
    BAD("http://f: /c"),
    BAD("http://f:fifty-two/c"),
    BAD("http://f:999999/c"),
    BAD("http://f: 21 / b ? d # e "),
    BAD("http://foo:-80/"),
    BAD("http://f:4294967377/c"),
    BAD("http://f:18446744073709551697/c"),
    BAD("http://f:340282366920938463463374607431768211537/c"),
    /* userinfo: WHATWG keeps it, we drop it (ours) */
    OK("http://user:pass@foo:21/bar;par?b#c", "http://foo:21/bar;par?b"),
    OK("https://test:@test", "https://test/"),
    OK("https://:@test", "https://test/"),
    OK("http://a:b@c:29/d", "http://c:29/d"),
    OK("http://&a:foo(b]c@d:2/", "http://d:2/"),
    OK("http://::@c@d:2", "http://d:2/"),
    OK("http://foo.com:b@d/", "http://d/"),
    OK("http://a:b@c\\", "http://c/"),
    OK("http://@www.example.com", "http://www.example.com/"),
    OK("http://a:b@www.example.com", "http://www.example.com/"),
    OK("http://@pple.com", "http://pple.com/"),
    OK("http://:b@www.example.com", "http://www.example.com/"),
    OK("http://a:@www.example.com", "http://www.example.com/"),
    OK("http://www.@pple.com", "http://pple.com/"),
    OK("http://:@www.example.com", "http://www.example.com/"),
    OK("http://%25DOMAIN:foobar@foodomain.com/", "http://foodomain.com/"),
    OK("http://foo:\xF0\x9F\x92\xA9@example.com/bar", "http://example.com/bar"),
    OK("https://@test@test@example:800/", "https://example:800/"),
    OK("https://@@@example", "https://example/"),
    OK("https://user:pass[\x7F@foo/bar", "https://foo/bar"),
    BAD("http://user:pass@/"),
    BAD("http://user@/www.example.com"),
    BAD("http://@/www.example.com"),
    BAD("http://a:b@/www.example.com"),
    BAD("http://@:www.example.com"),
};

/* Our additions to Safe Browsing: tracking parameters, ports, userinfo, backslashes, IDN,
 * IPv6, trimming. */
static const struct url_case our_cases[] = {
    /* tracking parameters (each listed name is also checked by test_tracking_each) */
    OK("https://example.com/a?utm_source=x&id=5&utm_medium=y#top", "https://example.com/a?id=5"),
    OK("https://example.com/?fbclid=IwAR0abc", "https://example.com/"),
    OK("https://example.com/p?b=2&gclid=1&a=1", "https://example.com/p?b=2&a=1"),
    OK("https://mp.weixin.qq.com/s?__biz=MzA5&mid=2650&idx=1&sn=3f1c&chksm=8b&scene=21"
       "&from=singlemessage&isappinstalled=0#wechat_redirect",
       "https://mp.weixin.qq.com/s?__biz=MzA5&mid=2650&idx=1&sn=3f1c&chksm=8b"),
    OK("https://example.com/x?from=timeline&id=1", "https://example.com/x?id=1"),
    OK("https://example.com/x?id=1&from=groupmessage", "https://example.com/x?id=1"),
    OK("https://example.com/list?from=20&size=10", "https://example.com/list?from=20&size=10"),
    OK("https://example.com/list?from", "https://example.com/list?from"),
    OK("https://example.com/?utm=1&xutm_source=2", "https://example.com/?utm=1&xutm_source=2"),
    OK("https://example.com/?UTM_SOURCE=1", "https://example.com/?UTM_SOURCE=1"),
    OK("https://example.com/?utm_source", "https://example.com/"),
    OK("https://example.com/?%75tm_source=1&a=1", "https://example.com/?a=1"),
    OK("https://example.com/?a=1&&b=2", "https://example.com/?a=1&&b=2"),
    OK("https://example.com/?a=1&utm_source=x&", "https://example.com/?a=1&"),
    /* The query is unescaped as Safe Browsing says, so an escaped '&' splits it too. */
    OK("https://example.com/?q=a%26utm_source%3Dx", "https://example.com/?q=a"),
    /* default ports */
    OK("http://example.com:8080/", "http://example.com:8080/"),
    OK("http://example.com:443/", "http://example.com:443/"),
    OK("https://example.com:0443/", "https://example.com/"),
    OK("http://example.com:65535/", "http://example.com:65535/"),
    OK("localhost:3000", "http://localhost:3000/"),
    OK("[::1]:8080/x", "http://[::1]:8080/x"),
    BAD("http://example.com:65536/"),
    BAD("http://example.com:8a/"),
    BAD("http://example.com:%38%30/"),
    /* userinfo */
    OK("http://user:pass@example.com/", "http://example.com/"),
    OK("https://alice@example.com:8443/inbox", "https://example.com:8443/inbox"),
    OK("http://a@b@c.example/", "http://c.example/"),
    /* an escaped '/' or '@' must not move the host (url.c: authority split first) */
    OK("http://bank.example%2F@evil.example/", "http://evil.example/"),
    BAD("http://bank.example%40evil.example/"),
    /* backslashes as browsers read them */
    OK("http://evil.example\\@good.example/", "http://evil.example/@good.example/"),
    OK("http://example.com\\foo\\bar", "http://example.com/foo/bar"),
    OK("http://example.com/a%5Cb", "http://example.com/a%5Cb"),
    OK("http://example.com/a?b\\c", "http://example.com/a?b\\c"),
    /* IDN and full-width dots */
    OK("http://\xE4\xBE\x8B\xE5\xAD\x90.\xE6\xB5\x8B\xE8\xAF\x95/",
       "http://xn--fsqu00a.xn--0zwm56d/"),
    OK("http://\xE4\xBE\x8B\xE5\xAD\x90\xE3\x80\x82\xE6\xB5\x8B\xE8\xAF\x95/",
       "http://xn--fsqu00a.xn--0zwm56d/"), /* U+3002 */
    OK("http://\xE4\xBE\x8B\xE5\xAD\x90\xEF\xBC\x8E\xE6\xB5\x8B\xE8\xAF\x95/",
       "http://xn--fsqu00a.xn--0zwm56d/"), /* U+FF0E */
    OK("http://\xE4\xBE\x8B\xE5\xAD\x90\xEF\xBD\xA1\xE6\xB5\x8B\xE8\xAF\x95/",
       "http://xn--fsqu00a.xn--0zwm56d/"), /* U+FF61 */
    OK("http://\xE4\xBE\x8B\xE5\xAD\x90\xE3\x80\x82\xE6\xB5\x8B\xE8\xAF\x95\xE3\x80\x82/",
       "http://xn--fsqu00a.xn--0zwm56d/"), /* trailing full-width dot */
    OK("http://%E4%BE%8B%E5%AD%90.%E6%B5%8B%E8%AF%95/", "http://xn--fsqu00a.xn--0zwm56d/"),
    OK("http://xn--fsqu00a.xn--0zwm56d/", "http://xn--fsqu00a.xn--0zwm56d/"),
    OK("http://fa\xC3\x9F.de/", "http://xn--fa-hia.de/"),
    OK("http://fass.de/", "http://fass.de/"),
    OK("http://XN--FA-HIA.DE/", "http://xn--fa-hia.de/"),
    OK("http://B\xC3\xBC" "cher.DE/", "http://xn--bcher-kva.de/"),
    OK("http://\xE2\x98\x83.net/", "http://xn--n3h.net/"), /* transitional fallback */
    OK("http://xn--n3h.net/", "http://xn--n3h.net/"),
    OK("http://foo_bar.\xE4\xBE\x8B\xE5\xAD\x90.com/", "http://foo_bar.xn--fsqu00a.com/"),
    OK("http://www.\xE4\xBE\x8B\xE5\xAD\x90.\xE5\x85\xAC\xE5\x8F\xB8.cn/",
       "http://www.xn--fsqu00a.xn--55qx5d.cn/"),
    BAD("http://a-.\xE4\xBE\x8B\xE5\xAD\x90/"),
    BAD("http://xn--a.com/"),
    BAD("http://%C3%28.com/"), /* unescaped host is not UTF-8 */
    BAD("http://%01%80.com/"),
    BAD("http://w!eird.\xE4\xBE\x8B\xE5\xAD\x90/"), /* IDNA output must be LDH */
    /* IPv6 */
    OK("http://[FE80::1]/", "http://[fe80::1]/"),
    BAD("http://[::1/"),
    BAD("http://[::1]x/"),
    BAD("http://[fe80::1%25eth0]/"),
    /* trimming, scheme, paths */
    OK("\xE3\x80\x80http://example.com/\xE3\x80\x80", "http://example.com/"),
    OK("\xC2\xA0https://example.com/path\xEF\xBB\xBF", "https://example.com/path"),
    OK("\xE2\x80\x8B" "example.com/\x01 ", "http://example.com/"),
    OK("//example.com/x", "http://example.com/x"),
    OK("HTTPS://EXAMPLE.COM/Path", "https://example.com/Path"),
    OK("hTtP://Example.com", "http://example.com/"),
    OK("http://example.com/%7euser", "http://example.com/~user"),
    OK("http://example.com/caf\xC3\xA9", "http://example.com/caf%C3%A9"),
    OK("http://example.com/caf%E9", "http://example.com/caf%E9"),
    OK("http://example.com/a%3Fb", "http://example.com/a?b"),
    OK("http://example.com/a b", "http://example.com/a%20b"),
    OK("http://example.com/%00", "http://example.com/%00"),
    RAW("http://example.com/a\0b", "http://example.com/a%00b"),
    OK("http://example.com/%2E%2E/%2e/x", "http://example.com/x"),
    OK("http://example.com/a/b/../../../..", "http://example.com/"),
    OK("http://example.com?x=1", "http://example.com/?x=1"),
    OK("http://example.com/p\\q?r", "http://example.com/p/q?r"),
};

/* Inputs, hosts and registrable domains. */
struct domain_case {
    const char *in;
    const char *scheme;
    const char *host;
    const char *domain;
};

static const struct domain_case domain_cases[] = {
    {"http://www.bbc.co.uk/news", "http", "www.bbc.co.uk", "bbc.co.uk"},
    {"https://a.b.example.com.cn/", "https", "a.b.example.com.cn", "example.com.cn"},
    {"http://192.168.1.1/", "http", "192.168.1.1", "192.168.1.1"},
    {"http://3279880203/", "http", "195.127.0.11", "195.127.0.11"},
    {"http://[2001:DB8::1]:8080/", "http", "[2001:db8::1]", "[2001:db8::1]"},
    {"http://[::ffff:10.0.0.1]/", "http", "10.0.0.1", "10.0.0.1"},
    {"http://co.uk/", "http", "co.uk", "co.uk"}, /* a public suffix itself */
    {"http://localhost:8080/", "http", "localhost", "localhost"},
    {"https://someone.github.io/x", "https", "someone.github.io", "someone.github.io"},
    {"https://mp.weixin.qq.com/s?x=1", "https", "mp.weixin.qq.com", "qq.com"},
    {"http://www.\xE4\xBE\x8B\xE5\xAD\x90.\xE5\x85\xAC\xE5\x8F\xB8.cn/", "http",
     "www.xn--fsqu00a.xn--55qx5d.cn", "xn--fsqu00a.xn--55qx5d.cn"},
    {"http://www.\xE4\xBE\x8B\xE5\xAD\x90.\xE6\xB5\x8B\xE8\xAF\x95/", "http",
     "www.xn--fsqu00a.xn--0zwm56d", "xn--fsqu00a.xn--0zwm56d"},
    {"http://user:pw@Sub.Example.COM.:80/", "http", "sub.example.com", "example.com"},
};

/* Inputs that must fail, and a word the reason must contain. */
struct error_case {
    const char *in;
    size_t len; /* 0: strlen(in) */
    const char *reason;
};

static const struct error_case error_cases[] = {
    {"ftp://x", 0, "unsupported scheme"},
    {"javascript:alert(1)", 0, "unsupported scheme"},
    {"JavaScript:alert(1)//http://x.com/", 0, "unsupported scheme"},
    {"data:text/html,hi", 0, "unsupported scheme"},
    {"file:///etc/passwd", 0, "unsupported scheme"},
    {"http://", 0, "no host"},
    {"http:///path", 0, "no host"},
    {"https://user@/", 0, "no host"},
    {"http://.../", 0, "empty host"},
    {"http://%2e%2E./x", 0, "empty host"},
    {"http:example.com", 0, "expected //"},
    {"", 0, "empty URL"},
    {" \t\r\n ", 0, "empty URL"},
    {"#only-a-fragment", 0, "empty URL"},
    {"http://example.com/\xFF", 0, "UTF-8"},
    {"http://ex\xC3\x28" "ample.com/", 0, "UTF-8"},
    {"http://example.com/\xC0\xAF", 0, "UTF-8"},     /* overlong '/' */
    {"http://example.com/\xED\xA0\x80", 0, "UTF-8"}, /* surrogate */
    {"http://example.com/\xF4\x90\x80\x80", 0, "UTF-8"}, /* above U+10FFFF */
    {"http://example.com/\xE4\xBD", 0, "UTF-8"},     /* truncated */
    {"http://%C3%28.com/", 0, "host is not valid UTF-8"},
    {"http://a-.\xE4\xBE\x8B\xE5\xAD\x90/", 0, "invalid IDN"},
    {"http://example.com:65536/", 0, "port"},
    {"http://example.com:8a/", 0, "port"},
    {"http://[::1/", 0, "IPv6"},
    {"http://[::1::2]/", 0, "IPv6"},
    {"http://1.2.3.256/", 0, "IPv4"},
    {"http://ho%2Fst/", 0, "invalid character in host"},
    {"http://a\0b/", sizeof("http://a\0b/") - 1, "invalid character in host"},
};

#endif
