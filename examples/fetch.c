/* fetch.c - download files in the background with the legacy Queue Manager API and wait for
 * the completion callback (IBackgroundCopyCallback1::OnStatus), as a BITS 1.0 program did.
 *
 *   fetch [OPTIONS] URL LOCAL [URL LOCAL ...]
 *   fetch [OPTIONS] -i LISTFILE        (one "URL LOCAL" per line, # comments)
 *   fetch [OPTIONS] --attach GROUP     (register again for a group created earlier)
 *
 * What it does: CreateGroup, CreateJob, AddFiles, SetProp(NOTIFYFLAGS, GROUP_DONE), registers
 * a callback class and names it with SetProp(NOTIFYCLSID), ResumeGroup, then runs
 * qm_qmgr_dispatch() until OnStatus reports the group complete (CancelGroup commits the
 * files: exit 0) or in error (the error is printed, CancelGroup removes the group: exit 1).
 *
 * Options:
 *   --socket PATH  the service socket (default: $QMGR_SOCKET, else the per-user service)
 *   --fail-first   the first OnStatus returns E_FAIL: the service delivers the same event
 *                  again after the group's retry delay (demonstrates redelivery)
 *   --attach GROUP do not create anything: register a callback for GROUP (its GUID) with
 *                  SetNotificationPointer and wait, e.g. after this program was stopped
 *                  while the transfer went on; events that happened meanwhile are delivered
 *   --no-resume    create and set up the group, print its GUID, and exit without resuming
 *                  or waiting (resume it later, e.g. `qmgr resume GROUP`)
 *   --timeout S    give up after S seconds (exit 124)
 *
 * Build: see examples/README.md. Only <qmgr.h> and libqmgr are used. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <qmgr.h>

/* Our callback class. Any CLSID works: it only has to be unique in this process. */
#define FETCH_CLSID "{5A7C3E2B-9D14-4F6A-8B0C-2E1D3F4A5B6C}"

struct state {
        int fail_first; /* --fail-first and not failed yet */
        unsigned calls; /* OnStatus calls so far */
        int done;       /* 1 complete, -1 error */
        uint32_t status, file_index, win32_result, transport_result;
};

static void die_hr(const char *what, qm_hresult hr)
{
        fprintf(stderr, "fetch: %s: 0x%08x %s: %s\n", what, (unsigned)hr, qm_hresult_name(hr),
                qm_strerror(hr));
        exit(1);
}

/* IBackgroundCopyCallback1::OnStatus. Runs inside qm_qmgr_dispatch(), in our thread. */
static qm_hresult on_status(void *userdata, qm_group *group, qm_job1 *job, uint32_t file_index,
                            uint32_t status, uint32_t num_retries, uint32_t win32_result,
                            uint32_t transport_result)
{
        struct state *st = userdata;
        char id[QM_GUID_STRING_SIZE];
        qm_guid gid;

        st->calls++;
        if (qm_group_get_id(group, &gid) != QM_S_OK || qm_guid_to_string(&gid, id) != QM_S_OK)
                strcpy(id, "?");
        printf("OnStatus #%u: group %s status 0x%x%s%s file %d retries %u\n", st->calls, id, status,
               status & QM_STATUS_GROUP_COMPLETE ? " COMPLETE" : "",
               status & QM_STATUS_GROUP_ERROR ? " ERROR" : "",
               file_index == QM_NO_FILE_INDEX ? -1 : (int)file_index, num_retries);
        fflush(stdout);
        if (st->fail_first) {
                st->fail_first = 0;
                printf("OnStatus #%u: returning E_FAIL (the service will call again)\n", st->calls);
                fflush(stdout);
                return QM_E_FAIL;
        }
        st->status = status;
        st->file_index = file_index;
        st->win32_result = win32_result;
        st->transport_result = transport_result;
        if (status & QM_STATUS_GROUP_ERROR)
                st->done = -1;
        else if (status & QM_STATUS_GROUP_COMPLETE)
                st->done = 1;
        return QM_S_OK;
}

