// Separable resampling with EXIF orientation folded into the output, over interleaved 8-bit pixels.
// Internal to CJPEG.
#ifndef NOROSHI_RESAMPLE_H
#define NOROSHI_RESAMPLE_H

#include <stddef.h>
#include <stdint.h>

/// Fixed-point weights for one dimension: output i reads `taps` inputs from starts[i].
typedef struct {
    int in_size;
    int out_size;
    int taps;
    int *starts;
    int16_t *weights;
} nrs_resampler;

/// Prepares weights to resample `in_size` samples to `out_size`. Returns 0 when out of memory.
int nrs_resampler_init(nrs_resampler *resampler, int in_size, int out_size);
void nrs_resampler_free(nrs_resampler *resampler);

/// Resizes an image streamed in row by row (as a decoder produces it) into `out`, turned upright for
/// an EXIF orientation: only as many input rows as the vertical filter spans are held at a time.
typedef struct {
    nrs_resampler vertical;
    nrs_resampler horizontal;
    int in_width;
    int in_height;
    int components;
    size_t slot_size;
    unsigned char *ring;
    int rows_in;
    int rows_out;
    unsigned char *mixed;
    int32_t *sums;
    unsigned char *out;
    int out_width;
    int out_height;
    int orientation;
} nrs_resizer;

/// Prepares to resize `in_width`×`in_height` to `out_width`×`out_height` (before orientation) and
/// write the result, turned upright for `orientation` (1–8), into `out`, which must hold
/// out_width×out_height×components bytes. Input rows may be up to `slot_components` samples per pixel
/// wide (4 for CMYK converted in place by the caller). Returns 0 when out of memory.
int nrs_resizer_init(nrs_resizer *resizer, int in_width, int in_height, int components,
                     int slot_components, int out_width, int out_height, int orientation,
                     unsigned char *out);
/// Where the caller writes the next input row.
unsigned char *nrs_resizer_next_row(nrs_resizer *resizer);
/// Takes the row written at nrs_resizer_next_row and makes every output row it completes.
void nrs_resizer_push(nrs_resizer *resizer);
void nrs_resizer_free(nrs_resizer *resizer);

/// Resizes a whole upright image (no orientation). Returns 0 when out of memory.
int nrs_resample(const unsigned char *in, int width, int height, int components, unsigned char *out,
                 int out_width, int out_height);

#endif
