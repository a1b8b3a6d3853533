/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fastpath/netif: every test that touches an interface first moves its own
 * process (Criterion runs each test in a fresh worker process) into a new
 * network namespace with unshare(CLONE_NEWNET), checks that it holds nothing
 * but lo, and creates a TAP there with /dev/net/tun; the host's interfaces
 * are never touched.  Results are checked with interfaces independent of
 * the code under test: if_nametoindex, ioctl(SIOCGIFFLAGS/SIOCGIFMTU),
 * getifaddrs, bind(2), /proc/sys, and an ARP exchange through the TAP.
 * Without root, or where unshare is refused (EPERM), those tests skip.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "dns/errcode.h"
#include "fastpath/netif.h"

#define TAP_NAME "dpnetif0"
#define MISSING_INDEX 9999 /* no such interface in a namespace holding lo and one TAP */

static int tap_fd = -1;
static int tap_index;

static const uint8_t a4[4] = { 198, 18, 0, 53 };
static const uint8_t a4b[4] = { 198, 18, 1, 53 };
static const uint8_t peer4[4] = { 198, 18, 0, 1 };
static const uint8_t a6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x53 };
static const uint8_t a6b[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 0x53 };

/* ---- a private namespace with one TAP ---- */

static void netns_enter(void)
{
	struct if_nameindex *ni;
	unsigned n = 0;

	if (geteuid() != 0)
		cr_skip_test("needs root (a private network namespace and a TAP)");
	if (unshare(CLONE_NEWNET) != 0) {
		if (errno == EPERM)
			cr_skip_test("unshare(CLONE_NEWNET) refused (EPERM)");
		cr_assert_fail("unshare(CLONE_NEWNET): %s", strerror(errno));
	}
	/* A fresh namespace holds only lo: proof we are not in the host's. */
	ni = if_nameindex();
	cr_assert_not_null(ni, "if_nameindex: %s", strerror(errno));
	for (struct if_nameindex *p = ni; p->if_index != 0; p++) {
		cr_assert_str_eq(p->if_name, "lo", "unexpected interface %s in a new namespace",
				 p->if_name);
		n++;
	}
	if_freenameindex(ni);
	cr_assert_eq(n, 1);
}

static void setup(void)
{
	struct ifreq ifr = { 0 };

	netns_enter();
	tap_fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
	cr_assert_geq(tap_fd, 0, "open /dev/net/tun: %s", strerror(errno));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", TAP_NAME);
	cr_assert_eq(ioctl(tap_fd, TUNSETIFF, &ifr), 0, "TUNSETIFF: %s", strerror(errno));
	tap_index = (int)if_nametoindex(TAP_NAME);
	cr_assert_gt(tap_index, 0);
}

static void teardown(void)
{
	/* The namespace, and the TAP in it, go with this worker process. */
	if (tap_fd >= 0)
		close(tap_fd);
	tap_fd = -1;
}

TestSuite(netif, .init = setup, .fini = teardown);

/* ---- independent views of the interface ---- */

static struct ifreq ifreq_get(unsigned long req)
{
	struct ifreq ifr = { 0 };
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	cr_assert_geq(s, 0);
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", TAP_NAME);
	cr_assert_eq(ioctl(s, req, &ifr), 0, "ioctl %lx: %s", req, strerror(errno));
	close(s);
	return ifr;
}

static bool tap_is_up(void)
{
	return (ifreq_get(SIOCGIFFLAGS).ifr_flags & IFF_UP) != 0;
}

static int tap_mtu(void)
{
	return ifreq_get(SIOCGIFMTU).ifr_mtu;
}

static unsigned mask_len(const struct sockaddr *m)
{
	const uint8_t *b;
	size_t n;
	unsigned len = 0;

	if (m->sa_family == AF_INET) {
		b = (const uint8_t *)&((const struct sockaddr_in *)m)->sin_addr;
		n = 4;
	} else {
		b = (const uint8_t *)&((const struct sockaddr_in6 *)m)->sin6_addr;
		n = 16;
	}
	for (size_t i = 0; i < n; i++)
		len += (unsigned)__builtin_popcount(b[i]);
	return len;
}

