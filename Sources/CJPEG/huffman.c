// A faster Huffman decoder for baseline and progressive JPEGs, put in place of libjpeg-turbo's own.
//
// For nearly every photo the Huffman decoding is most of the work of making copies: two thirds of the CPU
// time on a 24-megapixel camera JPEG, and nearly all of it on a progressive one. This decoder plugs into
// libjpeg-turbo's entropy-decoder slot, so everything else (the inverse DCT, raw-data output, scaling, the
// coefficient buffer of progressive files, error handling) stays libjpeg-turbo's. It is faster because:
//
// - a scan's entropy-coded data is read once, whole, with its stuffed zero bytes removed (memchr finds the
//   0xFFs), so the bit reader refills 64 bits at a time without looking at bytes (no branch);
// - one 11-bit table lookup decodes up to two AC coefficients whose codes and values fit in it (nine in
//   ten in camera photos): run, value and bits taken together; end of block and sixteen zeros included;
// - progressive refinement scans, where libjpeg-turbo branches on every coefficient and bit, find the
//   zero a new coefficient goes to with pdep and gather the correction bits into a mask applied once per
//   block (BMI2, where pdep is fast; elsewhere a loop without data-dependent branches).
//
// Decoded coefficients are identical to libjpeg-turbo's for every valid file (the tests compare the two on
// many encodings and scan scripts). On damaged data it behaves as libjpeg-turbo does in the common cases:
// data that ends early is fatal in this project (the source manager says so), a marker in the middle of
// the data leaves the rest of the scan's blocks alone with a warning, and a bad code decodes as symbol 0
// with a warning. A restart marker with the wrong number leaves the rest of the scan alone, where
// libjpeg-turbo would try to resynchronize.

#include "huffman.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jerror.h>
#include <jpegint.h>

#if defined(__x86_64__) && defined(__SSE2__)
#include <immintrin.h>
#endif

#define NRS_LOOKUP 11
// Zero bytes after the data: more than one MCU can read (10 blocks of at most 64 codes of 31 bits) plus the
// 8 bytes a refill reads ahead, so a scan whose data ends early never reads past the buffer.
#define NRS_PADDING 4096
// An AC table entry decodes up to two coefficients whose codes and values together fit in NRS_LOOKUP bits:
// bits 0-4 the bits both take, 5-11 how far the first moves k (run + 1; 16 for sixteen zeros; 64 for end
// of block), 13-16 the bits the first takes, 17-23 how far the second moves k (0 when there is none),
// 32-47 and 48-63 their values (the second repeats the first when there is none, so storing it again is
// harmless). NRS_SLOW marks a code that does not fit.
#define NRS_SLOW (1 << 12)

typedef struct {
    uint16_t fast[1 << NRS_LOOKUP];  // (code length << 8) | symbol; 0 when the code is longer
    uint64_t ac[1 << NRS_LOOKUP];    // one or two coefficients per lookup (AC tables)
    int32_t maxcode[18];             // the largest code of each length, -1 when none
    int32_t valoffset[17];           // symbol index = code + valoffset[length]
    uint8_t values[256];
} nrs_table;

// A scan's data and the bit reader over it, for the baseline and the progressive decoder alike.
typedef struct {
    size_t capacity;  // bytes of data the source can still hold (an upper bound for a scan)
    int loaded;       // this scan's data is in `data`
    uint8_t *data;    // the scan's entropy-coded bytes, unstuffed, then NRS_PADDING zeros
    size_t size;
    // Restart intervals: where each one after the first starts in `data`, and its marker's number.
    uint32_t *restart_offsets;
    uint8_t *restart_numbers;
    size_t restart_count;
    size_t restart_limit;     // how many this scan can have
    size_t restart_capacity;  // how many the arrays hold
    size_t next_restart;      // index into restart_offsets of the next interval
    size_t segment_end;       // where the current interval's data ends in `data`
    unsigned int restarts_to_go;
    // The bit reader: `buffer` holds `count` valid bits, left-aligned; `next` is the first byte not in it.
    const uint8_t *next;
    uint64_t buffer;
    int count;
    int last_dc[MAX_COMPS_IN_SCAN];
    unsigned int eobrun;  // progressive AC scans: blocks left in an end-of-band run
    // Per block of an MCU: the component's place in the scan and its tables.
    int block_component[D_MAX_BLOCKS_IN_MCU];
    const nrs_table *block_dc[D_MAX_BLOCKS_IN_MCU];
    const nrs_table *block_ac[D_MAX_BLOCKS_IN_MCU];
    nrs_table *dc_tables[NUM_HUFF_TBLS];
    nrs_table *ac_tables[NUM_HUFF_TBLS];
} nrs_reader;

// The baseline decoder: the entropy-decoder object itself.
typedef struct {
    struct jpeg_entropy_decoder pub;
    nrs_reader reader;
} nrs_huffman;

// The progressive decoder lives beside libjpeg-turbo's (found through cinfo->client_data): its start_pass
// still checks each scan's header and keeps the coefficient bits that block smoothing uses, then this
// decoder's function for the kind of scan replaces its decode_mcu.
typedef struct {
    nrs_reader reader;
    void (*libjpeg_start_pass)(j_decompress_ptr cinfo);
    int fast_pdep;  // decode_ac_refine_bmi2 rather than decode_ac_refine
} nrs_progressive;

