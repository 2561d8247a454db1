/* main.c - qmgr, the command-line client (CLI.md): global options, the command table and
 * dispatch. Each command lives in a cmd-*.c file and returns the process exit code.
 * Errors go to stderr; stdout carries only the answer. */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const struct cmd commands[] = {
        {"create", cmd_create, "[--name N] [--description D] [--id GUID] [--foreground]",
         "new group with its job; prints the group GUID"},
        {"addfile", cmd_addfile, "GROUP URL LOCAL", "add one file"},
        {"addfileset", cmd_addfileset, "GROUP LISTFILE",
         "add files from a list (URL LOCAL per line, # comments, - = stdin); all or nothing"},
        {"resume", cmd_resume, "GROUP", "queue the group for transfer"},
        {"suspend", cmd_suspend, "GROUP", "stop transferring the group"},
        {"foreground", cmd_foreground, "GROUP", "transfer the group in the foreground"},
        {"cancel", cmd_cancel, "GROUP",
         "legacy cancel: commit fully transferred files, delete partial ones, remove the group"},
        {"complete", cmd_complete, "GROUP", "commit fully transferred files, remove the group"},
        {"abort", cmd_abort, "GROUP", "remove the group and its temporary files, commit nothing"},
        {"status", cmd_status, "GROUP", "the status bits"},
        {"progress", cmd_progress, "GROUP", "bytes transferred, total and percent"},
        {"info", cmd_info, "GROUP", "everything about the group"},
        {"files", cmd_files, "GROUP", "one line per file"},
        {"list", cmd_list, "[--all-users]", "the caller's groups"},
        {"getprop", cmd_getprop, "GROUP PROP", "read a group property"},
        {"setprop", cmd_setprop, "GROUP PROP VALUE", "set a group property"},
        {"setpriority", cmd_setpriority, "GROUP foreground|high|normal|low",
         "set the job priority"},
        {"setretrydelay", cmd_setretrydelay, "GROUP SECONDS", "set the minimum retry delay"},
        {"setnoprogresstimeout", cmd_setnoprogresstimeout, "GROUP SECONDS",
         "set the no-progress timeout"},
        {"setnotifycmdline", cmd_setnotifycmdline, "GROUP PROGRAM [ARG...]",
         "run a program when the job finishes or fails"},
        {"wait", cmd_wait, "GROUP [--timeout S]",
         "block until the group is complete (exit 0) or in error (1); 124 on time-out"},
        {"monitor", cmd_monitor, "[GROUP]",
         "live view of the groups (a table on a terminal, else one JSON event per line)"},
        {"get", cmd_get, "[--foreground] [--name N] URL LOCAL [URL LOCAL ...]",
         "one-shot transfer: create, add, resume, wait, then complete (or abort on error)"},
        {"reset", cmd_reset, "[--all-users]", "abort every group of the caller"},
        {"version", cmd_version, "", "client and service versions"},
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
        fputs("Usage: qmgr [--socket PATH] [--json] [--no-autostart] COMMAND [ARGS...]\n"
              "\n"
              "Options:\n"
              "  --socket PATH    the service socket (default: $QMGR_SOCKET, else the per-user\n"
              "                   service)\n"
              "  --json           print one JSON document on stdout\n"
              "  --no-autostart   do not start qmgrd when it is not running\n"
              "  --help           this text; COMMAND --help tells about one command\n"
              "\n"
              "Commands:\n",
              f);
        for (size_t i = 0; i < N_COMMANDS; i++)
                fprintf(f, "  %-22s%s\n", commands[i].name, commands[i].summary);
        fputs("\nGROUP is a group GUID (braces optional) or its display name.\n"
              "Exit codes: 0 success, 1 failure, 2 usage error, 3 service unavailable,\n"
              "124 `wait` timed out.\n",
              f);
}

static void cmd_usage(FILE *f, const struct cmd *cmd)
{
        fprintf(f, "Usage: qmgr [OPTIONS] %s%s%s\n%s\n", cmd->name, cmd->args[0] ? " " : "",
                cmd->args, cmd->summary);
}

int cmd_usage_error(const struct cmd *cmd, const char *fmt, ...)
{
        va_list ap;

        fprintf(stderr, "qmgr: %s: ", cmd->name);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        cmd_usage(stderr, cmd);
        return EXIT_USAGE;
}

/* `--help` anywhere before a `--` asks for the command's usage. */
static bool wants_help(int argc, char **argv)
{
        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--") == 0)
                        return false;
                if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
                        return true;
        }
        return false;
}

int main(int argc, char **argv)
{
        static const struct option opts[] = {
                {"socket", required_argument, NULL, 's'}, {"json", no_argument, NULL, 'j'},
                {"no-autostart", no_argument, NULL, 'n'}, {"help", no_argument, NULL, 'h'},
                {"version", no_argument, NULL, 'V'},      {NULL, 0, NULL, 0},
        };
        struct ctx ctx = {0};
        const struct cmd *cmd = NULL;
        int c, r;

        /* "+": global options end at the command name. */
        while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
                switch (c) {
                case 's':
                        ctx.socket = optarg;
                        break;
                case 'j':
                        ctx.json = true;
                        break;
                case 'n':
                        if (setenv("QMGR_NO_AUTOSTART", "1", 1) < 0) {
                                perror("qmgr: setenv");
                                return EXIT_FAILED;
                        }
                        break;
                case 'h':
                        usage(stdout);
                        return EXIT_OK;
                case 'V':
                        printf("qmgr %s\n", QMGR_VERSION);
                        return EXIT_OK;
                default:
                        usage(stderr);
                        return EXIT_USAGE;
                }
        }
        if (optind >= argc) {
                fputs("qmgr: no command given\n", stderr);
                usage(stderr);
                return EXIT_USAGE;
        }
        for (size_t i = 0; i < N_COMMANDS; i++) {
                if (strcmp(commands[i].name, argv[optind]) == 0)
                        cmd = &commands[i];
        }
        if (!cmd) {
                fprintf(stderr, "qmgr: unknown command '%s'\n", argv[optind]);
                usage(stderr);
                return EXIT_USAGE;
        }
        argc -= optind;
        argv += optind;
        if (wants_help(argc, argv)) {
                cmd_usage(stdout, cmd);
                return EXIT_OK;
        }
        optind = 0; /* glibc: reinitialise getopt for the command's own options */
        r = cmd->run(&ctx, cmd, argc, argv);
        qm_qmgr_release(ctx.qm);
        if (fflush(stdout) != 0 && r == EXIT_OK) {
                perror("qmgr: stdout");
                r = EXIT_FAILED;
        }
        return r;
}
