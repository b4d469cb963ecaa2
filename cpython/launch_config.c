/*
 * cpython/launch_config.c — the configuration NAME of launch_config.h
 * (percent-encoding both ways), the folder of per-configuration symlinks,
 * and finding a launcher's configuration from its argv[0].  Shared by
 * `heaplab python`, which makes the folder, and the launcher, which reads
 * it back.
 */
#include "launch_config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool plain_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '.' || c == '_' || c == ',' || c == '=' || c == '+' || c == '-';
}

/* Appends text percent-encoded at name + *used; false when it overflows. */
static bool append_encoded(const char *text, char *name, size_t size, size_t *used)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        size_t need = plain_char(*p) ? 1 : 3;
        if (*used + need >= size)
            return false;
        if (need == 1) {
            name[(*used)++] = (char)*p;
        } else {
            name[(*used)++] = '%';
            name[(*used)++] = hex[*p >> 4];
            name[(*used)++] = hex[*p & 15];
        }
    }
    name[*used] = '\0';
    return true;
}

/* Appends text as it is (a separator or a plain field). */
static bool append_raw(const char *text, char *name, size_t size, size_t *used)
{
    size_t n = strlen(text);
    if (*used + n >= size)
        return false;
    memcpy(name + *used, text, n + 1);
    *used += n;
    return true;
}

