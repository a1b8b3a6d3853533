/* SPDX-License-Identifier: BSD-3-Clause */
#include <criterion/criterion.h>
#include <string.h>

#include "daemon/eal_args.h"
#include "dns/errcode.h"

static void expect_split(const char *s, const char *const *want, int nwant)
{
	int argc = -1;
	char **argv = NULL;
	cr_assert_eq(dd_eal_args_split("prog", s, &argc, &argv), 0, "split [%s]", s);
	cr_assert_eq(argc, nwant + 1, "[%s]: %d words", s, argc - 1);
	cr_expect_str_eq(argv[0], "prog");
	for (int i = 0; i < nwant; i++)
		cr_expect_str_eq(argv[i + 1], want[i], "[%s] word %d", s, i);
	cr_expect_null(argv[argc]);
	dd_eal_args_free(argv);
}

Test(eal_args, words)
{
	const char *w[] = {"-l", "0-1", "--no-huge", "-m", "512",
			   "--vdev=net_af_packet0,iface=veth1"};
	expect_split("-l 0-1 --no-huge -m 512 --vdev=net_af_packet0,iface=veth1", w, 6);
	expect_split("  \t-l\t0-1  --no-huge\n-m 512   --vdev=net_af_packet0,iface=veth1  ", w, 6);
	expect_split("", NULL, 0);
	expect_split("   ", NULL, 0);
}

Test(eal_args, quotes)
{
	const char *a[] = {"--vdev=net_memif0,socket=/run/a b.sock", "x"};
	expect_split("'--vdev=net_memif0,socket=/run/a b.sock' x", a, 2);
	expect_split("--vdev=net_memif0,socket=\"/run/a b.sock\" x", a, 2);
	expect_split("--vdev=net_memif0,socket=/run/a\\ b.sock x", a, 2);
	const char *b[] = {"say \"hi\" \\"};
	expect_split("\"say \\\"hi\\\" \\\\\"", b, 1);
	const char *c[] = {"", "a"};
	expect_split("'' a", c, 2);
	const char *d[] = {"it's"};
	expect_split("it\\'s", d, 1);
}

Test(eal_args, errors)
{
	int argc = 0;
	char **argv = NULL;
	cr_expect_eq(dd_eal_args_split("p", "'open", &argc, &argv), DP_ESYNTAX);
	cr_expect_eq(dd_eal_args_split("p", "a \"open", &argc, &argv), DP_ESYNTAX);
	cr_expect_eq(dd_eal_args_split("p", "trailing\\", &argc, &argv), DP_ESYNTAX);
	cr_expect_null(argv);
	dd_eal_args_free(NULL);
}

Test(eal_args, many_short_words)
{
	char s[2001];
	for (int i = 0; i < 1000; i++) {
		s[2 * i] = 'x';
		s[2 * i + 1] = ' ';
	}
	s[2000] = '\0';
	int argc = 0;
	char **argv = NULL;
	cr_assert_eq(dd_eal_args_split("p", s, &argc, &argv), 0);
	cr_expect_eq(argc, 1001);
	dd_eal_args_free(argv);
	s[1999] = 'y'; /* no trailing blank: still 1000 words */
	cr_assert_eq(dd_eal_args_split("p", s, &argc, &argv), 0);
	cr_expect_eq(argc, 1001);
	cr_expect_str_eq(argv[1000], "xy");
	dd_eal_args_free(argv);
}
