// A small C layer over libjpeg(-turbo) for Noroshi. libjpeg reports fatal errors by calling
// error_exit, which must not return; here it longjmps back into the C function that started the
// work, so setjmp/longjmp never cross into Swift. Only return codes, plain structs, malloc'd buffers
// and messages come back.
#ifndef NOROSHI_JPEG_H
#define NOROSHI_JPEG_H

#include <stddef.h>

#define NRS_JPEG_OK 0
#define NRS_JPEG_ERROR 1
/// The image uses a color space Noroshi does not convert.
#define NRS_JPEG_UNSUPPORTED 2

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

/// The same, over bytes in memory (used by the fuzz target).
int nrs_jpeg_read_header_mem(const unsigned char *data, size_t size, nrs_jpeg_header *header,
                             unsigned char **app1, size_t *app1_size, char *error, size_t error_size);

/// One derivative to make: the long side in pixels (never upscaled) and the JPEG quality (1–100).
typedef struct {
    int long_side;
    int quality;
} nrs_jpeg_target;

/// A derivative made: a baseline JPEG in a malloc'd buffer (free with nrs_jpeg_free) and its size in
/// pixels, as displayed (orientation applied).
typedef struct {
    unsigned char *data;
    size_t size;
    int width;
    int height;
} nrs_jpeg_output;

/// Decodes the JPEG file at `path` once and makes `count` derivatives: the first from the decoded
/// image, each further one from the previous. YCbCr and grayscale photos (nearly all) are decoded as
/// raw planes at the smallest DCT scale (1/1, 1/2, 1/4 or 1/8) that leaves at least a 2× reduction to
/// the first target (else at full scale); luma is resampled with Lanczos-3, chroma and the further
/// copies with area averaging, and the copies are encoded from planes (4:2:0). Other colour spaces
/// are decoded to RGB at the smallest DCT scale that still covers the first target and resampled with
/// area averaging; CMYK and YCCK are converted to RGB. Each copy is turned upright according to the
/// EXIF `orientation` (1–8; anything else is taken as 1) and encoded as a baseline JPEG with no
/// metadata; grayscale stays grayscale. Refuses images over `max_pixels` and data that ends early.
/// `scale_denom`, if not NULL, receives the DCT scale denominator used.
/// On failure returns NRS_JPEG_ERROR (or NRS_JPEG_UNSUPPORTED) with a message, and no outputs.
int nrs_jpeg_derive_file(const char *path, int orientation, const nrs_jpeg_target *targets, int count,
                         long max_pixels, nrs_jpeg_output *outputs, int *scale_denom, char *error,
                         size_t error_size);

/// The same over bytes in memory (used by the fuzz target).
int nrs_jpeg_derive_mem(const unsigned char *data, size_t size, int orientation,
                        const nrs_jpeg_target *targets, int count, long max_pixels,
                        nrs_jpeg_output *outputs, int *scale_denom, char *error, size_t error_size);

/// Makes `count` derivatives, as nrs_jpeg_derive_file does, from an image already decoded (a HEIF or PNG
/// photo): interleaved 8-bit rows, `components` 1 (grayscale) or 3 (RGB), turned upright for
/// `orientation` (1–8). The first copy is area-averaged from the pixels, each further one from the one
/// before. On failure returns NRS_JPEG_ERROR with a message, and no outputs.
int nrs_jpeg_derive_pixels(const unsigned char *pixels, int width, int height, int components,
                           int orientation, const nrs_jpeg_target *targets, int count,
                           nrs_jpeg_output *outputs, char *error, size_t error_size);

/// Decodes the whole file at 1/8 scale (every entropy-coded byte is read, little else is done) to
/// prove it is complete: data that ends early or cannot be decoded gives NRS_JPEG_ERROR and a message.
int nrs_jpeg_verify_file(const char *path, long max_pixels, char *error, size_t error_size);

/// Encodes interleaved 8-bit pixels (`components` 1 = grayscale, 3 = RGB, 4 = CMYK stored inverted as
/// Adobe applications write it) as a baseline JPEG in a malloc'd buffer. For tests and tools.
int nrs_jpeg_encode(const unsigned char *pixels, int width, int height, int components, int quality,
                    unsigned char **data, size_t *size, char *error, size_t error_size);

/// Which Huffman decoder decodes a JPEG: Noroshi's (huffman.c: baseline and progressive Huffman files, with
/// BMI2 for progressive refinement scans where it is fast), Noroshi's without BMI2, or libjpeg-turbo's own.
/// Every decode here uses the first; the tests compare all three.
#define NRS_HUFFMAN_NOROSHI 0
#define NRS_HUFFMAN_LIBJPEG 1
#define NRS_HUFFMAN_PORTABLE 2

/// Decodes a whole JPEG in memory to interleaved 8-bit pixels (grayscale stays 1 component, anything
/// else becomes RGB) in a malloc'd buffer, with the Huffman decoder `huffman` (NRS_HUFFMAN_…). For tests and
/// the benchmark's quality measure.
int nrs_jpeg_decode(const unsigned char *data, size_t size, int huffman, unsigned char **pixels,
                    int *width, int *height, int *components, char *error, size_t error_size);

void nrs_jpeg_free(void *pointer);

#endif
