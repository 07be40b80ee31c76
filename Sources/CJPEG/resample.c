#include "resample.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) && defined(__SSE2__)
#include <immintrin.h>
#define NRS_X86 1
#endif

// Weights are fixed point with 14 fractional bits; each output's weights sum to exactly 1 << 14.
#define NRS_WEIGHT_BITS 14
#define NRS_WEIGHT_ONE (1 << NRS_WEIGHT_BITS)

// Area averaging: each output pixel is the mean of the input it covers, partly covered pixels
// counting by the covered fraction. Lanczos-3: sinc(x)·sinc(x/3) for |x| < 3, x in output pixels.
// BENCHMARKS.md compares them on the 12-megapixel photo.
// How much of input pixel [j, j + 1) the footprint [lo, hi) covers.
static double coverage(double j, double lo, double hi) {
    double a = j > lo ? j : lo;
    double b = j + 1 < hi ? j + 1 : hi;
    return b > a ? b - a : 0.0;
}

static double sinc(double x) {
    if (x == 0) {
        return 1;
    }
    x *= M_PI;
    return sin(x) / x;
}

static double lanczos3(double x) {
    x = fabs(x);
    return x < 3 ? sinc(x) * sinc(x / 3) : 0;
}

int nrs_resampler_init(nrs_resampler *resampler, int in_size, int out_size, nrs_filter filter) {
    memset(resampler, 0, sizeof *resampler);
    resampler->in_size = in_size;
    resampler->out_size = out_size;
    double scale = (double)in_size / (double)out_size;
    // The footprint of an output pixel, in input pixels: at least one, so an output the same size as
    // the input reads exactly the pixel under it.
    double footprint = scale > 1.0 ? scale : 1.0;
    double support = filter == NRS_FILTER_LANCZOS3 ? footprint * 3 : footprint / 2;
    int taps = (int)ceil(2 * support) + 1;
    if (taps > in_size) {
        taps = in_size;
    }
    resampler->taps = taps;
    resampler->starts = malloc(sizeof(int) * (size_t)out_size);
    resampler->weights = calloc((size_t)out_size * (size_t)taps, sizeof(int16_t));
    double *raw = malloc(sizeof(double) * (size_t)taps);
    if (resampler->starts == NULL || resampler->weights == NULL || raw == NULL) {
        free(raw);
        nrs_resampler_free(resampler);
        return 0;
    }
    for (int i = 0; i < out_size; i++) {
        // Pixel centres are at half-integers: output i covers [i * scale, (i + 1) * scale).
        double center = (i + 0.5) * scale;
        int first = (int)floor(center - support);
        int last = (int)ceil(center + support);
        int start = first < 0 ? 0 : first;
        if (start > in_size - taps) {
            start = in_size - taps;
        }
        resampler->starts[i] = start;
        for (int t = 0; t < taps; t++) {
            raw[t] = 0;
        }
        double total = 0;
        for (int j = first; j <= last; j++) {
            double weight = filter == NRS_FILTER_LANCZOS3
                                ? lanczos3((j + 0.5 - center) / footprint)
                                : coverage(j, center - support, center + support);
            if (weight == 0) {
                continue;
            }
            // Beyond the edge the edge pixel repeats.
            int clamped = j < 0 ? 0 : j >= in_size ? in_size - 1 : j;
            if (clamped - start >= taps) {
                continue;
            }
            raw[clamped - start] += weight;
            total += weight;
        }
        int16_t *weights = resampler->weights + (size_t)i * (size_t)taps;
        int sum = 0, largest = 0;
        for (int t = 0; t < taps; t++) {
            weights[t] = (int16_t)lround(raw[t] / total * NRS_WEIGHT_ONE);
            sum += weights[t];
            if (weights[t] > weights[largest]) {
                largest = t;
            }
        }
        weights[largest] = (int16_t)(weights[largest] + (NRS_WEIGHT_ONE - sum));
    }
    free(raw);
    return 1;
}

void nrs_resampler_free(nrs_resampler *resampler) {
    free(resampler->starts);
    free(resampler->weights);
    resampler->starts = NULL;
    resampler->weights = NULL;
}

// Area weights are never negative and sum to one, so a weighted sum of samples stays in 0…255.
static inline unsigned char to_sample(int32_t value) {
    return (unsigned char)((value + (NRS_WEIGHT_ONE / 2)) >> NRS_WEIGHT_BITS);
}

