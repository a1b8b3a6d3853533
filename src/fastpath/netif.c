/* SPDX-License-Identifier: BSD-3-Clause */
#include "fastpath/netif.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "dns/errcode.h"

#define NL_REQ_CAP 128	 /* payload room of a request; ours need at most 48 */
#define NL_RX_CAP 32768	 /* a dump datagram fits (the kernel's are <= 32 KiB) */
#define NL_RECV_MAX 4096 /* datagrams read per call at most (with the deadline) */
#define NL_ERRMSG_CAP 128
#define NL_DUMP_TRIES 3	   /* an RTM_GETADDR dump interrupted by changes is retried */
#define SYSCTL_WORD_MAX 63 /* key and value length limit of fp_netif_ipv6_conf */

/*
 * One request: the header, then the family header and attributes packed
 * behind it.  body[] directly follows nh (16 octets, no padding), so the
 * message is nh.nlmsg_len contiguous octets from &nh.
 */
struct nl_req {
	struct nlmsghdr nh;
	uint8_t body[NL_REQ_CAP];
};

/* Per reply message (not NLMSG_ERROR/DONE): 0 to read on, < 0 to stop with that code. */
typedef int (*nl_msg_fn)(const struct nlmsghdr *nh, void *ctx);

static __thread char nl_errmsg[NL_ERRMSG_CAP];
static __thread uint32_t nl_seq;

const char *fp_netif_errmsg(void)
{
	return nl_errmsg;
}

static void nl_req_init(struct nl_req *r, uint16_t type, uint16_t flags, const void *hdr,
			size_t hdr_len)
{
	assert(hdr_len <= NL_REQ_CAP);
	memset(r, 0, sizeof(*r));
	r->nh.nlmsg_type = type;
	r->nh.nlmsg_flags = (uint16_t)(NLM_F_REQUEST | NLM_F_ACK | flags);
	memcpy(r->body, hdr, hdr_len);
	r->nh.nlmsg_len = (uint32_t)NLMSG_LENGTH(hdr_len);
}

/* Appends an attribute; sizes are fixed by the callers, so room is asserted. */
static void nl_req_attr(struct nl_req *r, uint16_t type, const void *data, size_t len)
{
	size_t off = NLMSG_ALIGN(r->nh.nlmsg_len);
	struct rtattr rta = { .rta_len = (unsigned short)RTA_LENGTH(len), .rta_type = type };

	assert(off + RTA_SPACE(len) <= sizeof(*r));
	memcpy((uint8_t *)r + off, &rta, sizeof(rta));
	memcpy((uint8_t *)r + off + RTA_LENGTH(0), data, len);
	r->nh.nlmsg_len = (uint32_t)(off + RTA_SPACE(len));
}

/*
 * Finds attribute type among the attributes in p[0..len) (rtattr layout);
 * returns its payload and sets *plen, or NULL.  Malformed lengths end the
 * walk (RTA_OK).
 */
static const void *nl_attr_find(const void *p, size_t len, unsigned type, size_t *plen)
{
	const struct rtattr *a = p;
	unsigned int rem = (unsigned int)len;

	for (; RTA_OK(a, rem); a = RTA_NEXT(a, rem)) {
		if ((a->rta_type & NLA_TYPE_MASK) == type) {
			*plen = RTA_PAYLOAD(a);
			return RTA_DATA(a);
		}
	}
	return NULL;
}

/* Copies the extended-ACK text of an NLMSG_ERROR (or NLMSG_DONE) message, if any. */
static void nl_save_extack(const struct nlmsghdr *nh, size_t tlv_off)
{
	size_t len;
	const char *msg;

	if (!(nh->nlmsg_flags & NLM_F_ACK_TLVS) || tlv_off >= nh->nlmsg_len)
		return;
	msg = nl_attr_find((const uint8_t *)nh + tlv_off, nh->nlmsg_len - tlv_off,
			   NLMSGERR_ATTR_MSG, &len);
	if (!msg || len == 0)
		return;
	len = strnlen(msg, len);
	if (len >= sizeof(nl_errmsg))
		len = sizeof(nl_errmsg) - 1;
	memcpy(nl_errmsg, msg, len);
	nl_errmsg[len] = '\0';
}

