/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Compiled-database cache; see dbcache.h. File layout: magic "LSHSDB6\n"
 * (6: the content database may hold pad literals, hsdb.c), rule count
 * (u32), the longest Hyperscan match (u32, hs_span), per rule {u8 flags,
 * u32 width}; then two database images, the path (block) database and
 * the content (streaming) one, each a u64 length (0: none, and nothing
 * follows for it) and, at the next 4 KiB boundary, the database as
 * Hyperscan lays it out in memory at a page-aligned address. The content
 * image ends the file.
 *
 * Images are used where they are mapped, read-only: no copy, no zeroing,
 * and only the pages a scan touches are read in (deserializing the 2 MB
 * content database was about a third of a warm start-up; the path
 * database's 200 KB were 50 page faults on fresh memory). This relies on
 * a Hyperscan database holding offsets, not pointers: its serialization
 * is a plain copy of the bytecode and deserializing it anywhere is
 * another one, so the same bytes work at any address with the same
 * alignment. Hyperscan checks each image as it makes the first scratch
 * for it (magic, version, platform and its CRC): a damaged file fails
 * there and is rebuilt, and that scratch, sized for both databases, goes
 * to the first scanner (lsi_engine_take_scratch) or is freed with them.
 */
#include "dbcache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/alloc.h"
#include "util/buf.h"
#include "util/hash.h"

#define MAGIC "LSHSDB6\n"
#define IMAGE_ALIGN 4096u
#define MAX_CACHE_BYTES (512u << 20)
#define CACHE_KEEP 8 /* databases kept in the cache directory */

void lsi_dbcache_key(const struct lsi_engine *e, char key[LSI_DBCACHE_KEY_LEN + 1])
{
	const struct lsi_ruleset *rs = e->rs;
	struct lsi_buf b;
	size_t i = 0;

	lsi_buf_init(&b, SIZE_MAX / 2);
	lsi_buf_printf(&b, "%s|%s|%u|pads %u-%u:%u,%u v%u|", MAGIC, hs_version(), LSI_WINDOW,
		       LSI_PAD_FROM, LSI_PAD_UNTIL, LSI_PAD_COUNT, LSI_PAD_LEN, LSI_PAD_VERSION);
	/* The built-in rules as one digest made at build time (hashing every
	 * pattern here was a tenth of start-up), then which are disabled. */
	if (rs->packed && rs->pack_first + rs->pack_count <= e->count)
		lsi_buf_printf(&b, "pack %zu+%zu %s\n", rs->pack_first, rs->pack_count,
			       lsi_builtin_pack_digest);
	for (; i < e->count; i++) {
		const struct lsi_rule *r = e->rules[i].def;

		if (rs->packed && i >= rs->pack_first && i < rs->pack_first + rs->pack_count) {
			lsi_buf_putc(&b, r->disabled ? '1' : '0');
			continue;
		}
		lsi_buf_printf(&b, "%zu|%d|%d|%s|%s\n", i, r->disabled, r->path_rule || r->analyzer,
			       r->pattern ? r->pattern : "", r->hs_pattern ? r->hs_pattern : "");
	}
	lsi_sha256_hex(b.data ? b.data : (const uint8_t *)"", b.len, "", 0, key,
		       LSI_DBCACHE_KEY_LEN);
	lsi_buf_fini(&b);
}

static bool path_for(const char *dir, const char *key, char *out, size_t n)
{
	int k = snprintf(out, n, "%s/hs-%s.db", dir, key);

	return k > 0 && (size_t)k < n;
}

void lsi_dbcache_free_db(struct lsi_engine *e)
{
	hs_free_scratch(atomic_load(&e->scratch_proto));
	atomic_store(&e->scratch_proto, NULL);
	if (e->db_map) {
		munmap(e->db_map, e->db_map_len);
	} else {
		hs_free_database(e->db);
		hs_free_database(e->path_db);
	}
	e->db = NULL;
	e->path_db = NULL;
	e->db_map = NULL;
	e->db_map_len = 0;
}

/*
 * The database image whose length is at *off, in place in @data (NULL for
 * length 0: none); *off moves past it. False if it cannot be one.
 */
static bool image_at(const uint8_t *data, size_t size, size_t *off, hs_database_t **db)
{
	uint64_t n;
	size_t at, have;

	*db = NULL;
	if (size - *off < 8)
		return false;
	memcpy(&n, data + *off, 8);
	*off += 8;
	if (!n)
		return true;
	at = (*off + IMAGE_ALIGN - 1) / IMAGE_ALIGN * IMAGE_ALIGN;
	if (at > size || n > size - at)
		return false;
	*db = (hs_database_t *)(uintptr_t)(data + at);
	/* The size its header claims; Hyperscan checks the rest when it
	 * makes a scratch for it. */
	if (hs_database_size(*db, &have) != HS_SUCCESS || have != n) {
		*db = NULL;
		return false;
	}
	*off = at + (size_t)n;
	return true;
}

bool lsi_dbcache_load(struct lsi_engine *e, const char *dir, const char *key)
{
	char path[4096];
	struct stat sb;
	uint8_t *data = MAP_FAILED;
	size_t off, need;
	uint32_t count;
	int fd;
	bool ok = false;

	if (!path_for(dir, key, path, sizeof(path)))
		return false;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return false;
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size < 12 ||
	    (uint64_t)sb.st_size > MAX_CACHE_BYTES)
		goto out;
	/* Mapped, not read: the databases are used in place. Populated at
	 * once: Hyperscan's check reads every byte anyway, and one call maps
	 * the cached pages cheaper than a fault every 64 KiB (about 30). */
	data = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
	if (data == MAP_FAILED)
		goto out;
	if (memcmp(data, MAGIC, 8) != 0)
		goto out;
	memcpy(&count, data + 8, 4);
	if (count != e->count)
		goto out;
	need = 16 + (size_t)count * 5;
	if ((size_t)sb.st_size <= need)
		goto out;
	memcpy(&e->hs_span, data + 12, 4);
	off = 16;
	for (size_t i = 0; i < count; i++, off += 5) {
		uint32_t w;

		memcpy(&w, data + off + 1, 4);
		if (w > LSI_WINDOW)
			goto out;
		e->rules[i].prefilter = data[off] & 1;
		e->rules[i].path_always = data[off] & 2;
		e->rules[i].width = w;
	}
	{
		hs_database_t *path_db, *db;
		hs_scratch_t *scratch = NULL;

		/* The content image ends the file; a scratch for both checks both. */
		if (!image_at(data, (size_t)sb.st_size, &off, &path_db) ||
		    !image_at(data, (size_t)sb.st_size, &off, &db) || !db ||
		    off != (size_t)sb.st_size || hs_alloc_scratch(db, &scratch) != HS_SUCCESS ||
		    (path_db && hs_alloc_scratch(path_db, &scratch) != HS_SUCCESS)) {
			hs_free_scratch(scratch);
			goto out;
		}
		e->db = db;
		e->path_db = path_db;
		atomic_store(&e->scratch_proto, scratch);
	}
	/* The mapping lives as long as the engine (lsi_dbcache_free_db). */
	e->db_map = data;
	e->db_map_len = (size_t)sb.st_size;
	data = MAP_FAILED;
	ok = true;
out:
	close(fd);
	if (data != MAP_FAILED)
		munmap(data, (size_t)sb.st_size);
	return ok;
}