static inline unsigned char clamp_sample(int32_t value) {
    return (unsigned char)(value < 0 ? 0 : value > 255 ? 255 : value);
}

// Where output pixel (x, y) of the unrotated image lands in the upright image whose rows are `stride`
// pixels apart, as the offset of (0, y) and the step from x to x + 1, in pixels. `w`×`h` is the
// unrotated size.
static void placement(int orientation, int w, int h, int y, ptrdiff_t stride, ptrdiff_t *base,
                      ptrdiff_t *step) {
    switch (orientation) {
    case 2: *base = (ptrdiff_t)y * stride + (w - 1); *step = -1; break;
    case 3: *base = (ptrdiff_t)(h - 1 - y) * stride + (w - 1); *step = -1; break;
    case 4: *base = (ptrdiff_t)(h - 1 - y) * stride; *step = 1; break;
    case 5: *base = y; *step = stride; break;
    case 6: *base = h - 1 - y; *step = stride; break;
    case 7: *base = (ptrdiff_t)(w - 1) * stride + (h - 1 - y); *step = -stride; break;
    case 8: *base = (ptrdiff_t)(w - 1) * stride + y; *step = -stride; break;
    default: *base = (ptrdiff_t)y * stride; *step = 1; break;
    }
}

// One row through the horizontal filter, each output pixel written `step` pixels after the last.
static void resample_row(const nrs_resampler *resampler, const unsigned char *in,
                         unsigned char *out, ptrdiff_t step, int components) {
    int taps = resampler->taps;
    ptrdiff_t stride = step * components;
    if (components == 3) {
        for (int i = 0; i < resampler->out_size; i++, out += stride) {
            const int16_t *w = resampler->weights + (size_t)i * (size_t)taps;
            const unsigned char *p = in + (size_t)resampler->starts[i] * 3;
            int32_t r = 0, g = 0, b = 0;
            for (int t = 0; t < taps; t++, p += 3) {
                r += w[t] * p[0];
                g += w[t] * p[1];
                b += w[t] * p[2];
            }
            out[0] = to_sample(r);
            out[1] = to_sample(g);
            out[2] = to_sample(b);
        }
        return;
    }
    for (int i = 0; i < resampler->out_size; i++, out += stride) {
        const int16_t *w = resampler->weights + (size_t)i * (size_t)taps;
        const unsigned char *p = in + (size_t)resampler->starts[i] * (size_t)components;
        for (int c = 0; c < components; c++) {
            int32_t sum = 0;
            for (int t = 0; t < taps; t++) {
                sum += w[t] * p[t * components + c];
            }
            out[c] = to_sample(sum);
        }
    }
}

int nrs_resizer_init(nrs_resizer *resizer, int in_width, int in_height, int components,
                     int slot_components, int out_width, int out_height, int orientation,
                     unsigned char *out) {
    memset(resizer, 0, sizeof *resizer);
    resizer->in_width = in_width;
    resizer->in_height = in_height;
    resizer->components = components;
    resizer->out = out;
    resizer->out_width = out_width;
    resizer->out_height = out_height;
    resizer->orientation = orientation;
    resizer->slot_size = (size_t)in_width * (size_t)slot_components;
    size_t row = (size_t)in_width * (size_t)components;
    if (!nrs_resampler_init(&resizer->vertical, in_height, out_height, NRS_FILTER_AREA) ||
        !nrs_resampler_init(&resizer->horizontal, in_width, out_width, NRS_FILTER_AREA)) {
        nrs_resizer_free(resizer);
        return 0;
    }
    resizer->ring = malloc(resizer->slot_size * (size_t)resizer->vertical.taps);
    resizer->mixed = malloc(row);
    resizer->sums = malloc(sizeof(int32_t) * row);
    if (resizer->ring == NULL || resizer->mixed == NULL || resizer->sums == NULL) {
        nrs_resizer_free(resizer);
        return 0;
    }
    return 1;
}

unsigned char *nrs_resizer_next_row(nrs_resizer *resizer) {
    return resizer->ring +
           resizer->slot_size * (size_t)(resizer->rows_in % resizer->vertical.taps);
}