/*
 * How many addresses the TAP has (getifaddrs) equal to addr, with prefix
 * length plen (-1: any); *brd gets the IPv4 broadcast address when brd.
 */
static int tap_addr_count(int family, const uint8_t *addr, int plen, uint8_t *brd)
{
	struct ifaddrs *ifs;
	int n = 0;

	cr_assert_eq(getifaddrs(&ifs), 0, "getifaddrs: %s", strerror(errno));
	for (struct ifaddrs *i = ifs; i; i = i->ifa_next) {
		const void *a;

		if (!i->ifa_addr || i->ifa_addr->sa_family != family ||
		    strcmp(i->ifa_name, TAP_NAME) != 0)
			continue;
		if (family == AF_INET)
			a = &((const struct sockaddr_in *)i->ifa_addr)->sin_addr;
		else
			a = &((const struct sockaddr_in6 *)i->ifa_addr)->sin6_addr;
		if (memcmp(a, addr, family == AF_INET ? 4 : 16) != 0)
			continue;
		if (plen >= 0 && (!i->ifa_netmask || mask_len(i->ifa_netmask) != (unsigned)plen))
			continue;
		if (brd && family == AF_INET && i->ifa_broadaddr)
			memcpy(brd, &((const struct sockaddr_in *)i->ifa_broadaddr)->sin_addr, 4);
		n++;
	}
	freeifaddrs(ifs);
	return n;
}

/* bind(2) to addr (port 0): the kernel lets a socket bind only to a usable local address. */
static int bind_errno(int family, const uint8_t *addr)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t sl;
	int s = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc;

	cr_assert_geq(s, 0);
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, addr, 4);
		sl = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, addr, 16);
		sl = sizeof(*sin6);
	}
	rc = bind(s, (struct sockaddr *)&ss, sl) == 0 ? 0 : errno;
	close(s);
	return rc;
}

static void read_sysctl(const char *path, char *out, size_t cap)
{
	FILE *f = fopen(path, "r");

	cr_assert_not_null(f, "%s: %s", path, strerror(errno));
	cr_assert_not_null(fgets(out, (int)cap, f));
	fclose(f);
	out[strcspn(out, "\n")] = '\0';
}

/* ---- index ---- */

Test(netif, index)
{
	cr_assert_eq(fp_netif_index(TAP_NAME), tap_index);
	cr_assert_eq(fp_netif_index("lo"), (int)if_nametoindex("lo"));
	cr_assert_eq(fp_netif_index("nosuchif0"), DP_ENOENT);
	cr_assert_eq(fp_netif_index("abcdefghijklmno"), DP_ENOENT); /* 15: longest name */
	cr_assert_eq(fp_netif_index("abcdefghijklmnop"), DP_EINVAL);
	cr_assert_eq(fp_netif_index(""), DP_EINVAL);
	cr_assert_eq(fp_netif_index(NULL), DP_EINVAL);
}

/* ---- link up/down and MTU ---- */

Test(netif, up_down)
{
	cr_assert(!tap_is_up());
	cr_assert_eq(fp_netif_set_up(tap_index, true), 0);
	cr_assert(tap_is_up());
	cr_assert_eq(fp_netif_set_up(tap_index, true), 0, "up twice");
	cr_assert(tap_is_up());
	cr_assert_eq(fp_netif_set_up(tap_index, false), 0);
	cr_assert(!tap_is_up());
	cr_assert_eq(fp_netif_set_up(tap_index, false), 0, "down twice");
	cr_assert_eq(fp_netif_set_up(MISSING_INDEX, true), DP_ENOENT);
	cr_assert_eq(fp_netif_set_up(0, true), DP_EINVAL);
	cr_assert_eq(fp_netif_set_up(-3, true), DP_EINVAL);
	cr_assert(!tap_is_up());
}