/*
 * The verdict of an NLMSG_ERROR message: 0 (an ACK) or the negated errno;
 * DP_EIO when it is too short or its code is not an errno.
 */
static int nl_error_code(const struct nlmsghdr *nh)
{
	struct nlmsgerr e;
	size_t tlv_off;

	if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(e)))
		return DP_EIO;
	memcpy(&e, NLMSG_DATA(nh), sizeof(e));
	if (e.error > 0 || e.error <= -4096)
		return DP_EIO;
	if (e.error == 0)
		return 0;
	/* Without NLM_F_CAPPED the request's payload is echoed before the TLVs. */
	tlv_off = NLMSG_LENGTH(sizeof(e));
	if (!(nh->nlmsg_flags & NLM_F_CAPPED) && e.msg.nlmsg_len > NLMSG_HDRLEN)
		tlv_off += NLMSG_ALIGN(e.msg.nlmsg_len - NLMSG_HDRLEN);
	nl_save_extack(nh, tlv_off);
	return e.error;
}

/* A dump's NLMSG_DONE carries an int: 0, or the negated errno the dump failed with. */
static int nl_done_code(const struct nlmsghdr *nh)
{
	int err;

	if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(err)))
		return 0;
	memcpy(&err, NLMSG_DATA(nh), sizeof(err));
	if (err > 0 || err <= -4096)
		return DP_EIO;
	if (err < 0)
		nl_save_extack(nh, NLMSG_LENGTH(sizeof(err)));
	return err;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Reads the answer to request seq on fd until its ACK, error or NLMSG_DONE,
 * passing other messages of that sequence to fn (when set).  Returns 0 or a
 * negative code.  Bounded by NL_RECV_MAX datagrams and the deadline.
 */
static int nl_recv_answer(int fd, uint32_t seq, nl_msg_fn fn, void *ctx, int64_t deadline)
{
	/* Aligned for struct nlmsghdr, as the NLMSG_* macros assume; on the stack, not per thread. */
	union {
		struct nlmsghdr nh;
		uint8_t b[NL_RX_CAP];
	} rx;

	for (unsigned n = 0; n < NL_RECV_MAX; n++) {
		struct sockaddr_nl from;
		struct iovec iov = { .iov_base = rx.b, .iov_len = sizeof(rx.b) };
		struct msghdr mh = {
			.msg_name = &from,
			.msg_namelen = sizeof(from),
			.msg_iov = &iov,
			.msg_iovlen = 1,
		};
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int64_t left = deadline - now_ms();
		ssize_t got;
		const struct nlmsghdr *nh;
		unsigned int rem;
		int pr;

		if (left <= 0)
			return -ETIMEDOUT;
		pr = poll(&pfd, 1, (int)left);
		if (pr < 0 && errno != EINTR)
			return -errno;
		if (pr <= 0)
			continue; /* EINTR, or the deadline passed: checked above */
		got = recvmsg(fd, &mh, MSG_DONTWAIT);
		if (got < 0) {
			if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
				continue;
			return -errno;
		}
		if (mh.msg_flags & MSG_TRUNC)
			return DP_EIO;
		/* Only the kernel (port 0) answers; anything else is not ours. */
		if (mh.msg_namelen < sizeof(from) || from.nl_family != AF_NETLINK ||
		    from.nl_pid != 0)
			continue;
		rem = (unsigned int)got;
		for (nh = &rx.nh; NLMSG_OK(nh, rem); nh = NLMSG_NEXT(nh, rem)) {
			int rc;

			if (nh->nlmsg_seq != seq)
				continue;
			if (nh->nlmsg_type == NLMSG_ERROR)
				return nl_error_code(nh);
			if (nh->nlmsg_type == NLMSG_DONE)
				return nl_done_code(nh);
			if (nh->nlmsg_type < NLMSG_MIN_TYPE || !fn)
				continue;
			rc = fn(nh, ctx);
			if (rc < 0)
				return rc;
		}
		if (rem != 0)
			return DP_EIO; /* a message runs past the datagram */
	}
	return -ETIMEDOUT;
}

