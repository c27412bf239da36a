/* image — evidence images with every metadata block removed before they are sealed: EXIF (GPS
 * position, camera serial, time), XMP, IPTC, comments, text and time chunks, colour profiles.
 * An image is decoded in full by its format's library (libjpeg-turbo, libpng, libwebp), so
 * one that is not really what its first bytes claim is refused; and it is rebuilt from what
 * the decoder needs, so it decodes to the same pixels. Decoding never holds more than about
 * IMAGE_BYTES_PER_PIXEL bytes per pixel of an image within max_pixels; larger declared
 * dimensions are refused before anything is allocated for them.
 */
#ifndef JUBAO_IMAGE_H
#define JUBAO_IMAGE_H

#include <stddef.h>

#define IMAGE_BAD (-1)          /* not decodable as the type its first bytes claim */
#define IMAGE_TOO_LARGE (-2)    /* more than max_pixels (or more memory than they allow) */
#define IMAGE_BYTES_PER_PIXEL 8 /* what decoding may hold per allowed pixel, at most */

/* The media type an image claims by its first bytes ("image/jpeg", "image/png" or
 * "image/webp"), or NULL for anything else. */
const char *image_type(const char *in, size_t len);

/* Decodes the len bytes at in as the type they claim, and writes the same image without its
 * metadata into *out (malloc'd, the caller frees it; its type is image_type(in, len)) and its
 * length into *outlen. Returns 0; or IMAGE_BAD or IMAGE_TOO_LARGE with the reason in err
 * (never the image's content), and then *out is NULL. max_pixels bounds the width times the
 * height (of every frame together, for an animation). */
int image_strip(const char *in, size_t len, long max_pixels, char **out, size_t *outlen,
                char *err, size_t errlen);

#endif
