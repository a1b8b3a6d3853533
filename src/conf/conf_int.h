/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/*
 * What the configuration loader's files share (conf.c: the parser, the
 * schema walk, the generic handlers and most sections; sections.c: the acl,
 * template and log sections).  Internal to src/conf: nothing outside it
 * includes this.  Everything here runs on the thread that calls conf_load
 * or conf_load_string.
 *
 * Handlers and hooks return 0 or a negative code (DP_ESYNTAX with the
 * message written by cf_fail, DP_ENOMEM by cf_nomem); the key path in
 * struct cf_parser names the value in messages, so a handler that descends
 * pushes (cf_path_push_key/index) and pops what it pushed on success.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/conf.h"
#include "conf/tree.h"

#define CF_FIELDS_MAX 16   /* rows in one table */
#define CF_STRING_MAX 4096 /* any string value, unless its row says less */

struct cf_parser {
	const char *name; /* the file, in messages */
	const char *dir;  /* relative paths are resolved against it; NULL: kept */
	const char *text;
	size_t len;
	char *err;
	size_t errlen;
	char path[512]; /* key path of the value being parsed */
	size_t pathlen;
	struct conf *conf;
	/*
	 * Set by a list's prepare hook for one item: the item's object already
	 * holds resolved values (a zone's template), so absent keys keep them
	 * instead of taking the table's defaults.
	 */
	bool keep_preset;
	const struct conf_template *tmpl; /* the zone being parsed uses it; NULL: none */
};

/* A quoted value for messages: char q[QBUF]; ... Q(node, q). */
#define QBUF (CONF_QUOTE_MAX + 8)
#define Q(node, buf) conf_quote((node)->str, (node)->len, buf, sizeof(buf))

/* ---- the schema ---- */

struct cf_field;
typedef int (*cf_handler)(struct cf_parser *p, const struct cf_field *f, const struct conf_node *v,
			  void *obj);

/* What a key's value must look like before its handler sees it. */
enum cf_shape {
	CF_SHAPE_SCALAR, /* a non-null scalar */
	CF_SHAPE_MAP,	 /* a mapping; null means an empty one */
	CF_SHAPE_LIST,	 /* a list; null means an empty one */
};

#define CF_REQUIRED 1u /* absent is an error */
#define CF_ONE 2u      /* a list that may be written as its single scalar item */

struct cf_field {
	const char *name;
	enum cf_shape shape;
	unsigned flags;
	const char *def; /* scalar default, parsed by the handler like written text; NULL: none */
	cf_handler parse;
	size_t off;	 /* where the handler stores the value, from the object's start */
	const void *arg; /* the handler's parameters */
};

/* cf_h_string */
struct cf_strspec {
	size_t max; /* longest value; 0: CF_STRING_MAX */
	bool (*valid)(const char *s, size_t len);
	const char *what; /* what valid() wants, for its message */
};

/* cf_h_uint */
struct cf_range {
	uint32_t min, max;
	bool pow2;
	uint8_t size; /* of the destination: 2 (uint16_t) or 4 (uint32_t) */
};

/* cf_h_list: a list of mappings */
struct cf_list {
	const struct cf_field *fields; /* of each item */
	size_t item_size;
	unsigned min, max; /* max 0: no limit */
	bool inline_array; /* obj + off is the array; else a pointer to allocate */
	size_t count_off;  /* unsigned count in obj */
	size_t line_off;   /* int line in each item */
	/* Before item i's keys (NULL: nothing): may fill it and set keep_preset. */
	int (*prepare)(struct cf_parser *p, const struct conf_node *item, void *elem);
	/* After item i's keys: rules across its keys, and against items [0, i). */
	int (*check)(struct cf_parser *p, const struct conf_node *item, void *items, unsigned i);
	/* After the last item. */
	int (*done)(struct cf_parser *p, const struct conf_node *list, void *obj);
};

/* ---- messages and the key path (conf.c) ---- */

