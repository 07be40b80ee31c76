// Typed wrappers for libcurl's variadic functions, which Swift cannot call directly.
#ifndef NOROSHI_CCURL_SHIM_H
#define NOROSHI_CCURL_SHIM_H

#include <curl/curl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

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

/// At most this many bytes wait unsent in a connection's kernel buffer (TCP_NOTSENT_LOWAT); what is in flight
/// still grows with the link. Without it the kernel takes megabytes of an upload at once on a slow link, so the
/// client's progress (and its stall timeout) count bytes that have not left the device.
#define NOROSHI_NOTSENT_LOWAT (128 * 1024)

static inline int noroshi_curl_sockopt(void *context, curl_socket_t fd, curlsocktype purpose) {
    (void)context;
    if (purpose == CURLSOCKTYPE_IPCXN) {
        int lowat = NOROSHI_NOTSENT_LOWAT;
        (void)setsockopt(fd, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &lowat, sizeof lowat);  // best effort
    }
    return CURL_SOCKOPT_OK;
}

static inline CURLcode noroshi_curl_setopt_small_send_backlog(CURL *handle) {
    return curl_easy_setopt(handle, CURLOPT_SOCKOPTFUNCTION, noroshi_curl_sockopt);
}

static inline CURLcode noroshi_curl_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    return curl_easy_getinfo(handle, info, value);
}

#endif