static bool write_all(int fd, const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n) {
		ssize_t k = write(fd, b, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return false;
		b += k;
		n -= (size_t)k;
	}
	return true;
}

/*
 * Writes @db's image after the @written bytes before it: its length,
 * padding to IMAGE_ALIGN, then the database as deserialized at a
 * page-aligned address, the layout it will have where it is mapped.
 * No database: a length of 0 and nothing else.
 */
static bool store_image(int fd, const hs_database_t *db, size_t written)
{
	static const uint8_t zeros[IMAGE_ALIGN];
	char *ser = NULL;
	size_t ser_len = 0, need = 0, len = 0, pad;
	void *img = NULL;
	uint64_t head = 0;
	bool ok = false;

	if (!db)
		return write_all(fd, &head, 8);
	if (hs_serialize_database(db, &ser, &ser_len) != HS_SUCCESS)
		return false;
	if (hs_serialized_database_size(ser, ser_len, &need) == HS_SUCCESS && need &&
	    (img = lsi_huge_alloc(need, &len)) != NULL &&
	    hs_deserialize_database_at(ser, ser_len, img) == HS_SUCCESS) {
		head = need;
		written += 8;
		pad = (IMAGE_ALIGN - written % IMAGE_ALIGN) % IMAGE_ALIGN;
		ok = write_all(fd, &head, 8) && write_all(fd, zeros, pad) &&
		     write_all(fd, img, need);
	}
	lsi_huge_free(img, len);
	free(ser); /* allocated by Hyperscan's default allocator */
	return ok;
}

