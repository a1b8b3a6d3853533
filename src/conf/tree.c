/* SPDX-License-Identifier: BSD-3-Clause */
#include "conf/tree.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "dns/errcode.h"

#define QBUF (CONF_QUOTE_MAX + 8)

struct tree_ctx {
	const char *text;
	size_t len;
	int *line;
	char *msg;
	size_t msglen;
};

void conf_node_free(struct conf_node *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->nkids; i++)
		conf_node_free(n->kids[i]);
	free(n->kids);
	free(n->str);
	free(n);
}

const char *conf_node_kind_name(const struct conf_node *n)
{
	switch (n->kind) {
	case CONF_NODE_MAP: return "a mapping";
	case CONF_NODE_SEQ: return "a list";
	case CONF_NODE_SCALAR: break;
	}
	return n->null ? "nothing (null)" : "a scalar";
}

const char *conf_quote(const char *s, size_t len, char *buf, size_t cap)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		size_t need = (c >= 0x20 && c < 0x7f) ? 1 : 4;
		if (o + need + 4 > cap || o + need > CONF_QUOTE_MAX) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		if (need == 1) {
			buf[o++] = (char)c;
		} else {
			buf[o++] = '\\';
			buf[o++] = 'x';
			buf[o++] = hex[c >> 4];
			buf[o++] = hex[c & 15];
		}
	}
	buf[o] = '\0';
	return buf;
}

static int node_add(struct conf_node *parent, struct conf_node *kid)
{
	if (parent->nkids == parent->cap) {
		size_t cap = parent->cap ? parent->cap * 2 : 8;
		struct conf_node **k = realloc(parent->kids, cap * sizeof(*k));
		if (!k)
			return DP_ENOMEM;
		parent->kids = k;
		parent->cap = cap;
	}
	parent->kids[parent->nkids++] = kid;
	return 0;
}

static int mark_line(const yaml_mark_t *m)
{
	return m->line >= INT_MAX ? INT_MAX : (int)m->line + 1;
}

