// A small C layer over libheif for Noroshi: HEIF/HEIC photos (what iPhones take by default) read as
// their displayed size, their EXIF block and their pixels. Only return codes, plain structs, malloc'd
// buffers and messages come back.
#ifndef NOROSHI_HEIF_H
#define NOROSHI_HEIF_H

#include <stddef.h>

#define NRS_HEIF_OK 0
#define NRS_HEIF_ERROR 1

/// What a HEIF file's primary image is.
typedef struct {
    /// The size as displayed: the file's rotation, mirroring and cropping applied.
    int width;
    int height;
    int has_alpha;
    /// Bits per luma sample (8 for nearly all phones; 10 for HDR photos).
    int bit_depth;
    /// Images in the file (a burst or a live photo's still keeps more than one).
    int image_count;
} nrs_heif_info;

/// Reads the primary image's description and its first EXIF block, as a JPEG APP1 payload would hold it
/// ("Exif\0\0" and the TIFF structure), into a new buffer at `*exif` (free with nrs_heif_free), or NULL
/// when there is none. Nothing is decoded.
int nrs_heif_read_info(const char *path, nrs_heif_info *info, unsigned char **exif, size_t *exif_size,
                       char *error, size_t error_size);

/// Decodes the primary image to interleaved 8-bit RGB (alpha dropped) with its rotation, mirroring and
/// cropping applied, into a malloc'd buffer at `*pixels`. Refuses images over `max_pixels` before
/// decoding, and data that is damaged or ends early.
int nrs_heif_decode_file(const char *path, long max_pixels, unsigned char **pixels, int *width,
                         int *height, char *error, size_t error_size);

void nrs_heif_free(void *pointer);

#endif
