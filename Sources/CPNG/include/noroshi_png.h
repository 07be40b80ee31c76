// A small C layer over libpng for Noroshi: PNG images (screenshots of maps and messages) read as their
// size, their EXIF chunk and their pixels. libpng reports errors by longjmp; the setjmp stays on the C
// side. Only return codes, plain structs, malloc'd buffers and messages come back.
#ifndef NOROSHI_PNG_H
#define NOROSHI_PNG_H

#include <stddef.h>

#define NRS_PNG_OK 0
#define NRS_PNG_ERROR 1

/// What a PNG's header says.
typedef struct {
    int width;
    int height;
    /// libpng's colour type: 0 grey, 2 RGB, 3 palette, 4 grey and alpha, 6 RGB and alpha.
    int color_type;
    int bit_depth;
    int interlaced;
} nrs_png_info;

/// Reads the header and the eXIf chunk, if it comes before the image data, as a JPEG APP1 payload
/// would hold it ("Exif\0\0" and the TIFF structure), into a new buffer at `*exif` (free with
/// nrs_png_free), or NULL. The image data is not decoded.
int nrs_png_read_info(const char *path, nrs_png_info *info, unsigned char **exif, size_t *exif_size,
                      char *error, size_t error_size);

/// Decodes the whole image to interleaved 8-bit RGB in a malloc'd buffer: palettes expanded, grey made
/// RGB, 16-bit samples reduced, transparency composited over white (as a page would show it). Every
/// chunk's checksum and the compressed data are checked; data that ends early is an error. Refuses
/// images over `max_pixels` before decoding.
int nrs_png_decode_file(const char *path, long max_pixels, unsigned char **pixels, int *width,
                        int *height, char *error, size_t error_size);

void nrs_png_free(void *pointer);

#endif