// Zigzag index to natural order (libjpeg's jpeg_natural_order ends 16 entries past 63; a pair's end of block
// reaches 127, and bytes keep the table small). Past 63 everything lands on 63: an end of block moves k there and stores a
// zero over what is still zero (a block with a coefficient at 63 ends without one), and damaged data
// overwrites coefficient 63, as in libjpeg-turbo.
static const uint8_t natural_order[144] = {
    0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34,
    27, 20, 13, 6, 7, 14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
    58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63, 63, 63, 63, 63, 63, 63, 63, 63,
    63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63,
    63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63,
    63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63,
};

// Builds the lookup tables from a JHUFF_TBL that libjpeg-turbo has already checked (its start_pass ran).
static void build_table(nrs_table *table, const JHUFF_TBL *source, int ac) {
    memset(table, 0, sizeof *table);
    int code = 0, index = 0;
    for (int length = 1; length <= 16; length++) {
        int count = source->bits[length];
        table->valoffset[length] = index - code;
        for (int i = 0; i < count && index < 256; i++, index++, code++) {
            if (length <= NRS_LOOKUP) {
                int shift = NRS_LOOKUP - length;
                for (int j = 0; j < (1 << shift); j++) {
                    table->fast[(code << shift) | j] = (uint16_t)(length << 8 | source->huffval[index]);
                }
            }
        }
        table->maxcode[length] = count > 0 ? code - 1 : -1;
        code <<= 1;
    }
    table->maxcode[17] = INT32_MAX;
    memcpy(table->values, source->huffval, sizeof table->values);
    if (!ac) {
        return;
    }
    // First each code on its own: bits taken, k's move and value, as above.
    int32_t single[1 << NRS_LOOKUP];
    for (int look = 0; look < (1 << NRS_LOOKUP); look++) {
        int entry = table->fast[look];
        int length = entry >> 8, symbol = entry & 255, run = symbol >> 4, size = symbol & 15;
        if (entry == 0) {
            single[look] = NRS_SLOW;
        } else if (size == 0) {
            single[look] = run == 15 ? (length | 16 << 5) : run == 0 ? (length | 64 << 5) : NRS_SLOW;
        } else if (length + size <= NRS_LOOKUP) {
            int value = (look >> (NRS_LOOKUP - length - size)) & ((1 << size) - 1);
            if (value < (1 << (size - 1))) {
                value -= (1 << size) - 1;
            }
            single[look] = (int32_t)((uint32_t)value << 16) | (run + 1) << 5 | (length + size);
        } else {
            single[look] = NRS_SLOW;
        }
    }
    // Then a second code in the bits the first leaves, unless the first ends the block.
    for (int look = 0; look < (1 << NRS_LOOKUP); look++) {
        int32_t first = single[look];
        if (first & NRS_SLOW) {
            table->ac[look] = NRS_SLOW;
            continue;
        }
        int length = first & 31, move = (first >> 5) & 127, value = first >> 16;
        int second_length = 0, second_move = 0, second_value = value;
        if (move < 64 && length < NRS_LOOKUP) {
            int32_t second = single[(look << length) & ((1 << NRS_LOOKUP) - 1)];
            if (!(second & NRS_SLOW) && (second & 31) <= NRS_LOOKUP - length) {
                second_length = second & 31;
                second_move = (second >> 5) & 127;
                second_value = second >> 16;
            }
        }
        table->ac[look] = (uint64_t)(length + second_length) | (uint64_t)move << 5 | (uint64_t)length << 13 |
                          (uint64_t)second_move << 17 | (uint64_t)(uint16_t)value << 32 |
                          (uint64_t)(uint16_t)second_value << 48;
    }
}

static inline uint64_t load_big_endian(const uint8_t *bytes) {
    uint64_t word;
    memcpy(&word, bytes, sizeof word);
    return __builtin_bswap64(word);
}

// After a refill the buffer holds at least 56 bits: enough for one code of any length with its value
// (at most 16 + 15), or for two fast AC entries (at most 11 each).
#define REFILL()                                     \
    do {                                             \
        buffer |= load_big_endian(next) >> count;    \
        next += (63 - count) >> 3;                   \
        count |= 56;                                 \
    } while (0)
#define CONSUME(bits)     \
    do {                  \
        buffer <<= (bits); \
        count -= (bits);  \
    } while (0)

// A decode_mcu works on the bit reader in local variables (registers), loaded from and saved to its reader.
#define LOAD_READER(reader)                  \
    const uint8_t *next = (reader)->next;    \
    uint64_t buffer = (reader)->buffer;      \
    int count = (reader)->count
#define SAVE_READER(reader)          \
    do {                             \
        (reader)->next = next;       \
        (reader)->buffer = buffer;   \
        (reader)->count = count;     \
    } while (0)

// The one block of a progressive AC scan's MCU, or (when libjpeg asks to skip it) a zeroed scratch block.
static inline JCOEF *single_block(JBLOCKROW *MCU_data, JCOEF *scratch) {
    if (MCU_data != NULL) {
        return MCU_data[0][0];
    }
    memset(scratch, 0, sizeof(JBLOCK));
    return scratch;
}

static inline int extend(int value, int size) {
    return value < (1 << (size - 1)) ? value - (1 << size) + 1 : value;
}