/* Reports a problem with the configuration at line (0: none); returns DP_ESYNTAX. */
int cf_fail(struct cf_parser *p, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Reports "out of memory" (no key path); returns DP_ENOMEM. */
int cf_nomem(struct cf_parser *p);

/* Appends ".key" (or "key" at the top) to the path; returns the length to restore. */
size_t cf_path_push_key(struct cf_parser *p, const char *key, size_t len);

/* Appends "[i]" to the path; returns the length to restore. */
size_t cf_path_push_index(struct cf_parser *p, size_t i);

/* Restores the path to length old (a push's return value). */
void cf_path_pop(struct cf_parser *p, size_t old);

/* ---- values (conf.c) ---- */

/* obj + off: where a row's handler stores its value. */
void *cf_at(void *obj, size_t off);

/* The value of key in mapping m, or NULL (also when m is not a mapping). */
const struct conf_node *cf_map_get(const struct conf_node *m, const char *key);

/*
 * Item i of a list value v (v itself when it is the single scalar a CF_ONE
 * row allows), which must be a non-null scalar: 0 and *out set, or the
 * error.  Pushes nothing on the path.
 */
int cf_list_scalar(struct cf_parser *p, const struct conf_node *v, size_t i,
		   const struct conf_node **out) __attribute__((warn_unused_result));

/* How many items a list value has (a single scalar: 1; null: 0). */
size_t cf_list_count(const struct conf_node *v);

/* *dst = a copy of s (a previous value is freed): 0 or DP_ENOMEM. */
int cf_set_string(struct cf_parser *p, char **dst, const char *s)
	__attribute__((warn_unused_result));

/* A scalar of printable text, no NUL, at most max octets: 0 or the error. */
int cf_check_text(struct cf_parser *p, const struct conf_node *v, size_t max)
	__attribute__((warn_unused_result));

/* *dst = path made absolute against the file's directory (a previous value is freed). */
int cf_set_path(struct cf_parser *p, int line, char **dst, const char *path)
	__attribute__((warn_unused_result));

/* A decimal integer scalar, at most cap: 0 and *out, or -1 (the caller says why). */
int cf_parse_uint(const struct conf_node *v, uint64_t cap, uint64_t *out)
	__attribute__((warn_unused_result));

/* s[0..len) as an IPv4 or IPv6 address into addr (16 octets): AF_INET, AF_INET6, or -1. */
int cf_parse_ip(const char *s, size_t len, uint8_t *addr) __attribute__((warn_unused_result));

/* "IPv4" or "IPv6". */
const char *cf_family_name(int family);

/* ---- handlers and checks shared by sections (conf.c) ---- */

int cf_h_string(struct cf_parser *p, const struct cf_field *f, const struct conf_node *v,
		void *obj);
int cf_h_uint(struct cf_parser *p, const struct cf_field *f, const struct conf_node *v, void *obj);
/* A key id (remote.key, acl.key): a pointer to that key of p->conf. */
int cf_h_key_ref(struct cf_parser *p, const struct cf_field *f, const struct conf_node *v,
		 void *obj);
/* zone[i].primary and template[i].primary: remote ids. */
int cf_h_zone_primaries(struct cf_parser *p, const struct cf_field *f, const struct conf_node *v,
			void *obj);
/* zone[i].acl and template[i].acl: acl ids. */
int cf_h_zone_acls(struct cf_parser *p, const struct cf_field *f, const struct conf_node *v,
		   void *obj);

/*
 * A zone's or template's min-max pair of timer bounds ("refresh", "retry",
 * "expire") must not cross: 0, or the error at the key written last.
 */
int cf_zone_check_bounds(struct cf_parser *p, const struct conf_node *item, const char *what,
			 uint32_t min, uint32_t max) __attribute__((warn_unused_result));

/* The SOA timer bounds and the size limit of zone and template rows. */
extern const struct cf_range cf_r_refresh, cf_r_retry, cf_r_expire, cf_r_xfr_bytes;

/* ---- the acl, template and log sections (sections.c) ---- */

extern const struct cf_list cf_l_acls, cf_l_templates, cf_l_logs;

/* The template of c with that id, or NULL. */
const struct conf_template *cf_template_find(const struct conf *c, const char *id);

/* No log section (or an empty one): stderr at info, what dpdnsd always did.  0 or DP_ENOMEM. */
int cf_log_default(struct cf_parser *p) __attribute__((warn_unused_result));
