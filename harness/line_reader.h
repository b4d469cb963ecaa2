/*
 * harness/line_reader.h — lines of plain or gzip-compressed text files, for
 * the graph and trace parsers.
 *
 * Compression is detected by the magic bytes 1f 8b, never by the name.
 * Lines are judged on the decompressed bytes, so plain and gzip input give
 * the same answers.  The reader never stops silently: a line longer than
 * HL_LINE_MAX_BYTES, a NUL byte anywhere (the last line included, with or
 * without its newline), a read error (a directory, an I/O error) and a gzip
 * stream that ends early are each an error with its own reason, reported at
 * the number of the line being read.  No global state and no exit(): the
 * parsers built on it can run inside a fuzzer.
 */
#ifndef HEAPLAB_LINE_READER_H
#define HEAPLAB_LINE_READER_H

#include <stdbool.h>
#include <stddef.h>

#define HL_LINE_MAX_BYTES (1u << 16) /* longer lines are an error */

typedef struct hl_line_reader hl_line_reader;

/* Opens path; NULL after writing "PATH: cannot open: reason" to err. */
hl_line_reader *hl_line_reader_open(const char *path, char *err, size_t err_size);
/* Reads from fd, which the reader owns from here on (closed by close, also
   on failure); name is only for messages. */
hl_line_reader *hl_line_reader_open_fd(int fd, const char *name, char *err, size_t err_size);
/* Returns the next line without its newline (and without a '\r' before
   it), NUL-terminated and writable until the next call; NULL at end of file
   or error, which hl_line_reader_error then tells apart (NULL at a clean
   end).  *line_number is the line returned, or the line being read when the
   error happened. */
char *hl_line_reader_next(hl_line_reader *r, size_t *line_number);
const char *hl_line_reader_error(const hl_line_reader *r);
/* Whether the line last returned ended with a newline; true before the
   first line.  After a clean end it tells whether the last line was
   complete. */
bool hl_line_reader_last_line_complete(const hl_line_reader *r);
/* Number of the last line returned (0 before the first). */
size_t hl_line_reader_lines(const hl_line_reader *r);
void hl_line_reader_close(hl_line_reader *r);

#endif
