#include "noroshi_jpeg.h"

#include <errno.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jpeglib.h>
#include <jerror.h>
#include <jpegint.h>

#include "huffman.h"
#include "resample.h"

// libjpeg's memory manager may hold at most this much per image (coefficient buffers of progressive
// files are the big item); beyond it libjpeg fails with "insufficient memory" instead of growing.
#define NRS_MAX_LIBJPEG_MEMORY (768L * 1024 * 1024)
// A progressive file may have any number of scans, each re-reading the coefficients; hostile files
// use that to burn CPU. Real encoders write about ten.
#define NRS_MAX_SCANS 500

// ---------------------------------------------------------------------------------------------
// Errors

// An error manager whose error_exit longjmps back to the caller with libjpeg's message.
typedef struct {
    struct jpeg_error_mgr base;
    jmp_buf jump;
    char message[JMSG_LENGTH_MAX + 64];
} nrs_error_mgr;

static void nrs_error_exit(j_common_ptr cinfo) {
    nrs_error_mgr *manager = (nrs_error_mgr *)cinfo->err;
    manager->base.format_message(cinfo, manager->message);
    longjmp(manager->jump, 1);
}

// Warnings are not printed. Data that ends early is fatal: libjpeg would fill the rest with grey,
// and a derivative must never show a picture the original does not hold. Other warnings (extraneous
// bytes before a marker, for instance) are common in real camera files and harmless.
static void nrs_emit_message(j_common_ptr cinfo, int level) {
    nrs_error_mgr *manager = (nrs_error_mgr *)cinfo->err;
    if (level < 0 && manager->base.msg_code == JWRN_JPEG_EOF) {
        snprintf(manager->message, sizeof manager->message,
                 "the JPEG data ends early (the file is truncated)");
        longjmp(manager->jump, 1);
    }
}

static void hook_progressive(j_decompress_ptr cinfo);

static void nrs_progress(j_common_ptr cinfo) {
    if (cinfo->is_decompressor) {
        j_decompress_ptr dinfo = (j_decompress_ptr)cinfo;
        if (dinfo->input_scan_number > NRS_MAX_SCANS) {
            nrs_error_mgr *manager = (nrs_error_mgr *)cinfo->err;
            snprintf(manager->message, sizeof manager->message,
                     "the JPEG has more than %d progressive scans", NRS_MAX_SCANS);
            longjmp(manager->jump, 1);
        }
        hook_progressive(dinfo);
    }
}

static void set_error(char *error, size_t error_size, const char *message) {
    if (error && error_size > 0) {
        snprintf(error, error_size, "%s", message);
    }
}

static void install_error_manager(j_common_ptr cinfo, nrs_error_mgr *manager) {
    cinfo->err = jpeg_std_error(&manager->base);
    manager->base.error_exit = nrs_error_exit;
    manager->base.emit_message = nrs_emit_message;
    manager->message[0] = 0;
}

__attribute__((noreturn)) static void fail(j_common_ptr cinfo, const char *message) {
    nrs_error_mgr *manager = (nrs_error_mgr *)cinfo->err;
    snprintf(manager->message, sizeof manager->message, "%s", message);
    longjmp(manager->jump, 1);
}

// ---------------------------------------------------------------------------------------------
// Decoding

// A file source with a large buffer. Noroshi's Huffman decoder (huffman.c) copies a scan's data out of it
// in large pieces; libjpeg-turbo's, which still decodes arithmetic-coded and 12-bit files (and every file
// with NOROSHI_LIBJPEG_HUFFMAN set), runs its fast path only while at least 512 bytes per block of an MCU are
// buffered: with stdio's 4 KB buffer a 4:2:2 photo took its slow path for about half its MCUs. A mapped
// file would save a copy, but a file cut short under it would end the process.
#define NRS_SOURCE_BUFFER (256 * 1024)

typedef struct {
    struct jpeg_source_mgr base;
    int fd;  // -1 until opened
    unsigned char *buffer;
    int start_of_file;
    size_t size;  // the file's size when opened
} nrs_file_source;

static void file_source_init(j_decompress_ptr cinfo) {
    ((nrs_file_source *)cinfo->src)->start_of_file = 1;
}

// As jdatasrc.c's fill_input_buffer: an empty file is an error, a file that ends early gets a warning
// and a fake EOI, so a truncated photo reads as one.
static boolean file_source_fill(j_decompress_ptr cinfo) {
    nrs_file_source *source = (nrs_file_source *)cinfo->src;
    size_t filled = 0;
    while (filled < NRS_SOURCE_BUFFER) {
        ssize_t count = read(source->fd, source->buffer + filled, NRS_SOURCE_BUFFER - filled);
        if (count < 0 && errno == EINTR) {
            continue;
        }
        if (count < 0) {
            ERREXIT(cinfo, JERR_FILE_READ);
        }
        if (count == 0) {
            break;
        }
        filled += (size_t)count;
    }
    if (filled == 0) {
        if (source->start_of_file) {
            ERREXIT(cinfo, JERR_INPUT_EMPTY);
        }
        WARNMS(cinfo, JWRN_JPEG_EOF);
        source->buffer[0] = (unsigned char)0xFF;
        source->buffer[1] = (unsigned char)JPEG_EOI;
        filled = 2;
    }
    source->base.next_input_byte = source->buffer;
    source->base.bytes_in_buffer = filled;
    source->start_of_file = 0;
    return TRUE;
}

static void file_source_skip(j_decompress_ptr cinfo, long count) {
    struct jpeg_source_mgr *base = cinfo->src;
    if (count <= 0) {
        return;
    }
    while (count > (long)base->bytes_in_buffer) {
        count -= (long)base->bytes_in_buffer;
        (void)file_source_fill(cinfo);
    }
    base->next_input_byte += (size_t)count;
    base->bytes_in_buffer -= (size_t)count;
}

static void file_source_term(j_decompress_ptr cinfo) { (void)cinfo; }

static const unsigned char exif_prefix[6] = {'E', 'x', 'i', 'f', 0, 0};

// Large blocks (a progressive photo's coefficients, 72 MB for 18 megapixels; a scan's data) are mapped with
// transparent huge pages where the kernel allows them on request (madvise mode, Debian's default): fresh
// 4 KB pages cost a fault each, and on an 18-megapixel progressive photo the faults were 17 % of the CPU time.
#define NRS_BIG_ALLOCATION (2 * 1024 * 1024)
#define NRS_MAX_REGIONS 16

