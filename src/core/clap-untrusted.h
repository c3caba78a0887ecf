/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Everything that arrives over the network, or was stored from it, is read
 * through these before the rest of the code sees it: bounded in size and
 * nesting, never a path, and shown with its control characters escaped. */

/* An API answer or a callback body: a task's JSON is a few kilobytes. */
#define CLAP_UNTRUSTED_MAX_ANSWER_BYTES (4 * 1024 * 1024)

/* json-glib recurses once per level; a real answer nests fewer than ten. */
#define CLAP_UNTRUSTED_MAX_JSON_DEPTH 64

/* A task id the provider gives is a few dozen characters. */
#define CLAP_TASK_ID_MAX_LENGTH 128

#define CLAP_UNTRUSTED_ERROR (clap_untrusted_error_quark ())

typedef enum {
  CLAP_UNTRUSTED_ERROR_TOO_LARGE,
  CLAP_UNTRUSTED_ERROR_TOO_DEEP,
  CLAP_UNTRUSTED_ERROR_INVALID,
} ClapUntrustedError;

GQuark    clap_untrusted_error_quark      (void);

gboolean  clap_untrusted_check_json_depth (const char  *data,
                                           gsize        size,
                                           guint        max_depth);
JsonNode *clap_untrusted_parse_json       (const char  *data,
                                           gssize       size,
                                           gsize        max_bytes,
                                           GError     **error);
gboolean  clap_task_id_is_valid           (const char  *task_id);
char     *clap_untrusted_escape           (const char  *text,
                                           gssize       max_chars);

G_END_DECLS
