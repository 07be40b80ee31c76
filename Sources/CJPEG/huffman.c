// A faster Huffman decoder for single-scan baseline JPEGs, put in place of libjpeg-turbo's own.
//
// Nearly all camera and phone photos are single-scan baseline files, and for them the Huffman decoding is
// most of the work of making copies: two thirds of the CPU time on a 24-megapixel camera JPEG. This
// decoder plugs into libjpeg-turbo's entropy-decoder slot (cinfo->entropy), so everything else (the
// inverse DCT, raw-data output, scaling, error handling) stays libjpeg-turbo's. It is faster because:
//
// - the scan's entropy-coded data is read once, whole, with its stuffed zero bytes removed (memchr finds
//   the 0xFFs), so the bit reader refills 64 bits at a time without looking at bytes (no branch);
// - an AC coefficient whose code and value together fit in 11 bits (nine in ten in camera photos) is
//   decoded with one table lookup that gives its run, its value and the bits it takes, and two of them
//   are decoded per refill;
// - end-of-block and sixteen-zeros codes are in the same table.
//
// Decoded coefficients are identical to libjpeg-turbo's for every valid file (the tests compare the two on
// many encodings). On damaged data it behaves as libjpeg-turbo does in the common cases: data that ends
// early is fatal in this project (the source manager says so), a marker in the middle of the data leaves
// the rest of the blocks zero with a warning, and a bad code decodes as zero with a warning. A restart
// marker with the wrong number leaves the rest of the image zero, where libjpeg-turbo would try to
// resynchronize.

#include "huffman.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jerror.h>
#include <jpegint.h>

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
    uint64_t ac[1 << NRS_LOOKUP];    // one or two coefficients per lookup (AC tables only)
    int32_t maxcode[18];             // the largest code of each length, -1 when none
    int32_t valoffset[17];           // symbol index = code + valoffset[length]
    uint8_t values[256];
} nrs_table;

typedef struct {
    struct jpeg_entropy_decoder pub;
    size_t capacity;  // bytes of data the source can still hold (an upper bound for the scan)
    int loaded;
    uint8_t *data;     // the scan's entropy-coded bytes, unstuffed, then NRS_PADDING zeros
    size_t size;
    // Restart intervals: where each one after the first starts in `data`, and its marker's number.
    uint32_t *restart_offsets;
    uint8_t *restart_numbers;
    size_t restart_count;
    size_t restart_limit;
    size_t next_restart;   // index into restart_offsets of the next interval
    size_t segment_end;    // where the current interval's data ends in `data`
    unsigned int restarts_to_go;
    // The bit reader: `buffer` holds `count` valid bits, left-aligned; `next` is the first byte not in it.
    const uint8_t *next;
    uint64_t buffer;
    int count;
    int last_dc[MAX_COMPS_IN_SCAN];
    // Per block of an MCU: the component's place in the scan and its tables.
    int block_component[D_MAX_BLOCKS_IN_MCU];
    const nrs_table *block_dc[D_MAX_BLOCKS_IN_MCU];
    const nrs_table *block_ac[D_MAX_BLOCKS_IN_MCU];
    nrs_table *dc_tables[NUM_HUFF_TBLS];
    nrs_table *ac_tables[NUM_HUFF_TBLS];
} nrs_huffman;

// Zigzag index to natural order. Past 63 everything lands on 63: an end of block moves k there and stores a
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
static void load_scan(j_decompress_ptr cinfo, nrs_huffman *decoder) {
    struct jpeg_source_mgr *source = cinfo->src;
    decoder->data = (*cinfo->mem->alloc_large)((j_common_ptr)cinfo, JPOOL_IMAGE,
                                               decoder->capacity + NRS_PADDING);
    uint8_t *out = decoder->data;
    const uint8_t *limit = decoder->data + decoder->capacity;
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
                decoder->restart_count < decoder->restart_limit) {
                decoder->restart_offsets[decoder->restart_count] = (uint32_t)(out - decoder->data);
                decoder->restart_numbers[decoder->restart_count] = (uint8_t)(byte - JPEG_RST0);
                decoder->restart_count++;
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
    decoder->size = (size_t)(out - decoder->data);
    memset(out, 0, NRS_PADDING);
    decoder->segment_end = decoder->restart_count > 0 ? decoder->restart_offsets[0] : decoder->size;
    decoder->next = decoder->data;
    decoder->loaded = 1;
}