typedef struct {
    void *address;
    size_t length;
    int pool;
} nrs_region;

// Everything a decode owns. Allocated before setjmp and only reached through a pointer that is never
// reassigned, so the cleanup after a longjmp sees every buffer.
typedef struct {
    struct jpeg_decompress_struct cinfo;
    nrs_error_mgr error;
    struct jpeg_progress_mgr progress;
    nrs_file_source file;
    int created;
    // Which Huffman decoder: NRS_HUFFMAN_NOROSHI unless the environment or a test asks for another.
    int huffman;
    // The progressive decoder's hook ran (the progress monitor is called many times).
    int progressive_hooked;
    // Large blocks libjpeg asked for, mapped here (see big_alloc_large), and its own allocator's methods.
    nrs_region regions[NRS_MAX_REGIONS];
    int region_count;
    void *(*libjpeg_alloc_large)(j_common_ptr cinfo, int pool, size_t size);
    void (*libjpeg_free_pool)(j_common_ptr cinfo, int pool);
    void (*libjpeg_self_destruct)(j_common_ptr cinfo);
    JBLOCKARRAY (*libjpeg_access_virt_barray)(j_common_ptr cinfo, jvirt_barray_ptr array, JDIMENSION start_row,
                                              JDIMENSION rows, boolean writable);
    jvirt_barray_ptr advised[MAX_COMPONENTS];  // coefficient arrays already given the huge-page hint
    int advised_count;
    int advised_component[MAX_COMPONENTS];     // by component_index
    unsigned char *buffers[8];
    // Zeroed with the decoder, so freeing them is safe whether or not they were used.
    nrs_resizer resizer;
    nrs_plane_resizer planes[3];
} nrs_decoder;

static nrs_decoder *decoder_new(void) {
    nrs_decoder *decoder = calloc(1, sizeof *decoder);
    if (decoder != NULL) {
        decoder->file.fd = -1;
        // NOROSHI_LIBJPEG_HUFFMAN=1 compares with libjpeg-turbo's decoder (the photo benchmark does).
        decoder->huffman = getenv("NOROSHI_LIBJPEG_HUFFMAN") != NULL ? NRS_HUFFMAN_LIBJPEG : NRS_HUFFMAN_NOROSHI;
        install_error_manager((j_common_ptr)&decoder->cinfo, &decoder->error);
    }
    return decoder;
}

static void decoder_free(nrs_decoder *decoder) {
    if (decoder->created) {
        jpeg_destroy_decompress(&decoder->cinfo);
    }
    if (decoder->file.fd >= 0) {
        close(decoder->file.fd);
    }
    free(decoder->file.buffer);
    nrs_resizer_free(&decoder->resizer);
    for (int plane = 0; plane < 3; plane++) {
        nrs_plane_free(&decoder->planes[plane]);
    }
    for (size_t index = 0; index < sizeof decoder->buffers / sizeof decoder->buffers[0]; index++) {
        free(decoder->buffers[index]);
    }
    free(decoder);
}

// A buffer owned by the decoder (freed with it), or a longjmp with "out of memory".
static unsigned char *decoder_alloc(nrs_decoder *decoder, size_t size) {
    for (size_t index = 0; index < sizeof decoder->buffers / sizeof decoder->buffers[0]; index++) {
        if (decoder->buffers[index] == NULL) {
            decoder->buffers[index] = malloc(size > 0 ? size : 1);
            if (decoder->buffers[index] == NULL) {
                fail((j_common_ptr)&decoder->cinfo, "out of memory");
            }
            return decoder->buffers[index];
        }
    }
    fail((j_common_ptr)&decoder->cinfo, "internal error: too many buffers");
}

// Hands a buffer over to the caller: the decoder no longer frees it.
static void decoder_release(nrs_decoder *decoder, const unsigned char *buffer) {
    for (size_t index = 0; index < sizeof decoder->buffers / sizeof decoder->buffers[0]; index++) {
        if (decoder->buffers[index] == buffer) {
            decoder->buffers[index] = NULL;
        }
    }
}

// Where a decode reads from: the file at `path` when set, else `size` bytes at `data`.
typedef struct {
    const char *path;
    const unsigned char *data;
    size_t size;
} nrs_source;

static void file_source_open(j_decompress_ptr cinfo, nrs_file_source *source, const char *path) {
    source->buffer = malloc(NRS_SOURCE_BUFFER);
    if (source->buffer == NULL) {
        fail((j_common_ptr)cinfo, "out of memory");
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        fail((j_common_ptr)cinfo, strerror(errno));
    }
    source->fd = fd;
    struct stat status;
    if (fstat(fd, &status) != 0) {
        fail((j_common_ptr)cinfo, strerror(errno));
    }
    source->size = status.st_size > 0 ? (size_t)status.st_size : 0;
    source->base.init_source = file_source_init;
    source->base.fill_input_buffer = file_source_fill;
    source->base.skip_input_data = file_source_skip;
    source->base.resync_to_restart = jpeg_resync_to_restart;
    source->base.term_source = file_source_term;
    source->base.bytes_in_buffer = 0;
    source->base.next_input_byte = NULL;
    cinfo->src = &source->base;
}

