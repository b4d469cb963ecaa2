/*
 * harness/line_reader.c — the gzip-transparent line reader (line_reader.h).
 *
 * zlib's gzread passes plain files through unchanged and inflates gzip
 * ones.  Lines are cut out of a buffer of our own rather than with gzgets,
 * because gzgets cannot tell a NUL byte from the end of the line: the
 * buffer keeps the byte count, so a NUL is always seen.
 *
 * Invariant: buffer[start..end) holds bytes read but not yet returned;
 * end <= HL_LINE_MAX_BYTES, leaving one byte for the terminator of a last
 * line that has no newline.
 */
#include "line_reader.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

struct hl_line_reader {
    gzFile file;        /* zlib reads plain files unchanged, gzip by magic */
    size_t line_number; /* of the line last returned */
    const char *error;  /* NULL until the first error; then every call fails */
    char error_text[120]; /* storage for reasons built at run time */
    bool complete;      /* the line last returned ended with a newline */
    bool at_eof;        /* gzread has returned 0: nothing more to read */
    size_t start, end;  /* the unreturned bytes in buffer */
    char buffer[HL_LINE_MAX_BYTES + 1];
};

hl_line_reader *hl_line_reader_open_fd(int fd, const char *name, char *err, size_t err_size)
{
    hl_line_reader *r = malloc(sizeof *r);
    if (r == NULL) {
        snprintf(err, err_size, "%s: out of memory", name);
        close(fd);
        return NULL;
    }
    errno = 0;
    r->file = gzdopen(fd, "rb");
    if (r->file == NULL) {
        snprintf(err, err_size, "%s: cannot open: %s", name,
                 errno ? strerror(errno) : "out of memory");
        close(fd);
        free(r);
        return NULL;
    }
    gzbuffer(r->file, 1u << 17);
    r->line_number = 0;
    r->error = NULL;
    r->complete = true;
    r->at_eof = false;
    r->start = r->end = 0;
    return r;
}

hl_line_reader *hl_line_reader_open(const char *path, char *err, size_t err_size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, err_size, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    return hl_line_reader_open_fd(fd, path, err, err_size);
}

/* Reads more bytes after buffer[end]; false at the end or on an error. */
static bool fill(hl_line_reader *r)
{
    if (r->start > 0) {
        memmove(r->buffer, r->buffer + r->start, r->end - r->start);
        r->end -= r->start;
        r->start = 0;
    }
    errno = 0;
    int n = gzread(r->file, r->buffer + r->end, (unsigned)(HL_LINE_MAX_BYTES - r->end));
    int code = Z_OK;
    const char *msg = gzerror(r->file, &code);
    if (n > 0 && code == Z_OK) {
        r->end += (size_t)n;
        return true;
    }
    if (code == Z_BUF_ERROR) {
        /* zlib's "unexpected end of file": the gzip stream was cut off */
        r->error = "gzip stream ends early (truncated file)";
    } else if (code == Z_ERRNO) {
        snprintf(r->error_text, sizeof r->error_text, "read error: %s",
                 errno ? strerror(errno) : "unknown");
        r->error = r->error_text;
    } else if (code != Z_OK) {
        snprintf(r->error_text, sizeof r->error_text, "gzip data error: %s", msg);
        r->error = r->error_text;
    } else if (n < 0) {
        r->error = "read error";
    }
    r->at_eof = true;
    return false;
}

char *hl_line_reader_next(hl_line_reader *r, size_t *line_number)
{
    *line_number = r->line_number + 1;
    if (r->error)
        return NULL;
    char *newline;
    while ((newline = memchr(r->buffer + r->start, '\n', r->end - r->start)) == NULL) {
        if (r->at_eof)
            break;
        if (r->end - r->start == HL_LINE_MAX_BYTES) {
            r->error = memchr(r->buffer, '\0', r->end) ? "NUL byte in line" : "line too long";
            return NULL;
        }
        if (!fill(r) && r->error)
            return NULL;
    }
    char *line = r->buffer + r->start;
    size_t len;
    if (newline) {
        len = (size_t)(newline - line);
        r->start += len + 1;
    } else {
        len = r->end - r->start;
        if (len == 0)
            return NULL; /* clean end */
        r->start = r->end;
    }
    if (memchr(line, '\0', len) != NULL) {
        r->error = "NUL byte in line";
        return NULL;
    }
    line[len] = '\0'; /* the newline's byte, or the spare one after end */
    if (len > 0 && line[len - 1] == '\r')
        line[len - 1] = '\0';
    r->complete = newline != NULL;
    r->line_number++;
    return line;
}

const char *hl_line_reader_error(const hl_line_reader *r)
{
    return r->error;
}

bool hl_line_reader_last_line_complete(const hl_line_reader *r)
{
    return r->complete;
}

size_t hl_line_reader_lines(const hl_line_reader *r)
{
    return r->line_number;
}

void hl_line_reader_close(hl_line_reader *r)
{
    if (r) {
        gzclose(r->file);
        free(r);
    }
}