static int tree_fail(struct tree_ctx *t, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int tree_fail(struct tree_ctx *t, int line, const char *fmt, ...)
{
	va_list ap;

	*t->line = line;
	if (t->msg && t->msglen) {
		va_start(ap, fmt);
		vsnprintf(t->msg, t->msglen, fmt, ap);
		va_end(ap);
	}
	return DP_ESYNTAX;
}

/* libyaml's reader reports a byte offset, not a mark: count the lines. */
static int offset_line(const struct tree_ctx *t, size_t off)
{
	int line = 1;
	for (size_t i = 0; i < off && i < t->len && line < INT_MAX; i++)
		line += t->text[i] == '\n';
	return line;
}

static int yaml_fail(struct tree_ctx *t, const yaml_parser_t *yp)
{
	const char *problem = yp->problem ? yp->problem : "unknown problem";

	switch (yp->error) {
	case YAML_MEMORY_ERROR: return DP_ENOMEM;
	case YAML_READER_ERROR:
		if (yp->problem_value != -1)
			return tree_fail(t, offset_line(t, yp->problem_offset),
					 "YAML error: %s (#%X at offset %zu)", problem,
					 (unsigned)yp->problem_value, yp->problem_offset);
		return tree_fail(t, offset_line(t, yp->problem_offset), "YAML error: %s", problem);
	default:
		if (yp->context)
			return tree_fail(t, mark_line(&yp->problem_mark),
					 "YAML syntax error: %s (%s at line %d)", problem,
					 yp->context, mark_line(&yp->context_mark));
		return tree_fail(t, mark_line(&yp->problem_mark), "YAML syntax error: %s", problem);
	}
}

static bool is_null_text(const char *s)
{
	return !*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") ||
	       !strcmp(s, "NULL");
}

/* Explicit tags from YAML's core schema (!!str, !!int, ...) are harmless; others are not ours. */
static int check_tag(struct tree_ctx *t, const yaml_char_t *tag, int line)
{
	static const char core[] = "tag:yaml.org,2002:";
	char q[QBUF];

	if (!tag || !strncmp((const char *)tag, core, sizeof(core) - 1))
		return 0;
	return tree_fail(t, line, "unsupported YAML tag '%s'",
			 conf_quote((const char *)tag, strlen((const char *)tag), q, sizeof(q)));
}

/* A node for a scalar, sequence start or mapping start event. */
static int event_node(struct tree_ctx *t, const yaml_event_t *ev, struct conf_node **out)
{
	int line = mark_line(&ev->start_mark);
	struct conf_node *n;
	int rc;

	*out = NULL;
	switch (ev->type) {
	case YAML_SCALAR_EVENT: rc = check_tag(t, ev->data.scalar.tag, line); break;
	case YAML_SEQUENCE_START_EVENT: rc = check_tag(t, ev->data.sequence_start.tag, line); break;
	default: rc = check_tag(t, ev->data.mapping_start.tag, line); break;
	}
	if (rc < 0)
		return rc;
	n = calloc(1, sizeof(*n));
	if (!n)
		return DP_ENOMEM;
	n->line = line;
	if (ev->type == YAML_SEQUENCE_START_EVENT) {
		n->kind = CONF_NODE_SEQ;
	} else if (ev->type == YAML_MAPPING_START_EVENT) {
		n->kind = CONF_NODE_MAP;
	} else {
		n->kind = CONF_NODE_SCALAR;
		n->len = ev->data.scalar.length;
		n->str = malloc(n->len + 1);
		if (!n->str) {
			free(n);
			return DP_ENOMEM;
		}
		memcpy(n->str, ev->data.scalar.value, n->len);
		n->str[n->len] = '\0';
		if (strlen(n->str) != n->len) {
			free(n->str);
			free(n);
			return tree_fail(t, line, "a value contains a NUL character");
		}
		n->null = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
			  !ev->data.scalar.tag && is_null_text(n->str);
	}
	*out = n;
	return 0;
}

int conf_tree_parse(const char *text, size_t len, struct conf_node **root, int *line, char *msg,
		    size_t msglen)
{
	struct tree_ctx t = {
		.text = text, .len = len, .line = line, .msg = msg, .msglen = msglen
	};
	struct conf_node *stack[CONF_TREE_DEPTH_MAX];
	char q[QBUF];
	size_t depth = 0;
	unsigned ndocs = 0;
	int doc_line = 1;
	yaml_parser_t yp;
	yaml_event_t ev;
	bool done = false;
	int rc = 0;

	*root = NULL;
	*line = 0;
	if (msg && msglen)
		msg[0] = '\0';
	if (!yaml_parser_initialize(&yp))
		return DP_ENOMEM;
	yaml_parser_set_input_string(&yp, (const unsigned char *)text, len);
	while (!done && rc == 0) {
		struct conf_node *n = NULL;
		if (!yaml_parser_parse(&yp, &ev)) {
			rc = yaml_fail(&t, &yp);
			break;
		}
		switch (ev.type) {
		case YAML_STREAM_END_EVENT: done = true; break;
		case YAML_DOCUMENT_START_EVENT:
			if (ndocs++)
				rc = tree_fail(
					&t, mark_line(&ev.start_mark),
					"a second YAML document: the configuration is one document");
			doc_line = mark_line(&ev.start_mark);
			break;
		case YAML_ALIAS_EVENT:
			rc = tree_fail(&t, mark_line(&ev.start_mark),
				       "YAML aliases (*%s) are not supported",
				       conf_quote((const char *)ev.data.alias.anchor,
						  strlen((const char *)ev.data.alias.anchor), q,
						  sizeof(q)));
			break;
		case YAML_SCALAR_EVENT:
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			rc = event_node(&t, &ev, &n);
			if (rc < 0)
				break;
			if (depth == 0) {
				*root = n; /* one document, so one root */
				/* An empty document's null starts where the next token does. */
				if (n->null)
					n->line = doc_line;
			} else {
				struct conf_node *parent = stack[depth - 1];
				/* A null mapping value ("key:" and nothing) starts
				 * wherever the next token is: give it its key's line. */
				if (n->null && parent->kind == CONF_NODE_MAP && parent->nkids % 2)
					n->line = parent->kids[parent->nkids - 1]->line;
				if (node_add(parent, n) < 0) {
					conf_node_free(n);
					rc = DP_ENOMEM;
					break;
				}
			}
			if (n->kind != CONF_NODE_SCALAR) {
				if (depth == CONF_TREE_DEPTH_MAX)
					rc = tree_fail(&t, n->line,
						       "nested more than %d levels deep",
						       CONF_TREE_DEPTH_MAX);
				else
					stack[depth++] = n;
			}
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			if (depth > 0)
				depth--;
			break;
		default: break;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&yp);
	if (rc < 0) {
		conf_node_free(*root);
		*root = NULL;
	}
	return rc;
}