// Stores the one or two coefficients of a fast AC entry and takes their bits; returns 1 at the end of the
// block. When the first coefficient fills the block, the second "code" is the next block's, left unread.
static inline int decode_pair(uint64_t entry, JCOEF *block, int *k, uint64_t *buffer, int *count) {
    int first = *k + (int)((entry >> 5) & 127);
    block[natural_order[first - 1]] = (JCOEF)(int16_t)(entry >> 32);
    if (__builtin_expect(first >= 64, 0)) {
        int bits = (int)((entry >> 13) & 15);
        *buffer <<= bits;
        *count -= bits;
        *k = first;
        return 1;
    }
    int bits = (int)(entry & 31);
    *buffer <<= bits;
    *count -= bits;
    *k = first + (int)((entry >> 17) & 127);
    block[natural_order[*k - 1]] = (JCOEF)(int16_t)(entry >> 48);
    return *k >= 64;
}

// A symbol whose code is longer than NRS_LOOKUP bits (or any symbol, when called for one). A code that
// matches no symbol is warned about and read as symbol 0, as libjpeg-turbo does.
static int decode_slow(j_decompress_ptr cinfo, const nrs_table *table, uint64_t *buffer, int *count) {
    int entry = table->fast[*buffer >> (64 - NRS_LOOKUP)];
    if (entry != 0) {
        *buffer <<= entry >> 8;
        *count -= entry >> 8;
        return entry & 255;
    }
    for (int length = NRS_LOOKUP + 1; length <= 16; length++) {
        int32_t code = (int32_t)(*buffer >> (64 - length));
        if (code <= table->maxcode[length]) {
            *buffer <<= length;
            *count -= length;
            return table->values[(code + table->valoffset[length]) & 255];
        }
    }
    WARNMS(cinfo, JWRN_HUFF_BAD_CODE);
    *buffer <<= 16;
    *count -= 16;
    return 0;
}

// Reads the scan's entropy-coded data from the source manager up to the marker that ends it, removing
// stuffed zeros and noting where restart intervals begin. The marker is left in cinfo->unread_marker
// for libjpeg-turbo's marker reader, as its own decoder leaves it.
static void load_scan(j_decompress_ptr cinfo, nrs_reader *reader) {
    struct jpeg_source_mgr *source = cinfo->src;
    if (reader->data == NULL) {
        reader->data = (*cinfo->mem->alloc_large)((j_common_ptr)cinfo, JPOOL_IMAGE,
                                                  reader->capacity + NRS_PADDING);
    }
    uint8_t *out = reader->data;
    const uint8_t *limit = reader->data + reader->capacity;
    int pending_ff = 0;  // the last byte read was an 0xFF whose follower is still to come
    for (;;) {
        if (source->bytes_in_buffer == 0 && !(*source->fill_input_buffer)(cinfo)) {
            ERREXIT(cinfo, JERR_CANT_SUSPEND);
        }
        const uint8_t *bytes = source->next_input_byte;
        size_t available = source->bytes_in_buffer;
        if (pending_ff) {
            uint8_t byte = bytes[0];
            source->next_input_byte++;
            source->bytes_in_buffer--;
            if (byte == 0xFF) {
                continue;  // fill bytes before a marker
            }
            pending_ff = 0;
            if (byte == 0x00) {
                if (out == limit) {
                    ERREXIT(cinfo, JERR_BAD_LENGTH);
                }
                *out++ = 0xFF;
                continue;
            }
            if (byte >= JPEG_RST0 && byte <= JPEG_RST0 + 7 && cinfo->restart_interval != 0 &&
                reader->restart_count < reader->restart_limit) {
                reader->restart_offsets[reader->restart_count] = (uint32_t)(out - reader->data);
                reader->restart_numbers[reader->restart_count] = (uint8_t)(byte - JPEG_RST0);
                reader->restart_count++;
                continue;
            }
            cinfo->unread_marker = byte;
            break;
        }
        const uint8_t *ff = memchr(bytes, 0xFF, available);
        size_t plain = ff != NULL ? (size_t)(ff - bytes) : available;
        if ((size_t)(limit - out) < plain) {
            ERREXIT(cinfo, JERR_BAD_LENGTH);
        }
        memcpy(out, bytes, plain);
        out += plain;
        source->next_input_byte += plain;
        source->bytes_in_buffer -= plain;
        if (ff != NULL) {
            source->next_input_byte++;
            source->bytes_in_buffer--;
            pending_ff = 1;
        }
    }
    reader->size = (size_t)(out - reader->data);
    memset(out, 0, NRS_PADDING);
    reader->segment_end = reader->restart_count > 0 ? reader->restart_offsets[0] : reader->size;
    reader->next = reader->data;
    reader->loaded = 1;
}

// Moves to the next restart interval: the bit reader to its first byte, the DC predictions and the
// end-of-band run to zero. A missing or misnumbered marker leaves the rest of the scan's blocks as they are.
static void next_interval(j_decompress_ptr cinfo, nrs_reader *reader) {
    reader->restarts_to_go = cinfo->restart_interval;
    memset(reader->last_dc, 0, sizeof reader->last_dc);
    reader->eobrun = 0;
    reader->buffer = 0;
    reader->count = 0;
    size_t index = reader->next_restart++;
    if (index >= reader->restart_count || reader->restart_numbers[index] != (uint8_t)(index & 7)) {
        if (!cinfo->entropy->insufficient_data) {
            WARNMS(cinfo, JWRN_HIT_MARKER);
        }
        cinfo->entropy->insufficient_data = TRUE;
        return;
    }
    cinfo->entropy->insufficient_data = FALSE;
    reader->next = reader->data + reader->restart_offsets[index];
    reader->segment_end = index + 1 < reader->restart_count ? reader->restart_offsets[index + 1] : reader->size;
}

