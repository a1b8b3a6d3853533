/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/*
 * Kernel interface configuration over rtnetlink, for the exception TAP: the
 * kernel interface (made by DPDK's net_tap PMD) that receives every frame
 * the fastpath does not answer.  The daemon configures it as an operator
 * would with ip(8): link up, MTU, the port's addresses with their prefix
 * lengths (so the kernel answers ARP, NDP, ping and DNS over TCP for them),
 * and on shutdown removes the addresses and takes the link down.
 *
 * Raw NETLINK_ROUTE: each call opens its own socket, sends one request with
 * NLM_F_ACK, waits for the kernel's answer (bounded: FP_NETIF_TIMEOUT_MS per
 * call), checks sequence number and sender, and closes the socket.  Nothing
 * is kept between calls, and everything acts on the network namespace of
 * the calling thread.
 *
 * Errors: 0 or a negative code from dns/errcode.h.  Arguments are checked
 * before any syscall (DP_EINVAL); kernel refusals come back as the negated
 * errno of the NLMSG_ERROR answer, except that "no such interface" (ENODEV)
 * and, when deleting, "no such address" (EADDRNOTAVAIL) become DP_ENOENT;
 * DP_EIO for a reply that is not rtnetlink as we know it, -ETIMEDOUT when
 * the kernel does not answer in time.  When the kernel sent an extended-ACK
 * message with its error, fp_netif_errmsg() has the text.
 *
 * Typical use with a net_tap port (its rte_eth_dev_info.if_index is the
 * ifindex): after probing, fp_netif_ipv6_defaults, then the addresses
 * (fp_netif_addr_add), rte_eth_dev_start (net_tap sets the link up itself;
 * fp_netif_set_up(true) is harmless); on shutdown fp_netif_addr_del for
 * each address and fp_netif_set_up(false) before stopping the port.
 *
 * Threads: syscalls throughout; startup and shutdown only, never from a
 * poll loop.  Any thread may call them (their only state, a sequence
 * counter and fp_netif_errmsg()'s buffer, is per thread); dpdnsd uses the
 * main thread.  Changes need CAP_NET_ADMIN in that network namespace.
 */

#include <stdbool.h>
#include <stdint.h>

#define FP_NETIF_TIMEOUT_MS 5000 /* one call waits this long at most for the kernel */

/*
 * The ifindex of the interface called name (1..IFNAMSIZ-1 characters), from
 * RTM_GETLINK.  Returns it (> 0); DP_ENOENT when there is no such
 * interface; DP_EINVAL for a NULL, empty or too long name.
 */
int fp_netif_index(const char *name) __attribute__((warn_unused_result));

/*
 * Sets the link of ifindex administratively up (IFF_UP) or down; setting it
 * to what it is already is not an error.  Up is not "running": a TAP has
 * carrier only while a process (the PMD) holds it open.  Returns 0,
 * DP_EINVAL for ifindex <= 0, DP_ENOENT when there is no such interface.
 */
int fp_netif_set_up(int ifindex, bool up) __attribute__((warn_unused_result));

/*
 * Sets the MTU of ifindex (IFLA_MTU).  Returns 0; DP_EINVAL for ifindex
 * <= 0 or mtu 0, and from the kernel when the device does not take that
 * MTU (a TAP takes 68..65521); DP_ENOENT when there is no such interface.
 * An MTU under 1280 makes the kernel drop the interface's IPv6 state.
 */
int fp_netif_set_mtu(int ifindex, uint32_t mtu) __attribute__((warn_unused_result));

/*
 * Adds the address addr/plen to ifindex (RTM_NEWADDR, scope global).
 * family: AF_INET (addr 4 octets, plen 0..32; the broadcast address is
 * set as "ip addr add ... brd +" would, for plen <= 30) or AF_INET6 (addr
 * 16 octets, plen 0..128; added with IFA_F_NODAD, so it is usable at once,
 * without duplicate address detection).  addr is in network order and is
 * not kept.  The kernel also adds the prefix route.
 * Returns 0, also when exactly that address with that prefix length is
 * there already; DP_EEXIST when the address is there with another prefix
 * length and the kernel refuses a second one (IPv6 keys addresses by
 * address alone; IPv4 takes both); DP_EINVAL for a bad family, prefix
 * length, NULL addr or ifindex <= 0 (checked before any syscall), and from
 * the kernel for an address it refuses (e.g. IPv6 multicast); DP_ENOENT
 * when there is no such interface; another errno when the interface has no
 * IPv6 (disable_ipv6, MTU < 1280).
 */
int fp_netif_addr_add(int ifindex, int family, const uint8_t *addr, uint8_t plen)
	__attribute__((warn_unused_result));

/*
 * Removes the address addr/plen from ifindex (RTM_DELADDR); the prefix
 * length must match the one it was added with.  Arguments as for
 * fp_netif_addr_add.  Returns 0; DP_ENOENT when there is no such address
 * (or no such interface); DP_EINVAL as for fp_netif_addr_add.
 */
int fp_netif_addr_del(int ifindex, int family, const uint8_t *addr, uint8_t plen)
	__attribute__((warn_unused_result));

/*
 * Whether ifindex has the address addr/plen (an RTM_GETADDR dump of the
 * family, filtered here).  Returns 1 when it has, 0 when not (also when
 * there is no such interface); DP_EINVAL as for fp_netif_addr_add.
 */
int fp_netif_addr_has(int ifindex, int family, const uint8_t *addr, uint8_t plen)
	__attribute__((warn_unused_result));

/*
 * Writes value to /proc/sys/net/ipv6/conf/<name>/<key>, e.g. ("dpdns0",
 * "accept_ra", "0"), as sysctl -w does; the setting belongs to the calling
 * thread's network namespace.  key is [a-z0-9_]+ (at most 63 characters),
 * value is printable ASCII without a space or newline (at most 63).
 * Returns 0; DP_EINVAL for a bad name, key or value (before any syscall) or
 * a value the kernel refuses; DP_ENOENT when there is no such interface or
 * key, or no IPv6 on the host; another negated errno from open/write.
 */
int fp_netif_ipv6_conf(const char *name, const char *key, const char *value)
	__attribute__((warn_unused_result));

/*
 * The IPv6 settings an exception TAP wants, through fp_netif_ipv6_conf:
 *   keep_addr_on_down=1  by default Linux deletes every IPv6 address of an
 *                        interface that goes down, and net_tap's
 *                        rte_eth_dev_stop() takes the TAP down; with this the
 *                        addresses survive a port stop/start;
 *   accept_ra=0          addresses and routes are the configuration's, not
 *                        what a router advertises on the wire (also: no
 *                        router solicitations);
 *   autoconf=0           no SLAAC address from an advertised prefix.
 * Call it before the link first goes up.  Returns 0 or the first error
 * (DP_ENOENT: no such interface, or no IPv6 in the kernel); the settings
 * before that one are made.
 */
int fp_netif_ipv6_defaults(const char *name) __attribute__((warn_unused_result));

/*
 * The extended-ACK text (NLMSGERR_ATTR_MSG) the kernel sent with the last
 * error of an fp_netif_* call on this thread, e.g. "mtu greater than device
 * maximum"; "" when that call succeeded or the kernel sent none.  Valid
 * until this thread's next fp_netif_* call.
 */
const char *fp_netif_errmsg(void);
