/*
 * tools/trace_recorder.c — an LD_PRELOAD library that records every
 * malloc, calloc, realloc and free of a process, with addresses, for
 * tools/trace_convert.py to turn into a `heaplab-trace 1` file.
 *
 * Build:  cc -O2 -shared -fPIC -o build/trace_recorder.so tools/trace_recorder.c -ldl -lpthread
 * Use:    HEAPLAB_TRACE_OUT=run.%d.raw PYTHONMALLOC=malloc \
 *             LD_PRELOAD=build/trace_recorder.so python3 program.py
 *         (tools/record_trace.sh does this and the conversion in one go)
 *
 * HEAPLAB_TRACE_OUT names the raw log; "%d" in it becomes the process id,
 * so a child that is exec'ed with the same environment writes its own file.
 * The default is heaplab-trace.%d.raw in the current directory.
 *
 * Raw log layout, in the recording machine's byte order:
 *
 *      offset 0    "HLRAW01\n"                 8 bytes of magic
 *      offset 8    0x0102030405060708          uint64, tells the byte order
 *      offset 16   records, 24 bytes each:
 *                    uint64  kind << 56 | size   (requested bytes; 0 for free)
 *                    uint64  result address      (0 for free)
 *                    uint64  argument address    (old block of realloc, free)
 *
 * Records are appended while one lock is held across the real call, so
 * their order is an order the calls really happened in: a free that makes
 * an address reusable is always logged before the malloc that reuses it.
 *
 * Three hazards of interposing malloc, and the answers:
 *   - dlsym, which finds the real functions, may itself call calloc: calls
 *     made before the real functions are known are served from a small
 *     static bootstrap area, never recorded and never passed to real free;
 *   - the recorder must not record itself: a thread-local flag marks calls
 *     made from inside the recorder, which go straight to the real function
 *     (the log is written with write(2), which does not allocate);
 *   - fork while another thread holds the lock: the lock is taken around
 *     fork, and the child stops recording (its buffer belongs to the parent).
 * Allocations made before the library's constructor ran are not recorded;
 * the converter drops their frees and counts them.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum record_kind {
    RECORD_MALLOC = 1,
    RECORD_CALLOC = 2,
    RECORD_REALLOC = 3,
    RECORD_FREE = 4,
    RECORD_ALIGNED = 5, /* posix_memalign, aligned_alloc, memalign, [p]valloc */
};

#define RAW_MAGIC "HLRAW01\n"
#define RAW_BYTE_ORDER 0x0102030405060708u
#define BUFFER_WORDS (3 * 43690)      /* about 1 MiB of records */
#define BOOTSTRAP_BYTES (64 * 1024)   /* dlsym needs a few dozen bytes */
#define SIZE_MASK ((UINT64_C(1) << 56) - 1)

enum recorder_state { UNRESOLVED, RESOLVING, READY };

/*
 * The recorder's state.  Invariants: `used` is a multiple of 3 and at most
 * BUFFER_WORDS; fd >= 0 exactly while recording; the real_* pointers
 * are set once state is READY and never change afterwards.
 */
static struct recorder {
    enum recorder_state state;
    void *(*real_malloc)(size_t);
    void *(*real_calloc)(size_t, size_t);
    void *(*real_realloc)(void *, size_t);
    void (*real_free)(void *);
    int (*real_posix_memalign)(void **, size_t, size_t);
    void *(*real_aligned_alloc)(size_t, size_t);
    void *(*real_memalign)(size_t, size_t);
    void *(*real_valloc)(size_t);
    void *(*real_pvalloc)(size_t);
    size_t (*real_malloc_usable_size)(void *);

    pthread_mutex_t lock;  /* guards the log: fd, used, log_buffer */
    int fd;                /* the raw log, or -1 when not recording */
    size_t used;           /* words of log_buffer in use */
    size_t bootstrap_used; /* bump pointer into bootstrap (resolve time only) */
} rec = {.lock = PTHREAD_MUTEX_INITIALIZER, .fd = -1};

/* The two large areas of the recorder, outside `rec` so that they stay in
   .bss instead of making the library a megabyte of initialised data. */
static uint64_t log_buffer[BUFFER_WORDS];
static _Alignas(16) unsigned char bootstrap[BOOTSTRAP_BYTES];

/* Set while this thread runs recorder code; initial-exec so that reading it
   never calls into the dynamic linker, which could allocate. */
static __thread int inside __attribute__((tls_model("initial-exec")));

/* ---- bootstrap area ------------------------------------------------------
 * Each block is preceded by a gap of at least 16 bytes whose last 8 hold
 * its size, so realloc and malloc_usable_size work on it.  Blocks are never
 * reused: the area only serves the few calls made while resolving.
 */

static int in_bootstrap(const void *p)
{
    const unsigned char *c = p;
    return c >= bootstrap && c < bootstrap + sizeof bootstrap;
}

