/* Unit tests for gateway/image.h: images crafted here (small images that Pillow made, as bytes,
 * with metadata blocks added by the helpers below) lose every metadata block, keep what the
 * decoder needs, stay stable when stripped again; undecodable images and decompression bombs
 * (huge declared dimensions in a few bytes) are refused. That the pixels stay the same is
 * checked with Pillow in tests/integration/test_web.py. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <zlib.h>

#include "buf.h"
#include "image.h"

#define MAX_PIXELS 30000000L

/* A 16 x 16 colour JPEG (JFIF, 4:2:0), a 4 x 4 PNG with a palette and a transparent entry
 * (tRNS), a 4 x 4 lossless WebP with alpha: none carries metadata. */
static const unsigned char JPEG_BASE[] = {
    0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01,
    0x00, 0x01, 0x00, 0x00, 0xff, 0xdb, 0x00, 0x43, 0x00, 0x08, 0x06, 0x06, 0x07, 0x06, 0x05, 0x08,
    0x07, 0x07, 0x07, 0x09, 0x09, 0x08, 0x0a, 0x0c, 0x14, 0x0d, 0x0c, 0x0b, 0x0b, 0x0c, 0x19, 0x12,
    0x13, 0x0f, 0x14, 0x1d, 0x1a, 0x1f, 0x1e, 0x1d, 0x1a, 0x1c, 0x1c, 0x20, 0x24, 0x2e, 0x27, 0x20,
    0x22, 0x2c, 0x23, 0x1c, 0x1c, 0x28, 0x37, 0x29, 0x2c, 0x30, 0x31, 0x34, 0x34, 0x34, 0x1f, 0x27,
    0x39, 0x3d, 0x38, 0x32, 0x3c, 0x2e, 0x33, 0x34, 0x32, 0xff, 0xdb, 0x00, 0x43, 0x01, 0x09, 0x09,
    0x09, 0x0c, 0x0b, 0x0c, 0x18, 0x0d, 0x0d, 0x18, 0x32, 0x21, 0x1c, 0x21, 0x32, 0x32, 0x32, 0x32,
    0x32, 0x32, 0x32, 0x32, 0x32, 0x32, 0x32, 0x32, 0x32, 0x32, 0x32, 0x32, 0x32, 0x32, 0x32, 0x32,
    0x32, 0x32, 0x32, 0x32, 0x32, 0x32, 0x32, 0x32, 0x32, 0x32, 0x32, 0x32, 0x32, 0x32, 0x32, 0x32,
    0x32, 0x32, 0x32, 0x32, 0x32, 0x32, 0x32, 0x32, 0x32, 0x32, 0x32, 0x32, 0x32, 0x32, 0xff, 0xc0,
    0x00, 0x11, 0x08, 0x00, 0x10, 0x00, 0x10, 0x03, 0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11,
    0x01, 0xff, 0xc4, 0x00, 0x15, 0x00, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x06, 0x07, 0xff, 0xc4, 0x00, 0x19, 0x10, 0x00, 0x01, 0x05,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x11, 0x00, 0x04,
    0x05, 0x13, 0x22, 0xff, 0xc4, 0x00, 0x15, 0x01, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x05, 0xff, 0xc4, 0x00, 0x1f, 0x11, 0x00,
    0x01, 0x02, 0x06, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x12,
    0x00, 0x05, 0x04, 0x06, 0x11, 0x21, 0x31, 0x41, 0x81, 0xa1, 0xb2, 0xff, 0xda, 0x00, 0x0c, 0x03,
    0x01, 0x00, 0x02, 0x11, 0x03, 0x11, 0x00, 0x3f, 0x00, 0x9d, 0x30, 0x82, 0xa4, 0x60, 0x94, 0x99,
    0x84, 0x15, 0x23, 0x04, 0xa4, 0xac, 0x20, 0xe9, 0x18, 0x25, 0x26, 0x63, 0x05, 0x48, 0xc1, 0x2a,
    0x6c, 0x5b, 0xa8, 0x6c, 0x47, 0x91, 0xaf, 0xa2, 0xe9, 0x39, 0x7d, 0xef, 0x17, 0x5f, 0xff, 0xd9,
};
static const unsigned char PNG_BASE[] = {
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x04, 0x02, 0x03, 0x00, 0x00, 0x00, 0xd4, 0x9f, 0x76,
    0xed, 0x00, 0x00, 0x00, 0x09, 0x50, 0x4c, 0x54, 0x45, 0xff, 0x00, 0x00, 0x00, 0xff, 0x00, 0x00,
    0x00, 0xff, 0x2d, 0x4a, 0xcd, 0x8a, 0x00, 0x00, 0x00, 0x02, 0x74, 0x52, 0x4e, 0x53, 0xff, 0x00,
    0xe5, 0xb7, 0x30, 0x4a, 0x00, 0x00, 0x00, 0x10, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x90,
    0x60, 0x48, 0x64, 0x68, 0x63, 0x90, 0x00, 0x00, 0x04, 0x3f, 0x01, 0x18, 0x6d, 0x65, 0xb7, 0x86,
    0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
};
static const unsigned char WEBP_BASE[] = {
    0x52, 0x49, 0x46, 0x46, 0x1e, 0x00, 0x00, 0x00, 0x57, 0x45, 0x42, 0x50, 0x56, 0x50, 0x38, 0x4c,
    0x11, 0x00, 0x00, 0x00, 0x2f, 0x03, 0xc0, 0x00, 0x10, 0x07, 0x50, 0x8a, 0x2a, 0xd4, 0xa3, 0x80,
    0x81, 0x88, 0xe8, 0x7f, 0x00, 0x00,
};

