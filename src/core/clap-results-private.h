/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "clap-task.h"

G_BEGIN_DECLS

/* clap-results.c: which files of the results folder are Clapboard's. */

typedef enum {
  CLAP_RESULT_CLIP,       /* UID.mp4 */
  CLAP_RESULT_THUMBNAIL,  /* UID.jpg */
} ClapResultKind;

char     *_clap_results_build_path (const char     *results_dir,
                                    const char     *uid,
                                    ClapResultKind  kind);
gboolean  _clap_results_is_own     (const char     *results_dir,
                                    const char     *uid,
                                    const char     *task_id,
                                    const char     *path,
                                    gboolean        must_exist);
gboolean  _clap_results_remove     (const char     *results_dir,
                                    const char     *uid,
                                    const char     *task_id,
                                    const char     *path);

guint64   _clap_results_max_bytes  (ClapTask       *task);

G_END_DECLS