/*
 * Sends r (NLM_F_REQUEST | NLM_F_ACK, a fresh sequence number) on a fresh
 * NETLINK_ROUTE socket and reads the answer (nl_recv_answer).  Returns 0 or
 * a negative code; the socket is closed either way.
 */
static int nl_transact(struct nl_req *r, nl_msg_fn fn, void *ctx)
{
	static const int one = 1;
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	int64_t deadline = now_ms() + FP_NETIF_TIMEOUT_MS;
	ssize_t sent;
	int fd, rc;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	/* Shorter error replies and the kernel's reason text; both optional (old kernels). */
	(void)setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	(void)setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	r->nh.nlmsg_seq = ++nl_seq;
	do {
		sent = sendto(fd, &r->nh, r->nh.nlmsg_len, 0, (struct sockaddr *)&kernel,
			      sizeof(kernel));
	} while (sent < 0 && errno == EINTR && now_ms() < deadline);
	if (sent < 0) {
		rc = -errno;
		goto out;
	}
	if ((size_t)sent != r->nh.nlmsg_len) {
		rc = DP_EIO;
		goto out;
	}
	rc = nl_recv_answer(fd, r->nh.nlmsg_seq, fn, ctx, deadline);
out:
	close(fd);
	return rc;
}

/* ENODEV ("no such device") is how rtnetlink says the interface is absent. */
static int map_nodev(int rc)
{
	return rc == -ENODEV ? DP_ENOENT : rc;
}

static int link_index_cb(const struct nlmsghdr *nh, void *ctx)
{
	struct ifinfomsg ifi;

	if (nh->nlmsg_type != RTM_NEWLINK)
		return 0;
	if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(ifi)))
		return DP_EIO;
	memcpy(&ifi, NLMSG_DATA(nh), sizeof(ifi));
	if (ifi.ifi_index <= 0)
		return DP_EIO;
	*(int *)ctx = ifi.ifi_index;
	return 0;
}

int fp_netif_index(const char *name)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
	struct nl_req r;
	size_t len;
	int index = 0, rc;

	nl_errmsg[0] = '\0';
	if (!name)
		return DP_EINVAL;
	len = strnlen(name, IFNAMSIZ);
	if (len == 0 || len >= IFNAMSIZ)
		return DP_EINVAL;
	nl_req_init(&r, RTM_GETLINK, 0, &ifi, sizeof(ifi));
	nl_req_attr(&r, IFLA_IFNAME, name, len + 1);
	rc = nl_transact(&r, link_index_cb, &index);
	if (rc < 0)
		return map_nodev(rc);
	return index > 0 ? index : DP_EIO;
}

int fp_netif_set_up(int ifindex, bool up)
{
	struct ifinfomsg ifi = {
		.ifi_family = AF_UNSPEC,
		.ifi_index = ifindex,
		.ifi_flags = up ? IFF_UP : 0,
		.ifi_change = IFF_UP,
	};
	struct nl_req r;

	nl_errmsg[0] = '\0';
	if (ifindex <= 0)
		return DP_EINVAL;
	nl_req_init(&r, RTM_NEWLINK, 0, &ifi, sizeof(ifi));
	return map_nodev(nl_transact(&r, NULL, NULL));
}

int fp_netif_set_mtu(int ifindex, uint32_t mtu)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = ifindex };
	struct nl_req r;

	nl_errmsg[0] = '\0';
	if (ifindex <= 0 || mtu == 0)
		return DP_EINVAL;
	nl_req_init(&r, RTM_NEWLINK, 0, &ifi, sizeof(ifi));
	nl_req_attr(&r, IFLA_MTU, &mtu, sizeof(mtu));
	return map_nodev(nl_transact(&r, NULL, NULL));
}

/* Address length of family, or 0 when fp_netif does not handle it. */
static size_t addr_len(int family)
{
	switch (family) {
	case AF_INET: return 4;
	case AF_INET6: return 16;
	default: return 0;
	}
}

static int addr_check(int ifindex, int family, const uint8_t *addr, uint8_t plen)
{
	size_t alen = addr_len(family);

	if (ifindex <= 0 || alen == 0 || !addr || plen > alen * 8)
		return DP_EINVAL;
	return 0;
}