/* LOCAL made absolute (AddFiles wants absolute paths). */
static char *absolute(const char *path)
{
        char cwd[4096], *out;
        size_t len;

        if (path[0] == '/')
                return strdup(path);
        if (!getcwd(cwd, sizeof(cwd)))
                return NULL;
        len = strlen(cwd) + strlen(path) + 2;
        out = malloc(len);
        if (out)
                snprintf(out, len, "%s/%s", cwd, path);
        return out;
}

static void add_pair(qm_fileset_info **files, uint32_t *n, const char *url, const char *local)
{
        qm_fileset_info *f = realloc(*files, (*n + 1) * sizeof(**files));

        if (!f)
                die_hr("add", QM_E_OUTOFMEMORY);
        *files = f;
        f[*n].remote_file = strdup(url);
        f[*n].local_file = absolute(local);
        f[*n].size_hint = 0;
        if (!f[*n].remote_file || !f[*n].local_file)
                die_hr("add", QM_E_OUTOFMEMORY);
        (*n)++;
}

static void read_list(const char *path, qm_fileset_info **files, uint32_t *n)
{
        FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
        char line[16384], url[8800], local[4096];

        if (!f) {
                fprintf(stderr, "fetch: %s: %s\n", path, strerror(errno));
                exit(2);
        }
        while (fgets(line, sizeof(line), f)) {
                char *p = line + strspn(line, " \t");

                if (*p == '#' || *p == '\n' || *p == '\0')
                        continue;
                if (sscanf(p, "%8799s %4095s", url, local) != 2) {
                        fprintf(stderr, "fetch: %s: expected \"URL LOCAL\": %s", path, p);
                        exit(2);
                }
                add_pair(files, n, url, local);
        }
        if (f != stdin)
                fclose(f);
}

/* Prints the group's error; the modern job behind the group has the full description. */
static void print_error(qm_group *g, const struct state *st)
{
        qm_job_error e = {0};
        qm_job *job = NULL;

        if (qm_group_query_new_job_interface(g, &job) == QM_S_OK &&
            qm_job_get_error(job, &e) == QM_S_OK) {
                fprintf(stderr, "fetch: failed: 0x%08x %s: %s\n", (unsigned)e.code,
                        qm_hresult_name(e.code),
                        e.description ? e.description : qm_strerror(e.code));
                qm_job_error_clear(&e);
        }
        qm_job_release(job);
        fprintf(stderr, "fetch: file %d, HTTP status %u, win32 error %u\n",
                st->file_index == QM_NO_FILE_INDEX ? -1 : (int)st->file_index, st->transport_result,
                st->win32_result);
}

static void usage(FILE *out)
{
        fputs("Usage: fetch [--socket PATH] [--fail-first] [--no-resume] [--timeout S]\n"
              "             URL LOCAL [URL LOCAL ...] | -i LISTFILE | --attach GROUP\n",
              out);
}