/*
 * Keeps the cache from growing with every rule change: past CACHE_KEEP
 * databases the least recently written go (a build takes about 2 MB).
 * Only names this module writes are touched.
 */
static bool older(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

static void prune(const char *dir)
{
	struct old {
		char name[64];
		struct timespec mtime;
	} olds[CACHE_KEEP + 1];
	size_t n = 0;
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d)
		return;
	while ((de = readdir(d))) {
		char path[4200];
		struct stat sb;
		size_t len = strlen(de->d_name), slot;

		if (len >= sizeof(olds[0].name) || strncmp(de->d_name, "hs-", 3) != 0 ||
		    len < 6 || strcmp(de->d_name + len - 3, ".db") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
			continue;
		/* olds[] holds the newest CACHE_KEEP + 1 seen, newest first;
		 * anything older than all of them is removed at once. */
		for (slot = n; slot > 0 && older(&olds[slot - 1].mtime, &sb.st_mtim); slot--)
			;
		if (slot > CACHE_KEEP) {
			unlink(path);
			continue;
		}
		if (n == CACHE_KEEP + 1) {
			char drop[4200];

			snprintf(drop, sizeof(drop), "%s/%s", dir, olds[CACHE_KEEP].name);
			unlink(drop);
			n--;
		}
		memmove(&olds[slot + 1], &olds[slot], (n - slot) * sizeof(olds[0]));
		memcpy(olds[slot].name, de->d_name, len + 1);
		olds[slot].mtime = sb.st_mtim;
		n++;
	}
	closedir(d);
	if (n == CACHE_KEEP + 1) {
		char drop[4200];

		snprintf(drop, sizeof(drop), "%s/%s", dir, olds[CACHE_KEEP].name);
		unlink(drop);
	}
}

bool lsi_dbcache_store(const struct lsi_engine *e, const char *dir, const char *key)
{
	char path[4096], tmp[4200];
	uint32_t count = (uint32_t)e->count;
	off_t pos;
	int fd;
	bool ok;

	if (!e->db)
		return true; /* nothing to keep */
	if (!path_for(dir, key, path, sizeof(path))) {
		errno = ENAMETOOLONG;
		return false;
	}
	(void)mkdir(dir, 0700);
	snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path);
	if ((fd = mkstemp(tmp)) < 0)
		return false;
	ok = write_all(fd, MAGIC, 8) && write_all(fd, &count, 4) && write_all(fd, &e->hs_span, 4);
	for (size_t i = 0; ok && i < e->count; i++) {
		uint8_t rec[5];
		uint32_t w = e->rules[i].width;

		rec[0] = (e->rules[i].prefilter ? 1 : 0) | (e->rules[i].path_always ? 2 : 0);
		memcpy(rec + 1, &w, 4);
		ok = write_all(fd, rec, 5);
	}
	ok = ok && (pos = lseek(fd, 0, SEEK_CUR)) >= 0 && store_image(fd, e->path_db, (size_t)pos) &&
	     (pos = lseek(fd, 0, SEEK_CUR)) >= 0 && store_image(fd, e->db, (size_t)pos);
	ok = close(fd) == 0 && ok;
	/* rename() is atomic: readers see the old file or the whole new one. */
	if (!ok || rename(tmp, path) != 0) {
		int err = errno;

		unlink(tmp);
		errno = err;
		return false;
	}
	prune(dir);
	return true;
}