/* Builds an RTM_NEWADDR or RTM_DELADDR request for addr/plen on ifindex (arguments checked). */
static void addr_req(struct nl_req *r, uint16_t type, uint16_t flags, int ifindex, int family,
		     const uint8_t *addr, uint8_t plen)
{
	size_t alen = addr_len(family);
	struct ifaddrmsg ifa = {
		.ifa_family = (uint8_t)family,
		.ifa_prefixlen = plen,
		.ifa_scope = RT_SCOPE_UNIVERSE,
		.ifa_index = (uint32_t)ifindex,
	};

	if (family == AF_INET6 && type == RTM_NEWADDR)
		ifa.ifa_flags = IFA_F_NODAD;
	nl_req_init(r, type, flags, &ifa, sizeof(ifa));
	/*
	 * IFA_LOCAL is the address; IFA_ADDRESS the same (no peer).  IPv4 deletion
	 * compares the prefix length only when IFA_ADDRESS is given.
	 */
	nl_req_attr(r, IFA_LOCAL, addr, alen);
	nl_req_attr(r, IFA_ADDRESS, addr, alen);
	if (family == AF_INET && type == RTM_NEWADDR && plen <= 30) {
		uint32_t a, mask = plen ? ~(uint32_t)0 << (32 - plen) : 0;
		uint8_t brd[4];

		a = (uint32_t)addr[0] << 24 | (uint32_t)addr[1] << 16 | (uint32_t)addr[2] << 8 |
		    addr[3];
		a |= ~mask;
		brd[0] = (uint8_t)(a >> 24);
		brd[1] = (uint8_t)(a >> 16);
		brd[2] = (uint8_t)(a >> 8);
		brd[3] = (uint8_t)a;
		nl_req_attr(r, IFA_BROADCAST, brd, sizeof(brd));
	}
}

struct addr_find {
	int ifindex;
	int family;
	const uint8_t *addr;
	uint8_t plen;
	bool found;
	bool intr; /* NLM_F_DUMP_INTR: the list changed while the dump ran */
};

static int addr_find_cb(const struct nlmsghdr *nh, void *ctx)
{
	struct addr_find *f = ctx;
	struct ifaddrmsg ifa;
	size_t alen = addr_len(f->family), len;
	const void *a;

	if (nh->nlmsg_flags & NLM_F_DUMP_INTR)
		f->intr = true;
	if (nh->nlmsg_type != RTM_NEWADDR)
		return 0;
	if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(ifa)))
		return DP_EIO;
	memcpy(&ifa, NLMSG_DATA(nh), sizeof(ifa));
	if (ifa.ifa_family != f->family || ifa.ifa_index != (uint32_t)f->ifindex ||
	    ifa.ifa_prefixlen != f->plen)
		return 0;
	/* IFA_LOCAL is the local address; without it (IPv6, no peer) IFA_ADDRESS is. */
	a = nl_attr_find((const uint8_t *)NLMSG_DATA(nh) + NLMSG_ALIGN(sizeof(ifa)),
			 nh->nlmsg_len - NLMSG_LENGTH(NLMSG_ALIGN(sizeof(ifa))), IFA_LOCAL, &len);
	if (!a)
		a = nl_attr_find((const uint8_t *)NLMSG_DATA(nh) + NLMSG_ALIGN(sizeof(ifa)),
				 nh->nlmsg_len - NLMSG_LENGTH(NLMSG_ALIGN(sizeof(ifa))),
				 IFA_ADDRESS, &len);
	if (a && len == alen && memcmp(a, f->addr, alen) == 0)
		f->found = true;
	return 0;
}

int fp_netif_addr_has(int ifindex, int family, const uint8_t *addr, uint8_t plen)
{
	struct ifaddrmsg ifa = { .ifa_family = (uint8_t)family };
	struct nl_req r;
	int rc;

	nl_errmsg[0] = '\0';
	rc = addr_check(ifindex, family, addr, plen);
	if (rc < 0)
		return rc;
	for (int t = 0; t < NL_DUMP_TRIES; t++) {
		struct addr_find f = {
			.ifindex = ifindex, .family = family, .addr = addr, .plen = plen
		};

		nl_req_init(&r, RTM_GETADDR, NLM_F_DUMP, &ifa, sizeof(ifa));
		rc = nl_transact(&r, addr_find_cb, &f);
		if (rc < 0)
			return rc;
		if (f.found)
			return 1;
		if (!f.intr)
			return 0;
	}
	return -EAGAIN;
}

