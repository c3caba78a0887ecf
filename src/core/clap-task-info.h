/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* The life of a take. SUBMITTING is written before the create request leaves;
 * INTERRUPTED is a take found SUBMITTING after a crash: it may have been
 * created and charged, and is never resent by itself. */
typedef enum {
  CLAP_TASK_STATE_SUBMITTING,
  CLAP_TASK_STATE_PENDING,
  CLAP_TASK_STATE_PROCESSING,
  CLAP_TASK_STATE_COMPLETED,
  CLAP_TASK_STATE_FAILED,
  CLAP_TASK_STATE_INTERRUPTED,
} ClapTaskState;

/* What the service says of a task: a query's data, a create's data, or a
 * callback's data once its nested JSON strings are parsed. */
typedef struct {
  char          *task_id;
  ClapTaskState  state;
  char          *service_state; /* the state as the service wrote it, when it is not one of
                                 * the names Clapboard knows (shown, and polled on) */
  char          *model;         /* as the service names it, e.g. "kling-video/kling-v2-6" */
  GStrv          result_urls;   /* NULL when none */
  char          *thumbnail_url;
  gint64         create_time;   /* ms since the epoch, 0 when absent */
  gint64         complete_time;
  gint64         cost_time;     /* ms */
  char          *fail_code;
  char          *fail_msg;
  double         video_duration; /* s, 0 when absent */
  char          *video_size;     /* "1280x720" */
  JsonNode      *param;          /* the request parameters echoed by a callback */
} ClapTaskInfo;

GType          clap_task_info_get_type    (void) G_GNUC_CONST;
#define CLAP_TYPE_TASK_INFO (clap_task_info_get_type ())

ClapTaskInfo  *clap_task_info_parse       (JsonNode     *data,
                                           GError      **error);
ClapTaskInfo  *clap_task_info_parse_callback (GBytes    *body,
                                              GError   **error);
ClapTaskInfo  *clap_task_info_copy        (const ClapTaskInfo *info);
void           clap_task_info_free        (ClapTaskInfo *info);

const char    *clap_task_state_to_string  (ClapTaskState state);
gboolean       clap_task_state_from_string (const char   *name,
                                            ClapTaskState *state);
gboolean       clap_task_state_is_final   (ClapTaskState state);
gboolean       clap_task_state_is_active  (ClapTaskState state);
const char    *clap_task_state_get_label  (ClapTaskState state);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ClapTaskInfo, clap_task_info_free)

G_END_DECLS
