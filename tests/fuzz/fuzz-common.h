/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <glib.h>

G_BEGIN_DECLS

/* The libFuzzer entry point each fuzz-*.c defines. The same file builds
 * into a libFuzzer target (clang, build-aux/fuzz.sh) and, with
 * fuzz-replay.c, into a plain program that feeds it the saved corpus. */
int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t         size);

/* A warning or a critical from the code under test is a finding too. */
static inline void
fuzz_init (void)
{
  static gboolean done;

  if (done)
    return;
  done = TRUE;
  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
}

G_END_DECLS
