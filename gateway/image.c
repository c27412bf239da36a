/* image — see image.h. The only user of libjpeg, libpng and libwebp.
 *
 * JPEG: the quantized DCT coefficients are read and written again (as jpegtran does, without
 * its "copy markers" step), so no pixel changes; the writer adds only the JFIF or Adobe marker
 * the colour space needs. Every APPn (EXIF, XMP, IPTC, ICC, MPF), COM and anything after EOI
 * is left behind. PNG: libpng reads the rows untransformed and writes them again with IHDR,
 * PLTE and tRNS only (tRNS is part of the pixels: their transparency). WebP: libwebpmux copies
 * the frames' bitstreams untouched (and the animation's parameters) into a new container,
 * which it assembles with the right VP8X flags and RIFF size; each frame is decoded once to
 * prove it is whole.
 *
 * Colour profiles (ICC, iCCP, ICCP) and gamma/chromaticity chunks are dropped too: they do not
 * change the decoded pixels, only how a screen tints them, and a profile carries free text
 * (device, maker, description) that can point to the reporter's phone or camera. Orientation
 * is metadata as well: a photo whose EXIF said "rotate" is shown unrotated.
 */
#include "image.h"

#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>
#include <png.h>
#include <webp/decode.h>
#include <webp/mux.h>

#include "buf.h"

/* Progressive scans of one JPEG at most: each is a pass over the whole image, so thousands of
 * tiny scans would make a small file cost seconds (libjpeg-turbo's own tools stop at 500). */
#define JPEG_MAX_SCANS 100

