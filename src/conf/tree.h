/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

/*
 * The YAML layer of src/conf: libyaml's event API turns configuration text
 * into a small tree of scalars, lists and mappings, each node with the line
 * it starts on.  conf.c walks the tree against its schema tables.  Events
 * rather than libyaml's document API, because the document API resolves
 * aliases and forgets where they were written, and an alias is refused here
 * at its own line.
 *
 * Allocates; no global state; any thread, not the fast path.
 */

#include <stdbool.h>
#include <stddef.h>

#define CONF_TREE_DEPTH_MAX 64 /* nesting of lists and mappings; the schema needs 5 */
#define CONF_QUOTE_MAX 64      /* characters of user text that conf_quote keeps */

enum conf_node_kind {
	CONF_NODE_SCALAR,
	CONF_NODE_SEQ,
	CONF_NODE_MAP,
};

struct conf_node {
	enum conf_node_kind kind;
	int line;  /* 1-based line where the node starts (see conf_tree_parse for nulls) */
	bool null; /* a plain, untagged scalar "", "~", "null", "Null" or "NULL" */
	char *str; /* scalar: the value, NUL-terminated, no NUL inside; else NULL */
	size_t len;
	struct conf_node **kids; /* list: items; mapping: key, value, key, value, ... */
	size_t nkids, cap;
};

/*
 * Parses text[0..len) (no NUL needed) into *root, NULL when the text holds
 * no document.  One document at most; no aliases; explicit tags only from
 * YAML's core schema (!!str, !!int, ...), which are otherwise ignored; no
 * NUL in a scalar; nesting at most CONF_TREE_DEPTH_MAX.  A null mapping
 * value ("key:" and nothing) gets its key's line and a null document its
 * "---" line, rather than the line of whatever token follows.
 * Returns 0 (the caller owns *root: conf_node_free), DP_ESYNTAX with the
 * problem's line in *line and a one-line description in msg (libyaml's own
 * words for a syntax error; NUL-terminated, truncated to msglen), or
 * DP_ENOMEM.
 */
int conf_tree_parse(const char *text, size_t len, struct conf_node **root, int *line, char *msg,
		    size_t msglen) __attribute__((warn_unused_result));

/* Frees n and everything below it; NULL is a no-op. */
void conf_node_free(struct conf_node *n);

/* What n is, for messages: "a mapping", "a list", "a scalar" or "nothing (null)". */
const char *conf_node_kind_name(const struct conf_node *n);

/*
 * Copies s[0..len) into buf (cap >= CONF_QUOTE_MAX + 8) for a message:
 * printable ASCII as is, every other octet as \xNN (so the message stays one
 * printable line), cut with "..." past CONF_QUOTE_MAX characters.
 * Returns buf.
 */
const char *conf_quote(const char *s, size_t len, char *buf, size_t cap);