// Moves to the next restart interval: the bit reader to its first byte, the DC predictions to zero. A
// missing or misnumbered marker leaves the rest of the image zero.
static void next_interval(j_decompress_ptr cinfo, nrs_huffman *decoder) {
    decoder->restarts_to_go = cinfo->restart_interval;
    memset(decoder->last_dc, 0, sizeof decoder->last_dc);
    decoder->buffer = 0;
    decoder->count = 0;
    size_t index = decoder->next_restart++;
    if (index >= decoder->restart_count ||
        decoder->restart_numbers[index] != (uint8_t)(index & 7)) {
        if (!decoder->pub.insufficient_data) {
            WARNMS(cinfo, JWRN_HIT_MARKER);
        }
        decoder->pub.insufficient_data = TRUE;
        return;
    }
    decoder->pub.insufficient_data = FALSE;
    decoder->next = decoder->data + decoder->restart_offsets[index];
    decoder->segment_end =
        index + 1 < decoder->restart_count ? decoder->restart_offsets[index + 1] : decoder->size;
}

static boolean decode_mcu(j_decompress_ptr cinfo, JBLOCKROW *MCU_data) {
    nrs_huffman *decoder = (nrs_huffman *)cinfo->entropy;
    if (!decoder->loaded) {
        load_scan(cinfo, decoder);
    }
    if (cinfo->restart_interval != 0) {
        if (decoder->restarts_to_go == 0) {
            next_interval(cinfo, decoder);
        }
        decoder->restarts_to_go--;
    }
    if (decoder->pub.insufficient_data) {
        return TRUE;
    }
    // Bits taken so far, against the interval's data: past its end, the rest of the interval stays zero
    // (the MCU that ran over was decoded from the zeros that follow, as libjpeg-turbo pads with zeros).
    size_t taken = (size_t)(decoder->next - decoder->data) * 8 - (size_t)decoder->count;
    if (taken > decoder->segment_end * 8) {
        WARNMS(cinfo, JWRN_HIT_MARKER);
        decoder->pub.insufficient_data = TRUE;
        return TRUE;
    }
    const uint8_t *next = decoder->next;
    uint64_t buffer = decoder->buffer;
    int count = decoder->count;
    JBLOCK scratch;
    for (int blkn = 0; blkn < cinfo->blocks_in_MCU; blkn++) {
        JCOEF *block = MCU_data != NULL ? MCU_data[blkn][0] : scratch;
        const nrs_table *table = decoder->block_dc[blkn];
        REFILL();
        int size;
        int entry = table->fast[buffer >> (64 - NRS_LOOKUP)];
        if (entry != 0) {
            CONSUME(entry >> 8);
            size = entry & 255;
        } else {
            size = decode_slow(cinfo, table, &buffer, &count);
        }
        int component = decoder->block_component[blkn];
        if (size != 0) {
            size &= 15;
            int difference = extend((int)(buffer >> (64 - size)), size);
            CONSUME(size);
            int last = decoder->last_dc[component];
            if ((last >= 0 && difference > INT32_MAX - last) || (last < 0 && difference < INT32_MIN - last)) {
                ERREXIT(cinfo, JERR_BAD_DCT_COEF);
            }
            decoder->last_dc[component] = last + difference;
        }
        block[0] = (JCOEF)decoder->last_dc[component];
        table = decoder->block_ac[blkn];
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
            int run = symbol >> 4;
            size = symbol & 15;
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
    decoder->next = next;
    decoder->buffer = buffer;
    decoder->count = count;
    return TRUE;
}

// A second scan cannot follow in a file this decoder was put in for (libjpeg-turbo refuses one first).
static void start_pass(j_decompress_ptr cinfo) { ERREXIT(cinfo, JERR_NOTIMPL); }

static int can_replace(j_decompress_ptr cinfo) {
    if (getenv("NOROSHI_LIBJPEG_HUFFMAN") != NULL) {
        return 0;
    }
    if (cinfo->progressive_mode || cinfo->arith_code || cinfo->data_precision != 8 ||
        cinfo->inputctl == NULL || cinfo->inputctl->has_multiple_scans || cinfo->inputctl->eoi_reached ||
        cinfo->input_scan_number != 1 || cinfo->comps_in_scan != cinfo->num_components ||
        cinfo->entropy == NULL || cinfo->unread_marker != 0 || cinfo->blocks_in_MCU > D_MAX_BLOCKS_IN_MCU ||
        cinfo->input_iMCU_row != 0) {
        return 0;
    }
    for (int ci = 0; ci < cinfo->comps_in_scan; ci++) {
        const jpeg_component_info *component = cinfo->cur_comp_info[ci];
        if (component->dc_tbl_no < 0 || component->dc_tbl_no >= NUM_HUFF_TBLS ||
            component->ac_tbl_no < 0 || component->ac_tbl_no >= NUM_HUFF_TBLS ||
            cinfo->dc_huff_tbl_ptrs[component->dc_tbl_no] == NULL ||
            cinfo->ac_huff_tbl_ptrs[component->ac_tbl_no] == NULL) {
            return 0;
        }
    }
    return 1;
}

int nrs_huffman_replace(j_decompress_ptr cinfo, size_t capacity) {
    if (!can_replace(cinfo) || capacity > UINT32_MAX) {
        return 0;
    }
    nrs_huffman *decoder =
        (*cinfo->mem->alloc_small)((j_common_ptr)cinfo, JPOOL_IMAGE, sizeof(nrs_huffman));
    memset(decoder, 0, sizeof *decoder);
    decoder->pub.start_pass = start_pass;
    decoder->pub.decode_mcu = decode_mcu;
    decoder->capacity = capacity;
    for (int ci = 0; ci < cinfo->comps_in_scan; ci++) {
        const jpeg_component_info *component = cinfo->cur_comp_info[ci];
        int dc = component->dc_tbl_no, ac = component->ac_tbl_no;
        if (decoder->dc_tables[dc] == NULL) {
            decoder->dc_tables[dc] =
                (*cinfo->mem->alloc_small)((j_common_ptr)cinfo, JPOOL_IMAGE, sizeof(nrs_table));
            build_table(decoder->dc_tables[dc], cinfo->dc_huff_tbl_ptrs[dc], 0);
        }
        if (decoder->ac_tables[ac] == NULL) {
            decoder->ac_tables[ac] =
                (*cinfo->mem->alloc_small)((j_common_ptr)cinfo, JPOOL_IMAGE, sizeof(nrs_table));
            build_table(decoder->ac_tables[ac], cinfo->ac_huff_tbl_ptrs[ac], 1);
        }
    }
    for (int blkn = 0; blkn < cinfo->blocks_in_MCU; blkn++) {
        int ci = cinfo->MCU_membership[blkn];
        const jpeg_component_info *component = cinfo->cur_comp_info[ci];
        decoder->block_component[blkn] = ci;
        decoder->block_dc[blkn] = decoder->dc_tables[component->dc_tbl_no];
        decoder->block_ac[blkn] = decoder->ac_tables[component->ac_tbl_no];
    }
    if (cinfo->restart_interval != 0) {
        size_t mcus = (size_t)cinfo->MCUs_per_row * (size_t)cinfo->MCU_rows_in_scan;
        decoder->restart_limit = mcus / cinfo->restart_interval + 1;
        decoder->restart_offsets = (*cinfo->mem->alloc_large)((j_common_ptr)cinfo, JPOOL_IMAGE,
                                                              decoder->restart_limit * sizeof(uint32_t));
        decoder->restart_numbers =
            (*cinfo->mem->alloc_large)((j_common_ptr)cinfo, JPOOL_IMAGE, decoder->restart_limit);
        decoder->restarts_to_go = cinfo->restart_interval;
    }
    cinfo->entropy = &decoder->pub;
    return 1;
}
