/* SPDX-License-Identifier: BSD-3-Clause */
#include "zone/load.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libzscanner/scanner.h>

#include "dns/errcode.h"
#include "dns/name.h"
#include "dns/rrtype.h"
#include "zone/builder.h"

#define LOAD_DEFAULT_TTL 3600

struct load_ctx {
	struct zone_builder *b;
	struct zone_diag *d;
	const char *name; /* what the caller calls the input */
	char *cur_file;	  /* file of the previous record, to notice $INCLUDE switches */
	bool failed;	  /* out of memory, or an error not counted by d */
	unsigned long errors_before;
};

/* libzscanner names included files by their resolved path and string input not at all. */
static const char *scanner_file(const zs_scanner_t *s, const struct load_ctx *c)
{
	return s->file.name != NULL ? s->file.name : c->name;
}

static void on_record(zs_scanner_t *s)
{
	struct load_ctx *c = s->process.data;
	const char *file = scanner_file(s, c);

	if (c->cur_file == NULL || strcmp(c->cur_file, file) != 0) {
		char *copy = strdup(file);
		if (copy == NULL || zone_builder_set_source(c->b, file, c->d) < 0) {
			free(copy);
			goto oom;
		}
		free(c->cur_file);
		c->cur_file = copy;
	}
	int rc = zone_builder_add(c->b, s->r_owner, s->r_type, s->r_class, s->r_ttl, s->r_data,
				  s->r_data_length, s->line_counter);
	if (rc == DP_ENOMEM)
		goto oom;
	/* Other rejections were reported by the builder; keep going to report them all. */
	return;
oom:
	zone_diag_report(c->d, ZONE_DIAG_ERROR, file, s->line_counter, NULL, 0, "out of memory");
	c->failed = true;
	s->state = ZS_STATE_STOP;
}

static void on_error(zs_scanner_t *s)
{
	struct load_ctx *c = s->process.data;

	/*
	 * A failed $INCLUDE is reported twice by libzscanner: the problem inside
	 * the included file, then "include file processing error" at the
	 * directive.  The first line says it all.
	 */
	if (s->error.code == ZS_UNPROCESSED_INCLUDE && c->d->errors > c->errors_before) {
		c->failed = true;
		return;
	}
	zone_diag_report(c->d, ZONE_DIAG_ERROR, scanner_file(s, c), s->line_counter, NULL, 0, "%s",
			 zs_strerror(s->error.code));
}

static struct zone_contents *load(const char *path, const char *text, size_t len, const char *name,
				  const char *origin, struct zone_diag *d)
{
	static const uint8_t root[1] = { 0 };
	struct zone_diag fallback;
	struct load_ctx c = { .name = name, .d = d };
	struct zone_contents *z = NULL;
	zs_scanner_t *s = NULL;
	uint8_t owire[DNS_NAME_MAXLEN];
	char otext[DNS_NAME_TEXT_MAX];

	if (c.d == NULL) {
		zone_diag_init(&fallback, NULL, NULL);
		c.d = &fallback;
	}
	c.errors_before = c.d->errors;

	if (origin == NULL || dns_name_from_text(origin, root, owire) < 0 ||
	    dns_name_to_text(owire, otext, sizeof(otext)) < 0) {
		zone_diag_report(c.d, ZONE_DIAG_ERROR, name, 0, NULL, 0, "bad zone origin '%s'",
				 origin != NULL ? origin : "");
		return NULL;
	}
	c.b = zone_builder_new(owire);
	s = calloc(1, sizeof(*s));
	if (c.b == NULL || s == NULL || zone_builder_set_source(c.b, name, c.d) < 0) {
		zone_diag_report(c.d, ZONE_DIAG_ERROR, name, 0, NULL, 0, "out of memory");
		goto fail;
	}
	if (zs_init(s, otext, DNS_C_IN, LOAD_DEFAULT_TTL) != 0) {
		zone_diag_report(c.d, ZONE_DIAG_ERROR, name, 0, NULL, 0, "%s",
				 zs_strerror(s->error.code));
		goto fail;
	}
	if (path != NULL) {
		errno = 0;
		if (zs_set_input_file(s, path) != 0) {
			int err = errno;
			if (s->error.code == ZS_FILE_OPEN && err != 0)
				zone_diag_report(c.d, ZONE_DIAG_ERROR, name, 0, NULL, 0,
						 "cannot open: %s", strerror(err));
			else
				zone_diag_report(c.d, ZONE_DIAG_ERROR, name, 0, NULL, 0, "%s",
						 zs_strerror(s->error.code));
			goto fail;
		}
	} else if (zs_set_input_string(s, text, len) != 0) {
		zone_diag_report(c.d, ZONE_DIAG_ERROR, name, 0, NULL, 0, "%s",
				 zs_strerror(s->error.code));
		goto fail;
	}
	if (zs_set_processing(s, on_record, on_error, &c) != 0)
		goto fail;
	/* Errors are counted through the sink; the return value adds nothing. */
	(void)zs_parse_all(s);
	if (c.failed || c.d->errors > c.errors_before)
		goto fail;
	z = zone_builder_finish(c.b, c.d);
fail:
	if (s != NULL)
		zs_deinit(s);
	free(s);
	free(c.cur_file);
	zone_builder_free(c.b);
	return z;
}

struct zone_contents *zone_load_file(const char *path, const char *origin, struct zone_diag *d)
{
	return load(path, NULL, 0, path, origin, d);
}

struct zone_contents *zone_load_string(const char *text, size_t len, const char *name,
				       const char *origin, struct zone_diag *d)
{
	return load(NULL, text, len, name != NULL ? name : "(string)", origin, d);
}