static void *big_alloc_large(j_common_ptr cinfo, int pool, size_t size) {
    nrs_decoder *decoder = (nrs_decoder *)cinfo;
    if (size < NRS_BIG_ALLOCATION || decoder->region_count == NRS_MAX_REGIONS) {
        return decoder->libjpeg_alloc_large(cinfo, pool, size);
    }
    size_t length = (size + NRS_BIG_ALLOCATION - 1) & ~(size_t)(NRS_BIG_ALLOCATION - 1);
    void *address = mmap(NULL, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (address == MAP_FAILED) {
        return decoder->libjpeg_alloc_large(cinfo, pool, size);
    }
    (void)madvise(address, length, MADV_HUGEPAGE);  // a hint: without THP, ordinary pages
    decoder->regions[decoder->region_count++] = (nrs_region){address, length, pool};
    return address;
}

static void release_regions(nrs_decoder *decoder, int pool, int all) {
    int kept = 0;
    for (int index = 0; index < decoder->region_count; index++) {
        nrs_region region = decoder->regions[index];
        if (all || region.pool == pool) {
            munmap(region.address, region.length);
        } else {
            decoder->regions[kept++] = region;
        }
    }
    decoder->region_count = kept;
}

// jpeg_abort (so jpeg_finish_decompress) frees the image pool through this method ...
static void big_free_pool(j_common_ptr cinfo, int pool) {
    nrs_decoder *decoder = (nrs_decoder *)cinfo;
    release_regions(decoder, pool, 0);
    decoder->libjpeg_free_pool(cinfo, pool);
}

// ... and jpeg_destroy (after a failure, say) frees everything through this one.
static void big_self_destruct(j_common_ptr cinfo) {
    nrs_decoder *decoder = (nrs_decoder *)cinfo;
    release_regions(decoder, 0, 1);
    decoder->libjpeg_self_destruct(cinfo);
}

// A progressive photo's coefficients live in one whole-image array per component (72 MB for 18 megapixels
// in 4:2:2), which libjpeg allocates inside its memory manager with malloc, past big_alloc_large; fresh
// 4 KB pages then cost a fault each, 17 % of the CPU time on such a photo. The first access to each array
// hands out its first row: from its address and the component's size the whole array gets the huge-page
// hint, before the decoder touches the rest of it. libjpeg's coefficient controller accesses a scan's
// arrays in the order of its components, so a new array belongs to the scan's first component whose array
// has not been seen.
static JBLOCKARRAY advising_access_virt_barray(j_common_ptr cinfo, jvirt_barray_ptr array, JDIMENSION start_row,
                                               JDIMENSION rows, boolean writable) {
    nrs_decoder *decoder = (nrs_decoder *)cinfo;
    JBLOCKARRAY result = decoder->libjpeg_access_virt_barray(cinfo, array, start_row, rows, writable);
    j_decompress_ptr dinfo = &decoder->cinfo;
    for (int index = 0; index < decoder->advised_count; index++) {
        if (decoder->advised[index] == array) {
            return result;
        }
    }
    if (!dinfo->progressive_mode || decoder->advised_count == MAX_COMPONENTS || rows == 0 || start_row != 0) {
        return result;
    }
    decoder->advised[decoder->advised_count++] = array;
    const jpeg_component_info *component = NULL;
    for (int ci = 0; ci < dinfo->comps_in_scan && component == NULL; ci++) {
        int index = dinfo->cur_comp_info[ci]->component_index;
        if (!decoder->advised_component[index]) {
            decoder->advised_component[index] = 1;
            component = dinfo->cur_comp_info[ci];
        }
    }
    if (component == NULL) {
        return result;
    }
    // As jdcoefct.c sizes it: whole MCUs of blocks.
    size_t h = (size_t)component->h_samp_factor, v = (size_t)component->v_samp_factor;
    size_t row_bytes = (component->width_in_blocks + h - 1) / h * h * sizeof(JBLOCK);
    size_t size = row_bytes * ((component->height_in_blocks + v - 1) / v * v);
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    uintptr_t start = ((uintptr_t)result[0] + page - 1) & ~(page - 1);
    uintptr_t end = ((uintptr_t)result[0] + size) & ~(page - 1);
    if (end > start) {
        (void)madvise((void *)start, end - start, MADV_HUGEPAGE);  // a hint: without THP, ordinary pages
    }
    return result;
}

// Opens the source and reads the header. Call after setjmp.
static void decoder_start(nrs_decoder *decoder, nrs_source source, int save_app1) {
    j_decompress_ptr cinfo = &decoder->cinfo;
    jpeg_create_decompress(cinfo);
    decoder->created = 1;
    cinfo->mem->max_memory_to_use = NRS_MAX_LIBJPEG_MEMORY;
    decoder->libjpeg_alloc_large = cinfo->mem->alloc_large;
    decoder->libjpeg_free_pool = cinfo->mem->free_pool;
    decoder->libjpeg_self_destruct = cinfo->mem->self_destruct;
    cinfo->mem->alloc_large = big_alloc_large;
    cinfo->mem->free_pool = big_free_pool;
    cinfo->mem->self_destruct = big_self_destruct;
    decoder->libjpeg_access_virt_barray = cinfo->mem->access_virt_barray;
    cinfo->mem->access_virt_barray = advising_access_virt_barray;
    decoder->progress.progress_monitor = nrs_progress;
    cinfo->progress = &decoder->progress;
    if (source.path != NULL) {
        file_source_open(cinfo, &decoder->file, source.path);
    } else {
        if (source.size == 0) {
            fail((j_common_ptr)cinfo, "empty input");
        }
        jpeg_mem_src(cinfo, source.data, (unsigned long)source.size);
    }
    if (save_app1) {
        jpeg_save_markers(cinfo, JPEG_APP0 + 1, 0xFFFF);
    }
    jpeg_read_header(cinfo, TRUE);
}

// How many bytes the source can still deliver, at most: the scan's data is read into a buffer that large.
static size_t source_capacity(nrs_decoder *decoder) {
    return decoder->file.fd >= 0 ? decoder->file.size : decoder->cinfo.src->bytes_in_buffer;
}

// Starts decompressing with Noroshi's Huffman decoder (huffman.c) in place of libjpeg-turbo's when the file
// is a baseline Huffman JPEG of one scan, as nearly all photos are. Progressive files get theirs from
// hook_progressive, since libjpeg-turbo reads all their scans inside jpeg_start_decompress.
static void start_decompress(nrs_decoder *decoder) {
    j_decompress_ptr cinfo = &decoder->cinfo;
    jpeg_start_decompress(cinfo);
    if (decoder->huffman != NRS_HUFFMAN_LIBJPEG) {
        nrs_huffman_replace(cinfo, source_capacity(decoder));
    }
}

// The progress monitor's first call inside jpeg_start_decompress comes after libjpeg-turbo has set up its
// modules and read the first scan's header, and before it reads any of the scan's data: the moment to put
// the progressive decoder in. (cinfo is the first member of nrs_decoder.)
static void hook_progressive(j_decompress_ptr cinfo) {
    nrs_decoder *decoder = (nrs_decoder *)cinfo;
    if (decoder->progressive_hooked || !cinfo->progressive_mode || cinfo->global_state != DSTATE_PRELOAD) {
        return;
    }
    decoder->progressive_hooked = 1;
    if (decoder->huffman != NRS_HUFFMAN_LIBJPEG) {
        nrs_huffman_replace_progressive(cinfo, source_capacity(decoder), decoder->huffman == NRS_HUFFMAN_PORTABLE);
    }
}

// The work done on a decoder whose header has been read; returns an NRS_JPEG_ code, leaving the
// message of a failure in decoder->error.message. libjpeg failures longjmp out of it.
typedef int (*nrs_decode_work)(nrs_decoder *decoder, void *context);

// Runs `work` over `source`. The setjmp lives here, in a frame that stays alive while `work` runs, so
// every entry point shares one error path: the decoder and its buffers are freed either way and a
// failure's message is copied to `error`.
static int with_decoder(nrs_source source, int save_app1, nrs_decode_work work, void *context,
                        char *error, size_t error_size) {
    nrs_decoder *decoder = decoder_new();
    if (decoder == NULL) {
        set_error(error, error_size, "out of memory");
        return NRS_JPEG_ERROR;
    }
    int result;
    if (setjmp(decoder->error.jump)) {
        result = NRS_JPEG_ERROR;
    } else {
        decoder_start(decoder, source, save_app1);
        result = work(decoder, context);
    }
    if (result != NRS_JPEG_OK) {
        set_error(error, error_size, decoder->error.message);
    }
    decoder_free(decoder);
    return result;
}

static void check_pixels(nrs_decoder *decoder, long max_pixels) {
    j_decompress_ptr cinfo = &decoder->cinfo;
    if (max_pixels > 0 && (long long)cinfo->image_width * cinfo->image_height > max_pixels) {
        char message[128];
        snprintf(message, sizeof message, "the image is %ux%u, more than %ld pixels",
                 cinfo->image_width, cinfo->image_height, max_pixels);
        fail((j_common_ptr)cinfo, message);
    }
}

static void fill_header(j_decompress_ptr cinfo, nrs_jpeg_header *header) {
    header->width = (int)cinfo->image_width;
    header->height = (int)cinfo->image_height;
    header->components = cinfo->num_components;
    header->color_space = (int)cinfo->jpeg_color_space;
    header->progressive = cinfo->progressive_mode ? 1 : 0;
    header->arithmetic = cinfo->arith_code ? 1 : 0;
}

typedef struct {
    nrs_jpeg_header *header;
    unsigned char **app1;
    size_t *app1_size;
} header_work;

static int read_header(nrs_decoder *decoder, void *context) {
    header_work *work = context;
    fill_header(&decoder->cinfo, work->header);
    for (jpeg_saved_marker_ptr marker = decoder->cinfo.marker_list; marker != NULL;
         marker = marker->next) {
        if (marker->marker == JPEG_APP0 + 1 && marker->data_length >= sizeof exif_prefix &&
            memcmp(marker->data, exif_prefix, sizeof exif_prefix) == 0) {
            unsigned char *copy = decoder_alloc(decoder, marker->data_length);
            memcpy(copy, marker->data, marker->data_length);
            decoder_release(decoder, copy);
            *work->app1 = copy;
            *work->app1_size = marker->data_length;
            break;
        }
    }
    return NRS_JPEG_OK;
}

int nrs_jpeg_read_header_file(const char *path, nrs_jpeg_header *header, unsigned char **app1,
                              size_t *app1_size, char *error, size_t error_size) {
    *app1 = NULL;
    *app1_size = 0;
    header_work work = {header, app1, app1_size};
    return with_decoder((nrs_source){path, NULL, 0}, 1, read_header, &work, error, error_size);
}

int nrs_jpeg_read_header_mem(const unsigned char *data, size_t size, nrs_jpeg_header *header,
                             unsigned char **app1, size_t *app1_size, char *error,
                             size_t error_size) {
    *app1 = NULL;
    *app1_size = 0;
    header_work work = {header, app1, app1_size};
    return with_decoder((nrs_source){NULL, data, size}, 1, read_header, &work, error, error_size);
}

// Chooses the output color space: grayscale stays grayscale, YCbCr and RGB become RGB, CMYK and YCCK
// are decoded as CMYK (libjpeg turns YCCK into CMYK) and converted here. Returns the number of
// components the caller receives after conversion (1 or 3), or 0 when unsupported.
static int choose_color_space(j_decompress_ptr cinfo) {
    switch (cinfo->jpeg_color_space) {
    case JCS_GRAYSCALE:
        cinfo->out_color_space = JCS_GRAYSCALE;
        return 1;
    case JCS_YCbCr:
    case JCS_RGB:
        cinfo->out_color_space = JCS_RGB;
        return 3;
    case JCS_CMYK:
    case JCS_YCCK:
        cinfo->out_color_space = JCS_CMYK;
        return 3;
    default:
        return 0;
    }
}

// CMYK (or YCCK turned into CMYK) to RGB, in place from 4 to 3 bytes per pixel. Adobe applications
// write CMYK inverted (0 = full ink) and mark the file with an Adobe segment; without one the values
// are taken as plain CMYK.
static void cmyk_to_rgb(unsigned char *row, int width, int inverted) {
    for (int x = 0; x < width; x++) {
        unsigned int c = row[4 * x], m = row[4 * x + 1], y = row[4 * x + 2], k = row[4 * x + 3];
        if (!inverted) {
            c = 255 - c;
            m = 255 - m;
            y = 255 - y;
            k = 255 - k;
        }
        row[3 * x] = (unsigned char)((c * k + 127) / 255);
        row[3 * x + 1] = (unsigned char)((m * k + 127) / 255);
        row[3 * x + 2] = (unsigned char)((y * k + 127) / 255);
    }
}

// The largest DCT scale denominator (8, 4, 2 or 1) whose output still has a long side of at least
// `long_side`. libjpeg-turbo's 1/2, 1/4 and 1/8 are fast; 3/8 and the like cost nearly a full decode.
static int choose_scale(j_decompress_ptr cinfo, int long_side) {
    static const int denominators[] = {8, 4, 2};
    for (size_t index = 0; index < sizeof denominators / sizeof denominators[0]; index++) {
        cinfo->scale_num = 1;
        cinfo->scale_denom = (unsigned int)denominators[index];
        jpeg_calc_output_dimensions(cinfo);
        int output_long = (int)(cinfo->output_width > cinfo->output_height ? cinfo->output_width
                                                                            : cinfo->output_height);
        if (output_long >= long_side) {
            return denominators[index];
        }
    }
    cinfo->scale_num = 1;
    cinfo->scale_denom = 1;
    return 1;
}

// ---------------------------------------------------------------------------------------------
// Encoding

// Sets up the compressor's input (colour space, sampling, raw data) if the defaults do not fit, calls
// jpeg_start_compress and writes every row; libjpeg failures longjmp out of it.
typedef void (*nrs_encode_work)(j_compress_ptr cinfo, const void *context);

// Encodes a `width`×`height` image whose rows `work` writes, into a buffer of libjpeg's. The setjmp
// lives here, so both kinds of input share one error path.
static int with_encoder(int width, int height, int components, J_COLOR_SPACE space, int quality,
                        nrs_encode_work work, const void *context, unsigned char **data, size_t *size,
                        char *error, size_t error_size) {
    *data = NULL;
    *size = 0;
    struct jpeg_compress_struct cinfo;
    nrs_error_mgr manager;
    install_error_manager((j_common_ptr)&cinfo, &manager);
    // libjpeg grows `out` as it writes; the handler frees whatever it holds when a longjmp comes.
    unsigned char *out = NULL;
    unsigned long out_size = 0;
    if (setjmp(manager.jump)) {
        jpeg_destroy_compress(&cinfo);
        free(out);
        set_error(error, error_size, manager.message);
        return NRS_JPEG_ERROR;
    }
    jpeg_create_compress(&cinfo);
    jpeg_mem_dest(&cinfo, &out, &out_size);
    cinfo.image_width = (JDIMENSION)width;
    cinfo.image_height = (JDIMENSION)height;
    cinfo.input_components = components;
    cinfo.in_color_space = space;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, quality, TRUE);
    work(&cinfo, context);
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    *data = out;
    *size = out_size;
    return NRS_JPEG_OK;
}