// What every decode_mcu does first: reads the scan's data the first time, moves to the next restart
// interval when one is due, and checks that the data has not run out. Returns 0 when this MCU is to be left
// as it is (the data ran out: libjpeg-turbo leaves the rest of the blocks alone too).
__attribute__((always_inline)) static inline int start_mcu(j_decompress_ptr cinfo, nrs_reader *reader) {
    if (!reader->loaded) {
        load_scan(cinfo, reader);
    }
    if (cinfo->restart_interval != 0) {
        if (reader->restarts_to_go == 0) {
            next_interval(cinfo, reader);
        }
        reader->restarts_to_go--;
    }
    if (cinfo->entropy->insufficient_data) {
        return 0;
    }
    // Bits taken so far, against the interval's data: past its end, the rest of the interval is left
    // alone (the MCU that ran over was decoded from the zeros that follow, as libjpeg-turbo pads with zeros).
    size_t taken = (size_t)(reader->next - reader->data) * 8 - (size_t)reader->count;
    if (taken > reader->segment_end * 8) {
        WARNMS(cinfo, JWRN_HIT_MARKER);
        cinfo->entropy->insufficient_data = TRUE;
        return 0;
    }
    return 1;
}

// Sets the reader up for the scan whose header libjpeg-turbo has just read: tables, blocks of an MCU, room
// for its restart markers. Its data is read at the first MCU.
static void start_scan(j_decompress_ptr cinfo, nrs_reader *reader, int dc, int ac) {
    reader->loaded = 0;
    reader->restart_count = 0;
    reader->next_restart = 0;
    reader->buffer = 0;
    reader->count = 0;
    reader->eobrun = 0;
    memset(reader->last_dc, 0, sizeof reader->last_dc);
    for (int ci = 0; ci < cinfo->comps_in_scan; ci++) {
        const jpeg_component_info *component = cinfo->cur_comp_info[ci];
        if (dc) {
            int number = component->dc_tbl_no;
            if (reader->dc_tables[number] == NULL) {
                reader->dc_tables[number] =
                    (*cinfo->mem->alloc_small)((j_common_ptr)cinfo, JPOOL_IMAGE, sizeof(nrs_table));
            }
            build_table(reader->dc_tables[number], cinfo->dc_huff_tbl_ptrs[number], 0);
        }
        if (ac) {
            int number = component->ac_tbl_no;
            if (reader->ac_tables[number] == NULL) {
                reader->ac_tables[number] =
                    (*cinfo->mem->alloc_small)((j_common_ptr)cinfo, JPOOL_IMAGE, sizeof(nrs_table));
            }
            build_table(reader->ac_tables[number], cinfo->ac_huff_tbl_ptrs[number], 1);
        }
    }
    for (int blkn = 0; blkn < cinfo->blocks_in_MCU; blkn++) {
        int ci = cinfo->MCU_membership[blkn];
        const jpeg_component_info *component = cinfo->cur_comp_info[ci];
        reader->block_component[blkn] = ci;
        reader->block_dc[blkn] = dc ? reader->dc_tables[component->dc_tbl_no] : NULL;
        reader->block_ac[blkn] = ac ? reader->ac_tables[component->ac_tbl_no] : NULL;
    }
    reader->restart_limit = 0;
    if (cinfo->restart_interval != 0) {
        size_t mcus = (size_t)cinfo->MCUs_per_row * (size_t)cinfo->MCU_rows_in_scan;
        reader->restart_limit = mcus / cinfo->restart_interval + 1;
        if (reader->restart_limit > reader->restart_capacity) {
            reader->restart_offsets = (*cinfo->mem->alloc_large)((j_common_ptr)cinfo, JPOOL_IMAGE,
                                                                 reader->restart_limit * sizeof(uint32_t));
            reader->restart_numbers =
                (*cinfo->mem->alloc_large)((j_common_ptr)cinfo, JPOOL_IMAGE, reader->restart_limit);
            reader->restart_capacity = reader->restart_limit;
        }
        reader->restarts_to_go = cinfo->restart_interval;
    }
}

// Decodes a DC difference (baseline, or a progressive first DC scan) and returns the new DC value of the
// block's component.
__attribute__((always_inline)) static inline int decode_dc(j_decompress_ptr cinfo, nrs_reader *reader, int blkn, uint64_t *buffer, int *count) {
    const nrs_table *table = reader->block_dc[blkn];
    int size;
    int entry = table->fast[*buffer >> (64 - NRS_LOOKUP)];
    if (entry != 0) {
        *buffer <<= entry >> 8;
        *count -= entry >> 8;
        size = entry & 255;
    } else {
        size = decode_slow(cinfo, table, buffer, count);
    }
    int component = reader->block_component[blkn];
    if (size != 0) {
        size &= 15;
        int difference = extend((int)(*buffer >> (64 - size)), size);
        *buffer <<= size;
        *count -= size;
        int last = reader->last_dc[component];
        if ((last >= 0 && difference > INT32_MAX - last) || (last < 0 && difference < INT32_MIN - last)) {
            ERREXIT(cinfo, JERR_BAD_DCT_COEF);
        }
        reader->last_dc[component] = last + difference;
    }
    return reader->last_dc[component];
}

// ---------------------------------------------------------------------------------------------
// Baseline