int main(int argc, char **argv)
{
        static const struct option opts[] = {
                {"socket", required_argument, NULL, 's'},
                {"fail-first", no_argument, NULL, 'F'},
                {"attach", required_argument, NULL, 'a'},
                {"no-resume", no_argument, NULL, 'N'},
                {"timeout", required_argument, NULL, 't'},
                {"help", no_argument, NULL, 'h'},
                {NULL, 0, NULL, 0},
        };
        const qm_callback1 callbacks = {.on_status = on_status};
        struct state st = {0};
        const char *socket = NULL, *attach = NULL;
        qm_fileset_info *files = NULL;
        uint32_t n = 0;
        int c, no_resume = 0, rc;
        long timeout = 0;
        time_t start;
        qm_qmgr *qm = NULL;
        qm_group *group = NULL;
        qm_guid gid;
        char id[QM_GUID_STRING_SIZE];
        qm_hresult hr;

        while ((c = getopt_long(argc, argv, "i:h", opts, NULL)) != -1) {
                switch (c) {
                case 's':
                        socket = optarg;
                        break;
                case 'F':
                        st.fail_first = 1;
                        break;
                case 'a':
                        attach = optarg;
                        break;
                case 'N':
                        no_resume = 1;
                        break;
                case 't':
                        timeout = strtol(optarg, NULL, 10);
                        break;
                case 'i':
                        read_list(optarg, &files, &n);
                        break;
                case 'h':
                        usage(stdout);
                        return 0;
                default:
                        usage(stderr);
                        return 2;
                }
        }
        if ((argc - optind) % 2 || (!attach && n == 0 && argc == optind) ||
            (attach && (n || argc > optind))) {
                usage(stderr);
                return 2;
        }
        for (int i = optind; i < argc; i += 2)
                add_pair(&files, &n, argv[i], argv[i + 1]);

        hr = qm_qmgr_connect(socket, &qm);
        if (QM_FAILED(hr))
                die_hr("cannot connect to the service", hr);

        if (attach) {
                /* Registrations are per process: after a restart, register again. */
                if (qm_guid_from_string(attach, &gid) != QM_S_OK)
                        die_hr(attach, QM_E_INVALIDARG);
                hr = qm_qmgr_get_group(qm, &gid, &group);
                if (QM_FAILED(hr))
                        die_hr("GetGroup", hr);
                hr = qm_group_set_notification_pointer(group, &callbacks, &st);
                if (QM_FAILED(hr))
                        die_hr("SetNotificationPointer", hr);
        } else {
                qm_variant flags = {.type = QM_VT_I4, .u.i4 = QM_NOTIFY_GROUP_DONE};
                qm_variant clsid = {.type = QM_VT_STR, .u.str = (char *)FETCH_CLSID};
                qm_job1 *job = NULL;
                qm_guid jid;

                if (QM_FAILED(hr = qm_guid_generate(&gid)) ||
                    QM_FAILED(hr = qm_qmgr_create_group(qm, &gid, &group)))
                        die_hr("CreateGroup", hr);
                if (QM_FAILED(hr = qm_guid_generate(&jid)) ||
                    QM_FAILED(hr = qm_group_create_job(group, &jid, &job)))
                        die_hr("CreateJob", hr);
                hr = qm_job1_add_files(job, n, files);
                qm_job1_release(job);
                if (QM_FAILED(hr)) {
                        qm_group_cancel(group);
                        die_hr("AddFiles", hr);
                }
                /* Errors are reported by default; completion only when asked for. */
                if (QM_FAILED(hr = qm_group_set_prop(group, GROUPPROP_NOTIFYFLAGS, &flags)))
                        die_hr("SetProp(NOTIFYFLAGS)", hr);
                /* The Linux form of CoCreateInstance(CLSID) for the callback: the class is
                 * registered in this process, then named on the group. */
                if (QM_FAILED(hr = qm_register_callback_class(FETCH_CLSID, &callbacks, &st)))
                        die_hr("qm_register_callback_class", hr);
                if (QM_FAILED(hr = qm_group_set_prop(group, GROUPPROP_NOTIFYCLSID, &clsid)))
                        die_hr("SetProp(NOTIFYCLSID)", hr);
        }
        qm_guid_to_string(&gid, id);
        printf("group %s\n", id);
        fflush(stdout);
        if (!attach && !no_resume && QM_FAILED(hr = qm_group_resume(group)))
                die_hr("ResumeGroup", hr);
        if (no_resume) {
                rc = 0;
                goto out;
        }

        /* The event loop: callbacks run inside qm_qmgr_dispatch(). A program with its own
         * poll loop would add qm_qmgr_get_fd(qm) to it instead. */
        start = time(NULL);
        while (!st.done) {
                hr = qm_qmgr_dispatch(qm, 1000);
                if (QM_FAILED(hr))
                        die_hr("lost the service", hr);
                if (timeout > 0 && time(NULL) - start >= timeout) {
                        fprintf(stderr, "fetch: timed out after %ld s\n", timeout);
                        rc = 124;
                        goto out;
                }
        }

        if (st.done > 0) {
                /* Legacy commit: CancelGroup renames the downloaded files into place. */
                hr = qm_group_cancel(group);
                if (QM_FAILED(hr))
                        die_hr("CancelGroup", hr);
                printf("done: %s\n", hr == BG_S_PARTIAL_COMPLETE ? "some files committed"
                                                                 : "every file committed");
                rc = 0;
        } else {
                print_error(group, &st);
                qm_group_cancel(group); /* keeps files already complete, removes the group */
                rc = 1;
        }
out:
        qm_group_release(group);
        qm_qmgr_release(qm);
        for (uint32_t i = 0; i < n; i++)
                qm_fileset_info_clear(&files[i]);
        free(files);
        return rc;
}
