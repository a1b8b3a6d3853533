/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/*
 * The dpdnsd configuration file (YAML, described key by key in
 * doc/config.md): loading, validation and the resulting read-only struct.
 *
 * libyaml parses the text; a table per section gives every key its shape
 * (scalar, list, mapping), whether it is required, its default and the
 * handler that checks and stores its value.  Anything wrong is an error, never
 * a warning: unknown and duplicate keys, wrong shapes, bad values, missing
 * required keys and references to undefined keys or remotes.  The first
 * problem found ends the load with one line "FILE:LINE: PATH: message", where
 * LINE is 1-based and PATH the key path of the offending value (for example
 * "dataplane.interfaces[0].address[1]").  A file that cannot be read gives
 * "FILE: message" (there is no line to name).
 *
 * A loaded struct conf is plain data, owned by whoever loaded it: no global
 * state, safe to read from any thread once loaded, freed with conf_free.
 * Loading allocates and reads files: slow path only, any thread.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONF_IFACES_MAX 8
#define CONF_ADDRS_MAX 8       /* per family per interface, = FP_ADDRS_MAX */
#define CONF_SOCK_PATH_MAX 107 /* octets of a UNIX socket path (sun_path less its NUL) */

/* An interface address: the host address and the prefix length of its subnet. */
struct conf_prefix {
	uint8_t family;	  /* AF_INET or AF_INET6 */
	uint8_t plen;	  /* 1..32 or 1..128 */
	uint8_t addr[16]; /* network order; IPv4 in addr[0..4), the rest zero */
};

/* A transport address of a remote server. */
struct conf_sockaddr {
	uint8_t family;	  /* AF_INET or AF_INET6 */
	uint16_t port;	  /* host order, 1..65535 */
	uint8_t addr[16]; /* network order; IPv4 in addr[0..4), the rest zero */
};

/* dataplane.interfaces[i] */
struct conf_iface {
	char *port; /* DPDK port name (vdev name or PCI address) */
	struct conf_prefix addrs[2 * CONF_ADDRS_MAX];
	unsigned naddrs; /* >= 1; at most CONF_ADDRS_MAX of each family */
	int line;	 /* where the item starts in the file */
};

/* key[i]: a TSIG key.  The raw strings are kept for xfr_tsig_key_init. */
struct conf_key {
	char *id;	   /* as written */
	uint8_t name[255]; /* id as a wire name, lowercase */
	size_t name_len;   /* octets of name */
	char *algorithm;   /* as written; one of the six HMAC names */
	char *secret;	   /* base64 as written; decodes to >= 1 octet */
	int line;
};

/* remote[i]: a server we talk to (a primary, for now). */
struct conf_remote {
	char *id;
	struct conf_sockaddr *addrs;
	unsigned naddrs;	    /* >= 1 */
	const struct conf_key *key; /* NULL: no TSIG; else points into conf.keys */
	int line;
};

/* An inclusive range of addresses of one family (acl[i].address). */
struct conf_addr_range {
	uint8_t family;		/* AF_INET or AF_INET6 */
	uint8_t lo[16], hi[16]; /* network order, lo <= hi; IPv4 in [0..4), the rest zero */
};

/* acl[i].action bits: what an ACL allows (or, with deny, refuses). */
#define CONF_ACL_NOTIFY 1u /* NOTIFY for a secondary zone */

/* acl[i]: who may do what (Knot's model; only the actions dpdnsd has). */
struct conf_acl {
	char *id;
	struct conf_addr_range *addrs; /* sources it covers */
	unsigned naddrs;	       /* 0: any address */
	const struct conf_key *key;    /* non-NULL: only messages signed with this key match
					* (points into conf.keys); NULL: TSIG plays no part */
	unsigned actions;	       /* CONF_ACL_* bits, at least one */
	bool deny;		       /* a match refuses instead of allowing */
	int line;
};

/* zone[i] */
struct conf_zone {
	char *domain;			      /* canonical text: lowercase, trailing dot */
	uint8_t origin[255];		      /* wire form, lowercase */
	size_t origin_len;		      /* octets of origin */
	char *file;			      /* NULL when absent; else absolute if the
						* config was loaded with a directory */
	const struct conf_remote **primaries; /* each points into conf.remotes */
	unsigned nprimaries;		      /* file or primaries (or both) are set */
	/*
	 * The zone's ACLs, in the order written (the first that matches a
	 * request decides, see conf_acl_find); each points into conf.acls.
	 */
	const struct conf_acl **acls;
	unsigned nacls;
	/*
	 * Bounds (seconds) on the SOA refresh, retry and expire of a secondary
	 * zone (src/xfr/timers.h); min <= max in each pair.  Set for every
	 * zone, used only when it has primaries.
	 */
	uint32_t refresh_min, refresh_max; /* 2..2^31-1, default 2 and 86400 */
	uint32_t max_size;		   /* octets a transfer may bring, 0: no limit */
	uint32_t retry_min, retry_max;	   /* 1..2^31-1, default 1 and 86400 */
	uint32_t expire_min, expire_max;   /* 3..2^31-1, default 3 and 2^31-1 */
	int line;
};

/*
 * template[i]: zone settings shared by many zones (Knot's model).  Every
 * field of struct conf_zone is resolved at load time (zone value, else the
 * template's, else the built-in default), so nothing outside the loader
 * needs templates; they are kept for reference.  z.domain is NULL; z.file,
 * when set, is as written and may hold "%s" (the zone's name without its
 * trailing dot, "" for the root) and "%%" (a '%').
 */
