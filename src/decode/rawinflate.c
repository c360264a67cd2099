/* SPDX-License-Identifier: Apache-2.0 */
/* Raw deflate over ISA-L or zlib; see rawinflate.h. */
#include "rawinflate.h"

#include <string.h>
#include <zlib.h>
#if defined(HAVE_ISAL)
#include <isa-l/igzip_lib.h>
#endif

#include "util/alloc.h"

struct lsi_rawinf {
	bool isal;
	uint64_t fed;            /* input bytes given so far */
	z_stream zs;
#if defined(HAVE_ISAL)
	struct inflate_state st; /* large (ISA-L keeps its window and tables here) */
#endif
};

size_t lsi_rawinf_pending(const struct lsi_rawinf *r)
{
#if defined(HAVE_ISAL)
	if (r->isal)
		return r->st.avail_in;
#endif
	return r->zs.avail_in;
}

struct lsi_rawinf *lsi_rawinf_new(bool isal)
{
	struct lsi_rawinf *r = lsi_calloc(1, sizeof(*r));

	if (!r)
		return NULL;
#if defined(HAVE_ISAL)
	if (isal) {
		r->isal = true;
		isal_inflate_init(&r->st);
		r->st.crc_flag = ISAL_DEFLATE;
		return r;
	}
#else
	(void)isal;
#endif
	if (inflateInit2(&r->zs, -MAX_WBITS) != Z_OK) {
		lsi_free(r);
		return NULL;
	}
	return r;
}

void lsi_rawinf_free(struct lsi_rawinf *r)
{
	if (!r)
		return;
	if (!r->isal)
		inflateEnd(&r->zs);
	lsi_free(r);
}

const char *lsi_rawinf_backend(const struct lsi_rawinf *r)
{
	return r->isal ? "isa-l" : "zlib";
}

void lsi_rawinf_feed(struct lsi_rawinf *r, const uint8_t *p, size_t n)
{
	/* Pending input is replaced: it was never consumed. */
	r->fed = r->fed - lsi_rawinf_pending(r) + n;
#if defined(HAVE_ISAL)
	if (r->isal) {
		r->st.next_in = (uint8_t *)(uintptr_t)p;
		r->st.avail_in = (uint32_t)n;
		return;
	}
#endif
	r->zs.next_in = (Bytef *)(uintptr_t)p;
	r->zs.avail_in = (uInt)n;
}

uint64_t lsi_rawinf_total_in(const struct lsi_rawinf *r)
{
	return r->fed - lsi_rawinf_pending(r);
}

#if defined(HAVE_ISAL)
static const char *isal_err(int e)
{
	switch (e) {
	case ISAL_INVALID_BLOCK: return "invalid deflate block";
	case ISAL_INVALID_SYMBOL: return "invalid deflate symbol";
	case ISAL_INVALID_LOOKBACK: return "invalid back-reference distance";
	default: return "inflate failed";
	}
}
#endif

enum lsi_inf lsi_rawinf_run(struct lsi_rawinf *r, uint8_t *out, size_t cap, size_t *produced,
			    const char **msg)
{
	int zr;

	*msg = NULL;
#if defined(HAVE_ISAL)
	if (r->isal) {
		int e;

		r->st.next_out = out;
		r->st.avail_out = (uint32_t)cap;
		e = isal_inflate(&r->st);
		*produced = cap - r->st.avail_out;
		if (e < 0) {
			*msg = isal_err(e);
			return LSI_INF_ERROR;
		}
		/* At the end ISA-L gives back the whole bytes it read ahead. */
		return r->st.block_state == ISAL_BLOCK_FINISH ? LSI_INF_END : LSI_INF_OK;
	}
#endif
	r->zs.next_out = out;
	r->zs.avail_out = (uInt)cap;
	zr = inflate(&r->zs, Z_NO_FLUSH);
	*produced = cap - r->zs.avail_out;
	if (zr == Z_STREAM_END)
		return LSI_INF_END;
	if (zr == Z_MEM_ERROR)
		return LSI_INF_NOMEM;
	if (zr != Z_OK && zr != Z_BUF_ERROR) {
		*msg = r->zs.msg ? r->zs.msg : "inflate failed";
		return LSI_INF_ERROR;
	}
	return LSI_INF_OK;
}
