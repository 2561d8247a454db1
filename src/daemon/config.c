/* config.c - qmgrd's settings: embedded defaults, then the config file (`key = value`
 * lines), then the command line, where every key is also `--key value` with underscores
 * written as dashes (CLI.md). */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "qmgrd.h"

void config_defaults(struct config *c)
{
        memset(c, 0, sizeof(*c));
        c->log_level = LOG_INFO;
        c->max_active_transfers = 4;
        c->min_retry_delay = 600;
        c->no_progress_timeout = 14 * 24 * 3600;
        c->checkpoint_bytes = 64u << 20;
        c->checkpoint_seconds = 5;
        c->max_groups_per_user = 1000;
        c->max_files_per_job = 100000;
        c->low_speed_time = 60;
        c->connect_timeout = 30;
        c->max_connections_per_user = 256;
        c->client_message_timeout = 30;
}

void config_free(struct config *c)
{
        free(c->socket_path);
        free(c->state_dir);
        free(c->config_file);
        free(c->ca_file);
        memset(c, 0, sizeof(*c));
}

static int set_string(char **dst, const char *v)
{
        char *s = strdup(v);

        if (!s)
                return -ENOMEM;
        free(*dst);
        *dst = s;
        return 0;
}

static int parse_u64(const char *v, uint64_t max, uint64_t *ret)
{
        char *end;
        unsigned long long x;

        errno = 0;
        if (!*v || *v == '-')
                return -EINVAL;
        x = strtoull(v, &end, 10);
        if (errno || *end || x > max)
                return -EINVAL;
        *ret = x;
        return 0;
}

/* Where a problem with the settings goes: plain on stderr when the service starts (a usage
 * error, exit 2), a logged error when SIGHUP reads them again (the service keeps running). */
static bool reloading;

