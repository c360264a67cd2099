/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Observers of one data member's bytes, beside the engine in the
 * pipeline's data path:
 *  - executables (container/binfmt.h): debug sections and build-host paths
 *    become one binary-debug-info finding per binary; per-string
 *    debug-info hits inside it are counted into that finding instead of
 *    being reported one by one;
 *  - base64 runs that decode to text are scanned again as a virtual
 *    member "base64@<offset>" (offset of the run in the enclosing member),
 *    nested up to LSI_DATAOBS_B64_DEPTH levels;
 *  - a run whose decoded head sniffs as a source map (an inline
 *    "sourceMappingURL=data:application/json;base64,..." map, mostly) is
 *    held instead, up to LS_PARAM_MAX_MEMBER_BYTES, and read as the
 *    source-map container under that same element once the member ends:
 *    its sources become members, its JSON is not scanned as text too;
 *  - in binary members (an executable, or a NUL byte in the first bytes),
 *    printable UTF-16LE runs are transcoded and scanned as a virtual
 *    member "utf16le", one run a line.
 * Memory is fixed per member, but for the decoded maps held: no member is
 * buffered. A map over the cap is scanned as text, with a limit finding.
 */
#ifndef LSI_DATAOBS_H
#define LSI_DATAOBS_H

#include "core.h"

/* Levels of base64 inside base64 that are decoded. */
#define LSI_DATAOBS_B64_DEPTH 2
/* Build-path examples kept for a binary finding, and their length. */
#define LSI_DATAOBS_EXAMPLES 5
#define LSI_DATAOBS_EXAMPLE_LEN 200
/* Bytes of a member looked at to tell binary from text. */
#define LSI_DATAOBS_SNIFF 512

struct lsi_dataobs;

/*
 * Opens the observers of one member; the scanner's path is the member's,
 * @depth its nesting (as the pipeline counts it, for --max-depth).
 */
ls_status lsi_dataobs_open(ls_scanner *s, int depth, struct lsi_dataobs **out);
/* The hit callback for the member's engine stream (user: the observers). */
int lsi_dataobs_hit(const struct lsi_hit *h, void *user);
/* The member's next bytes, in order, as they are pushed to the engine. */
void lsi_dataobs_feed(struct lsi_dataobs *ob, const uint8_t *p, size_t n);
/*
 * Ends the member: closes the decoded streams and reports the binary
 * finding. Call after the member's engine stream is closed (its last hits
 * may be counted into the finding).
 */
ls_status lsi_dataobs_finish(struct lsi_dataobs *ob);
/*
 * Reads the source maps held from the member's base64 (after a successful
 * finish only), each as a container nested in the member, then frees @ob;
 * NULL is fine. Call once the member's own findings and per-rule counts
 * are out: the maps' findings follow them, whatever the read sizes were.
 */
ls_status lsi_dataobs_close(struct lsi_dataobs *ob);

#endif