static boolean decode_mcu(j_decompress_ptr cinfo, JBLOCKROW *MCU_data) {
    nrs_reader *reader = &((nrs_huffman *)cinfo->entropy)->reader;
    if (!start_mcu(cinfo, reader)) {
        return TRUE;
    }
    LOAD_READER(reader);
    JBLOCK scratch;
    for (int blkn = 0; blkn < cinfo->blocks_in_MCU; blkn++) {
        JCOEF *block = MCU_data != NULL ? MCU_data[blkn][0] : scratch;
        REFILL();
        block[0] = (JCOEF)decode_dc(cinfo, reader, blkn, &buffer, &count);
        const nrs_table *table = reader->block_ac[blkn];
        int k = 1;
        for (;;) {
            REFILL();
            // Two lookups per refill: each takes at most NRS_LOOKUP bits.
            uint64_t ac = table->ac[buffer >> (64 - NRS_LOOKUP)];
            if (__builtin_expect(!(ac & NRS_SLOW), 1)) {
                if (decode_pair(ac, block, &k, &buffer, &count)) {
                    break;
                }
                ac = table->ac[buffer >> (64 - NRS_LOOKUP)];
                if (__builtin_expect(!(ac & NRS_SLOW), 1) && decode_pair(ac, block, &k, &buffer, &count)) {
                    break;
                }
                continue;
            }
            int symbol = decode_slow(cinfo, table, &buffer, &count);
            int run = symbol >> 4, size = symbol & 15;
            if (size != 0) {
                k += run;
                int value = extend((int)(buffer >> (64 - size)), size);
                CONSUME(size);
                block[natural_order[k]] = (JCOEF)value;
                k++;
            } else if (run == 15) {
                k += 16;
            } else {
                break;
            }
            if (k >= 64) {
                break;
            }
        }
    }
    SAVE_READER(reader);
    return TRUE;
}

// A second scan cannot follow in a file this decoder was put in for (libjpeg-turbo refuses one first).
static void start_pass(j_decompress_ptr cinfo) { ERREXIT(cinfo, JERR_NOTIMPL); }

static int tables_present(j_decompress_ptr cinfo, int dc, int ac) {
    for (int ci = 0; ci < cinfo->comps_in_scan; ci++) {
        const jpeg_component_info *component = cinfo->cur_comp_info[ci];
        if (dc && (component->dc_tbl_no < 0 || component->dc_tbl_no >= NUM_HUFF_TBLS ||
                   cinfo->dc_huff_tbl_ptrs[component->dc_tbl_no] == NULL)) {
            return 0;
        }
        if (ac && (component->ac_tbl_no < 0 || component->ac_tbl_no >= NUM_HUFF_TBLS ||
                   cinfo->ac_huff_tbl_ptrs[component->ac_tbl_no] == NULL)) {
            return 0;
        }
    }
    return 1;
}

// What both decoders need: 8-bit Huffman coding, libjpeg-turbo's modules set up for the first scan and none
// of its data read yet, and a scan buffer that offsets of 32 bits can address.
static int can_take_over(j_decompress_ptr cinfo, size_t capacity) {
    return capacity <= UINT32_MAX && !cinfo->arith_code && cinfo->data_precision == 8 && cinfo->inputctl != NULL &&
           cinfo->entropy != NULL && !cinfo->inputctl->eoi_reached && cinfo->input_scan_number == 1 &&
           cinfo->input_iMCU_row == 0 && cinfo->unread_marker == 0 && cinfo->blocks_in_MCU <= D_MAX_BLOCKS_IN_MCU;
}

int nrs_huffman_replace(j_decompress_ptr cinfo, size_t capacity) {
    if (!can_take_over(cinfo, capacity) || cinfo->progressive_mode || cinfo->inputctl->has_multiple_scans ||
        cinfo->comps_in_scan != cinfo->num_components || !tables_present(cinfo, 1, 1)) {
        return 0;
    }
    nrs_huffman *decoder = (*cinfo->mem->alloc_small)((j_common_ptr)cinfo, JPOOL_IMAGE, sizeof(nrs_huffman));
    memset(decoder, 0, sizeof *decoder);
    decoder->pub.start_pass = start_pass;
    decoder->pub.decode_mcu = decode_mcu;
    decoder->reader.capacity = capacity;
    cinfo->entropy = &decoder->pub;
    start_scan(cinfo, &decoder->reader, 1, 1);
    return 1;
}

// ---------------------------------------------------------------------------------------------
// Progressive
//
// The four kinds of scan, as ITU T.81 G.1.2 defines them and libjpeg-turbo's jdphuff.c decodes them: DC
// first (a DC difference, shifted left by Al), DC refinement (one bit), AC first (a band Ss..Se of one
// component, shifted left by Al, with end-of-band runs over several blocks) and AC refinement (new
// coefficients of magnitude 1 << Al, and one correction bit for each coefficient already nonzero).

#define PROGRESSIVE(cinfo) ((nrs_progressive *)(cinfo)->client_data)

static boolean decode_dc_first(j_decompress_ptr cinfo, JBLOCKROW *MCU_data) {
    nrs_reader *reader = &PROGRESSIVE(cinfo)->reader;
    if (!start_mcu(cinfo, reader)) {
        return TRUE;
    }
    LOAD_READER(reader);
    for (int blkn = 0; blkn < cinfo->blocks_in_MCU; blkn++) {
        REFILL();
        int value = decode_dc(cinfo, reader, blkn, &buffer, &count);
        if (MCU_data != NULL) {
            MCU_data[blkn][0][0] = (JCOEF)((unsigned int)value << cinfo->Al);
        }
    }
    SAVE_READER(reader);
    return TRUE;
}