Test(netif, mtu)
{
	cr_assert_eq(tap_mtu(), 1500);
	cr_assert_eq(fp_netif_set_mtu(tap_index, 9000), 0);
	cr_assert_eq(tap_mtu(), 9000);
	cr_assert_eq(fp_netif_set_up(tap_index, true), 0);
	cr_assert_eq(fp_netif_set_mtu(tap_index, 1280), 0, "while up");
	cr_assert_eq(tap_mtu(), 1280);
	cr_assert_str_eq(fp_netif_errmsg(), "");

	/* A TAP takes 68..65521 (65535 less its Ethernet header); the kernel refuses the rest. */
	cr_assert_eq(fp_netif_set_mtu(tap_index, 65522), DP_EINVAL);
	cr_assert(strstr(fp_netif_errmsg(), "mtu") != NULL, "extended ACK text: \"%s\"",
		  fp_netif_errmsg());
	cr_assert_eq(fp_netif_set_mtu(tap_index, 67), DP_EINVAL);
	cr_assert_eq(tap_mtu(), 1280, "a refused MTU changed the interface");
	cr_assert_eq(fp_netif_set_mtu(tap_index, 68), 0);
	cr_assert_eq(tap_mtu(), 68);
	cr_assert_eq(fp_netif_set_mtu(tap_index, 65521), 0);
	cr_assert_eq(tap_mtu(), 65521);
	cr_assert_str_eq(fp_netif_errmsg(), "", "errmsg not cleared by a success");

	cr_assert_eq(fp_netif_set_mtu(tap_index, 0), DP_EINVAL);
	cr_assert_eq(fp_netif_set_mtu(MISSING_INDEX, 1500), DP_ENOENT);
	cr_assert_eq(fp_netif_set_mtu(0, 1500), DP_EINVAL);
}

/* ---- addresses ---- */

Test(netif, addr4)
{
	uint8_t brd[4] = { 0 };
	static const uint8_t brd24[4] = { 198, 18, 0, 255 };

	cr_assert_eq(fp_netif_addr_add(tap_index, AF_INET, a4, 24), 0);
	cr_assert_eq(tap_addr_count(AF_INET, a4, 24, brd), 1);
	cr_assert_arr_eq(brd, brd24, 4, "broadcast %u.%u.%u.%u", brd[0], brd[1], brd[2], brd[3]);
	cr_assert_eq(fp_netif_addr_has(tap_index, AF_INET, a4, 24), 1);
	cr_assert_eq(fp_netif_addr_has(tap_index, AF_INET, a4, 25), 0);
	cr_assert_eq(fp_netif_addr_has(tap_index, AF_INET, a4b, 24), 0);
	cr_assert_eq(bind_errno(AF_INET, a4), 0, "the address is not local");

	cr_assert_eq(fp_netif_addr_add(tap_index, AF_INET, a4, 24), 0, "adding twice");
	cr_assert_eq(tap_addr_count(AF_INET, a4, -1, NULL), 1);

	/* IPv4 keeps the same address under another mask as a second entry. */
	cr_assert_eq(fp_netif_addr_add(tap_index, AF_INET, a4, 32), 0);
	cr_assert_eq(tap_addr_count(AF_INET, a4, 32, NULL), 1);
	cr_assert_eq(fp_netif_addr_add(tap_index, AF_INET, a4b, 16), 0);
	cr_assert_eq(tap_addr_count(AF_INET, a4b, 16, NULL), 1);

	/* Deletion must name the prefix length. */
	cr_assert_eq(fp_netif_addr_del(tap_index, AF_INET, a4, 25), DP_ENOENT);
	cr_assert_eq(fp_netif_addr_del(tap_index, AF_INET, a4, 32), 0);
	cr_assert_eq(tap_addr_count(AF_INET, a4, 32, NULL), 0);
	cr_assert_eq(tap_addr_count(AF_INET, a4, 24, NULL), 1, "deleting /32 took the /24");
	cr_assert_eq(fp_netif_addr_del(tap_index, AF_INET, a4, 24), 0);
	cr_assert_eq(tap_addr_count(AF_INET, a4, -1, NULL), 0);
	cr_assert_eq(fp_netif_addr_has(tap_index, AF_INET, a4, 24), 0);
	cr_assert_eq(bind_errno(AF_INET, a4), EADDRNOTAVAIL);
	cr_assert_eq(fp_netif_addr_del(tap_index, AF_INET, a4, 24), DP_ENOENT, "deleting twice");
	cr_assert_eq(tap_addr_count(AF_INET, a4b, 16, NULL), 1, "an unrelated address went");
	cr_assert_eq(fp_netif_addr_del(tap_index, AF_INET, a4b, 16), 0);

	cr_assert_eq(fp_netif_addr_add(MISSING_INDEX, AF_INET, a4, 24), DP_ENOENT);
	cr_assert_eq(fp_netif_addr_del(MISSING_INDEX, AF_INET, a4, 24), DP_ENOENT);
	cr_assert_eq(fp_netif_addr_has(MISSING_INDEX, AF_INET, a4, 24), 0);
}

