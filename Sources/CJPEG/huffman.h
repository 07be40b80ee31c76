// A faster Huffman decoder for baseline and progressive JPEGs (huffman.c), in place of libjpeg-turbo's.
#ifndef NOROSHI_HUFFMAN_H
#define NOROSHI_HUFFMAN_H

#include <stddef.h>
#include <stdio.h>

#include <jpeglib.h>

/// Puts Noroshi's Huffman decoder in place of libjpeg-turbo's for the decompression `cinfo` has just
/// started (call right after jpeg_start_decompress, before any data is read). `capacity` is at most how
/// many bytes the source can still deliver (the file's size will do); the scan's data is read into a
/// buffer of that size. Returns 1 when replaced, 0 when the file is not a single-scan baseline Huffman
/// JPEG of 8 bits (libjpeg-turbo's decoder then does the work, as it does for arithmetic-coded files).
int nrs_huffman_replace(j_decompress_ptr cinfo, size_t capacity);

/// The same for a progressive Huffman JPEG: beside libjpeg-turbo's decoder, whose start_pass still checks
/// each scan's header, this decoder's functions decode the scans. Call from the progress monitor during
/// jpeg_start_decompress, before its first scan is read (the first time the monitor is called there);
/// `capacity` as above. Uses cinfo->client_data. With `portable` set, the refinement scans are decoded
/// without BMI2 even where it is fast (the tests check both ways). Returns 1 when replaced.
int nrs_huffman_replace_progressive(j_decompress_ptr cinfo, size_t capacity, int portable);

#endif