static boolean decode_dc_refine(j_decompress_ptr cinfo, JBLOCKROW *MCU_data) {
    nrs_reader *reader = &PROGRESSIVE(cinfo)->reader;
    if (!start_mcu(cinfo, reader)) {
        return TRUE;
    }
    LOAD_READER(reader);
    REFILL();  // at most ten bits
    for (int blkn = 0; blkn < cinfo->blocks_in_MCU; blkn++) {
        int bit = (int)(buffer >> 63);
        CONSUME(1);
        if (bit && MCU_data != NULL) {
            MCU_data[blkn][0][0] = (JCOEF)(MCU_data[blkn][0][0] | (1 << cinfo->Al));
        }
    }
    SAVE_READER(reader);
    return TRUE;
}

static boolean decode_ac_first(j_decompress_ptr cinfo, JBLOCKROW *MCU_data) {
    nrs_reader *reader = &PROGRESSIVE(cinfo)->reader;
    if (!start_mcu(cinfo, reader)) {
        return TRUE;
    }
    if (reader->eobrun > 0) {
        reader->eobrun--;
        return TRUE;
    }
    LOAD_READER(reader);
    JBLOCK scratch;
    JCOEF *block = single_block(MCU_data, scratch);
    const nrs_table *table = reader->block_ac[0];
    int end = cinfo->Se, shift = cinfo->Al;
    int k = cinfo->Ss;
    while (k <= end) {
        REFILL();
        // One or two coefficients per lookup, as in a baseline block, but an end of band must not store
        // its zero (coefficient 63 may hold a value from an earlier band), and the band may end before 63.
        uint64_t entry = table->ac[buffer >> (64 - NRS_LOOKUP)];
        if (__builtin_expect(!(entry & NRS_SLOW), 1)) {
            int first = k + (int)((entry >> 5) & 127);
            if (first > end) {
                CONSUME((entry >> 13) & 15);  // the first only: an end of band, or the band's last
                if (first == end + 1) {
                    block[natural_order[end]] = (JCOEF)((unsigned int)(int16_t)(entry >> 32) << shift);
                }
                break;
            }
            block[natural_order[first - 1]] = (JCOEF)((unsigned int)(int16_t)(entry >> 32) << shift);
            CONSUME(entry & 31);
            k = first + (int)((entry >> 17) & 127);
            if (k > end + 1) {
                break;  // the second is an end of band
            }
            block[natural_order[k - 1]] = (JCOEF)((unsigned int)(int16_t)(entry >> 48) << shift);
            continue;
        }
        int symbol = decode_slow(cinfo, table, &buffer, &count);
        int run = symbol >> 4, size = symbol & 15;
        if (size != 0) {
            k += run;
            int value = extend((int)(buffer >> (64 - size)), size);
            CONSUME(size);
            block[natural_order[k]] = (JCOEF)((unsigned int)value << shift);
            k++;
        } else if (run == 15) {
            k += 16;
        } else {
            // An end-of-band run over this block and 2^run - 1 + (run extra bits) more.
            unsigned int blocks = 1U << run;
            if (run != 0) {
                blocks += (unsigned int)(buffer >> (64 - run));
                CONSUME(run);
            }
            reader->eobrun = blocks - 1;
            break;
        }
    }
    SAVE_READER(reader);
    return TRUE;
}

// Bit z of a block's mask stands for its coefficient at zigzag index z. zigzag_bits[j][b] is the mask of the
// coefficients at natural positions 8j..8j+7 flagged in b.
static uint64_t zigzag_bits[8][256];

static void build_zigzag_bits(void) {
    int zigzag_of[64];
    for (int z = 0; z < 64; z++) {
        zigzag_of[natural_order[z]] = z;
    }
    for (int j = 0; j < 8; j++) {
        for (int b = 0; b < 256; b++) {
            uint64_t mask = 0;
            for (int t = 0; t < 8; t++) {
                if (b & (1 << t)) {
                    mask |= 1ULL << zigzag_of[8 * j + t];
                }
            }
            zigzag_bits[j][b] = mask;
        }
    }
}

// Which of a block's coefficients are nonzero, as a zigzag mask.
static inline uint64_t nonzero_mask(const JCOEF *block) {
    uint64_t natural = 0;
#if defined(__x86_64__) && defined(__SSE2__)
    __m128i zero = _mm_setzero_si128();
    for (int i = 0; i < 4; i++) {
        __m128i low = _mm_loadu_si128((const __m128i *)(const void *)(block + 16 * i));
        __m128i high = _mm_loadu_si128((const __m128i *)(const void *)(block + 16 * i + 8));
        __m128i zeros = _mm_packs_epi16(_mm_cmpeq_epi16(low, zero), _mm_cmpeq_epi16(high, zero));
        natural |= (uint64_t)(uint16_t)_mm_movemask_epi8(zeros) << (16 * i);
    }
    natural = ~natural;
#else
    for (int i = 0; i < 64; i++) {
        natural |= (uint64_t)(block[i] != 0) << i;
    }
#endif
    uint64_t mask = 0;
    for (int j = 0; j < 8; j++) {
        mask |= zigzag_bits[j][(natural >> (8 * j)) & 255];
    }
    return mask;
}

// Bits from..63 (from at most 64: then none).
static inline uint64_t bits_from(int from) { return from >= 64 ? 0 : ~0ULL << from; }

