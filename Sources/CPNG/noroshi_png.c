#include "noroshi_png.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <png.h>

// The chunk sizes libpng accepts: text and metadata chunks past this are refused (hostile files).
#define NRS_PNG_MAX_CHUNK (8L * 1024 * 1024)

typedef struct {
    char message[200];
} nrs_png_errors;

static void set_error(char *error, size_t error_size, const char *message) {
    if (error != NULL && error_size > 0) {
        snprintf(error, error_size, "%s", message);
    }
}

static void on_error(png_structp png, png_const_charp message) {
    nrs_png_errors *errors = png_get_error_ptr(png);
    // libpng's stdio reader says only "Read Error" when the file stops short.
    const char *said = strcmp(message, "Read Error") == 0 ? "the data ends early" : message;
    snprintf(errors->message, sizeof errors->message, "%s", said);
    png_longjmp(png, 1);
}

static void on_warning(png_structp png, png_const_charp message) {
    (void)png;
    (void)message;
}

typedef struct {
    FILE *file;
    png_structp png;
    png_infop info;
    nrs_png_errors errors;
} nrs_png_reader;

// Opens the file and reads up to the image data. Returns 0 with a message when it cannot.
static int reader_open(nrs_png_reader *reader, const char *path, char *error, size_t error_size) {
    memset(reader, 0, sizeof *reader);
    reader->file = fopen(path, "rb");
    if (reader->file == NULL) {
        set_error(error, error_size, "cannot open the file");
        return 0;
    }
    reader->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &reader->errors, on_error, on_warning);
    reader->info = reader->png != NULL ? png_create_info_struct(reader->png) : NULL;
    if (reader->info == NULL) {
        set_error(error, error_size, "out of memory");
        return 0;
    }
    png_set_chunk_malloc_max(reader->png, NRS_PNG_MAX_CHUNK);
    // A file that ends early or whose data is short is damaged evidence, not a warning.
    png_set_benign_errors(reader->png, 0);
    png_init_io(reader->png, reader->file);
    return 1;
}

static void reader_close(nrs_png_reader *reader) {
    if (reader->png != NULL) {
        png_destroy_read_struct(&reader->png, reader->info != NULL ? &reader->info : NULL, NULL);
    }
    if (reader->file != NULL) {
        fclose(reader->file);
    }
}

static void copy_exif(png_structp png, png_infop info, unsigned char **exif, size_t *exif_size) {
#ifdef PNG_eXIf_SUPPORTED
    png_bytep data = NULL;
    png_uint_32 size = 0;
    if (png_get_eXIf_1(png, info, &size, &data) != 0 && data != NULL && size > 0) {
        unsigned char *payload = malloc((size_t)size + 6);
        if (payload != NULL) {
            memcpy(payload, "Exif\0\0", 6);
            memcpy(payload + 6, data, size);
            *exif = payload;
            *exif_size = (size_t)size + 6;
        }
    }
#else
    (void)png;
    (void)info;
    (void)exif;
    (void)exif_size;
#endif
}

int nrs_png_read_info(const char *path, nrs_png_info *info, unsigned char **exif, size_t *exif_size,
                      char *error, size_t error_size) {
    memset(info, 0, sizeof *info);
    *exif = NULL;
    *exif_size = 0;
    nrs_png_reader reader;
    if (!reader_open(&reader, path, error, error_size)) {
        reader_close(&reader);
        return NRS_PNG_ERROR;
    }
    if (setjmp(png_jmpbuf(reader.png))) {
        free(*exif);
        *exif = NULL;
        *exif_size = 0;
        set_error(error, error_size, reader.errors.message);
        reader_close(&reader);
        return NRS_PNG_ERROR;
    }
    png_read_info(reader.png, reader.info);
    info->width = (int)png_get_image_width(reader.png, reader.info);
    info->height = (int)png_get_image_height(reader.png, reader.info);
    info->color_type = png_get_color_type(reader.png, reader.info);
    info->bit_depth = png_get_bit_depth(reader.png, reader.info);
    info->interlaced = png_get_interlace_type(reader.png, reader.info) != PNG_INTERLACE_NONE;
    copy_exif(reader.png, reader.info, exif, exif_size);
    reader_close(&reader);
    return NRS_PNG_OK;
}

int nrs_png_decode_file(const char *path, long max_pixels, unsigned char **pixels, int *width,
                        int *height, char *error, size_t error_size) {
    *pixels = NULL;
    *width = 0;
    *height = 0;
    nrs_png_reader reader;
    if (!reader_open(&reader, path, error, error_size)) {
        reader_close(&reader);
        return NRS_PNG_ERROR;
    }
    // Set before the setjmp and read after a longjmp: volatile, so the handler sees the current value.
    unsigned char *volatile image = NULL;
    png_bytep *volatile rows = NULL;
    if (setjmp(png_jmpbuf(reader.png))) {
        free(image);
        free(rows);
        set_error(error, error_size, reader.errors.message);
        reader_close(&reader);
        return NRS_PNG_ERROR;
    }
    png_read_info(reader.png, reader.info);
    png_uint_32 w = png_get_image_width(reader.png, reader.info);
    png_uint_32 h = png_get_image_height(reader.png, reader.info);
    if ((long long)w * (long long)h > (long long)max_pixels) {
        snprintf(reader.errors.message, sizeof reader.errors.message,
                 "the image is %u×%u, over the limit of %ld pixels", (unsigned)w, (unsigned)h, max_pixels);
        png_error(reader.png, reader.errors.message);
    }
    png_set_expand(reader.png);
    png_set_strip_16(reader.png);
    png_set_gray_to_rgb(reader.png);
    png_set_filler(reader.png, 0xFF, PNG_FILLER_AFTER);  // RGBA for all; alpha is composited below
    png_set_interlace_handling(reader.png);
    png_read_update_info(reader.png, reader.info);
    if (png_get_channels(reader.png, reader.info) != 4 || png_get_bit_depth(reader.png, reader.info) != 8) {
        png_error(reader.png, "the image does not convert to RGB");
    }
    size_t stride = (size_t)w * 4;
    image = malloc(stride * (size_t)h);
    rows = malloc(sizeof(png_bytep) * (size_t)h);
    if (image == NULL || rows == NULL) {
        png_error(reader.png, "out of memory");
    }
    for (png_uint_32 y = 0; y < h; y++) {
        rows[y] = image + stride * y;
    }
    png_read_image(reader.png, rows);
    png_read_end(reader.png, NULL);
    free(rows);
    // Over white, as a page shows a transparent screenshot; packed from 4 to 3 bytes in place.
    size_t count = (size_t)w * (size_t)h;
    for (size_t index = 0; index < count; index++) {
        const unsigned char *in = image + index * 4;
        unsigned alpha = in[3];
        unsigned char *out = image + index * 3;
        for (int channel = 0; channel < 3; channel++) {
            out[channel] = (unsigned char)((in[channel] * alpha + 255 * (255 - alpha) + 127) / 255);
        }
    }
    reader_close(&reader);
    *pixels = image;
    *width = (int)w;
    *height = (int)h;
    return NRS_PNG_OK;
}

void nrs_png_free(void *pointer) { free(pointer); }
