/* hresult.c - names and messages of result codes, generated from QM_HRESULT_MAP in qmgr.h.
 * BG_E_HTTP_ERROR_nnn codes are computed (0x80190000 + nnn), so their names and messages
 * are built once into static tables. */
#include <pthread.h>
#include <stdio.h>

#include "qmgr.h"

#define HTTP_MIN 100
#define HTTP_MAX 599

static char http_names[HTTP_MAX - HTTP_MIN + 1][24];
static char http_msgs[HTTP_MAX - HTTP_MIN + 1][64];
static pthread_once_t http_once = PTHREAD_ONCE_INIT;

static const char *reason_phrase(unsigned code)
{
        switch (code) {
        case 400:
                return "Bad Request";
        case 401:
                return "Unauthorized";
        case 402:
                return "Payment Required";
        case 403:
                return "Forbidden";
        case 404:
                return "Not Found";
        case 405:
                return "Method Not Allowed";
        case 406:
                return "Not Acceptable";
        case 407:
                return "Proxy Authentication Required";
        case 408:
                return "Request Timeout";
        case 409:
                return "Conflict";
        case 410:
                return "Gone";
        case 411:
                return "Length Required";
        case 412:
                return "Precondition Failed";
        case 413:
                return "Content Too Large";
        case 414:
                return "URI Too Long";
        case 415:
                return "Unsupported Media Type";
        case 416:
                return "Range Not Satisfiable";
        case 429:
                return "Too Many Requests";
        case 451:
                return "Unavailable For Legal Reasons";
        case 500:
                return "Internal Server Error";
        case 501:
                return "Not Implemented";
        case 502:
                return "Bad Gateway";
        case 503:
                return "Service Unavailable";
        case 504:
                return "Gateway Timeout";
        case 505:
                return "HTTP Version Not Supported";
        default:
                return NULL;
        }
}

static void http_tables_init(void)
{
        for (unsigned c = HTTP_MIN; c <= HTTP_MAX; c++) {
                const char *r = reason_phrase(c);

                snprintf(http_names[c - HTTP_MIN], sizeof(http_names[0]), "BG_E_HTTP_ERROR_%u", c);
                if (r)
                        snprintf(http_msgs[c - HTTP_MIN], sizeof(http_msgs[0]),
                                 "The server answered HTTP %u (%s)", c, r);
                else
                        snprintf(http_msgs[c - HTTP_MIN], sizeof(http_msgs[0]),
                                 "The server answered HTTP %u", c);
        }
}

static int http_index(qm_hresult hr)
{
        unsigned code;

        if (!QM_IS_HTTP_ERROR(hr))
                return -1;
        code = QM_HTTP_STATUS(hr);
        if (code < HTTP_MIN || code > HTTP_MAX)
                return -1;
        pthread_once(&http_once, http_tables_init);
        return (int)(code - HTTP_MIN);
}

QM_API const char *qm_hresult_name(qm_hresult hr)
{
        int i;

#define XX(name, msg)                                                                              \
        if (hr == (name))                                                                          \
                return #name;
        QM_HRESULT_MAP(XX)
#undef XX
        i = http_index(hr);
        if (i >= 0)
                return http_names[i];
        return "UNKNOWN_HRESULT";
}

QM_API const char *qm_strerror(qm_hresult hr)
{
        int i;

#define XX(name, msg)                                                                              \
        if (hr == (name))                                                                          \
                return msg;
        QM_HRESULT_MAP(XX)
#undef XX
        i = http_index(hr);
        if (i >= 0)
                return http_msgs[i];
        return hr < 0 ? "Unknown error" : "Unknown success code";
}