typedef struct {
    const unsigned char *pixels;
    size_t stride;
} nrs_pixels;

static void write_pixels(j_compress_ptr cinfo, const void *context) {
    const nrs_pixels *image = context;
    jpeg_start_compress(cinfo, TRUE);
    while (cinfo->next_scanline < cinfo->image_height) {
        JSAMPROW row = (JSAMPROW)(image->pixels + (size_t)cinfo->next_scanline * image->stride);
        jpeg_write_scanlines(cinfo, &row, 1);
    }
}

static int encode(const unsigned char *pixels, int width, int height, int components, int quality,
                  unsigned char **data, size_t *size, char *error, size_t error_size) {
    nrs_pixels image = {pixels, (size_t)width * (size_t)components};
    J_COLOR_SPACE space = components == 1 ? JCS_GRAYSCALE : components == 4 ? JCS_CMYK : JCS_RGB;
    return with_encoder(width, height, components, space, quality, write_pixels, &image, data, size,
                        error, error_size);
}

int nrs_jpeg_encode(const unsigned char *pixels, int width, int height, int components, int quality,
                    unsigned char **data, size_t *size, char *error, size_t error_size) {
    if (width <= 0 || height <= 0 || (components != 1 && components != 3 && components != 4)) {
        set_error(error, error_size, "bad image dimensions or components");
        return NRS_JPEG_ERROR;
    }
    return encode(pixels, width, height, components, quality, data, size, error, error_size);
}