bool hl_py_config_encode(const hl_py_config *config, char *name, size_t size)
{
    size_t used = 0;
    if (size > NAME_MAX + 1)
        size = NAME_MAX + 1;
    if (size == 0 || config->spec[0] == '\0')
        return false;
    /* '~' is encoded inside the fields, so it separates them unambiguously. */
    if (!append_encoded(config->spec, name, size, &used) ||
        !append_raw(config->mem_domain ? "~obj,mem" : "~obj", name, size, &used))
        return false;
    if (config->stats[0] == '\0')
        return true;
    return append_raw("~", name, size, &used) &&
           append_encoded(config->stats, name, size, &used);
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes name[0..len) into out (out_size bytes); false on a bad escape, a
   NUL, or overflow. */
static bool decode_field(const char *name, size_t len, char *out, size_t out_size)
{
    size_t used = 0;
    for (size_t i = 0; i < len; i++) {
        int c = (unsigned char)name[i];
        if (c == '%') {
            if (i + 2 >= len)
                return false;
            int hi = hex_value(name[i + 1]);
            int lo = hex_value(name[i + 2]);
            if (hi < 0 || lo < 0)
                return false;
            c = hi * 16 + lo;
            i += 2;
        } else if (!plain_char((unsigned char)c)) {
            return false;
        }
        if (c == 0 || used + 1 >= out_size)
            return false;
        out[used++] = (char)c;
    }
    out[used] = '\0';
    return used > 0;
}

bool hl_py_parse_domains(const char *text, bool *mem_domain)
{
    if (strcmp(text, "obj") == 0)
        *mem_domain = false;
    else if (strcmp(text, "obj,mem") == 0)
        *mem_domain = true;
    else
        return false;
    return true;
}

bool hl_py_config_decode(const char *name, hl_py_config *config)
{
    const char *first = strchr(name, '~');
    if (first == NULL)
        return false;
    const char *second = strchr(first + 1, '~');
    size_t domains_len = second ? (size_t)(second - first - 1) : strlen(first + 1);
    char domains[8];
    if (domains_len >= sizeof domains)
        return false;
    memcpy(domains, first + 1, domains_len);
    domains[domains_len] = '\0';
    if (!hl_py_parse_domains(domains, &config->mem_domain) ||
        !decode_field(name, (size_t)(first - name), config->spec, sizeof config->spec))
        return false;
    config->stats[0] = '\0';
    return second == NULL ||
           (decode_field(second + 1, strlen(second + 1), config->stats, sizeof config->stats) &&
            config->stats[0] == '/');
}

/* ---- the folder of links ---------------------------------------------- */

static bool path_join(char *out, size_t size, const char *a, const char *b)
{
    int n = snprintf(out, size, "%s/%s", a, b);
    return n > 0 && (size_t)n < size;
}

bool hl_py_link_make(const char *launcher, const hl_py_config *config, char *out,
                     size_t out_size, char *err, size_t err_size)
{
    char name[NAME_MAX + 1], build[PATH_MAX], dir[PATH_MAX], tmp[PATH_MAX];
    if (!hl_py_config_encode(config, name, sizeof name)) {
        snprintf(err, err_size, "allocator spec and stats path too long for a file name");
        return false;
    }
    snprintf(build, sizeof build, "%s", launcher);
    char *slash = strrchr(build, '/');
    if (slash == NULL) {
        snprintf(err, err_size, "launcher path '%s' is not absolute", launcher);
        return false;
    }
    *slash = '\0';
    char top[PATH_MAX];
    if (!path_join(top, sizeof top, build, HL_PY_LINK_DIR) ||
        !path_join(dir, sizeof dir, top, name) ||
        !path_join(out, out_size, dir, HL_PY_LINK_EXE)) {
        snprintf(err, err_size, "path too long");
        return false;
    }
    char current[PATH_MAX];
    ssize_t n = readlink(out, current, sizeof current - 1);
    if (n > 0 && (current[n] = '\0', strcmp(current, launcher) == 0))
        return true;
    if ((mkdir(top, 0777) != 0 && errno != EEXIST) ||
        (mkdir(dir, 0777) != 0 && errno != EEXIST)) {
        snprintf(err, err_size, "cannot create %s: %s", dir, strerror(errno));
        return false;
    }
    int len = snprintf(tmp, sizeof tmp, "%s.%ld", out, (long)getpid());
    if (len < 0 || (size_t)len >= sizeof tmp || symlink(launcher, tmp) != 0 ||
        rename(tmp, out) != 0) {
        snprintf(err, err_size, "cannot create %s: %s", out, strerror(errno));
        unlink(tmp);
        return false;
    }
    return true;
}

/* Whether path is BUILD/python-alloc/NAME/EXE with a NAME that decodes. */
static bool config_of_path(const char *path, hl_py_config *config)
{
    char copy[PATH_MAX];
    snprintf(copy, sizeof copy, "%s", path);
    char *last = strrchr(copy, '/');
    if (last == NULL)
        return false;
    *last = '\0';
    char *name = strrchr(copy, '/');
    if (name == NULL)
        return false;
    *name++ = '\0';
    const char *dir = strrchr(copy, '/');
    dir = dir ? dir + 1 : copy;
    return strcmp(dir, HL_PY_LINK_DIR) == 0 && hl_py_config_decode(name, config);
}

/* execvp's search: the first executable PATH entry holding name. */
static bool search_path(const char *name, char *out, size_t size)
{
    const char *path = getenv("PATH");
    if (path == NULL)
        path = "/usr/local/bin:/usr/bin:/bin";
    while (*path) {
        size_t len = strcspn(path, ":");
        int n = snprintf(out, size, "%.*s/%s", (int)len, len ? path : ".", name);
        if (n > 0 && (size_t)n < size && access(out, X_OK) == 0)
            return true;
        path += len + (path[len] == ':');
    }
    return false;
}

bool hl_py_config_find(const char *argv0, hl_py_config *config)
{
    char path[PATH_MAX];
    if (strchr(argv0, '/') != NULL)
        snprintf(path, sizeof path, "%s", argv0);
    else if (!search_path(argv0, path, sizeof path))
        return false;
    for (int hop = 0; hop < 40; hop++) { /* the kernel's own symlink limit */
        if (config_of_path(path, config))
            return true;
        char target[PATH_MAX];
        ssize_t n = readlink(path, target, sizeof target - 1);
        if (n <= 0)
            return false;
        target[n] = '\0';
        if (target[0] == '/') {
            snprintf(path, sizeof path, "%s", target);
        } else {
            char *slash = strrchr(path, '/');
            size_t keep = slash ? (size_t)(slash - path) + 1 : 0;
            if (keep + (size_t)n >= sizeof path)
                return false;
            memcpy(path + keep, target, (size_t)n + 1);
        }
    }
    return false;
}

void hl_py_spec_without_record(const char *spec, char *out, size_t out_size)
{
    size_t used = 0;
    out[0] = '\0';
    while (*spec) {
        size_t len = strcspn(spec, ":");
        bool record = strncmp(spec, "record=", 7) == 0 && len >= 7;
        if (!record && used + len + 2 <= out_size) {
            if (used > 0)
                out[used++] = ':';
            memcpy(out + used, spec, len);
            used += len;
            out[used] = '\0';
        }
        spec += len + (spec[len] == ':');
    }
}

bool hl_py_spec_refused(const char *spec, char *err, size_t err_size)
{
    while (*spec) {
        size_t len = strcspn(spec, ":");
        size_t name_len = strcspn(spec, ":=");
        if (name_len == 8 && strncmp(spec, "pymalloc", 8) == 0) {
            snprintf(err, err_size,
                     "'pymalloc' calls PyObject_Malloc of a second CPython; for CPython's "
                     "own pymalloc use --alloc cpython");
            return true;
        }
        spec += len + (spec[len] == ':');
    }
    return false;
}