int fp_netif_addr_add(int ifindex, int family, const uint8_t *addr, uint8_t plen)
{
	char msg[NL_ERRMSG_CAP];
	struct nl_req r;
	int rc, has;

	nl_errmsg[0] = '\0';
	rc = addr_check(ifindex, family, addr, plen);
	if (rc < 0)
		return rc;
	addr_req(&r, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, ifindex, family, addr, plen);
	rc = nl_transact(&r, NULL, NULL);
	if (rc == -EEXIST) {
		/* Exactly this one (fine), or the address with another prefix length? */
		memcpy(msg, nl_errmsg, sizeof(msg));
		has = fp_netif_addr_has(ifindex, family, addr, plen);
		if (has != 0)
			return has < 0 ? has : 0;
		memcpy(nl_errmsg, msg, sizeof(msg));
		return DP_EEXIST;
	}
	/* IPv6 says EADDRNOTAVAIL for an address that cannot be an interface's (::, ff00::/8). */
	if (rc == -EADDRNOTAVAIL)
		return DP_EINVAL;
	return map_nodev(rc);
}

int fp_netif_addr_del(int ifindex, int family, const uint8_t *addr, uint8_t plen)
{
	struct nl_req r;
	int rc;

	nl_errmsg[0] = '\0';
	rc = addr_check(ifindex, family, addr, plen);
	if (rc < 0)
		return rc;
	addr_req(&r, RTM_DELADDR, 0, ifindex, family, addr, plen);
	rc = nl_transact(&r, NULL, NULL);
	if (rc == -EADDRNOTAVAIL)
		return DP_ENOENT;
	return map_nodev(rc);
}

static bool key_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

static bool value_char(unsigned char c)
{
	return c > ' ' && c <= '~';
}

/* 1..SYSCTL_WORD_MAX characters, each passing ok(). */
static bool word_ok(const char *s, bool (*ok)(unsigned char))
{
	size_t len = strnlen(s, SYSCTL_WORD_MAX + 1);

	if (len == 0 || len > SYSCTL_WORD_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!ok((unsigned char)s[i]))
			return false;
	return true;
}

int fp_netif_ipv6_conf(const char *name, const char *key, const char *value)
{
	char path[sizeof("/proc/sys/net/ipv6/conf//") + IFNAMSIZ + SYSCTL_WORD_MAX];
	size_t nlen, vlen;
	ssize_t w;
	int fd, rc = 0;

	nl_errmsg[0] = '\0';
	if (!name || !key || !value)
		return DP_EINVAL;
	nlen = strnlen(name, IFNAMSIZ);
	/* Interface names never hold '/' or whitespace, nor are "." or "..". */
	if (nlen == 0 || nlen >= IFNAMSIZ || strchr(name, '/') || strcmp(name, ".") == 0 ||
	    strcmp(name, "..") == 0)
		return DP_EINVAL;
	for (size_t i = 0; i < nlen; i++)
		if ((unsigned char)name[i] <= ' ')
			return DP_EINVAL;
	if (!word_ok(key, key_char) || !word_ok(value, value_char))
		return DP_EINVAL;
	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/%s", name, key);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	vlen = strlen(value);
	do {
		w = write(fd, value, vlen);
	} while (w < 0 && errno == EINTR);
	if (w < 0)
		rc = -errno;
	else if ((size_t)w != vlen)
		rc = DP_EIO;
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	return rc;
}

int fp_netif_ipv6_defaults(const char *name)
{
	static const char *const kv[][2] = {
		{ "keep_addr_on_down", "1" },
		{ "accept_ra", "0" },
		{ "autoconf", "0" },
	};

	for (size_t i = 0; i < sizeof(kv) / sizeof(kv[0]); i++) {
		int rc = fp_netif_ipv6_conf(name, kv[i][0], kv[i][1]);

		if (rc < 0)
			return rc;
	}
	return 0;
}