// ---------------------------------------------------------------------------------------------
// Derivatives

// Size of the image after resizing its long side to at most `long_side` (never upscaled).
static void target_size(int width, int height, int long_side, int *out_width, int *out_height) {
    int longest = width > height ? width : height;
    if (long_side <= 0 || long_side >= longest) {
        *out_width = width;
        *out_height = height;
        return;
    }
    double factor = (double)long_side / (double)longest;
    int w = width >= height ? long_side : (int)(width * factor + 0.5);
    int h = height > width ? long_side : (int)(height * factor + 0.5);
    *out_width = w < 1 ? 1 : w;
    *out_height = h < 1 ? 1 : h;
}

static void free_outputs(nrs_jpeg_output *outputs, int count) {
    for (int index = 0; index < count; index++) {
        free(outputs[index].data);
        outputs[index].data = NULL;
        outputs[index].size = 0;
    }
}

// Encodes `count` copies of an upright image: the first is the image itself (already at the first
// target's size), each further one resampled (area averaging) from the one before. Fills `outputs`;
// on failure frees what it made and leaves a message.
static int encode_chain(const unsigned char *upright, int width, int height, int components,
                        const nrs_jpeg_target *targets, int count, nrs_jpeg_output *outputs,
                        char *error, size_t error_size) {
    const unsigned char *source = upright;
    unsigned char *owned = NULL;
    int source_width = width, source_height = height;
    int status = NRS_JPEG_OK;
    for (int index = 0; index < count && status == NRS_JPEG_OK; index++) {
        if (index > 0) {
            int w, h;
            target_size(source_width, source_height, targets[index].long_side, &w, &h);
            unsigned char *next = malloc((size_t)w * (size_t)h * (size_t)components);
            if (next == NULL || !nrs_resample(source, source_width, source_height, components, next, w, h)) {
                free(next);
                set_error(error, error_size, "out of memory");
                status = NRS_JPEG_ERROR;
                break;
            }
            free(owned);
            owned = next;
            source = next;
            source_width = w;
            source_height = h;
        }
        status = encode(source, source_width, source_height, components, targets[index].quality,
                        &outputs[index].data, &outputs[index].size, error, error_size);
        outputs[index].width = source_width;
        outputs[index].height = source_height;
    }
    free(owned);
    if (status != NRS_JPEG_OK) {
        free_outputs(outputs, count);
    }
    return status;
}

