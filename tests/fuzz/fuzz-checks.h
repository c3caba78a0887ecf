/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <string.h>

#include "clap-request.h"
#include "clap-task-info.h"
#include "clap-untrusted.h"

G_BEGIN_DECLS

/* What the rest of the application may rely on in a task read from the
 * network, whatever the answer was: an id that names no path, links it
 * may fetch, text that is valid and bounded, no time before 2000. */
static inline void
fuzz_check_task_info (const ClapTaskInfo *info)
{
  g_assert (clap_task_id_is_valid (info->task_id));
  g_assert (clap_task_state_to_string (info->state) != NULL);
  g_assert (info->state != CLAP_TASK_STATE_SUBMITTING &&
            info->state != CLAP_TASK_STATE_INTERRUPTED);

  if (info->result_urls != NULL)
    {
      g_assert (info->result_urls[0] != NULL);
      g_assert (g_strv_length (info->result_urls) <= 8);
      for (guint i = 0; info->result_urls[i] != NULL; i++)
        {
          g_assert (strlen (info->result_urls[i]) <= 2048);
          g_assert (g_utf8_validate (info->result_urls[i], -1, NULL));
          g_assert (clap_url_is_allowed (info->result_urls[i], NULL));
        }
    }

  g_assert (info->service_state == NULL || g_utf8_strlen (info->service_state, -1) <= 65);
  g_assert (info->model == NULL || g_utf8_strlen (info->model, -1) <= 129);
  g_assert (info->fail_msg == NULL || g_utf8_validate (info->fail_msg, -1, NULL));
  g_assert (info->fail_msg == NULL || g_utf8_strlen (info->fail_msg, -1) <= 1200);
  g_assert (info->fail_code == NULL || g_utf8_strlen (info->fail_code, -1) <= 129);
  g_assert (info->video_size == NULL || g_utf8_strlen (info->video_size, -1) <= 129);
  g_assert (info->thumbnail_url == NULL || clap_url_is_allowed (info->thumbnail_url, NULL));
  g_assert (info->create_time == 0 || info->create_time >= G_GINT64_CONSTANT (946684800000));
  g_assert (info->complete_time == 0 || info->complete_time >= G_GINT64_CONSTANT (946684800000));
  g_assert (info->cost_time >= 0);
  g_assert (info->video_duration >= 0 && info->video_duration <= 3600);
  g_assert (info->param == NULL || JSON_NODE_HOLDS_OBJECT (info->param));
}

G_END_DECLS
