#include "voxdose_png.h"

#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

struct buffer {
    uint8_t *bytes;
    size_t size, capacity;
    int failed;
};

static void write_bytes(png_structp png, png_bytep data, png_size_t length) {
    struct buffer *b = (struct buffer *)png_get_io_ptr(png);
    if (b->failed) return;
    if (b->size + length > b->capacity) {
        size_t capacity = b->capacity ? b->capacity : 65536;
        while (capacity < b->size + length) capacity *= 2;
        uint8_t *bigger = realloc(b->bytes, capacity);
        if (!bigger) { b->failed = 1; png_error(png, "out of memory"); }
        b->bytes = bigger;
        b->capacity = capacity;
    }
    memcpy(b->bytes + b->size, data, length);
    b->size += length;
}

static void flush_nothing(png_structp png) { (void)png; }

struct failure {
    char *message;
    size_t size;
};

static void on_error(png_structp png, png_const_charp text) {
    struct failure *f = (struct failure *)png_get_error_ptr(png);
    if (f && f->message && f->size) {
        strncpy(f->message, text, f->size - 1);
        f->message[f->size - 1] = 0;
    }
    png_longjmp(png, 1);
}

static void on_warning(png_structp png, png_const_charp text) { (void)png; (void)text; }

int voxdose_png_encode_rgb(const uint8_t *rgb, uint32_t width, uint32_t height, int level,
                           uint8_t **out, size_t *out_size, char *message, size_t message_size) {
    struct failure failure = { message, message_size };
    struct buffer buffer = { NULL, 0, 0, 0 };
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &failure, on_error, on_warning);
    if (!png) return -1;
    png_infop info = png_create_info_struct(png);
    if (!info || setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, info ? &info : NULL);
        free(buffer.bytes);
        return -1;
    }
    png_set_write_fn(png, &buffer, write_bytes, flush_nothing);
    png_set_compression_level(png, level);
    png_set_filter(png, PNG_FILTER_TYPE_BASE, PNG_FILTER_SUB);
    png_set_IHDR(png, info, width, height, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (uint32_t row = 0; row < height; row++) png_write_row(png, (png_const_bytep)(rgb + (size_t)row * width * 3));
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    *out = buffer.bytes;
    *out_size = buffer.size;
    return 0;
}