Test(netif, addr4_edge_prefixes)
{
	uint8_t brd[4] = { 0 };
	static const uint8_t brd30[4] = { 198, 18, 0, 55 };

	/* /31 and /32 get no broadcast address; /30 does. */
	cr_assert_eq(fp_netif_addr_add(tap_index, AF_INET, a4, 30), 0);
	cr_assert_eq(tap_addr_count(AF_INET, a4, 30, brd), 1);
	cr_assert_arr_eq(brd, brd30, 4);
	cr_assert_eq(fp_netif_addr_add(tap_index, AF_INET, a4b, 31), 0);
	cr_assert_eq(tap_addr_count(AF_INET, a4b, 31, NULL), 1);
	cr_assert_eq(fp_netif_addr_add(tap_index, AF_INET, peer4, 32), 0);
	cr_assert_eq(tap_addr_count(AF_INET, peer4, 32, NULL), 1);
	cr_assert_eq(fp_netif_addr_del(tap_index, AF_INET, a4b, 31), 0);
	cr_assert_eq(fp_netif_addr_del(tap_index, AF_INET, peer4, 32), 0);
	cr_assert_eq(fp_netif_addr_del(tap_index, AF_INET, a4, 30), 0);
	cr_assert_eq(tap_addr_count(AF_INET, a4, -1, NULL), 0);
}

Test(netif, addr6)
{
	static const uint8_t mcast[16] = { 0xff, 0x02, [15] = 1 };
	static const uint8_t any[16] = { 0 };

	/* Up with carrier (the fd is open): without NODAD the address would be tentative. */
	cr_assert_eq(fp_netif_set_up(tap_index, true), 0);
	cr_assert_eq(fp_netif_addr_add(tap_index, AF_INET6, a6, 64), 0);
	cr_assert_eq(tap_addr_count(AF_INET6, a6, 64, NULL), 1);
	cr_assert_eq(bind_errno(AF_INET6, a6), 0, "not usable at once (tentative: DAD ran)");
	cr_assert_eq(fp_netif_addr_has(tap_index, AF_INET6, a6, 64), 1);
	cr_assert_eq(fp_netif_addr_has(tap_index, AF_INET6, a6, 128), 0);

	cr_assert_eq(fp_netif_addr_add(tap_index, AF_INET6, a6, 64), 0, "adding twice");
	cr_assert_eq(tap_addr_count(AF_INET6, a6, -1, NULL), 1);
	/* IPv6 keys addresses by address: another prefix length is a conflict. */
	cr_assert_eq(fp_netif_addr_add(tap_index, AF_INET6, a6, 48), DP_EEXIST);
	cr_assert_eq(tap_addr_count(AF_INET6, a6, 64, NULL), 1);
	cr_assert_eq(tap_addr_count(AF_INET6, a6, -1, NULL), 1);

	cr_assert_eq(fp_netif_addr_add(tap_index, AF_INET6, a6b, 128), 0);
	cr_assert_eq(tap_addr_count(AF_INET6, a6b, 128, NULL), 1);
	cr_assert_eq(bind_errno(AF_INET6, a6b), 0);

	cr_assert_eq(fp_netif_addr_del(tap_index, AF_INET6, a6, 48), DP_ENOENT);
	cr_assert_eq(fp_netif_addr_del(tap_index, AF_INET6, a6, 64), 0);
	cr_assert_eq(tap_addr_count(AF_INET6, a6, -1, NULL), 0);
	cr_assert_eq(bind_errno(AF_INET6, a6), EADDRNOTAVAIL);
	cr_assert_eq(fp_netif_addr_del(tap_index, AF_INET6, a6, 64), DP_ENOENT, "deleting twice");
	cr_assert_eq(tap_addr_count(AF_INET6, a6b, 128, NULL), 1, "an unrelated address went");

	/* Addresses no interface may have. */
	cr_assert_eq(fp_netif_addr_add(tap_index, AF_INET6, mcast, 64), DP_EINVAL);
	cr_assert_eq(fp_netif_addr_add(tap_index, AF_INET6, any, 64), DP_EINVAL);

	cr_assert_eq(fp_netif_addr_add(MISSING_INDEX, AF_INET6, a6, 64), DP_ENOENT);
	cr_assert_eq(fp_netif_addr_del(MISSING_INDEX, AF_INET6, a6, 64), DP_ENOENT);
}

