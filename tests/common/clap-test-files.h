/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Input files built byte by byte: headers exactly as the formats define
 * them, padded, so every reader branch can be reached without an encoder. */
GBytes *clap_test_make_png   (guint32      width,
                              guint32      height,
                              gsize        padding);
GBytes *clap_test_make_jpeg  (guint16      width,
                              guint16      height);
GBytes *clap_test_make_mp4   (const char  *brand,
                              guint32      timescale,
                              guint32      duration,
                              guint32      width,
                              guint32      height,
                              gboolean     mdat_first,
                              gboolean     version1);
char   *clap_test_write      (const char  *dir,
                              const char  *name,
                              GBytes      *bytes);

void    clap_test_rm_rf      (const char  *path);

/* Starts $CLAPBOARD_CLI with @args (NULL-terminated) through @launcher. */
GSubprocess *clap_test_spawn_cli (GSubprocessLauncher *launcher,
                                  const char * const  *args);

G_END_DECLS