// The correction bits of the nonzero coefficients in `mask`, in zigzag order, one bit each: a set bit grows
// the coefficient's magnitude by p1 (unless that bit of it is set already).
static inline void correct(JCOEF *block, uint64_t mask, const uint8_t **next, uint64_t *buffer, int *count, int p1) {
    while (mask != 0) {
        if (__builtin_expect(*count < 1, 0)) {
            *buffer |= load_big_endian(*next) >> *count;
            *next += (63 - *count) >> 3;
            *count |= 56;
        }
        int zigzag = __builtin_ctzll(mask);
        mask &= mask - 1;
        int bit = (int)(*buffer >> 63);
        *buffer <<= 1;
        *count -= 1;
        JCOEF *coefficient = &block[natural_order[zigzag]];
        int value = *coefficient;
        int grow = bit & ((value & p1) == 0);
        int sign = value >> 31;  // 0 or -1: p1 or -p1 below, without a branch (signs are a coin toss)
        *coefficient = (JCOEF)(value + (((p1 ^ sign) - sign) & -grow));
    }
}

// A refinement scan's next symbol (after a refill): 0 at an end of band (the run of blocks it starts set),
// else the zeros to skip in `run` and the new coefficient in `value` (0 for sixteen zeros, else ±p1).
__attribute__((always_inline)) static inline int decode_refine_symbol(j_decompress_ptr cinfo, nrs_reader *reader,
                                                                     const nrs_table *table, int p1,
                                                                     uint64_t *buffer, int *count, int *run,
                                                                     int *value) {
    int symbol;
    int entry = table->fast[*buffer >> (64 - NRS_LOOKUP)];
    if (entry != 0) {
        *buffer <<= entry >> 8;
        *count -= entry >> 8;
        symbol = entry & 255;
    } else {
        symbol = decode_slow(cinfo, table, buffer, count);
    }
    int size = symbol & 15;
    *run = symbol >> 4;
    *value = 0;
    if (size != 0) {
        if (size != 1) {
            WARNMS(cinfo, JWRN_HUFF_BAD_CODE);  // a new coefficient is always 1 << Al
        }
        *value = (*buffer >> 63) ? p1 : -p1;
        *buffer <<= 1;
        *count -= 1;
    } else if (*run != 15) {
        // End of band: over this block (from k) and 2^run - 1 + (run extra bits) more.
        reader->eobrun = 1U << *run;
        if (*run != 0) {
            reader->eobrun += (unsigned int)(*buffer >> (64 - *run));
            *buffer <<= *run;
            *count -= *run;
        }
        return 0;
    }
    return 1;
}

// An AC refinement scan's block, without BMI2: a loop over the coefficients that take correction bits.
static boolean decode_ac_refine(j_decompress_ptr cinfo, JBLOCKROW *MCU_data) {
    nrs_reader *reader = &PROGRESSIVE(cinfo)->reader;
    if (!start_mcu(cinfo, reader)) {
        return TRUE;
    }
    LOAD_READER(reader);
    JBLOCK scratch;
    JCOEF *block = single_block(MCU_data, scratch);
    const nrs_table *table = reader->block_ac[0];
    int end = cinfo->Se, p1 = 1 << cinfo->Al;
    int k = cinfo->Ss;
    uint64_t band_end = bits_from(end + 1);
    uint64_t nonzero = nonzero_mask(block) & ~band_end;
    if (reader->eobrun == 0) {
        while (k <= end) {
            REFILL();
            int run, value;
            if (!decode_refine_symbol(cinfo, reader, table, p1, &buffer, &count, &run, &value)) {
                break;
            }
            // The new coefficient goes to the (run + 1)th zero one from k (for sixteen zeros, the 16th is
            // skipped); each nonzero one before it takes a correction bit.
            uint64_t zeros = ~nonzero & bits_from(k) & ~band_end;
            for (int skip = 0; skip < run && zeros != 0; skip++) {
                zeros &= zeros - 1;
            }
            int target = zeros != 0 ? __builtin_ctzll(zeros) : end + 1;
            correct(block, nonzero & bits_from(k) & ~bits_from(target), &next, &buffer, &count, p1);
            if (value != 0) {
                block[natural_order[target]] = (JCOEF)value;
            }
            k = target + 1;
        }
    }
    if (reader->eobrun > 0) {
        // In an end-of-band run: a correction bit for each nonzero coefficient left in the band.
        correct(block, nonzero & bits_from(k), &next, &buffer, &count, p1);
        reader->eobrun--;
    }
    SAVE_READER(reader);
    return TRUE;
}

#if defined(__x86_64__)
// The correction bits of the nonzero coefficients in `mask` (zigzag order, one bit each, the first read for
// the lowest), at most 48 at a time: added to `grow`, the mask of those to grow at the end of the block.
// pdep lays the bits over the mask in one instruction.
__attribute__((target("bmi2,popcnt"))) static inline void take_corrections(uint64_t mask, uint64_t *grow,
                                                                          const uint8_t **next,
                                                                          uint64_t *buffer, int *count) {
    while (mask != 0) {
        uint64_t chunk = mask;
        if (__builtin_expect(__builtin_popcountll(mask) > 48, 0)) {
            uint64_t beyond = _pdep_u64(1ULL << 48, mask);  // the 49th
            chunk = mask & (beyond - 1);
        }
        mask &= ~chunk;
        int n = __builtin_popcountll(chunk);
        if (*count < n) {
            *buffer |= load_big_endian(*next) >> *count;
            *next += (63 - *count) >> 3;
            *count |= 56;
        }
        uint64_t bits = (*buffer >> (63 - n)) >> 1;  // the next n bits (none when n is 0)
        *buffer <<= n;
        *count -= n;
        uint64_t first_lowest = (__builtin_bitreverse64(bits) >> (63 - n)) >> 1;
        *grow |= _pdep_u64(first_lowest, chunk);
    }
}

