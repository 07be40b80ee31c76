// Typed wrappers for libcurl's variadic functions, which Swift cannot call directly.
#ifndef NOROSHI_CCURL_SHIM_H
#define NOROSHI_CCURL_SHIM_H

#include <curl/curl.h>

static inline CURLcode noroshi_curl_setopt_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode noroshi_curl_setopt_string(CURL *handle, CURLoption option, const char *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode noroshi_curl_setopt_pointer(CURL *handle, CURLoption option, void *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode noroshi_curl_setopt_offset(CURL *handle, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(handle, option, value);
}

typedef size_t (*noroshi_curl_write_callback)(char *data, size_t size, size_t count, void *context);

static inline CURLcode noroshi_curl_setopt_write_function(CURL *handle, noroshi_curl_write_callback callback) {
    return curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, callback);
}

static inline CURLcode noroshi_curl_setopt_header_function(CURL *handle, noroshi_curl_write_callback callback) {
    return curl_easy_setopt(handle, CURLOPT_HEADERFUNCTION, callback);
}

static inline CURLcode noroshi_curl_setopt_read_function(CURL *handle, noroshi_curl_write_callback callback) {
    return curl_easy_setopt(handle, CURLOPT_READFUNCTION, callback);
}

typedef int (*noroshi_curl_xferinfo_callback)(
    void *context, curl_off_t download_total, curl_off_t download_now, curl_off_t upload_total,
    curl_off_t upload_now);

static inline CURLcode noroshi_curl_setopt_xferinfo_function(CURL *handle, noroshi_curl_xferinfo_callback callback) {
    return curl_easy_setopt(handle, CURLOPT_XFERINFOFUNCTION, callback);
}

static inline CURLcode noroshi_curl_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    return curl_easy_getinfo(handle, info, value);
}

#endif
