/* xfer-error.c - what a failed transfer means: curl's result code or the server's HTTP status
 * become an HRESULT, an error context, a Win32 result, a transport result, and the verdict
 * transient (retried after the retry delay) or fatal (the group goes to ERROR), per QMGR.md
 * §4.4. docs/errors.md is the table in prose; keep the two in step. */
#include <errno.h>
#include <string.h>

#include <curl/curl.h>

#include "qmgrd.h"

/* Win32 error codes (winerror.h / wininet.h). */
#define W_FILE_NOT_FOUND               2
#define W_ACCESS_DENIED                5
#define W_DISK_FULL                    112
#define W_INTERNET_TIMEOUT             12002
#define W_INTERNET_INVALID_URL         12005
#define W_INTERNET_UNRECOGNIZED_SCHEME 12006
#define W_INTERNET_NAME_NOT_RESOLVED   12007
#define W_INTERNET_CANNOT_CONNECT      12029
#define W_INTERNET_CONNECTION_RESET    12031
#define W_HTTP_INVALID_SERVER_RESPONSE 12152
#define W_HTTP_REDIRECT_FAILED         12156
#define W_INTERNET_SECURE_FAILURE      12175

static void set(struct xfer_verdict *v, qm_hresult hr, uint32_t ctx, uint32_t win32,
                uint32_t transport, bool transient)
{
        v->hr = hr;
        v->context = ctx;
        v->win32 = win32;
        v->transport = transport;
        v->transient = transient;
}

static void classify_http(long status, struct xfer_verdict *v)
{
        uint32_t win32 = 0;
        bool transient = false;

        switch (status) {
        case 408: /* request timeout */
        case 429: /* too many requests */
        case 500:
        case 502:
        case 503:
        case 504:
                transient = true;
                break;
        case 404:
        case 410:
                win32 = W_FILE_NOT_FOUND;
                break;
        case 401:
        case 403:
        case 407:
                win32 = W_ACCESS_DENIED;
                break;
        default:
                break;
        }
        set(v, BG_E_HTTP_ERROR(status), BG_ERROR_CONTEXT_REMOTE_FILE, win32, (uint32_t)status,
            transient);
}

void xfer_classify(int curl_code, long http_status, struct xfer_verdict *v)
{
        xfer_classify_msg(curl_code, http_status, NULL, v);
}

