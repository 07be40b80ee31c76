#include "noroshi_jpeg.h"

#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>

// An error manager whose error_exit longjmps back to the caller with libjpeg's message.
typedef struct {
    struct jpeg_error_mgr base;
    jmp_buf jump;
    char message[JMSG_LENGTH_MAX];
} nrs_error_mgr;

static void nrs_error_exit(j_common_ptr cinfo) {
    nrs_error_mgr *manager = (nrs_error_mgr *)cinfo->err;
    manager->base.format_message(cinfo, manager->message);
    longjmp(manager->jump, 1);
}

// Warnings (e.g. "Premature end of JPEG file") are not printed; a decode that ends early still fails
// later where it matters.
static void nrs_output_message(j_common_ptr cinfo) { (void)cinfo; }

static void set_error(char *error, size_t error_size, const char *message) {
    if (error && error_size > 0) {
        snprintf(error, error_size, "%s", message);
    }
}

static const unsigned char exif_prefix[6] = {'E', 'x', 'i', 'f', 0, 0};

int nrs_jpeg_read_header_file(const char *path, nrs_jpeg_header *header, unsigned char **app1,
                              size_t *app1_size, char *error, size_t error_size) {
    *app1 = NULL;
    *app1_size = 0;
    FILE *file = fopen(path, "rb");
    if (file == NULL) {
        set_error(error, error_size, strerror(errno));
        return NRS_JPEG_ERROR;
    }
    struct jpeg_decompress_struct cinfo;
    nrs_error_mgr manager;
    cinfo.err = jpeg_std_error(&manager.base);
    manager.base.error_exit = nrs_error_exit;
    manager.base.output_message = nrs_output_message;
    manager.message[0] = 0;
    // volatile: written after setjmp, read after a longjmp.
    unsigned char *volatile copy = NULL;
    if (setjmp(manager.jump)) {
        free(copy);
        jpeg_destroy_decompress(&cinfo);
        fclose(file);
        set_error(error, error_size, manager.message);
        return NRS_JPEG_ERROR;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_stdio_src(&cinfo, file);
    jpeg_save_markers(&cinfo, JPEG_APP0 + 1, 0xFFFF);
    jpeg_read_header(&cinfo, TRUE);
    header->width = (int)cinfo.image_width;
    header->height = (int)cinfo.image_height;
    header->components = cinfo.num_components;
    header->color_space = (int)cinfo.jpeg_color_space;
    header->progressive = cinfo.progressive_mode ? 1 : 0;
    header->arithmetic = cinfo.arith_code ? 1 : 0;
    int result = NRS_JPEG_OK;
    for (jpeg_saved_marker_ptr marker = cinfo.marker_list; marker != NULL; marker = marker->next) {
        if (marker->marker == JPEG_APP0 + 1 && marker->data_length >= sizeof exif_prefix &&
            memcmp(marker->data, exif_prefix, sizeof exif_prefix) == 0) {
            copy = malloc(marker->data_length);
            if (copy == NULL) {
                set_error(error, error_size, "out of memory");
                result = NRS_JPEG_ERROR;
                break;
            }
            memcpy(copy, marker->data, marker->data_length);
            *app1 = copy;
            *app1_size = marker->data_length;
            break;
        }
    }
    jpeg_destroy_decompress(&cinfo);
    fclose(file);
    return result;
}

void nrs_jpeg_free(void *pointer) { free(pointer); }
