/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target for config files (.leakscan.yaml: disable, severity,
 * internal_domains, markers, ignore). The loader reads a path, so each
 * input goes through one temporary file. Beyond no crash: a config the
 * compile accepts gives rules that scan a line naming every kind of
 * thing the config can act on; a refused one gives none.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../include/leakscan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char rules_yaml[] =
	"rules:\n"
	"  - id: f-key\n"
	"    category: secret\n"
	"    severity: high\n"
	"    pattern: 'fkey_([a-z0-9]{16})'\n";

static const char sample[] =
	"fkey_0123456789abcdef https://api.corp.acme.dev/x PROJECT FALCON\n";

static char path[64];

static void drop_file(void)
{
	unlink(path);
}

static int count(const ls_finding *f, void *user)
{
	(void)f;
	++*(size_t *)user;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ls_compiler *c;
	ls_rules *r = NULL;
	FILE *f;

	if (!path[0]) {
		int fd;

		snprintf(path, sizeof(path), "/tmp/leakscan-fuzz-config-XXXXXX");
		if ((fd = mkstemp(path)) < 0)
			abort();
		close(fd);
		atexit(drop_file);
	}
	if (!(f = fopen(path, "wb")) || fwrite(data, 1, size, f) != size || fclose(f) != 0)
		abort();
	if (ls_compiler_new(&c) != LS_OK)
		abort();
	ls_compiler_add_mem(c, "r.yml", rules_yaml, strlen(rules_yaml));
	ls_compiler_add_config(c, path);
	if (ls_compiler_finish(c, &r) == LS_OK) {
		ls_scanner *s;
		size_t n = 0;

		if (ls_scanner_new(r, &s) != LS_OK)
			abort();
		ls_scanner_set_callback(s, count, &n);
		if (ls_scanner_scan_mem(s, sample, strlen(sample), "a.txt") != LS_OK)
			abort();
		ls_scanner_free(s);
		ls_rules_free(r);
	} else if (r) {
		abort();
	}
	return 0;
}
