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

/// The reconstruction filter of a resampler.
typedef enum {
    /// Area averaging: each output is the mean of the input it covers. Never rings; a little soft.
    NRS_FILTER_AREA = 0,
    /// Lanczos with three lobes, stretched over the output pixel's footprint when reducing: the
    /// sharpest of the usual filters (what vipsthumbnail and ImageMagick use), with slight ringing.
    NRS_FILTER_LANCZOS3 = 3,
} nrs_filter;

/// Prepares weights to resample `in_size` samples to `out_size`. Returns 0 when out of memory.
int nrs_resampler_init(nrs_resampler *resampler, int in_size, int out_size, nrs_filter filter);
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

/// Resizes one 8-bit plane (a JPEG component: luma or one chroma channel) streamed in row by row as
/// libjpeg's raw-data mode produces it, into `out` (rows `out_stride` bytes apart) turned upright for
/// an EXIF orientation. Between the vertical and the horizontal pass samples keep 6 more bits (16-bit
/// intermediates), and both passes use SSE2 on x86-64. The decoder may write straight into the ring
/// of input rows (`nrs_plane_slot`): it holds the filter's span plus `batch` rows, the most the
/// decoder writes before they are pushed.
typedef struct {
    nrs_resampler vertical;
    nrs_resampler horizontal;
    /// The horizontal weights again, each output's padded with zeros to a multiple of 8 taps.
    int16_t *padded_weights;
    int padded_taps;
    int in_width;
    int in_height;
    size_t row_stride;
    int slots;
    unsigned char *ring;
    const unsigned char **window;
    int rows_in;
    int rows_out;
    int16_t *mixed;
    unsigned char *out;
    ptrdiff_t out_stride;
    int out_width;
    int out_height;
    int orientation;
} nrs_plane_resizer;

/// Prepares to resize a `in_width`×`in_height` plane whose input rows are `row_stride` bytes long
/// (at least `in_width`) to `out_width`×`out_height` before orientation. Returns 0 when out of memory.
int nrs_plane_init(nrs_plane_resizer *resizer, int in_width, int in_height, size_t row_stride, int batch,
                   int out_width, int out_height, int orientation, nrs_filter filter,
                   unsigned char *out, ptrdiff_t out_stride);
/// Where input row `row` is to be written (rows are written in order, at most `batch` ahead of the
/// last pushed).
unsigned char *nrs_plane_slot(nrs_plane_resizer *resizer, int row);
/// Takes the next input row, already in its slot, and makes every output row it completes.
void nrs_plane_push(nrs_plane_resizer *resizer);
/// Safe on a zeroed resizer.
void nrs_plane_free(nrs_plane_resizer *resizer);

/// Resizes a whole upright image (no orientation). Returns 0 when out of memory.
int nrs_resample(const unsigned char *in, int width, int height, int components, unsigned char *out,
                 int out_width, int out_height);

#endif