int nrs_jpeg_derive_pixels(const unsigned char *pixels, int width, int height, int components,
                           int orientation, const nrs_jpeg_target *targets, int count,
                           nrs_jpeg_output *outputs, char *error, size_t error_size) {
    memset(outputs, 0, sizeof *outputs * (size_t)(count > 0 ? count : 0));
    if (count <= 0 || count > 4) {
        set_error(error, error_size, "between 1 and 4 targets");
        return NRS_JPEG_ERROR;
    }
    if (width <= 0 || height <= 0 || (components != 1 && components != 3)) {
        set_error(error, error_size, "bad image dimensions or components");
        return NRS_JPEG_ERROR;
    }
    orientation = orientation >= 1 && orientation <= 8 ? orientation : 1;
    int first_width, first_height;
    target_size(width, height, targets[0].long_side, &first_width, &first_height);
    unsigned char *upright = malloc((size_t)first_width * (size_t)first_height * (size_t)components);
    nrs_resizer resizer;
    memset(&resizer, 0, sizeof resizer);
    if (upright == NULL || !nrs_resizer_init(&resizer, width, height, components, components, first_width,
                                             first_height, orientation, upright)) {
        free(upright);
        nrs_resizer_free(&resizer);
        set_error(error, error_size, "out of memory");
        return NRS_JPEG_ERROR;
    }
    size_t stride = (size_t)width * (size_t)components;
    for (int y = 0; y < height; y++) {
        memcpy(nrs_resizer_next_row(&resizer), pixels + stride * (size_t)y, stride);
        nrs_resizer_push(&resizer);
    }
    nrs_resizer_free(&resizer);
    int turned = orientation >= 5;
    int status = encode_chain(upright, turned ? first_height : first_width,
                              turned ? first_width : first_height, components, targets, count, outputs,
                              error, error_size);
    free(upright);
    return status;
}

typedef struct {
    int orientation;
    const nrs_jpeg_target *targets;
    int count;
    long max_pixels;
    nrs_jpeg_output *outputs;
    int *scale_denom;
} derive_work;

// ---------------------------------------------------------------------------------------------
// Derivatives of YCbCr and grayscale photos, plane by plane
//
// libjpeg's raw-data mode hands over the components as stored: luma at full resolution, chroma
// usually at half, without upsampling or colour conversion. Each plane is resized on its own — luma,
// which carries the detail, with Lanczos-3; chroma with area averaging — and the copies are encoded
// from planes again (4:2:0), so no RGB image is ever made. Decoding luma at full scale costs about
// what a 1/2-scale RGB decode does (the entropy decoding dominates), and keeps the detail a 1/2 DCT
// scale loses: see BENCHMARKS.md.

#if JPEG_LIB_VERSION >= 70
#define NRS_DCT_H_SIZE(component) ((component)->DCT_h_scaled_size)
#define NRS_DCT_V_SIZE(component) ((component)->DCT_v_scaled_size)
#else
#define NRS_DCT_H_SIZE(component) ((component)->DCT_scaled_size)
#define NRS_DCT_V_SIZE(component) ((component)->DCT_scaled_size)
#endif

// An upright image as planes: luma, and for colour two chroma planes of half the size each way
// (4:2:0, what the encoder writes), each padded with copies of its edge to whole MCUs, as libjpeg's
// raw-data encoder reads them.
typedef struct {
    int count;
    int width[3], height[3];
    int stride[3], rows[3];
    unsigned char *data[3];
} nrs_planes;

// Sets out the planes of a `width`×`height` image; returns the bytes they need.
static size_t planes_layout(nrs_planes *planes, int count, int width, int height) {
    int mcu = count == 3 ? 16 : 8;
    int padded_width = (width + mcu - 1) / mcu * mcu, padded_height = (height + mcu - 1) / mcu * mcu;
    planes->count = count;
    planes->width[0] = width;
    planes->height[0] = height;
    planes->stride[0] = padded_width;
    planes->rows[0] = padded_height;
    for (int k = 1; k < count; k++) {
        planes->width[k] = (width + 1) / 2;
        planes->height[k] = (height + 1) / 2;
        planes->stride[k] = padded_width / 2;
        planes->rows[k] = padded_height / 2;
    }
    size_t total = 0;
    for (int k = 0; k < count; k++) {
        total += (size_t)planes->stride[k] * (size_t)planes->rows[k];
    }
    return total;
}

static void planes_assign(nrs_planes *planes, unsigned char *buffer) {
    for (int k = 0; k < planes->count; k++) {
        planes->data[k] = buffer;
        buffer += (size_t)planes->stride[k] * (size_t)planes->rows[k];
    }
}

// Fills the padding right of and below each plane with its edge samples.
static void planes_pad(nrs_planes *planes) {
    for (int k = 0; k < planes->count; k++) {
        size_t stride = (size_t)planes->stride[k];
        int width = planes->width[k];
        for (int y = 0; y < planes->height[k]; y++) {
            unsigned char *row = planes->data[k] + stride * (size_t)y;
            memset(row + width, row[width - 1], stride - (size_t)width);
        }
        const unsigned char *last = planes->data[k] + stride * (size_t)(planes->height[k] - 1);
        for (int y = planes->height[k]; y < planes->rows[k]; y++) {
            memcpy(planes->data[k] + stride * (size_t)y, last, stride);
        }
    }
}

static void write_planes(j_compress_ptr cinfo, const void *context) {
    const nrs_planes *planes = context;
    cinfo->raw_data_in = TRUE;
    int factor = planes->count == 3 ? 2 : 1;
    cinfo->comp_info[0].h_samp_factor = factor;
    cinfo->comp_info[0].v_samp_factor = factor;
    for (int k = 1; k < planes->count; k++) {
        cinfo->comp_info[k].h_samp_factor = 1;
        cinfo->comp_info[k].v_samp_factor = 1;
    }
    jpeg_start_compress(cinfo, TRUE);
    int lines = DCTSIZE * factor;
    JSAMPROW rows[3][2 * DCTSIZE];
    JSAMPARRAY arrays[3] = {rows[0], rows[1], rows[2]};
    while (cinfo->next_scanline < cinfo->image_height) {
        int y = (int)cinfo->next_scanline;
        for (int k = 0; k < planes->count; k++) {
            int count = k == 0 ? lines : DCTSIZE, first = k == 0 ? y : y / factor;
            for (int r = 0; r < count; r++) {
                rows[k][r] = planes->data[k] + (size_t)planes->stride[k] * (size_t)(first + r);
            }
        }
        jpeg_write_raw_data(cinfo, arrays, (JDIMENSION)lines);
    }
}

static int encode_planes(const nrs_planes *planes, int quality, unsigned char **data, size_t *size,
                         char *error, size_t error_size) {
    return with_encoder(planes->width[0], planes->height[0], planes->count,
                        planes->count == 3 ? JCS_YCbCr : JCS_GRAYSCALE, quality, write_planes, planes,
                        data, size, error, error_size);
}