static void *bootstrap_alloc(size_t size, size_t alignment)
{
    if (alignment < 16)
        alignment = 16;
    size_t start = (rec.bootstrap_used + 16 + alignment - 1) & ~(alignment - 1);
    if (size > sizeof bootstrap || start + size > sizeof bootstrap) {
        errno = ENOMEM;
        return NULL;
    }
    rec.bootstrap_used = start + size;
    memcpy(bootstrap + start - sizeof size, &size, sizeof size);
    return bootstrap + start;
}

static size_t bootstrap_size(const void *p)
{
    size_t size;
    memcpy(&size, (const unsigned char *)p - sizeof size, sizeof size);
    return size;
}

/* A message on stderr, by write(2): stdio may allocate. */
static void say(const char *message)
{
    ssize_t ignored = write(2, message, strlen(message));
    (void)ignored;
}

/* ---- resolving the real functions ---------------------------------------- */

static void *real(const char *name)
{
    return dlsym(RTLD_NEXT, name);
}

static void resolve(void)
{
    if (rec.state != UNRESOLVED)
        return;
    rec.state = RESOLVING;
    inside = 1;
    *(void **)&rec.real_malloc = real("malloc");
    *(void **)&rec.real_calloc = real("calloc");
    *(void **)&rec.real_realloc = real("realloc");
    *(void **)&rec.real_free = real("free");
    *(void **)&rec.real_posix_memalign = real("posix_memalign");
    *(void **)&rec.real_aligned_alloc = real("aligned_alloc");
    *(void **)&rec.real_memalign = real("memalign");
    *(void **)&rec.real_valloc = real("valloc");
    *(void **)&rec.real_pvalloc = real("pvalloc");
    *(void **)&rec.real_malloc_usable_size = real("malloc_usable_size");
    inside = 0;
    if (rec.real_malloc == NULL || rec.real_calloc == NULL || rec.real_realloc == NULL ||
        rec.real_free == NULL) {
        say("trace_recorder: cannot find the real malloc\n");
        _exit(127);
    }
    rec.state = READY;
}

/* True when the caller may record: resolved, and not called from inside. */
static int recording_call(void)
{
    if (rec.state != READY)
        resolve();
    return rec.state == READY && !inside;
}

/* ---- the log ------------------------------------------------------------- */

static void write_all(const void *data, size_t size)
{
    const unsigned char *p = data;
    while (size > 0 && rec.fd >= 0) {
        ssize_t n = write(rec.fd, p, size);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            say("trace_recorder: write failed; recording stopped\n");
            close(rec.fd);
            rec.fd = -1;
            return;
        }
        p += n;
        size -= (size_t)n;
    }
}

/* Called with the lock held. */
static void flush_locked(void)
{
    write_all(log_buffer, rec.used * sizeof log_buffer[0]);
    rec.used = 0;
}

/* Called with the lock held. */
static void record(enum record_kind kind, size_t size, const void *result, const void *arg)
{
    if (rec.fd < 0)
        return;
    if (rec.used == BUFFER_WORDS)
        flush_locked();
    uint64_t *r = log_buffer + rec.used;
    r[0] = (uint64_t)kind << 56 | ((uint64_t)size & SIZE_MASK);
    r[1] = (uint64_t)(uintptr_t)result;
    r[2] = (uint64_t)(uintptr_t)arg;
    rec.used += 3;
}

static void enter(void)
{
    inside = 1;
    pthread_mutex_lock(&rec.lock);
}

static void leave(void)
{
    pthread_mutex_unlock(&rec.lock);
    inside = 0;
}

/* Expands "%d" in the file name pattern to the process id, by hand: the
   stdio formatting functions may allocate. */
static void output_path(char *path, size_t path_size)
{
    const char *pattern = getenv("HEAPLAB_TRACE_OUT");
    if (pattern == NULL || *pattern == '\0')
        pattern = "heaplab-trace.%d.raw";
    char pid[24];
    size_t pid_len = 0;
    for (unsigned long v = (unsigned long)getpid(); v > 0 || pid_len == 0; v /= 10)
        pid[pid_len++] = (char)('0' + v % 10);
    size_t n = 0;
    for (const char *c = pattern; *c && n + pid_len + 1 < path_size; c++) {
        if (c[0] == '%' && c[1] == 'd') {
            for (size_t i = pid_len; i > 0; i--)
                path[n++] = pid[i - 1];
            c++;
        } else {
            path[n++] = *c;
        }
    }
    path[n] = '\0';
}

static void before_fork(void)
{
    pthread_mutex_lock(&rec.lock);
}

static void after_fork_parent(void)
{
    pthread_mutex_unlock(&rec.lock);
}

static void after_fork_child(void)
{
    if (rec.fd >= 0)
        close(rec.fd);
    rec.fd = -1;
    rec.used = 0;
    pthread_mutex_unlock(&rec.lock);
}

