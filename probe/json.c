// SPDX-License-Identifier: MIT
/*
 * A minimal JSON writer and a parser for the flat job object. Hand-written: the probe must stay a
 * dependency-free static binary, and the job is a handful of scalar fields.
 */
#include "probe.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

void json_str(FILE *f, const char *s)
{
	if (!s) {
		fputs("null", f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

void json_kv_str(FILE *f, const char *k, const char *v, bool comma)
{
	fprintf(f, "%s\"%s\":", comma ? "," : "", k);
	json_str(f, v);
}

void json_kv_num(FILE *f, const char *k, long long v, bool comma)
{
	fprintf(f, "%s\"%s\":%lld", comma ? "," : "", k, v);
}

/* ---- parser ---- */

struct cursor {
	const char *p;
	char *err;
	size_t errlen;
};

static void skip_ws(struct cursor *c)
{
	while (isspace((unsigned char)*c->p))
		c->p++;
}

static int fail(struct cursor *c, const char *what)
{
	snprintf(c->err, c->errlen, "malformed job JSON: %s at \"%.20s\"", what, c->p);
	return -1;
}

static int parse_string(struct cursor *c, char *out, size_t len)
{
	size_t n = 0;

	if (*c->p != '"')
		return fail(c, "expected a string");
	c->p++;
	while (*c->p && *c->p != '"') {
		char ch = *c->p++;

		if (ch == '\\') {
			ch = *c->p++;
			if (ch == 'n')
				ch = '\n';
			else if (ch == 't')
				ch = '\t';
			else if (ch == 'u') {  /* keep \uXXXX out of names: not needed by any field */
				return fail(c, "\\u escapes are not supported");
			} else if (!ch)
				return fail(c, "unterminated string");
		}
		if (out && n + 1 < len)
			out[n++] = ch;
	}
	if (*c->p != '"')
		return fail(c, "unterminated string");
	c->p++;
	if (out)
		out[n] = '\0';
	return 0;
}

/* Skip any value (used for fields the probe does not know, such as params). */
static int skip_value(struct cursor *c)
{
	int depth = 0;

	skip_ws(c);
	if (*c->p == '"')
		return parse_string(c, NULL, 0);
	if (*c->p != '{' && *c->p != '[') {
		while (*c->p && *c->p != ',' && *c->p != '}' && *c->p != ']')
			c->p++;
		return 0;
	}
	do {
		if (*c->p == '"') {
			if (parse_string(c, NULL, 0))
				return -1;
			continue;
		}
		if (*c->p == '{' || *c->p == '[')
			depth++;
		else if (*c->p == '}' || *c->p == ']')
			depth--;
		else if (!*c->p)
			return fail(c, "unterminated value");
		c->p++;
	} while (depth > 0);
	return 0;
}

/* Skip a value and keep its raw text (the op-specific "params" object). */
static int capture_value(struct cursor *c, char *out, size_t len)
{
	const char *start;

	skip_ws(c);
	start = c->p;
	if (skip_value(c))
		return -1;
	if ((size_t)(c->p - start) >= len)
		return fail(c, "\"params\" is too long");
	snprintf(out, len, "%.*s", (int)(c->p - start), start);
	return 0;
}

static int parse_number(struct cursor *c, double *v)
{
	char *end;

	*v = strtod(c->p, &end);
	if (end == c->p)
		return fail(c, "expected a number");
	c->p = end;
	return 0;
}

static int parse_bool(struct cursor *c, bool *v)
{
	if (!strncmp(c->p, "true", 4)) {
		*v = true;
		c->p += 4;
	} else if (!strncmp(c->p, "false", 5)) {
		*v = false;
		c->p += 5;
	} else {
		return fail(c, "expected true or false");
	}
	return 0;
}

static int set_field(struct cursor *c, const char *key, struct job *job)
{
	double v = 0;

	if (!strcmp(key, "path"))
		return parse_string(c, job->path, sizeof(job->path));
	if (!strcmp(key, "op"))
		return parse_string(c, job->op, sizeof(job->op));
	if (!strcmp(key, "raw"))
		return parse_bool(c, &job->raw);
	if (!strcmp(key, "pair"))
		return parse_string(c, job->pair, sizeof(job->pair));
	if (!strcmp(key, "params"))
		return capture_value(c, job->params, sizeof(job->params));
	if (strcmp(key, "granule") && strcmp(key, "region") && strcmp(key, "threads") &&
	    strcmp(key, "repetitions") && strcmp(key, "warmup") && strcmp(key, "maxMemShare"))
		return skip_value(c);
	if (parse_number(c, &v))
		return -1;
	if (!strcmp(key, "granule"))
		job->granule = (uint64_t)v;
	else if (!strcmp(key, "region"))
		job->region = (uint64_t)v;
	else if (!strcmp(key, "threads"))
		job->threads = (int)v;
	else if (!strcmp(key, "repetitions"))
		job->repetitions = (int)v;
	else if (!strcmp(key, "warmup"))
		job->warmup = (int)v;
	else
		job->max_mem_share = v;
	return 0;
}

enum path_id path_id_of(const char *name)
{
	static const struct { const char *name; enum path_id id; } paths[] = {
		{ "shmem", PATH_SHMEM }, { "gmem", PATH_GMEM }, { "hugetlb", PATH_HUGETLB }, { "secretmem", PATH_SECRETMEM },
	};

	for (size_t i = 0; i < ARRAY_SIZE(paths); i++)
		if (!strcmp(paths[i].name, name))
			return paths[i].id;
	return PATH_UNKNOWN;
}

static int check_job(struct cursor *c, struct job *job)
{
	if (!job->path[0] || !job->op[0])
		return fail(c, "\"path\" and \"op\" are required");
	if (!job->granule || !job->region)
		return fail(c, "\"granule\" and \"region\" must be positive");
	if (job->threads < 1 || job->threads > 1024)
		return fail(c, "\"threads\" must be 1..1024");
	if (job->repetitions < 1 || job->warmup < 0)
		return fail(c, "\"repetitions\" must be >= 1 and \"warmup\" >= 0");
	if (job->max_mem_share <= 0 || job->max_mem_share > 0.95)
		return fail(c, "\"maxMemShare\" must be in (0, 0.95]");
	if (job->pair[0] && (path_id_of(job->pair) == PATH_UNKNOWN || !strcmp(job->pair, job->path)))
		return fail(c, "\"pair\" must be a known path other than \"path\"");
	return 0;
}

int job_parse(const char *text, struct job *job, char *err, size_t errlen)
{
	struct cursor c = { .p = text, .err = err, .errlen = errlen };
	char key[64];

	memset(job, 0, sizeof(*job));
	job->threads = 1;
	job->repetitions = 1;
	job->max_mem_share = 0.5;
	snprintf(job->params, sizeof(job->params), "{}");
	skip_ws(&c);
	if (*c.p != '{')
		return fail(&c, "expected an object");
	c.p++;
	for (;;) {
		skip_ws(&c);
		if (*c.p == '}')
			break;
		if (parse_string(&c, key, sizeof(key)))
			return -1;
		skip_ws(&c);
		if (*c.p != ':')
			return fail(&c, "expected ':'");
		c.p++;
		skip_ws(&c);
		if (set_field(&c, key, job))
			return -1;
		skip_ws(&c);
		if (*c.p == ',') {
			c.p++;
			continue;
		}
		if (*c.p != '}')
			return fail(&c, "expected ',' or '}'");
	}
	job->path_id = path_id_of(job->path);
	return check_job(&c, job);
}

double job_param(const struct job *job, const char *key, double def)
{
	char pattern[80];
	const char *p;
	char *end;
	double v;

	snprintf(pattern, sizeof(pattern), "\"%s\"", key);
	p = strstr(job->params, pattern);
	if (!p)
		return def;
	p += strlen(pattern);
	while (isspace((unsigned char)*p) || *p == ':')
		p++;
	v = strtod(p, &end);
	return end == p ? def : v;
}