Test(netif, addr6_down_then_up)
{
	/* Configured while down (as at startup, before the port starts), usable once up. */
	cr_assert_eq(fp_netif_addr_add(tap_index, AF_INET6, a6, 64), 0);
	cr_assert_eq(tap_addr_count(AF_INET6, a6, 64, NULL), 1);
	cr_assert_eq(fp_netif_set_up(tap_index, true), 0);
	cr_assert_eq(bind_errno(AF_INET6, a6), 0);
	cr_assert_eq(tap_addr_count(AF_INET6, a6, 64, NULL), 1);
}

Test(netif, no_ipv6_when_mtu_small)
{
	/* Under 1280 the kernel drops the interface's IPv6: adding fails, clearly. */
	cr_assert_eq(fp_netif_set_mtu(tap_index, 1200), 0);
	int rc = fp_netif_addr_add(tap_index, AF_INET6, a6, 64);
	cr_assert_lt(rc, 0);
	cr_assert_str_neq(dp_strerror(rc), "unknown error");
	cr_assert_eq(tap_addr_count(AF_INET6, a6, -1, NULL), 0);
}

/*
 * The point of it all: once configured, the kernel answers ARP for the
 * address on the TAP.  An ARP request is written into the TAP (as if
 * received on the wire) and the reply read back, bounded in frames and time.
 */
Test(netif, kernel_answers_arp)
{
	static const uint8_t peer_mac[6] = { 0x02, 0, 0, 0, 0, 0x01 };
	/* EtherType ARP; hardware Ethernet, protocol IPv4, lengths 6 and 4, opcode request */
	static const uint8_t arp_req[10] = { 0x08, 0x06, 0, 1, 0x08, 0, 6, 4, 0, 1 };
	uint8_t mac[6], req[42] = { 0 }, rx[2048];
	struct timespec t0, t;
	bool got = false;

	memcpy(mac, ifreq_get(SIOCGIFHWADDR).ifr_hwaddr.sa_data, 6);
	cr_assert_eq(fp_netif_addr_add(tap_index, AF_INET, a4, 24), 0);
	cr_assert_eq(fp_netif_set_up(tap_index, true), 0);

	memset(req, 0xff, 6); /* broadcast */
	memcpy(req + 6, peer_mac, 6);
	memcpy(req + 12, arp_req, sizeof(arp_req));
	memcpy(req + 22, peer_mac, 6);
	memcpy(req + 28, peer4, 4);
	memcpy(req + 38, a4, 4);
	cr_assert_eq(write(tap_fd, req, sizeof(req)), (ssize_t)sizeof(req), "write: %s",
		     strerror(errno));

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < 100 && !got; i++) {
		struct pollfd p = { .fd = tap_fd, .events = POLLIN };
		ssize_t n;

		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec > 3)
			break;
		if (poll(&p, 1, 500) <= 0)
			continue;
		n = read(tap_fd, rx, sizeof(rx));
		if (n < 42 || rx[12] != 0x08 || rx[13] != 0x06 || rx[21] != 2)
			continue; /* IPv6 router solicitations, MLD, ... */
		cr_assert_arr_eq(rx, peer_mac, 6, "reply not to the asker");
		cr_assert_arr_eq(rx + 22, mac, 6, "reply not with the TAP's MAC");
		cr_assert_arr_eq(rx + 28, a4, 4, "reply for another address");
		got = true;
	}
	cr_assert(got, "no ARP reply from the kernel");
}

