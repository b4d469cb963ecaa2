/*
 * base/parse.c — decimal counts and reals, strictly (see parse.h).
 *
 * Written by hand rather than on strtoull/strtod because those accept
 * leading spaces, signs (and negate "-1" into 2^64-1), hexadecimal, "inf"
 * and "nan", and saturate on overflow; every one of those has reached a
 * heaplab parameter unnoticed before.
 */
#include "parse.h"

#include <string.h>

bool hl_parse_u64_span(const char *text, size_t length, uint64_t min, uint64_t max,
                       uint64_t *out)
{
    if (text == NULL || length == 0)
        return false;
    uint64_t value = 0;
    for (size_t i = 0; i < length; i++) {
        unsigned digit = (unsigned char)text[i] - '0';
        if (digit > 9)
            return false;
        if (value > (UINT64_MAX - digit) / 10)
            return false; /* would wrap */
        value = value * 10 + digit;
    }
    if (value < min || value > max)
        return false;
    *out = value;
    return true;
}

bool hl_parse_u64(const char *text, uint64_t min, uint64_t max, uint64_t *out)
{
    return text != NULL && hl_parse_u64_span(text, strlen(text), min, max, out);
}

bool hl_parse_size(const char *text, size_t min, size_t max, size_t *out)
{
    uint64_t value;
    if (!hl_parse_u64(text, min, max < SIZE_MAX ? max : SIZE_MAX, &value))
        return false;
    *out = (size_t)value;
    return true;
}

bool hl_parse_real(const char *text, double max, double *out)
{
    if (text == NULL)
        return false;
    const char *dot = strchr(text, '.');
    size_t whole_length = dot ? (size_t)(dot - text) : strlen(text);
    uint64_t whole;
    /* 2^53: every whole part below it is exact in a double */
    if (!hl_parse_u64_span(text, whole_length, 0, (uint64_t)1 << 53, &whole))
        return false;
    double value = (double)whole;
    if (dot != NULL) {
        const char *p = dot + 1;
        if (*p == '\0')
            return false;
        double scale = 0.1;
        for (; *p; p++, scale /= 10) {
            unsigned digit = (unsigned char)*p - '0';
            if (digit > 9)
                return false;
            value += digit * scale;
        }
    }
    if (!(value <= max))
        return false;
    *out = value;
    return true;
}