static int fail(char *err, size_t errlen, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(char *err, size_t errlen, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return code;
}

static int too_many(char *err, size_t errlen, uint64_t w, uint64_t h, long max_pixels)
{
    return fail(err, errlen, IMAGE_TOO_LARGE, "%llu x %llu pixels: more than %ld",
                (unsigned long long)w, (unsigned long long)h, max_pixels);
}

const char *image_type(const char *p, size_t n)
{
    if (n >= 3 && memcmp(p, "\xff\xd8\xff", 3) == 0)
        return "image/jpeg";
    if (n >= 8 && memcmp(p, "\x89PNG\r\n\x1a\n", 8) == 0)
        return "image/png";
    if (n >= 12 && memcmp(p, "RIFF", 4) == 0 && memcmp(p + 8, "WEBP", 4) == 0)
        return "image/webp";
    return NULL;
}

/* ---- JPEG ------------------------------------------------------------------------------ */

/* One transcoding. It lives on the heap so that nothing setjmp must preserve is a local. */
struct jpeg_job {
    struct jpeg_decompress_struct in;
    struct jpeg_compress_struct out;
    struct jpeg_error_mgr errmgr;
    struct jpeg_destination_mgr dest;
    struct jpeg_progress_mgr progress;
    jmp_buf jump;
    bool in_made, out_made;
    int code;
    char msg[JMSG_LENGTH_MAX];
    unsigned char *buf;     /* the output, grown by jpeg_grow */
    size_t cap;
};

static void jpeg_fail(j_common_ptr c)
{
    struct jpeg_job *j = (struct jpeg_job *)c->client_data;
    int m = c->err->msg_code;
    j->code = m == JERR_NO_BACKING_STORE || m == JERR_OUT_OF_MEMORY ? IMAGE_TOO_LARGE : IMAGE_BAD;
    c->err->format_message(c, j->msg);
    longjmp(j->jump, 1);
}

/* A warning means corrupt data that libjpeg would paper over with gray blocks: refused too.
 * Junk bytes between two segments are the exception: libjpeg skips them and no pixel depends
 * on them (some cameras' files have them). */
static void jpeg_message(j_common_ptr c, int level)
{
    if (level < 0 && c->err->msg_code != JWRN_EXTRANEOUS_DATA)
        jpeg_fail(c);
}

static void jpeg_progress(j_common_ptr c)
{
    struct jpeg_decompress_struct *d = (struct jpeg_decompress_struct *)c;
    if (c->is_decompressor && d->input_scan_number > JPEG_MAX_SCANS) {
        struct jpeg_job *j = (struct jpeg_job *)c->client_data;
        snprintf(j->msg, sizeof j->msg, "more than %d scans", JPEG_MAX_SCANS);
        j->code = IMAGE_BAD;
        longjmp(j->jump, 1);
    }
}

/* The whole buffer is full (or there is none yet): doubles it. The output is bounded by the
 * coefficients' memory, which max_memory_to_use bounds. */
static boolean jpeg_grow(j_compress_ptr c)
{
    struct jpeg_job *j = (struct jpeg_job *)c->client_data;
    size_t cap = j->cap ? j->cap * 2 : 65536;
    unsigned char *p = realloc(j->buf, cap);
    if (!p)
        ERREXIT(c, JERR_OUT_OF_MEMORY);
    c->dest->next_output_byte = p + j->cap;
    c->dest->free_in_buffer = cap - j->cap;
    j->buf = p;
    j->cap = cap;
    return TRUE;
}

static void jpeg_dest_init(j_compress_ptr c)
{
    jpeg_grow(c);
}

static void jpeg_dest_term(j_compress_ptr c)
{
    (void)c;
}

/* Sets up the decompressor and reads the header. Longjmps on failure. */
static void jpeg_start(struct jpeg_job *j, const char *in, size_t len, long max_pixels)
{
    j->in.err = jpeg_std_error(&j->errmgr);
    j->errmgr.error_exit = jpeg_fail;
    j->errmgr.emit_message = jpeg_message;
    j->in.client_data = j;
    jpeg_create_decompress(&j->in);
    j->in_made = true;
    j->progress.progress_monitor = jpeg_progress;
    j->in.progress = &j->progress;
    /* the coefficients take 2 bytes a sample; the padding to whole blocks adds a little */
    j->in.mem->max_memory_to_use = (long)IMAGE_BYTES_PER_PIXEL * max_pixels + (16L << 20);
    jpeg_mem_src(&j->in, (const unsigned char *)in, (unsigned long)len);
    jpeg_read_header(&j->in, TRUE);
}

/* Writes j->in's coefficients to j->buf without any marker of the source. Longjmps on
 * failure. Returns the output's length. */
static size_t jpeg_rewrite(struct jpeg_job *j)
{
    jvirt_barray_ptr *coef = jpeg_read_coefficients(&j->in);
    j->out.err = &j->errmgr;
    j->out.client_data = j;
    jpeg_create_compress(&j->out);
    j->out_made = true;
    j->dest.init_destination = jpeg_dest_init;
    j->dest.empty_output_buffer = jpeg_grow;
    j->dest.term_destination = jpeg_dest_term;
    j->out.dest = &j->dest;
    jpeg_copy_critical_parameters(&j->in, &j->out);
    j->out.optimize_coding = TRUE;
    jpeg_write_coefficients(&j->out, coef);
    jpeg_finish_compress(&j->out);
    jpeg_finish_decompress(&j->in);
    return j->cap - j->dest.free_in_buffer;
}

static int jpeg_strip(const char *in, size_t len, long max_pixels, char **out, size_t *outlen,
                      char *err, size_t errlen)
{
    struct jpeg_job *j = calloc(1, sizeof *j);
    if (!j)
        return fail(err, errlen, IMAGE_TOO_LARGE, "out of memory");
    int rc = 0;
    if (setjmp(j->jump)) {
        rc = fail(err, errlen, j->code, "jpeg: %s", j->msg);
        goto done;
    }
    jpeg_start(j, in, len, max_pixels);
    uint64_t w = j->in.image_width, h = j->in.image_height;
    if (w * h > (uint64_t)max_pixels) {
        rc = too_many(err, errlen, w, h, max_pixels);
        goto done;
    }
    *outlen = jpeg_rewrite(j);
    *out = (char *)j->buf;
    j->buf = NULL;
done:
    if (j->out_made)
        jpeg_destroy_compress(&j->out);
    if (j->in_made)
        jpeg_destroy_decompress(&j->in);
    free(j->buf);
    free(j);
    return rc;
}

/* ---- PNG ------------------------------------------------------------------------------- */

struct png_job {
    png_structp rd, wr;
    png_infop rinfo, winfo;
    jmp_buf jump;
    const unsigned char *in;
    size_t len, at;
    struct buf out;
    unsigned char *pixels;  /* one row, or the whole image when it is interlaced */
    png_bytep *rows;
    char msg[128];
};

static void png_fail(png_structp png, png_const_charp msg)
{
    struct png_job *j = png_get_error_ptr(png);
    snprintf(j->msg, sizeof j->msg, "%s", msg);
    longjmp(j->jump, 1);
}

static void png_warned(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg;
}

static void png_take(png_structp png, png_bytep data, size_t n)
{
    struct png_job *j = png_get_io_ptr(png);
    if (n > j->len - j->at)
        png_error(png, "truncated");
    memcpy(data, j->in + j->at, n);
    j->at += n;
}

static void png_give(png_structp png, png_bytep data, size_t n)
{
    struct png_job *j = png_get_io_ptr(png);
    if (buf_add(&j->out, data, n) < 0)
        png_error(png, "out of memory");
}

static void png_flush_none(png_structp png)
{
    (void)png;
}

/* Creates the reader, told to skip every chunk but IHDR, PLTE, tRNS, IDAT and IEND unread
 * (a negative count means "every chunk libpng knows, and every unknown one"). Returns 0 or
 * -1. */
static int png_reader(struct png_job *j, long max_pixels)
{
    j->rd = png_create_read_struct(PNG_LIBPNG_VER_STRING, j, png_fail, png_warned);
    if (!j->rd || !(j->rinfo = png_create_info_struct(j->rd)))
        return -1;
    png_set_read_fn(j->rd, j, png_take);
    png_uint_32 side = max_pixels > 0x7fffffffL ? 0x7fffffffU : (png_uint_32)max_pixels;
    png_set_user_limits(j->rd, side, side);
    png_set_chunk_cache_max(j->rd, 16);
    png_set_chunk_malloc_max(j->rd, 1 << 20);
    png_set_keep_unknown_chunks(j->rd, PNG_HANDLE_CHUNK_NEVER, NULL, -1);
    return 0;
}

/* Creates the writer and writes IHDR, PLTE and tRNS as read. Longjmps on failure. */
static int png_writer(struct png_job *j)
{
    png_uint_32 w, h;
    int depth, ctype, interlace;
    png_get_IHDR(j->rd, j->rinfo, &w, &h, &depth, &ctype, &interlace, NULL, NULL);
    j->wr = png_create_write_struct(PNG_LIBPNG_VER_STRING, j, png_fail, png_warned);
    if (!j->wr || !(j->winfo = png_create_info_struct(j->wr)))
        return -1;
    png_set_write_fn(j->wr, j, png_give, png_flush_none);
    png_set_IHDR(j->wr, j->winfo, w, h, depth, ctype, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_colorp palette;
    int npalette;
    if (png_get_PLTE(j->rd, j->rinfo, &palette, &npalette) & PNG_INFO_PLTE)
        png_set_PLTE(j->wr, j->winfo, palette, npalette);
    png_bytep alpha;
    int nalpha;
    png_color_16p color;
    if (png_get_tRNS(j->rd, j->rinfo, &alpha, &nalpha, &color) & PNG_INFO_tRNS)
        png_set_tRNS(j->wr, j->winfo, alpha, nalpha, color);
    png_write_info(j->wr, j->winfo);
    return 0;
}

/* Copies the rows: one at a time, or the whole image when it is interlaced (the passes fill
 * every row in turn). Longjmps on failure. Returns 0, or -1 when out of memory. */
static int png_copy_rows(struct png_job *j)
{
    png_uint_32 h = png_get_image_height(j->rd, j->rinfo);
    int passes = png_set_interlace_handling(j->rd);
    png_read_update_info(j->rd, j->rinfo);
    size_t rowbytes = png_get_rowbytes(j->rd, j->rinfo);
    if (passes == 1) {
        if (!(j->pixels = malloc(rowbytes)))
            return -1;
        for (png_uint_32 y = 0; y < h; y++) {
            png_read_row(j->rd, j->pixels, NULL);
            png_write_row(j->wr, j->pixels);
        }
        return 0;
    }
    if (!(j->pixels = calloc(h, rowbytes)) || !(j->rows = calloc(h, sizeof *j->rows)))
        return -1;
    for (png_uint_32 y = 0; y < h; y++)
        j->rows[y] = j->pixels + y * rowbytes;
    png_read_image(j->rd, j->rows);
    png_write_image(j->wr, j->rows);
    return 0;
}

static int png_strip(const char *in, size_t len, long max_pixels, char **out, size_t *outlen,
                     char *err, size_t errlen)
{
    struct png_job *j = calloc(1, sizeof *j);
    if (!j)
        return fail(err, errlen, IMAGE_TOO_LARGE, "out of memory");
    j->in = (const unsigned char *)in;
    j->len = len;
    int rc = 0;
    if (setjmp(j->jump)) {
        rc = fail(err, errlen, IMAGE_BAD, "png: %s", j->msg);
        goto done;
    }
    if (png_reader(j, max_pixels) < 0) {
        rc = fail(err, errlen, IMAGE_TOO_LARGE, "out of memory");
        goto done;
    }
    png_read_info(j->rd, j->rinfo);
    uint64_t w = png_get_image_width(j->rd, j->rinfo), h = png_get_image_height(j->rd, j->rinfo);
    if (w * h > (uint64_t)max_pixels) {
        rc = too_many(err, errlen, w, h, max_pixels);
        goto done;
    }
    if (png_writer(j) < 0 || png_copy_rows(j) < 0) {
        rc = fail(err, errlen, IMAGE_TOO_LARGE, "out of memory");
        goto done;
    }
    png_read_end(j->rd, NULL);
    png_write_end(j->wr, NULL);
    if (j->out.oom) {
        rc = fail(err, errlen, IMAGE_TOO_LARGE, "out of memory");
        goto done;
    }
    *out = j->out.p;
    *outlen = j->out.len;
    j->out = (struct buf){0};
done:
    png_destroy_write_struct(&j->wr, &j->winfo);
    png_destroy_read_struct(&j->rd, &j->rinfo, NULL);
    free(j->rows);
    free(j->pixels);
    buf_free(&j->out);
    free(j);
    return rc;
}

/* ---- WebP ------------------------------------------------------------------------------ */

/* Decodes one frame's bitstream, counting its pixels into *pixels. Returns 0, or IMAGE_BAD or
 * IMAGE_TOO_LARGE with err set. */
static int webp_check_frame(const WebPData *bits, uint64_t *pixels, long max_pixels, char *err,
                            size_t errlen)
{
    WebPDecoderConfig config;
    if (!WebPInitDecoderConfig(&config) ||
        WebPGetFeatures(bits->bytes, bits->size, &config.input) != VP8_STATUS_OK)
        return fail(err, errlen, IMAGE_BAD, "webp: a frame has no valid header");
    uint64_t w = (uint64_t)config.input.width, h = (uint64_t)config.input.height;
    *pixels += w * h;
    if (*pixels > (uint64_t)max_pixels)
        return too_many(err, errlen, w, h, max_pixels);
    config.output.colorspace = MODE_RGBA;
    VP8StatusCode st = WebPDecode(bits->bytes, bits->size, &config);
    WebPFreeDecBuffer(&config.output);
    if (st == VP8_STATUS_OUT_OF_MEMORY)
        return fail(err, errlen, IMAGE_TOO_LARGE, "out of memory");
    return st == VP8_STATUS_OK ? 0 : fail(err, errlen, IMAGE_BAD, "webp: a frame does not decode");
}

/* Copies every frame of from (checked) into to. Returns 0, or an IMAGE_ code with err set. */
static int webp_copy_frames(const WebPMux *from, WebPMux *to, bool animated, long max_pixels,
                            char *err, size_t errlen)
{
    int n = 0;
    if (WebPMuxNumChunks(from, animated ? WEBP_CHUNK_ANMF : WEBP_CHUNK_IMAGE, &n) != WEBP_MUX_OK ||
        n < 1)
        return fail(err, errlen, IMAGE_BAD, "webp: no image");
    uint64_t pixels = 0;
    for (int i = 1; i <= n; i++) {
        WebPMuxFrameInfo f;
        if (WebPMuxGetFrame(from, (uint32_t)i, &f) != WEBP_MUX_OK)
            return fail(err, errlen, IMAGE_BAD, "webp: frame %d is invalid", i);
        int rc = webp_check_frame(&f.bitstream, &pixels, max_pixels, err, errlen);
        WebPMuxError e = WEBP_MUX_OK;
        if (rc == 0)
            e = animated ? WebPMuxPushFrame(to, &f, 1) : WebPMuxSetImage(to, &f.bitstream, 1);
        WebPDataClear(&f.bitstream);
        if (rc)
            return rc;
        if (e != WEBP_MUX_OK)
            return fail(err, errlen, IMAGE_BAD, "webp: frame %d cannot be copied (%d)", i, e);
    }
    return 0;
}

/* Sets to's canvas and animation parameters as from's. Returns 0 or -1. */
static int webp_copy_canvas(const WebPMux *from, WebPMux *to, bool animated)
{
    int w, h;
    WebPMuxAnimParams params;
    if (!animated)
        return 0;
    if (WebPMuxGetCanvasSize(from, &w, &h) != WEBP_MUX_OK ||
        WebPMuxGetAnimationParams(from, &params) != WEBP_MUX_OK ||
        WebPMuxSetCanvasSize(to, w, h) != WEBP_MUX_OK ||
        WebPMuxSetAnimationParams(to, &params) != WEBP_MUX_OK)
        return -1;
    return 0;
}

static int webp_strip(const char *in, size_t len, long max_pixels, char **out, size_t *outlen,
                      char *err, size_t errlen)
{
    WebPData data = {(const uint8_t *)in, len}, assembled = {NULL, 0};
    WebPMux *from = WebPMuxCreate(&data, 0), *to = WebPMuxNew();
    uint32_t flags = 0;
    int w = 0, h = 0, rc = 0;
    if (!from || WebPMuxGetFeatures(from, &flags) != WEBP_MUX_OK ||
        WebPMuxGetCanvasSize(from, &w, &h) != WEBP_MUX_OK) {
        rc = fail(err, errlen, IMAGE_BAD, "webp: not a valid container");
        goto done;
    }
    bool animated = flags & ANIMATION_FLAG;
    if ((uint64_t)w * (uint64_t)h > (uint64_t)max_pixels) {
        rc = too_many(err, errlen, (uint64_t)w, (uint64_t)h, max_pixels);
        goto done;
    }
    if (!to || webp_copy_canvas(from, to, animated) < 0) {
        rc = fail(err, errlen, IMAGE_BAD, "webp: invalid canvas or animation");
        goto done;
    }
    if ((rc = webp_copy_frames(from, to, animated, max_pixels, err, errlen)))
        goto done;
    if (WebPMuxAssemble(to, &assembled) != WEBP_MUX_OK || !(*out = malloc(assembled.size))) {
        rc = fail(err, errlen, IMAGE_BAD, "webp: cannot be assembled again");
        goto done;
    }
    memcpy(*out, assembled.bytes, assembled.size);
    *outlen = assembled.size;
done:
    WebPDataClear(&assembled);
    WebPMuxDelete(to);
    WebPMuxDelete(from);
    return rc;
}

/* ---- dispatch -------------------------------------------------------------------------- */

int image_strip(const char *in, size_t len, long max_pixels, char **out, size_t *outlen,
                char *err, size_t errlen)
{
    *out = NULL;
    *outlen = 0;
    const char *type = image_type(in, len);
    if (!type)
        return fail(err, errlen, IMAGE_BAD, "not a JPEG, PNG or WebP image");
    if (strcmp(type, "image/jpeg") == 0)
        return jpeg_strip(in, len, max_pixels, out, outlen, err, errlen);
    if (strcmp(type, "image/png") == 0)
        return png_strip(in, len, max_pixels, out, outlen, err, errlen);
    return webp_strip(in, len, max_pixels, out, outlen, err, errlen);
}