static void encode_target(nrs_decoder *decoder, const nrs_planes *planes, const nrs_jpeg_target *target,
                          nrs_jpeg_output *output) {
    char message[JMSG_LENGTH_MAX];
    if (encode_planes(planes, target->quality, &output->data, &output->size, message, sizeof message) !=
        NRS_JPEG_OK) {
        fail((j_common_ptr)&decoder->cinfo, message);
    }
    output->width = planes->width[0];
    output->height = planes->height[0];
}

static int make_planar_derivatives(nrs_decoder *decoder, derive_work *work) {
    j_decompress_ptr cinfo = &decoder->cinfo;
    int count = cinfo->num_components;
    int first_width, first_height;
    target_size((int)cinfo->image_width, (int)cinfo->image_height, work->targets[0].long_side,
                &first_width, &first_height);
    // A DCT scale only when it leaves at least a 2× reduction for the filter: Lanczos-3 then works
    // from enough detail (the rule vipsthumbnail follows).
    int denominator = choose_scale(cinfo, 2 * (first_width > first_height ? first_width : first_height));
    if (work->scale_denom != NULL) {
        *work->scale_denom = denominator;
    }
    cinfo->raw_data_out = TRUE;
    start_decompress(decoder);
    int turned = work->orientation >= 5;
    nrs_planes upright;
    size_t bytes = planes_layout(&upright, count, turned ? first_height : first_width,
                                 turned ? first_width : first_height);
    planes_assign(&upright, decoder_alloc(decoder, bytes));
    int batch[3];
    for (int k = 0; k < count; k++) {
        jpeg_component_info *component = &cinfo->comp_info[k];
        batch[k] = component->v_samp_factor * NRS_DCT_V_SIZE(component);
        int out_width = k == 0 ? first_width : (first_width + 1) / 2;
        int out_height = k == 0 ? first_height : (first_height + 1) / 2;
        if (batch[k] > 4 * DCTSIZE) {
            fail((j_common_ptr)cinfo, "unsupported sampling factors");
        }
        if (!nrs_plane_init(&decoder->planes[k], (int)component->downsampled_width,
                            (int)component->downsampled_height,
                            (size_t)component->width_in_blocks * (size_t)NRS_DCT_H_SIZE(component),
                            batch[k], out_width, out_height, work->orientation,
                            k == 0 ? NRS_FILTER_LANCZOS3 : NRS_FILTER_AREA, upright.data[k],
                            upright.stride[k])) {
            fail((j_common_ptr)cinfo, "out of memory");
        }
    }
    // libjpeg writes each batch of rows straight into the resizers' rings.
    JSAMPROW rows[3][4 * DCTSIZE];
    JSAMPARRAY arrays[3] = {rows[0], rows[1], rows[2]};
    // One iMCU row per call: max_v_samp_factor blocks of the (scaled) DCT size, for every component.
    int lines = cinfo->max_v_samp_factor * NRS_DCT_V_SIZE(&cinfo->comp_info[0]);
    while (cinfo->output_scanline < cinfo->output_height) {
        for (int k = 0; k < count; k++) {
            for (int r = 0; r < batch[k]; r++) {
                rows[k][r] = nrs_plane_slot(&decoder->planes[k], decoder->planes[k].rows_in + r);
            }
        }
        jpeg_read_raw_data(cinfo, arrays, (JDIMENSION)lines);
        for (int k = 0; k < count; k++) {
            int height = (int)cinfo->comp_info[k].downsampled_height;
            for (int r = 0; r < batch[k] && decoder->planes[k].rows_in < height; r++) {
                nrs_plane_push(&decoder->planes[k]);
            }
        }
    }
    jpeg_finish_decompress(cinfo);
    planes_pad(&upright);
    encode_target(decoder, &upright, &work->targets[0], &work->outputs[0]);

    // Each further copy from the previous one (already upright), with area averaging.
    nrs_planes source = upright;
    for (int index = 1; index < work->count; index++) {
        int width, height;
        target_size(source.width[0], source.height[0], work->targets[index].long_side, &width, &height);
        nrs_planes next;
        planes_assign(&next, decoder_alloc(decoder, planes_layout(&next, count, width, height)));
        for (int k = 0; k < count; k++) {
            nrs_plane_resizer *resizer = &decoder->planes[k];
            nrs_plane_free(resizer);
            if (!nrs_plane_init(resizer, source.width[k], source.height[k], (size_t)source.stride[k], 1,
                                next.width[k], next.height[k], 1, NRS_FILTER_AREA, next.data[k],
                                next.stride[k])) {
                fail((j_common_ptr)cinfo, "out of memory");
            }
            for (int y = 0; y < source.height[k]; y++) {
                memcpy(nrs_plane_slot(resizer, y), source.data[k] + (size_t)source.stride[k] * (size_t)y,
                       (size_t)source.stride[k]);
                nrs_plane_push(resizer);
            }
        }
        planes_pad(&next);
        encode_target(decoder, &next, &work->targets[index], &work->outputs[index]);
        source = next;
    }
    return NRS_JPEG_OK;
}

