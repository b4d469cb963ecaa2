/*
 * fuzz/fuzz_input.h — hands a fuzzer's bytes to the parsers the way a file
 * reaches them: through an anonymous in-memory file and the same
 * gzip-transparent line reader (harness/line_reader.h), so compressed
 * inputs, NUL bytes and over-long lines take the real paths.
 */
#ifndef HEAPLAB_FUZZ_INPUT_H
#define HEAPLAB_FUZZ_INPUT_H

#include "line_reader.h"

#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

/* A reader over a copy of data; NULL only if the system refuses a memfd. */
static inline hl_line_reader *fuzz_reader(const uint8_t *data, size_t size, char *err,
                                          size_t err_size)
{
    int fd = memfd_create("fuzz-input", MFD_CLOEXEC);
    if (fd < 0)
        abort();
    for (size_t done = 0; done < size;) {
        ssize_t n = write(fd, data + done, size - done);
        if (n <= 0)
            abort();
        done += (size_t)n;
    }
    if (lseek(fd, 0, SEEK_SET) != 0)
        abort();
    return hl_line_reader_open_fd(fd, "fuzz-input", err, err_size);
}

#endif
