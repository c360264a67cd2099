/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The whiteout analysis of a container image, private to oci.c: it is fed
 * the bytes of layer tars and manifests as the pipeline reads them, and
 * after the image lists each file that a later layer deleted but the image
 * still carries. It never reads a stream itself.
 */
#ifndef LSI_IMAGE_LAYERS_H
#define LSI_IMAGE_LAYERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LSI_IMAGE_RULE "image-layer-deleted-file"

struct lsi_layers;

/* NULL on OOM. Ownership: the caller frees it with lsi_layers_free(). */
struct lsi_layers *lsi_layers_new(void);
void lsi_layers_free(struct lsi_layers *l);
/* A layer (a tar, decoded) named @name begins; its bytes follow by feed(). */
void lsi_layers_begin_layer(struct lsi_layers *l, const char *name, size_t len);
/* A JSON member that may be a manifest or an index begins. */
void lsi_layers_begin_json(struct lsi_layers *l, const char *name, size_t len);
void lsi_layers_feed(struct lsi_layers *l, const uint8_t *b, size_t n);
/* A JSON member is not yet complete: feed the rest before end(). */
bool lsi_layers_wants_more(const struct lsi_layers *l);
/* The member's bytes are over (or abandoned). */
void lsi_layers_end(struct lsi_layers *l);
/* A symbolic link member (docker save links identical layer.tar files). */
void lsi_layers_link(struct lsi_layers *l, const char *name, size_t len, const char *target);
/* After the image: finds the deleted files still present; returns how many reports. */
size_t lsi_layers_analyse(struct lsi_layers *l);
/*
 * Report @i: the layer member that still holds the file, one line for
 * people, and a details JSON object. Valid until the next call.
 */
void lsi_layers_report(struct lsi_layers *l, size_t i, const char **layer, const char **msg,
		       const char **details);

/* Shared with oci.c: a member name without "./" and "/" in front. */
const char *lsi_image_name(const char *s, size_t *len);
/* A ustar (GNU, pax) tar header with a valid checksum. */
bool lsi_tar_header_ok(const uint8_t *h);

#endif