struct conf_template {
	struct conf_zone z; /* first: the zone handlers fill it as a zone */
	char *id;	    /* "default" applies to every zone without a template key */
	int line;
};

/* Log categories (log[i].server, .zone, .control). */
enum conf_log_cat {
	CONF_LOG_SERVER,  /* the daemon in general */
	CONF_LOG_ZONE,	  /* zone loading, refreshes, transfers, NOTIFY */
	CONF_LOG_CONTROL, /* the control socket */
	CONF_LOG_CATS,
};

/* Log levels: syslog(3) priorities, so LOG_CRIT == CONF_LOG_CRIT and so on. */
#define CONF_LOG_NONE (-1) /* nothing of that category */
#define CONF_LOG_CRIT 2
#define CONF_LOG_ERR 3
#define CONF_LOG_WARNING 4
#define CONF_LOG_NOTICE 5
#define CONF_LOG_INFO 6
#define CONF_LOG_DEBUG 7

/* log[i]: one destination and, per category, the least severe level written there. */
struct conf_log {
	char *target; /* "stderr", "stdout", "syslog", or a file path (absolute if the
		       * configuration was loaded with a directory) */
	int8_t levels[CONF_LOG_CATS]; /* CONF_LOG_NONE or CONF_LOG_CRIT..CONF_LOG_DEBUG */
	int line;		      /* 0 for the default target */
};

struct conf {
	char *path; /* as given (the name, for conf_load_string) */
	struct {
		char *identity;	      /* NULL: absent */
		char *version;	      /* NULL: absent */
		char *rundir;	      /* never NULL */
		uint16_t udp_payload; /* 512..4096 */
		uint32_t tcp_max_clients;  /* DNS over TCP connections at most, 1..100000 (100) */
		uint32_t tcp_idle_timeout; /* seconds a TCP connection may idle, 1..3600 (10) */
	} server;
	struct {
		char *eal; /* EAL arguments, verbatim */
		struct conf_iface ifaces[CONF_IFACES_MAX];
		unsigned nifaces; /* 1..CONF_IFACES_MAX */
		char *exception;  /* TAP interface name, 1..15 characters */
		uint32_t rx_queue_size, tx_queue_size, mbufs, idle_sleep_us;
	} dataplane;
	struct conf_key *keys;
	unsigned nkeys;
	struct conf_remote *remotes;
	unsigned nremotes;
	struct conf_acl *acls;
	unsigned nacls;
	struct conf_template *templates;
	unsigned ntemplates;
	struct conf_zone *zones; /* in file order, templates resolved */
	unsigned nzones;
	/* The zones ordered by origin (canonical order), for conf_zone_find. */
	const struct conf_zone **zones_by_origin;
	struct {
		char *listen; /* control socket path, never NULL: <rundir>/dpdnsd.sock by default */
	} control;
	struct {
		struct conf_sockaddr listen; /* family 0: no metrics endpoint */
	} metrics;
	/* Never empty: without a log section, stderr at info for every category. */
	struct conf_log *logs;
	unsigned nlogs;
};

/*
 * Loads and validates the file at path.  Relative paths in it (zone files,
 * rundir) are made absolute against the directory of path (itself made
 * absolute against the working directory).
 * Returns 0 and *out (owned by the caller, conf_free), or a negative
 * dp_errcode: DP_ESYNTAX for any problem with the configuration,
 * DP_ENOENT or another -errno when the file cannot be read, DP_ENOMEM.  On
 * error *out is NULL and err holds one line "FILE:LINE: message" (or
 * "FILE: message" for a file that cannot be read), always NUL-terminated and
 * truncated to errlen (err may be NULL when errlen is 0).
 */
int conf_load(const char *path, struct conf **out, char *err, size_t errlen)
	__attribute__((warn_unused_result));

/*
 * Same, from text[0..len) in memory (no NUL needed).  name stands for the
 * file in messages and becomes conf.path; dir (NULL: none) is the directory
 * relative paths are resolved against; without it they are kept as written.
 */
int conf_load_string(const char *text, size_t len, const char *name, const char *dir,
		     struct conf **out, char *err, size_t errlen)
	__attribute__((warn_unused_result));

/* Frees c and everything it owns (key secrets are wiped first); NULL is a no-op. */
void conf_free(struct conf *c);

/*
 * The zone whose origin is the wire name origin[0..len) (case-insensitive),
 * or NULL.  len must be the name's length; a malformed name finds nothing.
 */
const struct conf_zone *conf_zone_find(const struct conf *c, const uint8_t *origin, size_t len);

/*
 * Whether a request from the address addr (family AF_INET or AF_INET6, the
 * address in network order, 4 or 16 octets) falls in one of acl's address
 * ranges (any address when the ACL lists none).
 */
bool conf_acl_addr_match(const struct conf_acl *acl, int family, const uint8_t *addr);

/*
 * The first of acls[0..n) that matches a request for action (a CONF_ACL_*
 * bit) from addr (as for conf_acl_addr_match) signed with the TSIG key whose
 * wire name is key_name (NULL: unsigned): the ACL has the action, covers the
 * address, and either names no key or names exactly that key (names compared
 * case-insensitively; the signature itself is the caller's to verify).
 * Returns it, or NULL when none matches.  The caller allows or refuses by
 * its deny flag.  Pure: any thread.
 */
const struct conf_acl *conf_acl_find(const struct conf_acl *const *acls, unsigned n,
				     unsigned action, int family, const uint8_t *addr,
				     const uint8_t *key_name);