/* ---- IPv6 sysctls ---- */

Test(netif, ipv6_conf)
{
	char v[64];

	cr_assert_eq(fp_netif_ipv6_conf(TAP_NAME, "accept_ra", "0"), 0);
	read_sysctl("/proc/sys/net/ipv6/conf/" TAP_NAME "/accept_ra", v, sizeof(v));
	cr_assert_str_eq(v, "0");
	cr_assert_eq(fp_netif_ipv6_conf(TAP_NAME, "accept_ra", "2"), 0);
	read_sysctl("/proc/sys/net/ipv6/conf/" TAP_NAME "/accept_ra", v, sizeof(v));
	cr_assert_str_eq(v, "2");
	cr_assert_eq(fp_netif_ipv6_conf("default", "autoconf", "0"), 0);
	read_sysctl("/proc/sys/net/ipv6/conf/default/autoconf", v, sizeof(v));
	cr_assert_str_eq(v, "0");

	cr_assert_eq(fp_netif_ipv6_conf("nosuchif0", "accept_ra", "0"), DP_ENOENT);
	cr_assert_eq(fp_netif_ipv6_conf(TAP_NAME, "no_such_key", "0"), DP_ENOENT);
	cr_assert_eq(fp_netif_ipv6_conf(TAP_NAME, "accept_ra", "zero"), DP_EINVAL, "kernel");
}

/*
 * Linux deletes an interface's IPv6 addresses when it goes down (net_tap's
 * rte_eth_dev_stop does that) unless keep_addr_on_down is set: first the
 * kernel's default, as a control, then with fp_netif_ipv6_defaults.
 */
Test(netif, ipv6_addr_lost_on_down_by_default)
{
	cr_assert_eq(fp_netif_set_up(tap_index, true), 0);
	cr_assert_eq(fp_netif_addr_add(tap_index, AF_INET6, a6, 64), 0);
	cr_assert_eq(fp_netif_addr_add(tap_index, AF_INET, a4, 24), 0);
	cr_assert_eq(fp_netif_set_up(tap_index, false), 0);
	cr_assert_eq(tap_addr_count(AF_INET6, a6, -1, NULL), 0, "kernel default changed?");
	cr_assert_eq(tap_addr_count(AF_INET, a4, 24, NULL), 1, "IPv4 stays");
}

Test(netif, ipv6_defaults_keep_addr_on_down)
{
	char v[64];

	cr_assert_eq(fp_netif_ipv6_defaults(TAP_NAME), 0);
	read_sysctl("/proc/sys/net/ipv6/conf/" TAP_NAME "/keep_addr_on_down", v, sizeof(v));
	cr_assert_str_eq(v, "1");
	read_sysctl("/proc/sys/net/ipv6/conf/" TAP_NAME "/accept_ra", v, sizeof(v));
	cr_assert_str_eq(v, "0");
	read_sysctl("/proc/sys/net/ipv6/conf/" TAP_NAME "/autoconf", v, sizeof(v));
	cr_assert_str_eq(v, "0");

	cr_assert_eq(fp_netif_set_up(tap_index, true), 0);
	cr_assert_eq(fp_netif_addr_add(tap_index, AF_INET6, a6, 64), 0);
	cr_assert_eq(fp_netif_set_up(tap_index, false), 0);
	cr_assert_eq(tap_addr_count(AF_INET6, a6, 64, NULL), 1, "IPv6 address gone on down");
	cr_assert_eq(fp_netif_set_up(tap_index, true), 0);
	cr_assert_eq(bind_errno(AF_INET6, a6), 0);

	cr_assert_eq(fp_netif_ipv6_defaults("nosuchif0"), DP_ENOENT);
	cr_assert_eq(fp_netif_ipv6_defaults("a/b"), DP_EINVAL);
}

