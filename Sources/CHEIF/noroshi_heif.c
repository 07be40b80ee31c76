#include "noroshi_heif.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libheif/heif.h>

static void set_error(char *error, size_t error_size, const char *message) {
    if (error != NULL && error_size > 0) {
        snprintf(error, error_size, "%s", message);
    }
}

// Opens the file and its primary image; on failure leaves a message and nothing open.
static int open_primary(const char *path, struct heif_context **context, struct heif_image_handle **handle,
                        char *error, size_t error_size) {
    *context = heif_context_alloc();
    *handle = NULL;
    if (*context == NULL) {
        set_error(error, error_size, "out of memory");
        return NRS_HEIF_ERROR;
    }
    struct heif_error result = heif_context_read_from_file(*context, path, NULL);
    if (result.code == heif_error_Ok) {
        result = heif_context_get_primary_image_handle(*context, handle);
    }
    if (result.code != heif_error_Ok) {
        set_error(error, error_size, result.message);
        heif_context_free(*context);
        *context = NULL;
        return NRS_HEIF_ERROR;
    }
    return NRS_HEIF_OK;
}

static void close_primary(struct heif_context *context, struct heif_image_handle *handle) {
    if (handle != NULL) {
        heif_image_handle_release(handle);
    }
    heif_context_free(context);
}

// The first EXIF block, rewritten as a JPEG APP1 payload. In HEIF the block starts with a 4-byte
// big-endian offset from its end to the TIFF header (usually past an "Exif\0\0" of its own).
static void copy_exif(const struct heif_image_handle *handle, unsigned char **exif, size_t *exif_size) {
    heif_item_id id;
    if (heif_image_handle_get_list_of_metadata_block_IDs(handle, "Exif", &id, 1) < 1) {
        return;
    }
    size_t size = heif_image_handle_get_metadata_size(handle, id);
    if (size < 4 || size > 16 * 1024 * 1024) {
        return;
    }
    unsigned char *block = malloc(size);
    if (block == NULL) {
        return;
    }
    if (heif_image_handle_get_metadata(handle, id, block).code != heif_error_Ok) {
        free(block);
        return;
    }
    uint32_t offset = (uint32_t)block[0] << 24 | (uint32_t)block[1] << 16 | (uint32_t)block[2] << 8 | block[3];
    if ((size_t)offset > size - 4) {
        free(block);
        return;
    }
    size_t tiff_size = size - 4 - offset;
    unsigned char *payload = malloc(tiff_size + 6);
    if (payload != NULL) {
        memcpy(payload, "Exif\0\0", 6);
        memcpy(payload + 6, block + 4 + offset, tiff_size);
        *exif = payload;
        *exif_size = tiff_size + 6;
    }
    free(block);
}

int nrs_heif_read_info(const char *path, nrs_heif_info *info, unsigned char **exif, size_t *exif_size,
                       char *error, size_t error_size) {
    memset(info, 0, sizeof *info);
    *exif = NULL;
    *exif_size = 0;
    struct heif_context *context;
    struct heif_image_handle *handle;
    if (open_primary(path, &context, &handle, error, error_size) != NRS_HEIF_OK) {
        return NRS_HEIF_ERROR;
    }
    info->width = heif_image_handle_get_width(handle);
    info->height = heif_image_handle_get_height(handle);
    info->has_alpha = heif_image_handle_has_alpha_channel(handle);
    info->bit_depth = heif_image_handle_get_luma_bits_per_pixel(handle);
    info->image_count = heif_context_get_number_of_top_level_images(context);
    copy_exif(handle, exif, exif_size);
    close_primary(context, handle);
    return NRS_HEIF_OK;
}

int nrs_heif_decode_file(const char *path, long max_pixels, unsigned char **pixels, int *width,
                         int *height, char *error, size_t error_size) {
    *pixels = NULL;
    *width = 0;
    *height = 0;
    struct heif_context *context;
    struct heif_image_handle *handle;
    if (open_primary(path, &context, &handle, error, error_size) != NRS_HEIF_OK) {
        return NRS_HEIF_ERROR;
    }
    int w = heif_image_handle_get_width(handle), h = heif_image_handle_get_height(handle);
    if (w <= 0 || h <= 0 || (long long)w * (long long)h > (long long)max_pixels) {
        char message[128];
        snprintf(message, sizeof message, "the image is %d×%d, over the limit of %ld pixels", w, h, max_pixels);
        set_error(error, error_size, message);
        close_primary(context, handle);
        return NRS_HEIF_ERROR;
    }
    struct heif_decoding_options *options = heif_decoding_options_alloc();
    if (options != NULL) {
        options->convert_hdr_to_8bit = 1;
        options->strict_decoding = 1;
    }
    struct heif_image *image = NULL;
    struct heif_error result =
        heif_decode_image(handle, &image, heif_colorspace_RGB, heif_chroma_interleaved_RGB, options);
    heif_decoding_options_free(options);
    if (result.code != heif_error_Ok) {
        set_error(error, error_size, result.message);
        close_primary(context, handle);
        return NRS_HEIF_ERROR;
    }
    int stride = 0;
    const uint8_t *plane = heif_image_get_plane_readonly(image, heif_channel_interleaved, &stride);
    w = heif_image_get_width(image, heif_channel_interleaved);
    h = heif_image_get_height(image, heif_channel_interleaved);
    unsigned char *out = plane != NULL && w > 0 && h > 0 ? malloc((size_t)w * (size_t)h * 3) : NULL;
    if (out == NULL) {
        set_error(error, error_size, plane == NULL ? "the decoder gave no pixels" : "out of memory");
        heif_image_release(image);
        close_primary(context, handle);
        return NRS_HEIF_ERROR;
    }
    for (int y = 0; y < h; y++) {
        memcpy(out + (size_t)y * (size_t)w * 3, plane + (size_t)y * (size_t)stride, (size_t)w * 3);
    }
    heif_image_release(image);
    close_primary(context, handle);
    *pixels = out;
    *width = w;
    *height = h;
    return NRS_HEIF_OK;
}

void nrs_heif_free(void *pointer) { free(pointer); }
