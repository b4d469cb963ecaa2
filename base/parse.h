/*
 * base/parse.h — the one way heaplab reads a number from text.
 *
 * Command-line parameters ("stw=700", "failafter=1000", "--repeat 5"), file
 * fields (graph and trace lines) and environment variables all go through
 * these, so every place accepts and rejects the same spellings:
 *
 *   accepted   plain decimal digits, at least one ("0", "700", "007")
 *   rejected   "" , "+5", "-1", " 5", "5 ", "0x10", "1e3", "5k", a value
 *              above the caller's maximum, and anything strtoull would
 *              silently wrap or saturate (2^64 and beyond)
 *
 * Reals (times in ms, e.g. "4.309") are digits, optionally one '.', and at
 * least one digit after it: no sign, no exponent, no "inf" or "nan".
 */
#ifndef HEAPLAB_BASE_PARSE_H
#define HEAPLAB_BASE_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* All of `text` is a decimal count in [min, max]; *out is left alone on
   failure. */
bool hl_parse_u64(const char *text, uint64_t min, uint64_t max, uint64_t *out);

/* The same for `length` bytes of text that need not be NUL-terminated
   (a field inside a line); `length` 0 is rejected. */
bool hl_parse_u64_span(const char *text, size_t length, uint64_t min, uint64_t max,
                       uint64_t *out);

/* size_t flavour of hl_parse_u64 (max is clamped to SIZE_MAX). */
bool hl_parse_size(const char *text, size_t min, size_t max, size_t *out);

/* All of `text` is a non-negative finite real in the form above, at most
   `max`; *out is left alone on failure. */
bool hl_parse_real(const char *text, double max, double *out);

#endif /* HEAPLAB_BASE_PARSE_H */