// decode_ac_refine with pdep (BMI2, where it is fast): the zero that a new coefficient goes to is found
// with one instruction, and the correction bits are gathered into a mask and applied once per block, so
// that nothing branches on a coefficient or a bit.
__attribute__((target("bmi2,popcnt"))) static boolean decode_ac_refine_bmi2(j_decompress_ptr cinfo,
                                                                           JBLOCKROW *MCU_data) {
    nrs_reader *reader = &PROGRESSIVE(cinfo)->reader;
    if (!start_mcu(cinfo, reader)) {
        return TRUE;
    }
    LOAD_READER(reader);
    JBLOCK scratch;
    JCOEF *block = single_block(MCU_data, scratch);
    const nrs_table *table = reader->block_ac[0];
    int end = cinfo->Se, p1 = 1 << cinfo->Al;
    int k = cinfo->Ss;
    uint64_t band = bits_from(k) & ~bits_from(end + 1);
    uint64_t nonzero = nonzero_mask(block) & band;
    uint64_t grow = 0;
    if (reader->eobrun == 0) {
        while (k <= end) {
            REFILL();
            int run, value;
            if (!decode_refine_symbol(cinfo, reader, table, p1, &buffer, &count, &run, &value)) {
                break;
            }
            uint64_t ahead = bits_from(k) & band;
            uint64_t zero = _pdep_u64(1ULL << run, ~nonzero & ahead);
            int target = zero != 0 ? __builtin_ctzll(zero) : end + 1;
            take_corrections(nonzero & ahead & ~bits_from(target), &grow, &next, &buffer, &count);
            if (value != 0) {
                block[natural_order[target]] = (JCOEF)value;
            }
            k = target + 1;
        }
    }
    if (reader->eobrun > 0) {
        take_corrections(nonzero & bits_from(k), &grow, &next, &buffer, &count);
        reader->eobrun--;
    }
    while (grow != 0) {
        JCOEF *coefficient = &block[natural_order[__builtin_ctzll(grow)]];
        grow &= grow - 1;
        int value = *coefficient;
        int sign = value >> 31;  // 0 or -1: p1 or -p1
        *coefficient = (JCOEF)(value + (((p1 ^ sign) - sign) & -((value & p1) == 0)));
    }
    SAVE_READER(reader);
    return TRUE;
}

// pdep is one fast instruction on Intel since Haswell and AMD since Zen 3, but microcode taking hundreds
// of cycles on AMD's families 15h and 17h (Bulldozer to Zen 2), where the loop is faster.
static int fast_pdep(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("bmi2") && __builtin_cpu_supports("popcnt") && !__builtin_cpu_is("amdfam15h") &&
           !__builtin_cpu_is("amdfam17h");
}
#else
static int fast_pdep(void) { return 0; }
#endif

// Process-wide, computed once: the zigzag masks and whether pdep is fast here.
static int pdep_is_fast;

static void initialize_progressive(void) {
    build_zigzag_bits();
    pdep_is_fast = fast_pdep();
}

// Chooses this decoder's function for the scan whose header libjpeg-turbo's start_pass has just checked.
static void start_progressive_scan(j_decompress_ptr cinfo) {
    nrs_progressive *decoder = PROGRESSIVE(cinfo);
    int dc = cinfo->Ss == 0, first = cinfo->Ah == 0;
    start_scan(cinfo, &decoder->reader, dc && first, !dc);
    boolean (*refine)(j_decompress_ptr, JBLOCKROW *) = decode_ac_refine;
#if defined(__x86_64__)
    if (decoder->fast_pdep) {
        refine = decode_ac_refine_bmi2;
    }
#endif
    cinfo->entropy->decode_mcu = dc ? (first ? decode_dc_first : decode_dc_refine) : (first ? decode_ac_first : refine);
}

static void progressive_start_pass(j_decompress_ptr cinfo) {
    PROGRESSIVE(cinfo)->libjpeg_start_pass(cinfo);
    start_progressive_scan(cinfo);
}

int nrs_huffman_replace_progressive(j_decompress_ptr cinfo, size_t capacity, int portable) {
    if (!can_take_over(cinfo, capacity) || !cinfo->progressive_mode || cinfo->client_data != NULL ||
        !tables_present(cinfo, cinfo->Ss == 0 && cinfo->Ah == 0, cinfo->Ss != 0)) {
        return 0;
    }
    nrs_progressive *decoder =
        (*cinfo->mem->alloc_small)((j_common_ptr)cinfo, JPOOL_IMAGE, sizeof(nrs_progressive));
    memset(decoder, 0, sizeof *decoder);
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, initialize_progressive);
    decoder->reader.capacity = capacity;
    decoder->fast_pdep = !portable && pdep_is_fast;
    decoder->libjpeg_start_pass = cinfo->entropy->start_pass;
    cinfo->client_data = decoder;
    cinfo->entropy->start_pass = progressive_start_pass;
    start_progressive_scan(cinfo);  // the first scan's header was read and checked already
    return 1;
}