/* ---- arguments: refused before any syscall ---- */

/*
 * With RLIMIT_NOFILE at 0 any socket() or open() fails with EMFILE, so a
 * call that answers DP_EINVAL there made no syscall before checking.  Needs
 * no privilege and no namespace: no valid request is made (the one control
 * call that is valid cannot open its socket).
 */
Test(netif_args, invalid_without_syscall)
{
	static const uint8_t a[16] = { 198, 18, 0, 53 };
	char v64[65];
	struct rlimit saved, none;

	memset(v64, 'a', 64); /* one over the key and value limit */
	v64[64] = '\0';

	cr_assert_eq(getrlimit(RLIMIT_NOFILE, &saved), 0);
	none = (struct rlimit){ .rlim_cur = 0, .rlim_max = saved.rlim_max };
	cr_assert_eq(setrlimit(RLIMIT_NOFILE, &none), 0);

	/* Control: a valid call does reach socket() and fails there. */
	int control = fp_netif_index("lo");
	int r[] = {
		fp_netif_addr_add(1, AF_UNSPEC, a, 24),
		fp_netif_addr_add(1, AF_PACKET, a, 24),
		fp_netif_addr_add(1, AF_INET, a, 33),
		fp_netif_addr_add(1, AF_INET6, a, 129),
		fp_netif_addr_add(1, AF_INET, NULL, 24),
		fp_netif_addr_add(0, AF_INET, a, 24),
		fp_netif_addr_add(-1, AF_INET6, a, 64),
		fp_netif_addr_del(1, AF_UNSPEC, a, 24),
		fp_netif_addr_del(1, AF_INET, a, 33),
		fp_netif_addr_del(1, AF_INET6, a, 200),
		fp_netif_addr_del(1, AF_INET6, NULL, 64),
		fp_netif_addr_del(0, AF_INET, a, 24),
		fp_netif_addr_has(1, AF_INET, a, 33),
		fp_netif_addr_has(1, 12345, a, 8),
		fp_netif_set_up(0, true),
		fp_netif_set_up(-1, false),
		fp_netif_set_mtu(0, 1500),
		fp_netif_set_mtu(1, 0),
		fp_netif_index(NULL),
		fp_netif_index(""),
		fp_netif_index("0123456789abcdef"),
		fp_netif_ipv6_conf(NULL, "accept_ra", "0"),
		fp_netif_ipv6_conf("lo", NULL, "0"),
		fp_netif_ipv6_conf("lo", "accept_ra", NULL),
		fp_netif_ipv6_conf("", "accept_ra", "0"),
		fp_netif_ipv6_conf("..", "accept_ra", "0"),
		fp_netif_ipv6_conf(".", "accept_ra", "0"),
		fp_netif_ipv6_conf("a/b", "accept_ra", "0"),
		fp_netif_ipv6_conf("a b", "accept_ra", "0"),
		fp_netif_ipv6_conf("0123456789abcdef", "accept_ra", "0"),
		fp_netif_ipv6_conf("lo", "../../ipv4/ip_forward", "1"),
		fp_netif_ipv6_conf("lo", "Accept_RA", "0"),
		fp_netif_ipv6_conf("lo", "", "0"),
		fp_netif_ipv6_conf("lo", "accept_ra", ""),
		fp_netif_ipv6_conf("lo", "accept_ra", "1 2"),
		fp_netif_ipv6_conf("lo", "accept_ra", "1\n"),
		fp_netif_ipv6_conf("lo", "accept_ra", v64),
		fp_netif_ipv6_conf("lo", v64, "0"),
		fp_netif_ipv6_defaults(NULL),
		fp_netif_ipv6_defaults(""),
	};

	cr_assert_eq(setrlimit(RLIMIT_NOFILE, &saved), 0);
	cr_assert_eq(control, -EMFILE, "control call: %d (%s)", control, dp_strerror(control));
	for (size_t i = 0; i < sizeof(r) / sizeof(r[0]); i++)
		cr_expect_eq(r[i], DP_EINVAL, "case %zu: %d (%s)", i, r[i], dp_strerror(r[i]));
}
