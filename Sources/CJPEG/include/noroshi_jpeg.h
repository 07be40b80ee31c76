// A small C layer over libjpeg(-turbo) for Noroshi. libjpeg reports fatal errors by calling
// error_exit, which must not return; here it longjmps back into the C function that started the
// work, so setjmp/longjmp never cross into Swift. Only return codes and messages come back.
#ifndef NOROSHI_JPEG_H
#define NOROSHI_JPEG_H

#include <stddef.h>

#define NRS_JPEG_OK 0
#define NRS_JPEG_ERROR 1

/// What the header says about an image.
typedef struct {
    int width;
    int height;
    /// Components per pixel in the file: 1 (grayscale), 3 (YCbCr/RGB) or 4 (CMYK/YCCK).
    int components;
    /// libjpeg's J_COLOR_SPACE of the file.
    int color_space;
    int progressive;
    int arithmetic;
} nrs_jpeg_header;

/// Reads the header of the JPEG file at `path` through stdio (the file is not loaded whole) and copies
/// its first EXIF APP1 payload (the bytes after the segment length, starting with "Exif\0\0") into a
/// new buffer at `*app1` (free it with nrs_jpeg_free), or sets `*app1` to NULL when there is none.
/// On failure returns NRS_JPEG_ERROR and a message in `error`.
int nrs_jpeg_read_header_file(const char *path, nrs_jpeg_header *header, unsigned char **app1,
                              size_t *app1_size, char *error, size_t error_size);

void nrs_jpeg_free(void *pointer);

#endif
