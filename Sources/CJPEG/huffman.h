// A faster Huffman decoder for single-scan baseline JPEGs (huffman.c), in place of libjpeg-turbo's.
#ifndef NOROSHI_HUFFMAN_H
#define NOROSHI_HUFFMAN_H

#include <stddef.h>
#include <stdio.h>

#include <jpeglib.h>

/// Puts Noroshi's Huffman decoder in place of libjpeg-turbo's for the decompression `cinfo` has just
/// started (call right after jpeg_start_decompress, before any data is read). `capacity` is at most how
/// many bytes the source can still deliver (the file's size will do); the scan's data is read into a
/// buffer of that size. Returns 1 when replaced, 0 when the file is not a single-scan baseline Huffman
/// JPEG of 8 bits or when NOROSHI_LIBJPEG_HUFFMAN is set in the environment (libjpeg-turbo's decoder then
/// does the work, as it does for progressive and arithmetic-coded files).
int nrs_huffman_replace(j_decompress_ptr cinfo, size_t capacity);

#endif