void nrs_resizer_push(nrs_resizer *resizer) {
    int last = resizer->rows_in++;
    const nrs_resampler *vertical = &resizer->vertical;
    size_t row = (size_t)resizer->in_width * (size_t)resizer->components;
    int taps = vertical->taps;
    // Every output row whose window of input rows ends at or before the row just pushed.
    while (resizer->rows_out < resizer->out_height &&
           vertical->starts[resizer->rows_out] + taps - 1 <= last) {
        int y = resizer->rows_out++;
        const int16_t *w = vertical->weights + (size_t)y * (size_t)taps;
        int start = vertical->starts[y];
        int32_t *sums = resizer->sums;
        const unsigned char *first = resizer->ring + resizer->slot_size * (size_t)(start % taps);
        for (size_t x = 0; x < row; x++) {
            sums[x] = w[0] * first[x];
        }
        for (int t = 1; t < taps; t++) {
            int32_t weight = w[t];
            if (weight == 0) {
                continue;
            }
            const unsigned char *source =
                resizer->ring + resizer->slot_size * (size_t)((start + t) % taps);
            for (size_t x = 0; x < row; x++) {
                sums[x] += weight * source[x];
            }
        }
        for (size_t x = 0; x < row; x++) {
            resizer->mixed[x] = to_sample(sums[x]);
        }
        ptrdiff_t base, step;
        ptrdiff_t display_width = resizer->orientation >= 5 ? resizer->out_height : resizer->out_width;
        placement(resizer->orientation, resizer->out_width, resizer->out_height, y, display_width, &base,
                  &step);
        resample_row(&resizer->horizontal, resizer->mixed,
                     resizer->out + base * resizer->components, step, resizer->components);
    }
}

void nrs_resizer_free(nrs_resizer *resizer) {
    nrs_resampler_free(&resizer->vertical);
    nrs_resampler_free(&resizer->horizontal);
    free(resizer->ring);
    free(resizer->mixed);
    free(resizer->sums);
    resizer->ring = NULL;
    resizer->mixed = NULL;
    resizer->sums = NULL;
}

int nrs_resample(const unsigned char *in, int width, int height, int components, unsigned char *out,
                 int out_width, int out_height) {
    nrs_resizer resizer;
    if (!nrs_resizer_init(&resizer, width, height, components, components, out_width, out_height,
                          1, out)) {
        return 0;
    }
    size_t row = (size_t)width * (size_t)components;
    for (int y = 0; y < height; y++) {
        memcpy(nrs_resizer_next_row(&resizer), in + row * (size_t)y, row);
        nrs_resizer_push(&resizer);
    }
    nrs_resizer_free(&resizer);
    return 1;
}

// ---------------------------------------------------------------------------------------------
// Planes

// Bits kept below the 8-bit sample value between the vertical and the horizontal pass.
#define NRS_MIX_BITS 6

#if defined(NRS_X86)
// The vertical pass 32 samples at a time where the CPU has AVX2 (chosen at run time: the build
// targets plain x86-64). Returns how many samples it did.
__attribute__((target("avx2"))) static int vertical_pass_avx2(const unsigned char **rows, const int16_t *w,
                                                              int taps, int width, int16_t *out) {
    const int shift = NRS_WEIGHT_BITS - NRS_MIX_BITS;
    const __m256i zero = _mm256_setzero_si256();
    const __m256i round = _mm256_set1_epi32(1 << (shift - 1));
    int x = 0;
    for (; x + 32 <= width; x += 32) {
        __m256i sum0 = round, sum1 = round, sum2 = round, sum3 = round;
        for (int t = 0; t < taps; t += 2) {
            __m256i a = _mm256_loadu_si256((const __m256i *)(rows[t] + x));
            __m256i b = t + 1 < taps ? _mm256_loadu_si256((const __m256i *)(rows[t + 1] + x)) : zero;
            uint16_t low = (uint16_t)w[t], high = t + 1 < taps ? (uint16_t)w[t + 1] : 0;
            __m256i pair = _mm256_set1_epi32((int32_t)((uint32_t)low | ((uint32_t)high << 16)));
            // Unpacking works within 128-bit lanes: sum0 holds samples 0–3 and 16–19, sum1 4–7 and
            // 20–23, sum2 8–11 and 24–27, sum3 12–15 and 28–31.
            __m256i lo = _mm256_unpacklo_epi8(a, b), hi = _mm256_unpackhi_epi8(a, b);
            sum0 = _mm256_add_epi32(sum0, _mm256_madd_epi16(_mm256_unpacklo_epi8(lo, zero), pair));
            sum1 = _mm256_add_epi32(sum1, _mm256_madd_epi16(_mm256_unpackhi_epi8(lo, zero), pair));
            sum2 = _mm256_add_epi32(sum2, _mm256_madd_epi16(_mm256_unpacklo_epi8(hi, zero), pair));
            sum3 = _mm256_add_epi32(sum3, _mm256_madd_epi16(_mm256_unpackhi_epi8(hi, zero), pair));
        }
        // Packing is per lane too: first holds samples 0–7 and 16–23, second 8–15 and 24–31.
        __m256i first = _mm256_packs_epi32(_mm256_srai_epi32(sum0, shift), _mm256_srai_epi32(sum1, shift));
        __m256i second = _mm256_packs_epi32(_mm256_srai_epi32(sum2, shift), _mm256_srai_epi32(sum3, shift));
        _mm256_storeu_si256((__m256i *)(out + x), _mm256_permute2x128_si256(first, second, 0x20));
        _mm256_storeu_si256((__m256i *)(out + x + 16), _mm256_permute2x128_si256(first, second, 0x31));
    }
    return x;
}
#endif