static void complain(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void complain(const char *fmt, ...)
{
        char msg[1024];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        if (reloading)
                log_error("SIGHUP: %s", msg);
        else
                fprintf(stderr, "qmgrd: %s\n", msg);
}

/* The settings, by key. Each is one row: the config file and the command line share it. */
enum kind { K_STR, K_U32, K_U64, K_LEVEL };
static const struct key {
        const char *name;
        enum kind kind;
        size_t offset;
} keys[] = {
        {"socket", K_STR, offsetof(struct config, socket_path)},
        {"state_dir", K_STR, offsetof(struct config, state_dir)},
        {"ca_file", K_STR, offsetof(struct config, ca_file)},
        {"log_level", K_LEVEL, offsetof(struct config, log_level)},
        {"max_active_transfers", K_U32, offsetof(struct config, max_active_transfers)},
        {"min_retry_delay", K_U32, offsetof(struct config, min_retry_delay)},
        {"no_progress_timeout", K_U32, offsetof(struct config, no_progress_timeout)},
        {"checkpoint_bytes", K_U64, offsetof(struct config, checkpoint_bytes)},
        {"checkpoint_seconds", K_U32, offsetof(struct config, checkpoint_seconds)},
        {"max_groups_per_user", K_U32, offsetof(struct config, max_groups_per_user)},
        {"max_files_per_job", K_U32, offsetof(struct config, max_files_per_job)},
        {"low_speed_time", K_U32, offsetof(struct config, low_speed_time)},
        {"connect_timeout", K_U32, offsetof(struct config, connect_timeout)},
        {"max_connections_per_user", K_U32, offsetof(struct config, max_connections_per_user)},
        {"client_message_timeout", K_U32, offsetof(struct config, client_message_timeout)},
};

static const struct key *key_find(const char *name)
{
        for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
                if (strcmp(keys[i].name, name) == 0)
                        return &keys[i];
        return NULL;
}

static int key_set(struct config *c, const struct key *k, const char *v)
{
        char *p = (char *)c + k->offset;
        uint64_t x;
        int r;

        switch (k->kind) {
        case K_STR:
                return set_string((char **)p, v);
        case K_U32:
                r = parse_u64(v, UINT32_MAX, &x);
                if (r == 0)
                        *(uint32_t *)p = (uint32_t)x;
                return r;
        case K_U64:
                r = parse_u64(v, INT64_MAX, &x);
                if (r == 0)
                        *(uint64_t *)p = x;
                return r;
        case K_LEVEL:
                r = log_level_from_name(v);
                if (r < 0)
                        return -EINVAL;
                *(int *)p = r;
                return 0;
        }
        return -EINVAL;
}

static char *trim(char *s)
{
        char *e;

        while (*s == ' ' || *s == '\t')
                s++;
        e = s + strlen(s);
        while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
                *--e = '\0';
        return s;
}

static int config_load_file(struct config *c, const char *path, bool must_exist)
{
        char line[8192];
        unsigned lineno = 0;
        FILE *f = fopen(path, "re");
        int r = 0;

        if (!f) {
                if (!must_exist && errno == ENOENT)
                        return 0;
                complain("cannot open config file '%s': %s", path, strerror(errno));
                return -EINVAL;
        }
        while (fgets(line, sizeof(line), f)) {
                char *s = trim(line), *eq;
                const struct key *k;

                lineno++;
                if (!*s || *s == '#')
                        continue;
                eq = strchr(s, '=');
                if (!eq) {
                        complain("%s:%u: expected 'key = value'", path, lineno);
                        r = -EINVAL;
                        break;
                }
                *eq = '\0';
                k = key_find(trim(s));
                if (!k || key_set(c, k, trim(eq + 1)) < 0) {
                        complain("%s:%u: bad setting '%s'", path, lineno, trim(s));
                        r = -EINVAL;
                        break;
                }
        }
        fclose(f);
        return r;
}

static void usage(FILE *out)
{
        fprintf(out,
                "Usage: qmgrd [--user | --system] [--socket PATH] [--state-dir DIR]\n"
                "             [--config FILE] [--foreground] [--log-level LEVEL] [--KEY VALUE]...\n"
                "\n"
                "The qmgr background transfer service (BITS Queue Manager for Linux).\n"
                "\n"
                "  --user              run for the invoking user (default)\n"
                "  --system            run as the system service for every user (not yet "
                "supported)\n"
                "  --socket PATH       the Unix socket to listen on\n"
                "  --state-dir DIR     where the queue database lives\n"
                "  --config FILE       a file of 'key = value' settings\n"
                "  --foreground        stay in the foreground (always the case)\n"
                "  --log-level L       debug, info, warning or error\n"
                "  --help, --version\n"
                "\n"
                "Settings (config file keys; also --key-with-dashes VALUE):\n");
        for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
                fprintf(out, "  %s\n", keys[i].name);
}

/* Fills the mode's default socket and state paths for those not set. */
static int config_default_paths(struct config *c)
{
        const char *xdg_state = getenv("XDG_STATE_HOME"), *xdg_run = getenv("XDG_RUNTIME_DIR");
        const char *home = getenv("HOME");
        char buf[PATH_MAX];

        if (c->system_mode) {
                if (!c->state_dir && set_string(&c->state_dir, "/var/lib/qmgr") < 0)
                        return -ENOMEM;
                if (!c->socket_path && set_string(&c->socket_path, "/run/qmgr/qmgrd.sock") < 0)
                        return -ENOMEM;
                return 0;
        }
        if (!home || !*home) {
                struct passwd *pw = getpwuid(getuid());

                home = pw ? pw->pw_dir : "/";
        }
        if (!c->state_dir) {
                if (xdg_state && *xdg_state == '/')
                        snprintf(buf, sizeof(buf), "%s/qmgr", xdg_state);
                else
                        snprintf(buf, sizeof(buf), "%s/.local/state/qmgr", home);
                if (set_string(&c->state_dir, buf) < 0)
                        return -ENOMEM;
        }
        if (!c->socket_path) {
                if (xdg_run && *xdg_run == '/')
                        snprintf(buf, sizeof(buf), "%s/qmgr/qmgrd.sock", xdg_run);
                else
                        snprintf(buf, sizeof(buf), "/tmp/qmgr-%u/qmgrd.sock", (unsigned)getuid());
                if (set_string(&c->socket_path, buf) < 0)
                        return -ENOMEM;
        }
        return 0;
}

int config_parse(struct config *c, int argc, char **argv)
{
        /* Two passes: the first finds --config and the mode, the second applies the command
         * line over the file so that the command line wins. */
        const char *file = NULL;
        bool must_exist = false;

        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
                        usage(stdout);
                        return 1;
                }
                if (strcmp(argv[i], "--version") == 0) {
                        printf("qmgrd %s\n", QMGR_VERSION);
                        return 1;
                }
                if (strcmp(argv[i], "--system") == 0)
                        c->system_mode = true;
                else if (strcmp(argv[i], "--user") == 0)
                        c->system_mode = false;
                else if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
                        file = argv[++i];
                        must_exist = true;
                }
        }
        if (!file && c->system_mode)
                file = "/etc/qmgr/qmgrd.conf";
        if (file) {
                if (set_string(&c->config_file, file) < 0)
                        return -ENOMEM;
                if (config_load_file(c, file, must_exist) < 0)
                        return -EINVAL;
        }
        for (int i = 1; i < argc; i++) {
                const char *a = argv[i];
                char name[64];
                const struct key *k;

                if (strcmp(a, "--system") == 0 || strcmp(a, "--user") == 0 ||
                    strcmp(a, "--foreground") == 0)
                        continue;
                if (strcmp(a, "--config") == 0) {
                        i++;
                        continue;
                }
                if (strncmp(a, "--", 2) != 0 || strlen(a + 2) >= sizeof(name)) {
                        complain("unexpected argument '%s' (see --help)", a);
                        return -EINVAL;
                }
                snprintf(name, sizeof(name), "%s", a + 2);
                for (char *p = name; *p; p++)
                        if (*p == '-')
                                *p = '_';
                k = key_find(name);
                if (!k) {
                        complain("unknown option '%s' (see --help)", a);
                        return -EINVAL;
                }
                if (i + 1 >= argc) {
                        complain("option '%s' needs a value", a);
                        return -EINVAL;
                }
                if (key_set(c, k, argv[++i]) < 0) {
                        complain("bad value '%s' for '%s'", argv[i], a);
                        return -EINVAL;
                }
        }
        if (c->max_active_transfers == 0 || c->checkpoint_seconds == 0 ||
            c->max_files_per_job == 0 || c->max_groups_per_user == 0 ||
            c->max_connections_per_user == 0 || c->client_message_timeout == 0) {
                complain("max_active_transfers, checkpoint_seconds, client_message_timeout and the "
                         "limits must be at least 1");
                return -EINVAL;
        }
        return config_default_paths(c);
}

/* The socket and the state directory cannot change while the service runs (it listens on the
 * one and holds the other locked): a new value is reported and the current one kept. */
static int keep_fixed(const char *key, char **next, const char *cur)
{
        if (!*next || !cur || strcmp(*next, cur) == 0) /* both set by config_default_paths */
                return 0;
        log_warn("SIGHUP: %s cannot change while qmgrd runs (restart it to use '%s'); keeping '%s'",
                 key, *next, cur);
        return set_string(next, cur);
}

int config_reload(const struct config *cur, int argc, char **argv, struct config *next)
{
        int r;

        config_defaults(next);
        reloading = true;
        r = config_parse(next, argc, argv);
        reloading = false;
        if (r == 0 && (keep_fixed("socket", &next->socket_path, cur->socket_path) < 0 ||
                       keep_fixed("state_dir", &next->state_dir, cur->state_dir) < 0))
                r = -ENOMEM;
        if (r != 0) {
                config_free(next);
                return r < 0 ? r : -EINVAL;
        }
        return 0;
}
