/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The base64 and UTF-16LE filters, the git config reader and the .pyc
 * string extractor on arbitrary bytes. Each filter runs over the input whole and cut in chunks whose
 * size the first byte picks: the decoded output must be the same.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "container/pyc.h"
#include "core/gitdir.h"
#include "engine/encodings.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct digest {
	uint64_t h;      /* FNV-1a over every event */
	uint64_t data;   /* decoded bytes */
};

static void mix(struct digest *d, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		d->h = (d->h ^ p[i]) * 0x100000001b3ull;
}

static void ev_begin(void *user, uint64_t off)
{
	mix(user, (const uint8_t *)&off, sizeof(off));
}

static void ev_data(void *user, const uint8_t *p, size_t n)
{
	mix(user, p, n);
	((struct digest *)user)->data += n;
}

static void ev_end(void *user)
{
	mix(user, (const uint8_t *)"|", 1);
}

static const struct lsi_b64_sink sink = { ev_begin, ev_data, ev_end };

static void u16_emit(void *user, const uint8_t *p, size_t n, bool last)
{
	mix(user, p, n);
	mix(user, (const uint8_t *)(last ? "\n" : "+"), 1);
}

static struct lsi_b64scan b64;
static struct lsi_u16scan u16;

static void run(const uint8_t *data, size_t size, size_t chunk, struct digest *bd,
		struct digest *ud)
{
	memset(bd, 0, sizeof(*bd));
	memset(ud, 0, sizeof(*ud));
	lsi_b64scan_init(&b64, &sink, bd);
	lsi_u16scan_init(&u16, u16_emit, ud);
	for (size_t at = 0; at < size;) {
		size_t c = chunk && size - at > chunk ? chunk : size - at;

		lsi_b64scan_feed(&b64, data + at, c);
		lsi_u16scan_feed(&u16, data + at, c);
		at += c;
	}
	lsi_b64scan_finish(&b64);
	lsi_u16scan_finish(&u16);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct digest b1, u1, b2, u2;
	char remote[128];

	if (size < 1)
		return 0;
	run(data + 1, size - 1, 0, &b1, &u1);
	run(data + 1, size - 1, 1 + data[0] % 17, &b2, &u2);
	if (memcmp(&b1, &b2, sizeof(b1)) != 0 || memcmp(&u1, &u2, sizeof(u1)) != 0)
		abort();
	/* Decoded base64 is never longer than three quarters of its input. */
	if (b1.data > size / 4 * 3 + 2)
		abort();
	if (lsi_gitdir_config_remote((const char *)data, size, remote, sizeof(remote)) &&
	    strlen(remote) >= sizeof(remote))
		abort();
	{
		/* Exactly @size + 1 bytes of room: the extractor must never need more. */
		uint8_t *out = malloc(size + 1);
		size_t n;

		if (!out)
			return 0;
		n = lsi_pyc_extract(data, size, out);
		if (n > size + 1 || (n && out[n - 1] != '\n'))
			abort();
		free(out);
	}
	return 0;
}