// out[x] = Σ w[t]·rows[t][x], with NRS_MIX_BITS fractional bits, for one output row.
static void vertical_pass(const unsigned char **rows, const int16_t *w, int taps, int width,
                          int16_t *out) {
    const int shift = NRS_WEIGHT_BITS - NRS_MIX_BITS;
    int x = 0;
#if defined(NRS_X86)
    if (__builtin_cpu_supports("avx2")) {
        x = vertical_pass_avx2(rows, w, taps, width, out);
    }
    const __m128i zero = _mm_setzero_si128();
    const __m128i round = _mm_set1_epi32(1 << (shift - 1));
    // Two taps at a time: interleaved 16-bit samples of both rows against (w[t], w[t + 1]) pairs
    // make _mm_madd_epi16 do both multiplications and the addition.
    for (; x + 16 <= width; x += 16) {
        __m128i sum0 = round, sum1 = round, sum2 = round, sum3 = round;
        for (int t = 0; t < taps; t += 2) {
            __m128i a = _mm_loadu_si128((const __m128i *)(rows[t] + x));
            __m128i b = t + 1 < taps ? _mm_loadu_si128((const __m128i *)(rows[t + 1] + x)) : zero;
            uint16_t low = (uint16_t)w[t], high = t + 1 < taps ? (uint16_t)w[t + 1] : 0;
            __m128i pair = _mm_set1_epi32((int32_t)((uint32_t)low | ((uint32_t)high << 16)));
            __m128i lo = _mm_unpacklo_epi8(a, b), hi = _mm_unpackhi_epi8(a, b);
            sum0 = _mm_add_epi32(sum0, _mm_madd_epi16(_mm_unpacklo_epi8(lo, zero), pair));
            sum1 = _mm_add_epi32(sum1, _mm_madd_epi16(_mm_unpackhi_epi8(lo, zero), pair));
            sum2 = _mm_add_epi32(sum2, _mm_madd_epi16(_mm_unpacklo_epi8(hi, zero), pair));
            sum3 = _mm_add_epi32(sum3, _mm_madd_epi16(_mm_unpackhi_epi8(hi, zero), pair));
        }
        _mm_storeu_si128((__m128i *)(out + x),
                         _mm_packs_epi32(_mm_srai_epi32(sum0, shift), _mm_srai_epi32(sum1, shift)));
        _mm_storeu_si128((__m128i *)(out + x + 8),
                         _mm_packs_epi32(_mm_srai_epi32(sum2, shift), _mm_srai_epi32(sum3, shift)));
    }
#endif
    for (; x < width; x++) {
        int32_t sum = 1 << (shift - 1);
        for (int t = 0; t < taps; t++) {
            sum += w[t] * rows[t][x];
        }
        sum >>= shift;
        out[x] = (int16_t)(sum < INT16_MIN ? INT16_MIN : sum > INT16_MAX ? INT16_MAX : sum);
    }
}

