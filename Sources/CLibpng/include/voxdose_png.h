/* Debian's libpng (libpng-dev) for the report's slice images. The encoder below is a thin C
   wrapper over libpng's full API: it alone can choose the zlib level and the row filter, and its
   error handling (setjmp/longjmp) must stay on the C side. */
#ifndef VOXDOSE_PNG_H
#define VOXDOSE_PNG_H
#include <png.h>
#include <stddef.h>
#include <stdint.h>

/* Encodes 8-bit RGB rows (top first) as PNG with zlib `level` (0-9) and the SUB row filter.
   On success returns 0 and a malloc'ed buffer in *out (free with free()); on failure returns -1
   and copies libpng's message into `message` (at most `message_size` bytes). */
int voxdose_png_encode_rgb(const uint8_t *rgb, uint32_t width, uint32_t height, int level,
                           uint8_t **out, size_t *out_size, char *message, size_t message_size);

#endif
