/* test-notify-cmd.c - splitting the notification command line (src/daemon/notify-cmd.c):
 * no shell is involved, so the service's own rule decides what the arguments are. */
#include <stdlib.h>

#include "qmgrd.h"
#include "unit.h"

static void check(const char *line, const char *const *want)
{
        char **argv = notify_cmd_split(line);
        size_t i;

        ASSERT_TRUE(argv != NULL);
        for (i = 0; want[i]; i++) {
                ASSERT_TRUE(argv[i] != NULL);
                ASSERT_EQ_STR(want[i], argv[i]);
        }
        ASSERT_TRUE(argv[i] == NULL);
        free(argv);
}

TEST(split_plain_and_quoted)
{
        check("prog a  b\tc", (const char *const[]){"prog", "a", "b", "c", NULL});
        check("  prog  ", (const char *const[]){"prog", NULL});
        check("prog \"a b\" c", (const char *const[]){"prog", "a b", "c", NULL});
        check("prog x\"y z\"w", (const char *const[]){"prog", "xy zw", NULL});
        check("prog \"\"", (const char *const[]){"prog", "", NULL});
        check("prog \\\"q\\\" \\\\", (const char *const[]){"prog", "\"q\"", "\\", NULL});
        check("prog ; rm -rf / $(x) `y` | z",
              (const char *const[]){"prog", ";", "rm", "-rf", "/", "$(x)", "`y`", "|", "z", NULL});
        check("", (const char *const[]){NULL});
}

TEST(split_refuses_unbalanced_quote)
{
        errno = 0;
        ASSERT_TRUE(notify_cmd_split("prog \"a b") == NULL);
        ASSERT_EQ_INT(EINVAL, errno);
}

TEST(split_worst_case_fits)
{
        /* Every other byte starts an argument: the one-block allocation must hold them. */
        char line[2001];
        char **argv;
        int n = 0;

        for (int i = 0; i < 2000; i++)
                line[i] = (i % 2) ? ' ' : 'x';
        line[2000] = '\0';
        argv = notify_cmd_split(line);
        ASSERT_TRUE(argv != NULL);
        while (argv[n])
                n++;
        ASSERT_EQ_INT(1000, n);
        free(argv);
}
