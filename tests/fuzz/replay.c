/* replay.c - runs a fuzz target on every input of its corpus, without libFuzzer.
 *
 *   replay-NAME PATH...
 *
 * Each PATH is a file or a directory (its regular files, in name order, dot files skipped).
 * Prints one line per input before running it, so the last line names an input that crashed,
 * then "replay: 1 passed, 0 failed" (tests/summarize.py counts one test per target). A crash
 * or a sanitizer report ends the process: the test fails. No input at all is a failure too,
 * so a missing corpus never passes in silence. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

static int run_file(const char *path)
{
        FILE *f = fopen(path, "rb");
        unsigned char *buf = NULL;
        size_t len = 0, cap = 0;

        if (!f) {
                fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
                return -1;
        }
        for (;;) {
                size_t n;

                if (cap - len < 65536) {
                        unsigned char *nb = realloc(buf, cap + 65536);

                        if (!nb) {
                                fclose(f);
                                free(buf);
                                return -1;
                        }
                        buf = nb;
                        cap += 65536;
                }
                n = fread(buf + len, 1, cap - len, f);
                len += n;
                if (n == 0)
                        break;
        }
        if (ferror(f)) {
                fprintf(stderr, "replay: %s: read error\n", path);
                fclose(f);
                free(buf);
                return -1;
        }
        fclose(f);
        printf("input %s (%zu bytes)\n", path, len);
        fflush(stdout);
        /* A copy of exactly len bytes, so that ASan catches a read past the input's end. */
        {
                unsigned char *exact = malloc(len ? len : 1);

                if (!exact) {
                        free(buf);
                        return -1;
                }
                memcpy(exact, buf, len);
                free(buf);
                LLVMFuzzerTestOneInput(exact, len);
                free(exact);
        }
        return 0;
}

static int only_files(const struct dirent *e)
{
        return e->d_name[0] != '.';
}

int main(int argc, char **argv)
{
        long inputs = 0;
        int bad = 0;

        for (int i = 1; i < argc; i++) {
                struct stat st;
                struct dirent **names;
                int n;

                if (stat(argv[i], &st) < 0) {
                        fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
                        bad = 1;
                        continue;
                }
                if (!S_ISDIR(st.st_mode)) {
                        bad |= run_file(argv[i]) < 0;
                        inputs++;
                        continue;
                }
                n = scandir(argv[i], &names, only_files, alphasort);
                if (n < 0) {
                        fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
                        bad = 1;
                        continue;
                }
                for (int k = 0; k < n; k++) {
                        char path[4096];

                        snprintf(path, sizeof(path), "%s/%s", argv[i], names[k]->d_name);
                        if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
                                bad |= run_file(path) < 0;
                                inputs++;
                        }
                        free(names[k]);
                }
                free(names);
        }
        if (inputs == 0) {
                fprintf(stderr, "replay: no inputs\n");
                bad = 1;
        }
        printf("replayed %ld input(s)\n", inputs);
        printf("replay: %d passed, %d failed\n", bad ? 0 : 1, bad ? 1 : 0);
        return bad;
}