static int make_derivatives(nrs_decoder *decoder, void *context) {
    derive_work *work = context;
    check_pixels(decoder, work->max_pixels);
    j_decompress_ptr cinfo = &decoder->cinfo;
    if ((cinfo->jpeg_color_space == JCS_YCbCr && cinfo->num_components == 3) ||
        (cinfo->jpeg_color_space == JCS_GRAYSCALE && cinfo->num_components == 1)) {
        return make_planar_derivatives(decoder, work);
    }
    int components = choose_color_space(cinfo);
    if (components == 0) {
        snprintf(decoder->error.message, sizeof decoder->error.message,
                 "the image uses an unsupported color space (%d components)",
                 cinfo->num_components);
        return NRS_JPEG_UNSUPPORTED;
    }
    int width = (int)cinfo->image_width, height = (int)cinfo->image_height;
    int first_width, first_height;
    target_size(width, height, work->targets[0].long_side, &first_width, &first_height);
    int first_long = first_width > first_height ? first_width : first_height;
    int denominator = choose_scale(cinfo, first_long);
    if (work->scale_denom != NULL) {
        *work->scale_denom = denominator;
    }
    int inverted_cmyk = cinfo->out_color_space == JCS_CMYK && cinfo->saw_Adobe_marker;
    start_decompress(decoder);
    int decoded_width = (int)cinfo->output_width, decoded_height = (int)cinfo->output_height;
    int decoded_components = cinfo->output_components;
    // The decoded size may not keep the exact aspect ratio; the first target keeps the original's.
    // Rows go through the resizer as they are decoded: the full decode is never held whole.
    size_t image_size = (size_t)first_width * (size_t)first_height * (size_t)components;
    unsigned char *upright = decoder_alloc(decoder, image_size);
    nrs_resizer *resizer = &decoder->resizer;
    if (!nrs_resizer_init(resizer, decoded_width, decoded_height, components, decoded_components,
                          first_width, first_height, work->orientation, upright)) {
        fail((j_common_ptr)cinfo, "out of memory");
    }
    while (cinfo->output_scanline < cinfo->output_height) {
        JSAMPROW row = nrs_resizer_next_row(resizer);
        jpeg_read_scanlines(cinfo, &row, 1);
        if (decoded_components == 4) {
            cmyk_to_rgb(row, decoded_width, inverted_cmyk);
        }
        nrs_resizer_push(resizer);
    }
    jpeg_finish_decompress(cinfo);
    int turned = work->orientation >= 5;
    int upright_width = turned ? first_height : first_width;
    int upright_height = turned ? first_width : first_height;

    char message[JMSG_LENGTH_MAX];
    if (encode_chain(upright, upright_width, upright_height, components, work->targets, work->count,
                     work->outputs, message, sizeof message) != NRS_JPEG_OK) {
        fail((j_common_ptr)cinfo, message);
    }
    return NRS_JPEG_OK;
}

static int derive(nrs_source source, int orientation, const nrs_jpeg_target *targets, int count,
                  long max_pixels, nrs_jpeg_output *outputs, int *scale_denom, char *error,
                  size_t error_size) {
    memset(outputs, 0, sizeof *outputs * (size_t)(count > 0 ? count : 0));
    if (count <= 0 || count > 4) {
        set_error(error, error_size, "between 1 and 4 targets");
        return NRS_JPEG_ERROR;
    }
    derive_work work = {orientation >= 1 && orientation <= 8 ? orientation : 1,
                        targets, count, max_pixels, outputs, scale_denom};
    int result = with_decoder(source, 0, make_derivatives, &work, error, error_size);
    if (result != NRS_JPEG_OK) {
        free_outputs(outputs, count);
    }
    return result;
}

int nrs_jpeg_derive_file(const char *path, int orientation, const nrs_jpeg_target *targets, int count,
                         long max_pixels, nrs_jpeg_output *outputs, int *scale_denom, char *error,
                         size_t error_size) {
    return derive((nrs_source){path, NULL, 0}, orientation, targets, count, max_pixels, outputs,
                  scale_denom, error, error_size);
}

int nrs_jpeg_derive_mem(const unsigned char *data, size_t size, int orientation,
                        const nrs_jpeg_target *targets, int count, long max_pixels,
                        nrs_jpeg_output *outputs, int *scale_denom, char *error, size_t error_size) {
    return derive((nrs_source){NULL, data, size}, orientation, targets, count, max_pixels, outputs,
                  scale_denom, error, error_size);
}

static int verify(nrs_decoder *decoder, void *context) {
    check_pixels(decoder, *(const long *)context);
    j_decompress_ptr cinfo = &decoder->cinfo;
    if (choose_color_space(cinfo) == 0) {
        fail((j_common_ptr)cinfo, "the image uses an unsupported color space");
    }
    cinfo->scale_num = 1;
    cinfo->scale_denom = 8;
    cinfo->do_fancy_upsampling = FALSE;
    start_decompress(decoder);
    unsigned char *row_buffer =
        decoder_alloc(decoder, (size_t)cinfo->output_width * (size_t)cinfo->output_components);
    while (cinfo->output_scanline < cinfo->output_height) {
        JSAMPROW row = row_buffer;
        jpeg_read_scanlines(cinfo, &row, 1);
    }
    jpeg_finish_decompress(cinfo);
    return NRS_JPEG_OK;
}

int nrs_jpeg_verify_file(const char *path, long max_pixels, char *error, size_t error_size) {
    return with_decoder((nrs_source){path, NULL, 0}, 0, verify, &max_pixels, error, error_size);
}

typedef struct {
    unsigned char **pixels;
    int *width;
    int *height;
    int *components;
    int huffman;
} decode_work;

static int decode_whole(nrs_decoder *decoder, void *context) {
    decode_work *work = context;
    j_decompress_ptr cinfo = &decoder->cinfo;
    int out_components = choose_color_space(cinfo);
    if (out_components == 0) {
        fail((j_common_ptr)cinfo, "the image uses an unsupported color space");
    }
    int inverted_cmyk = cinfo->out_color_space == JCS_CMYK && cinfo->saw_Adobe_marker;
    decoder->huffman = work->huffman;
    start_decompress(decoder);
    size_t stride = (size_t)cinfo->output_width * (size_t)cinfo->output_components;
    unsigned char *image = decoder_alloc(decoder, stride * cinfo->output_height);
    while (cinfo->output_scanline < cinfo->output_height) {
        JSAMPROW row = image + stride * cinfo->output_scanline;
        jpeg_read_scanlines(cinfo, &row, 1);
    }
    if (cinfo->output_components == 4) {
        // Pack rows from 4 to 3 bytes per pixel; row by row in place works because 3 <= 4.
        size_t packed = (size_t)cinfo->output_width * 3;
        for (JDIMENSION y = 0; y < cinfo->output_height; y++) {
            unsigned char *row = image + stride * y;
            cmyk_to_rgb(row, (int)cinfo->output_width, inverted_cmyk);
            memmove(image + packed * y, row, packed);
        }
    }
    jpeg_finish_decompress(cinfo);
    *work->width = (int)cinfo->output_width;
    *work->height = (int)cinfo->output_height;
    *work->components = out_components;
    decoder_release(decoder, image);
    *work->pixels = image;
    return NRS_JPEG_OK;
}

int nrs_jpeg_decode(const unsigned char *data, size_t size, int huffman, unsigned char **pixels, int *width,
                    int *height, int *components, char *error, size_t error_size) {
    *pixels = NULL;
    decode_work work = {pixels, width, height, components, huffman};
    return with_decoder((nrs_source){NULL, data, size}, 0, decode_whole, &work, error, error_size);
}

void nrs_jpeg_free(void *pointer) { free(pointer); }