// One row of 16-bit intermediates through the horizontal filter, each output written `step` bytes
// after the last.
static void horizontal_pass(const nrs_plane_resizer *resizer, const int16_t *in, unsigned char *out,
                            ptrdiff_t step) {
    const int shift = NRS_WEIGHT_BITS + NRS_MIX_BITS;
    int taps = resizer->padded_taps;
    for (int i = 0; i < resizer->out_width; i++, out += step) {
        const int16_t *p = in + resizer->horizontal.starts[i];
        const int16_t *w = resizer->padded_weights + (size_t)i * (size_t)taps;
        int32_t sum;
#if defined(NRS_X86)
        __m128i acc = _mm_setzero_si128();
        for (int t = 0; t < taps; t += 8) {
            acc = _mm_add_epi32(acc, _mm_madd_epi16(_mm_loadu_si128((const __m128i *)(p + t)),
                                                    _mm_loadu_si128((const __m128i *)(w + t))));
        }
        acc = _mm_add_epi32(acc, _mm_shuffle_epi32(acc, 0x4E));
        acc = _mm_add_epi32(acc, _mm_shuffle_epi32(acc, 0xB1));
        sum = _mm_cvtsi128_si32(acc);
#else
        sum = 0;
        for (int t = 0; t < taps; t++) {
            sum += w[t] * p[t];
        }
#endif
        *out = clamp_sample((sum + (1 << (shift - 1))) >> shift);
    }
}

int nrs_plane_init(nrs_plane_resizer *resizer, int in_width, int in_height, size_t row_stride, int batch,
                   int out_width, int out_height, int orientation, nrs_filter filter,
                   unsigned char *out, ptrdiff_t out_stride) {
    memset(resizer, 0, sizeof *resizer);
    resizer->in_width = in_width;
    resizer->in_height = in_height;
    resizer->row_stride = row_stride;
    resizer->out_width = out_width;
    resizer->out_height = out_height;
    resizer->orientation = orientation;
    resizer->out = out;
    resizer->out_stride = out_stride;
    if (!nrs_resampler_init(&resizer->vertical, in_height, out_height, filter) ||
        !nrs_resampler_init(&resizer->horizontal, in_width, out_width, filter)) {
        nrs_plane_free(resizer);
        return 0;
    }
    int taps = resizer->horizontal.taps;
    resizer->padded_taps = (taps + 7) & ~7;
    resizer->slots = resizer->vertical.taps + (batch > 1 ? batch : 1);
    resizer->padded_weights =
        calloc((size_t)out_width * (size_t)resizer->padded_taps, sizeof(int16_t));
    resizer->ring = malloc(row_stride * (size_t)resizer->slots);
    resizer->window = malloc(sizeof(unsigned char *) * (size_t)resizer->vertical.taps);
    // The horizontal pass reads up to padded_taps samples from each start: zeros past the row's end.
    resizer->mixed = calloc((size_t)in_width + (size_t)resizer->padded_taps, sizeof(int16_t));
    if (resizer->padded_weights == NULL || resizer->ring == NULL || resizer->window == NULL ||
        resizer->mixed == NULL) {
        nrs_plane_free(resizer);
        return 0;
    }
    for (int i = 0; i < out_width; i++) {
        memcpy(resizer->padded_weights + (size_t)i * (size_t)resizer->padded_taps,
               resizer->horizontal.weights + (size_t)i * (size_t)taps, sizeof(int16_t) * (size_t)taps);
    }
    return 1;
}

unsigned char *nrs_plane_slot(nrs_plane_resizer *resizer, int row) {
    return resizer->ring + resizer->row_stride * (size_t)(row % resizer->slots);
}

void nrs_plane_push(nrs_plane_resizer *resizer) {
    int last = resizer->rows_in++;
    const nrs_resampler *vertical = &resizer->vertical;
    int taps = vertical->taps;
    while (resizer->rows_out < resizer->out_height &&
           vertical->starts[resizer->rows_out] + taps - 1 <= last) {
        int y = resizer->rows_out++;
        int start = vertical->starts[y];
        for (int t = 0; t < taps; t++) {
            resizer->window[t] = nrs_plane_slot(resizer, start + t);
        }
        vertical_pass(resizer->window, vertical->weights + (size_t)y * (size_t)taps, taps,
                      resizer->in_width, resizer->mixed);
        ptrdiff_t base, step;
        placement(resizer->orientation, resizer->out_width, resizer->out_height, y, resizer->out_stride,
                  &base, &step);
        horizontal_pass(resizer, resizer->mixed, resizer->out + base, step);
    }
}

void nrs_plane_free(nrs_plane_resizer *resizer) {
    nrs_resampler_free(&resizer->vertical);
    nrs_resampler_free(&resizer->horizontal);
    free(resizer->padded_weights);
    free(resizer->ring);
    free(resizer->window);
    free(resizer->mixed);
    resizer->padded_weights = NULL;
    resizer->ring = NULL;
    resizer->window = NULL;
    resizer->mixed = NULL;
}
