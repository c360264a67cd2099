/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Containers: formats that hold named members (tar today; zip, ar, ...
 * behind the same table). A container pulls from one stream and hands
 * out members one at a time, each with a stream of its data. Member
 * names are labels only: nothing is ever created on disk.
 */
#ifndef LSI_CONTAINER_H
#define LSI_CONTAINER_H

#include <stddef.h>
#include <stdint.h>

#include "bstream.h"

enum lsi_mtype {
	LSI_M_FILE, LSI_M_DIR, LSI_M_SYMLINK, LSI_M_HARDLINK, LSI_M_OTHER,
	LSI_M_REPORT /* not a member: a finding the container's analysis produced */
};

struct lsi_guard;

/*
 * A member still encoded, for another thread to decode: the raw bytes
 * (borrowed like the rest of the member) and what it takes to turn a copy
 * of them into a stream yielding exactly the bytes, and the damage, that
 * the member's own data stream would have.
 */
#define LSI_RECIPE_LEN 40
struct lsi_packed {
	const uint8_t *raw;
	size_t len;
	/* A stream over @raw (borrowed until it is closed); NULL on OOM. */
	struct lsi_bstream *(*open)(const uint8_t *raw, size_t len, const void *recipe,
				    const struct lsi_guard *guard);
	unsigned char recipe[LSI_RECIPE_LEN];
};

/* One member; every pointer is borrowed and valid until the next next(). */
struct lsi_member {
	const char *name;           /* bytes as stored; may hold anything */
	size_t name_len;
	enum lsi_mtype type;
	const char *link;           /* link target or NULL */
	int64_t size;               /* bytes, -1 when unknown */
	struct lsi_bstream *data;   /* file data (FILE only), else NULL */
	/* Optional: the same data still encoded. A reader takes either this
	 * or data, never both; the container checks only what data yields. */
	const struct lsi_packed *packed;
	/* LSI_M_REPORT only: an analyzer rule (target: analyzer) and its evidence.
	 * The finding's path is the container's path, plus name when non-empty. */
	const char *report_rule;    /* rule id */
	int report_severity;        /* ls_severity overriding the rule's, or -1 */
	const char *details_json;   /* a JSON object, or NULL */
	const char *message;        /* one line for people, or NULL */
	const char *report_reason;  /* why that severity: a static string, or NULL */
};

struct lsi_climits {
	uint64_t max_members;       /* per archive */
	uint64_t max_member_bytes;  /* held in memory for one member */
	/* Expansion guard for formats that decompress inside (zip members, rpm
	 * payloads, image layers, libarchive); NULL = unguarded. Borrowed. */
	const struct lsi_guard *guard;
	/* Bytes held in memory by all open readers of this input (zip, 7z):
	 * max_member_bytes bounds the sum, not each one. NULL = per reader. */
	uint64_t *held;
};

struct lsi_container_ops {
	const char *name;           /* "tar" */
	size_t probe_len;           /* bytes probe() wants */
	int (*probe)(const uint8_t *head, size_t n); /* 0 = not mine */
	/* Takes ownership of @in. NULL on OOM. */
	void *(*open)(struct lsi_bstream *in, const struct lsi_climits *lim);
	/*
	 * Next member into @m. LSI_RD_EOF at the end; DAMAGED with @msg when a
	 * member cannot be read, LIMIT when a limit was crossed (calling next()
	 * again resumes where possible, or returns EOF when the reader gave up).
	 */
	enum lsi_rd (*next)(void *c, struct lsi_member *m, char msg[LSI_MSG_LEN]);
	void (*close)(void *c);
	/* Members' bytes lie in the stream as they are (a tar, a map's JSON):
	 * past --max-depth it is still scanned, as plain data. */
	bool stored;
};

/* The container whose probe accepts @head, or NULL. */
const struct lsi_container_ops *lsi_container_sniff(const uint8_t *head, size_t n);
/* The sum a tar header's checksum field holds (that field read as spaces);
 * *sgn gets the signed-char sum some old writers used instead. */
uint64_t lsi_tar_sum(const uint8_t *block512, int64_t *sgn);
/* Largest probe_len of any container or decoder: what the sniffer peeks. */
#define LSI_SNIFF_LEN 512

extern const struct lsi_container_ops lsi_container_tar;
extern const struct lsi_container_ops lsi_container_oci;        /* docker save / OCI image tar */
extern const struct lsi_container_ops lsi_container_zip;
extern const struct lsi_container_ops lsi_container_ar;
extern const struct lsi_container_ops lsi_container_cpio;
extern const struct lsi_container_ops lsi_container_rpm;
extern const struct lsi_container_ops lsi_container_libarchive; /* 7z, rar, cab, xar */
extern const struct lsi_container_ops lsi_container_sourcemap;

#endif