void xfer_classify_msg(int curl_code, long http_status, const char *msg, struct xfer_verdict *v)
{
        const uint32_t T = BG_ERROR_CONTEXT_GENERAL_TRANSPORT;

        if (!msg)
                msg = "";
        /* Oversize response headers: curl says 56 (over 300 KB in all) or 27 (one header over
         * 100 KB). The server's fault, not ours, and not going to change by itself. */
        if ((curl_code == CURLE_RECV_ERROR || curl_code == CURLE_OUT_OF_MEMORY) &&
            (strstr(msg, "header") || strstr(msg, "Header"))) {
                set(v, QM_E_WIN32_INTERNET_INVALID_SERVER_RESPONSE, BG_ERROR_CONTEXT_REMOTE_FILE,
                    W_HTTP_INVALID_SERVER_RESPONSE, (uint32_t)http_status, false);
                return;
        }
        /* A broken chunked framing (curl 7.88: "Illegal or missing hexadecimal sequence in
         * chunked-encoding", "Malformed encoding found in chunked-encoding", "Failed reading
         * the chunked-encoding stream", all 56): the server's fault, permanent. A connection
         * lost in a chunked body is a recv failure or 18, not these (TESTING.md N17). */
        if (curl_code == CURLE_RECV_ERROR && strstr(msg, "chunked-encoding") &&
            !strstr(msg, "memory")) { /* "Out of memory in chunked-encoding" is ours */
                set(v, QM_E_WIN32_INTERNET_INVALID_SERVER_RESPONSE, BG_ERROR_CONTEXT_REMOTE_FILE,
                    W_HTTP_INVALID_SERVER_RESPONSE, (uint32_t)http_status, false);
                return;
        }
        /* Not HTTP at all (curl: "Received HTTP/0.9 when not allowed"): typically the excess
         * bytes of a previous answer on a reused connection; a new connection fixes it. */
        if (curl_code == CURLE_UNSUPPORTED_PROTOCOL && strstr(msg, "HTTP/0.9")) {
                set(v, QM_E_WIN32_INTERNET_INVALID_SERVER_RESPONSE, T,
                    W_HTTP_INVALID_SERVER_RESPONSE, 0, true);
                return;
        }

        if (curl_code == CURLE_OK || (http_status >= 400 && curl_code == CURLE_WRITE_ERROR)) {
                if (http_status >= 300)
                        classify_http(http_status, v);
                else
                        set(v, QM_E_WIN32_INTERNET_INVALID_SERVER_RESPONSE,
                            BG_ERROR_CONTEXT_REMOTE_FILE, W_HTTP_INVALID_SERVER_RESPONSE,
                            (uint32_t)http_status, false);
                return;
        }
        switch (curl_code) {
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_COULDNT_RESOLVE_PROXY:
                set(v, QM_E_WIN32_INTERNET_NAME_NOT_RESOLVED, T, W_INTERNET_NAME_NOT_RESOLVED, 0,
                    true);
                return;
        case CURLE_COULDNT_CONNECT:
                set(v, QM_E_WIN32_INTERNET_CANNOT_CONNECT, T, W_INTERNET_CANNOT_CONNECT, 0, true);
                return;
        case CURLE_OPERATION_TIMEDOUT:
                set(v, QM_E_WIN32_INTERNET_TIMEOUT, T, W_INTERNET_TIMEOUT, 0, true);
                return;
        case CURLE_RECV_ERROR:
        case CURLE_SEND_ERROR:
        case CURLE_PARTIAL_FILE:
        case CURLE_GOT_NOTHING:
        case CURLE_HTTP2:
        case CURLE_HTTP2_STREAM:
        case CURLE_SSL_CONNECT_ERROR:
                set(v, QM_E_WIN32_INTERNET_CONNECTION_RESET, T, W_INTERNET_CONNECTION_RESET, 0,
                    true);
                return;
        case CURLE_PEER_FAILED_VERIFICATION:
        case CURLE_SSL_CERTPROBLEM:
        case CURLE_SSL_CIPHER:
        case CURLE_SSL_CACERT_BADFILE:
        case CURLE_SSL_ISSUER_ERROR:
        case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
        case CURLE_SSL_INVALIDCERTSTATUS:
                set(v, QM_E_WIN32_INTERNET_SECURE_FAILURE, T, W_INTERNET_SECURE_FAILURE, 0, false);
                return;
        case CURLE_UNSUPPORTED_PROTOCOL:
                set(v, QM_E_WIN32_INTERNET_UNRECOGNIZED_SCHEME, BG_ERROR_CONTEXT_REMOTE_FILE,
                    W_INTERNET_UNRECOGNIZED_SCHEME, 0, false);
                return;
        case CURLE_URL_MALFORMAT:
                set(v, QM_E_INVALIDARG, BG_ERROR_CONTEXT_REMOTE_FILE, W_INTERNET_INVALID_URL, 0,
                    false);
                return;
        case CURLE_TOO_MANY_REDIRECTS:
                set(v, QM_E_WIN32_INTERNET_REDIRECT_FAILED, BG_ERROR_CONTEXT_REMOTE_FILE,
                    W_HTTP_REDIRECT_FAILED, (uint32_t)http_status, false);
                return;
        case CURLE_OUT_OF_MEMORY:
                set(v, QM_E_OUTOFMEMORY, BG_ERROR_CONTEXT_GENERAL_QUEUE_MANAGER, 8, 0, true);
                return;
        default:
                /* Bad framing, oversize headers, protocol violations: the server's fault. */
                set(v, QM_E_WIN32_INTERNET_INVALID_SERVER_RESPONSE, BG_ERROR_CONTEXT_REMOTE_FILE,
                    W_HTTP_INVALID_SERVER_RESPONSE, (uint32_t)http_status, false);
                return;
        }
}

void xfer_classify_errno(int err, struct xfer_verdict *v)
{
        const uint32_t L = BG_ERROR_CONTEXT_LOCAL_FILE;

        switch (err) {
        case ENOSPC:
        case EDQUOT:
        case EFBIG:
                set(v, QM_E_WIN32_DISK_FULL, L, W_DISK_FULL, 0, false);
                break;
        case EACCES:
        case EPERM:
        case EROFS:
        case ELOOP: /* a symlink where a temporary file must be */
        case EEXIST:
                set(v, QM_E_ACCESSDENIED, L, W_ACCESS_DENIED, 0, false);
                break;
        case ENOENT:
        case ENOTDIR:
                set(v, QM_E_WIN32_FILE_NOT_FOUND, L, W_FILE_NOT_FOUND, 0, false);
                break;
        case ENOMEM:
                set(v, QM_E_OUTOFMEMORY, L, 8, 0, false);
                break;
        default:
                set(v, QM_E_FAIL, L, 0, 0, false);
                break;
        }
}