/* ---- building blocks ------------------------------------------------------------------- */

static void put16be(struct buf *b, unsigned v)
{
    unsigned char x[2] = {(unsigned char)(v >> 8), (unsigned char)v};
    buf_add(b, x, 2);
}

static void put32be(struct buf *b, uint32_t v)
{
    unsigned char x[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 8), (unsigned char)v};
    buf_add(b, x, 4);
}

static void put32le(struct buf *b, uint32_t v)
{
    unsigned char x[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 24)};
    buf_add(b, x, 4);
}

static uint32_t get32le(const unsigned char *p)
{
    return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* A big-endian TIFF as EXIF holds it: IFD0 with Make and a GPS IFD with latitude N 39/1 54/1
 * 27/1. */
static void put_tiff_gps(struct buf *b)
{
    buf_add(b, "MM\0*", 4);
    put32be(b, 8);
    put16be(b, 2);                                   /* IFD0 at 8, 30 bytes */
    put16be(b, 0x010f), put16be(b, 2), put32be(b, 14), put32be(b, 68);   /* Make */
    put16be(b, 0x8825), put16be(b, 4), put32be(b, 1), put32be(b, 38);    /* GPSInfo IFD */
    put32be(b, 0);
    put16be(b, 2);                                   /* GPS IFD at 38, 30 bytes */
    put16be(b, 0x0001), put16be(b, 2), put32be(b, 2), buf_add(b, "N\0\0\0", 4);
    put16be(b, 0x0002), put16be(b, 5), put32be(b, 3), put32be(b, 82);
    put32be(b, 0);
    buf_add(b, "SECRET-CAMERA", 14);                 /* at 68 */
    const uint32_t lat[] = {39, 1, 54, 1, 27, 1};    /* at 82 */
    for (size_t i = 0; i < 6; i++)
        put32be(b, lat[i]);
}

static void jpeg_segment(struct buf *b, unsigned marker, const void *data, size_t len)
{
    put16be(b, 0xff00 | marker);
    put16be(b, (unsigned)len + 2);
    buf_add(b, data, len);
}

static void png_chunk(struct buf *b, const char type[4], const void *data, size_t len)
{
    put32be(b, (uint32_t)len);
    size_t at = b->len;
    buf_add(b, type, 4);
    buf_add(b, data, len);
    put32be(b, (uint32_t)crc32(0L, (const unsigned char *)b->p + at, (uInt)(len + 4)));
}

static void riff_chunk(struct buf *b, const char fourcc[4], const void *data, size_t len)
{
    buf_add(b, fourcc, 4);
    put32le(b, (uint32_t)len);
    buf_add(b, data, len);
    if (len & 1)
        buf_add(b, "", 1);
}

/* ---- checks ---------------------------------------------------------------------------- */

static bool has(const char *p, size_t n, const char *needle)
{
    return memmem(p, n, needle, strlen(needle)) != NULL;
}

/* Strips in and checks that the result holds none of the secrets nor forbidden strings, and
 * that stripping it again changes nothing. Returns the result (the caller frees it). */
static char *strip_ok(const struct buf *in, size_t *outlen, const char *const *gone)
{
    char *out = NULL, err[200] = "";
    int rc = image_strip(in->p, in->len, MAX_PIXELS, &out, outlen, err, sizeof err);
    if (rc != 0)
        fail_msg("image_strip: %d %s", rc, err);
    assert_non_null(out);
    assert_string_equal(image_type(out, *outlen), image_type(in->p, in->len));
    if (has(out, *outlen, "SECRET"))
        fail_msg("a secret is left in the stripped image");
    for (size_t i = 0; gone && gone[i]; i++)
        if (has(out, *outlen, gone[i]))
            fail_msg("\"%s\" is left in the stripped image", gone[i]);
    char *again = NULL;
    size_t againlen = 0;
    assert_int_equal(image_strip(out, *outlen, MAX_PIXELS, &again, &againlen, err, sizeof err), 0);
    assert_int_equal(againlen, *outlen);
    assert_memory_equal(again, out, againlen);
    free(again);
    return out;
}

static void assert_refused(const void *p, size_t n, long max_pixels, int code)
{
    static char untouched[] = "untouched";
    char *out = untouched, err[200] = "";
    size_t outlen = 1;
    int rc = image_strip(p, n, max_pixels, &out, &outlen, err, sizeof err);
    if (rc != code)
        fail_msg("image_strip gave %d (%s), not %d", rc, err, code);
    assert_null(out);
    assert_true(err[0] != '\0');
}

/* ---- JPEG ------------------------------------------------------------------------------ */

/* JPEG_BASE with EXIF (GPS), XMP, IPTC, ICC, a comment after its JFIF APP0, and bytes after
 * EOI. */
static void jpeg_with_metadata(struct buf *b)
{
    buf_add(b, JPEG_BASE, 20);                       /* SOI and the JFIF APP0 */
    struct buf exif = {0};
    buf_add(&exif, "Exif\0\0", 6);
    put_tiff_gps(&exif);
    jpeg_segment(b, 0xe1, exif.p, exif.len);
    buf_free(&exif);
    static const char xmp[] = "http://ns.adobe.com/xap/1.0/\0<x:xmpmeta>SECRET-XMP</x:xmpmeta>";
    jpeg_segment(b, 0xe1, xmp, sizeof xmp - 1);
    static const char iptc[] = "Photoshop 3.0\0008BIM\004\004\0\0\0\0\0\014\034\002\120\0\010SECRET-B";
    jpeg_segment(b, 0xed, iptc, sizeof iptc - 1);
    static const char icc[] = "ICC_PROFILE\0\001\001SECRET-ICC-PROFILE";
    jpeg_segment(b, 0xe2, icc, sizeof icc - 1);
    jpeg_segment(b, 0xfe, "SECRET-COMMENT", 14);
    buf_add(b, JPEG_BASE + 20, sizeof JPEG_BASE - 20);
    buf_add(b, "SECRET-AFTER-EOI", 16);
}

/* The markers of a JPEG before its first scan, as "e0 db c0 ..." */
static void jpeg_markers(const char *p, size_t n, char *out, size_t outlen)
{
    const unsigned char *u = (const unsigned char *)p;
    size_t at = 2, used = 0;
    out[0] = '\0';
    while (at + 4 <= n && u[at] == 0xff && used + 4 < outlen) {
        used += (size_t)snprintf(out + used, outlen - used, "%s%02x", used ? " " : "", u[at + 1]);
        if (u[at + 1] == 0xda)
            break;
        at += 2 + ((size_t)u[at + 2] << 8 | u[at + 3]);
    }
}

static void test_jpeg_loses_exif_xmp_iptc_icc_comment_and_trailer(void **state)
{
    (void)state;
    struct buf in = {0};
    jpeg_with_metadata(&in);
    char before[256], after[256];
    jpeg_markers(in.p, in.len, before, sizeof before);
    assert_string_equal(before, "e0 e1 e1 ed e2 fe db db c0 c4 c4 c4 c4 da");
    size_t n;
    static const char *const gone[] = {"Exif", "http://ns.adobe.com", "Photoshop", "ICC_PROFILE", NULL};
    char *out = strip_ok(&in, &n, gone);
    jpeg_markers(out, n, after, sizeof after);
    /* JFIF, the quantization tables, the frame, the Huffman tables, the scan */
    assert_string_equal(after, "e0 db db c0 c4 c4 c4 c4 da");
    assert_memory_equal(out + 6, "JFIF", 4);
    assert_memory_equal(out + n - 2, "\xff\xd9", 2);
    free(out);
    buf_free(&in);
}

static void test_jpeg_without_metadata_is_taken(void **state)
{
    (void)state;
    struct buf in = {0};
    buf_add(&in, JPEG_BASE, sizeof JPEG_BASE);
    size_t n;
    free(strip_ok(&in, &n, NULL));
    buf_free(&in);
}

static void test_jpeg_with_junk_between_segments_is_taken_without_it(void **state)
{
    (void)state;
    struct buf in = {0};
    buf_add(&in, JPEG_BASE, 20);
    buf_add(&in, "SECRET-JUNK", 11);                 /* libjpeg skips it, with a warning */
    buf_add(&in, JPEG_BASE + 20, sizeof JPEG_BASE - 20);
    size_t n;
    free(strip_ok(&in, &n, NULL));
    buf_free(&in);
}

static void test_jpeg_truncated_or_fake_is_refused(void **state)
{
    (void)state;
    assert_refused(JPEG_BASE, sizeof JPEG_BASE - 60, MAX_PIXELS, IMAGE_BAD);
    assert_refused(JPEG_BASE, 200, MAX_PIXELS, IMAGE_BAD);
    assert_refused("\xff\xd8\xff<html><script>alert(1)</script>", 35, MAX_PIXELS, IMAGE_BAD);
}

static void test_jpeg_bomb_is_refused_before_decoding(void **state)
{
    (void)state;
    unsigned char bomb[sizeof JPEG_BASE];
    memcpy(bomb, JPEG_BASE, sizeof bomb);
    unsigned char *sof = memmem(bomb, sizeof bomb, "\xff\xc0", 2);
    assert_non_null(sof);
    memcpy(sof + 5, "\xea\x60\xea\x60", 4);           /* 60000 x 60000 */
    assert_refused(bomb, sizeof bomb, MAX_PIXELS, IMAGE_TOO_LARGE);
    assert_refused(JPEG_BASE, sizeof JPEG_BASE, 255, IMAGE_TOO_LARGE);   /* 16 x 16 */
    char *out;
    size_t n;
    char err[200];
    assert_int_equal(image_strip((const char *)JPEG_BASE, sizeof JPEG_BASE, 256, &out, &n, err,
                                 sizeof err), 0);
    free(out);
}

/* ---- PNG ------------------------------------------------------------------------------- */

/* The chunk types of a PNG, as "IHDR PLTE ..." */
static void png_types(const char *p, size_t n, char *out, size_t outlen)
{
    const unsigned char *u = (const unsigned char *)p;
    size_t at = 8, used = 0;
    out[0] = '\0';
    while (at + 12 <= n && used + 6 < outlen) {
        uint32_t len = (uint32_t)u[at] << 24 | (uint32_t)u[at + 1] << 16 | u[at + 2] << 8 | u[at + 3];
        used += (size_t)snprintf(out + used, outlen - used, "%s%.4s", used ? " " : "", p + at + 4);
        at += 12 + (size_t)len;
    }
}

/* The chunks of PNG_BASE from offset from to offset to. */
static void png_base_part(struct buf *b, size_t from, size_t to)
{
    buf_add(b, PNG_BASE + from, to - from);
}

/* PNG_BASE with text, international text (XMP), compressed text, EXIF, time, an ICC profile
 * and a private chunk before its image data, and text after it. */
static void png_with_metadata(struct buf *b)
{
    const size_t ihdr_end = 8 + 25, idat = sizeof PNG_BASE - 12 - 28;   /* IDAT holds 16 bytes */
    png_base_part(b, 0, ihdr_end);
    png_chunk(b, "tEXt", "Comment\0SECRET-TEXT", 19);
    static const char itxt[] = "XML:com.adobe.xmp\0\0\0\0\0<x:xmpmeta>SECRET-XMP</x:xmpmeta>";
    png_chunk(b, "iTXt", itxt, sizeof itxt - 1);
    png_chunk(b, "zTXt", "Author\0\0x\x9c" "SECRET-Z", 17);
    png_chunk(b, "tIME", "\x07\xe8\x05\x11\x0c\x22\x38", 7);
    png_chunk(b, "iCCP", "SECRET-ICC\0\0x\x9c\x03\0\0\0\0\x01", 20);
    png_chunk(b, "prVt", "SECRET-PRIVATE", 14);
    struct buf exif = {0};
    put_tiff_gps(&exif);
    png_chunk(b, "eXIf", exif.p, exif.len);
    buf_free(&exif);
    png_base_part(b, ihdr_end, idat + 28);           /* PLTE, tRNS, IDAT */
    png_chunk(b, "tEXt", "Title\0SECRET-AFTER", 18);
    png_base_part(b, idat + 28, sizeof PNG_BASE);    /* IEND */
}

static void test_png_loses_text_exif_time_icc_and_private_chunks(void **state)
{
    (void)state;
    struct buf in = {0};
    png_with_metadata(&in);
    char before[256], after[256];
    png_types(in.p, in.len, before, sizeof before);
    assert_string_equal(before, "IHDR tEXt iTXt zTXt tIME iCCP prVt eXIf PLTE tRNS IDAT tEXt IEND");
    size_t n;
    char *out = strip_ok(&in, &n, NULL);
    png_types(out, n, after, sizeof after);
    assert_string_equal(after, "IHDR PLTE tRNS IDAT IEND");
    /* the palette and its transparent entry are the pixels: kept as they were */
    assert_non_null(memmem(out, n, PNG_BASE + 33, 12 + 9 + 12 + 2));
    free(out);
    buf_free(&in);
}

static void test_png_truncated_or_corrupt_is_refused(void **state)
{
    (void)state;
    assert_refused(PNG_BASE, sizeof PNG_BASE - 20, MAX_PIXELS, IMAGE_BAD);
    unsigned char bad[sizeof PNG_BASE];
    memcpy(bad, PNG_BASE, sizeof bad);
    bad[sizeof bad - 12 - 6] ^= 0x55;                /* inside IDAT: its CRC no longer holds */
    assert_refused(bad, sizeof bad, MAX_PIXELS, IMAGE_BAD);
}

static void test_png_bomb_is_refused_before_decoding(void **state)
{
    (void)state;
    struct buf b = {0};
    buf_add(&b, PNG_BASE, 8);
    static const unsigned char ihdr[] = {0, 1, 0x86, 0xa0, 0, 1, 0x86, 0xa0, 8, 6, 0, 0, 0};
    png_chunk(&b, "IHDR", ihdr, sizeof ihdr);        /* 100000 x 100000 RGBA */
    png_base_part(&b, sizeof PNG_BASE - 12 - 28, sizeof PNG_BASE);
    assert_refused(b.p, b.len, MAX_PIXELS, IMAGE_TOO_LARGE);
    buf_free(&b);
    assert_refused(PNG_BASE, sizeof PNG_BASE, 15, IMAGE_TOO_LARGE);     /* 4 x 4 */
}

/* ---- WebP ------------------------------------------------------------------------------ */

/* WEBP_BASE's VP8L chunk in an extended container with EXIF, XMP and a private chunk. */
static void webp_with_metadata(struct buf *b)
{
    struct buf body = {0};
    buf_add(&body, "WEBP", 4);
    static const unsigned char vp8x[] = {0x10 | 0x08 | 0x04, 0, 0, 0, 3, 0, 0, 3, 0, 0};
    riff_chunk(&body, "VP8X", vp8x, sizeof vp8x);    /* alpha, EXIF, XMP; 4 x 4 */
    buf_add(&body, WEBP_BASE + 12, sizeof WEBP_BASE - 12);
    struct buf exif = {0};
    put_tiff_gps(&exif);
    riff_chunk(&body, "EXIF", exif.p, exif.len);
    buf_free(&exif);
    static const char xmp[] = "<x:xmpmeta>SECRET-XMP</x:xmpmeta>";
    riff_chunk(&body, "XMP ", xmp, sizeof xmp - 1);
    riff_chunk(&body, "prVt", "SECRET-PRIVATE", 14);
    buf_add(b, "RIFF", 4);
    put32le(b, (uint32_t)body.len);
    buf_add(b, body.p, body.len);
    buf_free(&body);
}

static void test_webp_loses_exif_xmp_and_private_chunks(void **state)
{
    (void)state;
    struct buf in = {0};
    webp_with_metadata(&in);
    size_t n;
    static const char *const gone[] = {"EXIF", "XMP ", "prVt", NULL};
    char *out = strip_ok(&in, &n, gone);
    const unsigned char *u = (const unsigned char *)out;
    assert_int_equal(get32le(u + 4), n - 8);         /* the RIFF size */
    if (memcmp(out + 12, "VP8X", 4) == 0)
        assert_int_equal(u[20] & (0x08 | 0x04), 0);  /* no EXIF or XMP flag */
    /* the image's bitstream is untouched */
    assert_non_null(memmem(out, n, WEBP_BASE + 12, sizeof WEBP_BASE - 12));
    free(out);
    buf_free(&in);
}

static void test_webp_truncated_or_fake_is_refused(void **state)
{
    (void)state;
    assert_refused(WEBP_BASE, sizeof WEBP_BASE - 6, MAX_PIXELS, IMAGE_BAD);
    assert_refused("RIFF\x04\0\0\0WEBPVP8 \0\0\0\0", 20, MAX_PIXELS, IMAGE_BAD);
    unsigned char bad[sizeof WEBP_BASE];
    memcpy(bad, WEBP_BASE, sizeof bad);
    memset(bad + 26, 0xff, sizeof bad - 26);         /* the entropy-coded data */
    assert_refused(bad, sizeof bad, MAX_PIXELS, IMAGE_BAD);
}

static void test_webp_bomb_is_refused_before_decoding(void **state)
{
    (void)state;
    unsigned char bomb[sizeof WEBP_BASE];
    memcpy(bomb, WEBP_BASE, sizeof bomb);
    /* the VP8L header: 14 bits of width - 1, 14 of height - 1: 16384 x 16384 */
    uint32_t v = (get32le(bomb + 21) & ~0x0fffffffu) | 0x3fffu | 0x3fffu << 14;
    for (int i = 0; i < 4; i++)
        bomb[21 + i] = (unsigned char)(v >> (8 * i));
    assert_refused(bomb, sizeof bomb, MAX_PIXELS, IMAGE_TOO_LARGE);
    assert_refused(WEBP_BASE, sizeof WEBP_BASE, 15, IMAGE_TOO_LARGE);   /* 4 x 4 */
}

static void test_other_bytes_are_not_an_image(void **state)
{
    (void)state;
    assert_null(image_type("<html>", 6));
    assert_null(image_type("\xff\xd8", 2));
    assert_refused("GIF89a\1\0\1\0", 10, MAX_PIXELS, IMAGE_BAD);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jpeg_loses_exif_xmp_iptc_icc_comment_and_trailer),
        cmocka_unit_test(test_jpeg_without_metadata_is_taken),
        cmocka_unit_test(test_jpeg_with_junk_between_segments_is_taken_without_it),
        cmocka_unit_test(test_jpeg_truncated_or_fake_is_refused),
        cmocka_unit_test(test_jpeg_bomb_is_refused_before_decoding),
        cmocka_unit_test(test_png_loses_text_exif_time_icc_and_private_chunks),
        cmocka_unit_test(test_png_truncated_or_corrupt_is_refused),
        cmocka_unit_test(test_png_bomb_is_refused_before_decoding),
        cmocka_unit_test(test_webp_loses_exif_xmp_and_private_chunks),
        cmocka_unit_test(test_webp_truncated_or_fake_is_refused),
        cmocka_unit_test(test_webp_bomb_is_refused_before_decoding),
        cmocka_unit_test(test_other_bytes_are_not_an_image),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