__attribute__((constructor)) static void recorder_start(void)
{
    resolve();
    char path[4096];
    output_path(path, sizeof path);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        say("trace_recorder: cannot open the raw log; nothing is recorded\n");
        return;
    }
    pthread_atfork(before_fork, after_fork_parent, after_fork_child);
    enter();
    rec.fd = fd;
    uint64_t order = RAW_BYTE_ORDER;
    write_all(RAW_MAGIC, 8);
    write_all(&order, sizeof order);
    leave();
}

__attribute__((destructor)) static void recorder_stop(void)
{
    enter();
    flush_locked();
    if (rec.fd >= 0)
        close(rec.fd);
    rec.fd = -1;
    leave();
}

/* ---- the interposed functions -------------------------------------------- */

void *malloc(size_t size)
{
    if (!recording_call())
        return rec.state == READY ? rec.real_malloc(size) : bootstrap_alloc(size, 16);
    enter();
    void *p = rec.real_malloc(size);
    if (p)
        record(RECORD_MALLOC, size, p, NULL);
    leave();
    return p;
}

void *calloc(size_t nelem, size_t elsize)
{
    if (!recording_call()) {
        if (rec.state == READY)
            return rec.real_calloc(nelem, elsize);
        if (elsize != 0 && nelem > SIZE_MAX / elsize) {
            errno = ENOMEM;
            return NULL;
        }
        return bootstrap_alloc(nelem * elsize, 16); /* static, so zeroed */
    }
    enter();
    void *p = rec.real_calloc(nelem, elsize);
    if (p)
        record(RECORD_CALLOC, nelem * elsize, p, NULL);
    leave();
    return p;
}

void free(void *block)
{
    if (block == NULL || in_bootstrap(block))
        return;
    if (!recording_call()) {
        if (rec.state == READY)
            rec.real_free(block);
        return;
    }
    enter();
    record(RECORD_FREE, 0, NULL, block);
    rec.real_free(block);
    leave();
}

void *realloc(void *block, size_t size)
{
    if (block == NULL)
        return malloc(size);
    if (in_bootstrap(block)) {
        /* Moved out to a real (and recorded) block; the old one stays. */
        void *p = malloc(size);
        size_t old = bootstrap_size(block);
        if (p)
            memcpy(p, block, old < size ? old : size);
        return p;
    }
    if (!recording_call())
        return rec.real_realloc(block, size);
    enter();
    void *p = rec.real_realloc(block, size);
    if (p)
        record(RECORD_REALLOC, size, p, block);
    else if (size == 0)
        record(RECORD_FREE, 0, NULL, block); /* glibc frees on realloc(p, 0) */
    leave();
    return p;
}

void *reallocarray(void *block, size_t nelem, size_t elsize)
{
    if (elsize != 0 && nelem > SIZE_MAX / elsize) {
        errno = ENOMEM;
        return NULL;
    }
    return realloc(block, nelem * elsize);
}

/* The aligned family: recorded as plain allocations of their size, since a
   trace has no alignment field; replay gives every block 16 bytes. */
int posix_memalign(void **out, size_t alignment, size_t size)
{
    if (!recording_call()) {
        if (rec.state == READY)
            return rec.real_posix_memalign(out, alignment, size);
        *out = bootstrap_alloc(size, alignment);
        return *out ? 0 : ENOMEM;
    }
    enter();
    int status = rec.real_posix_memalign(out, alignment, size);
    if (status == 0)
        record(RECORD_ALIGNED, size, *out, NULL);
    leave();
    return status;
}

static void *aligned_call(void *(*function)(size_t, size_t), size_t alignment, size_t size)
{
    if (rec.state == READY && function == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    if (!recording_call())
        return rec.state == READY ? function(alignment, size)
                                  : bootstrap_alloc(size, alignment);
    enter();
    void *p = function(alignment, size);
    if (p)
        record(RECORD_ALIGNED, size, p, NULL);
    leave();
    return p;
}

void *aligned_alloc(size_t alignment, size_t size)
{
    resolve();
    return aligned_call(rec.real_aligned_alloc, alignment, size);
}

void *memalign(size_t alignment, size_t size)
{
    resolve();
    return aligned_call(rec.real_memalign, alignment, size);
}

static void *page_aligned(void *(*function)(size_t), size_t size)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    if (rec.state == READY && function == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    if (!recording_call())
        return rec.state == READY ? function(size) : bootstrap_alloc(size, page);
    enter();
    void *p = function(size);
    if (p)
        record(RECORD_ALIGNED, size, p, NULL);
    leave();
    return p;
}

void *valloc(size_t size)
{
    resolve();
    return page_aligned(rec.real_valloc, size);
}

void *pvalloc(size_t size)
{
    resolve();
    return page_aligned(rec.real_pvalloc, size);
}

size_t malloc_usable_size(void *block)
{
    if (block == NULL)
        return 0;
    if (in_bootstrap(block))
        return bootstrap_size(block);
    resolve();
    return rec.real_malloc_usable_size ? rec.real_malloc_usable_size(block) : 0;
}
