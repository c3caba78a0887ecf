/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "clap-task-info.h"
#include "fuzz-common.h"

/* clap_task_info_parse() on whatever JSON an envelope's data may hold:
 * any shape, any types, nested JSON as strings or objects. */

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autoptr(ClapTaskInfo) info = NULL;
  g_autoptr(ClapTaskInfo) copy = NULL;
  g_autoptr(GError) error = NULL;

  fuzz_init ();

  if (!json_parser_load_from_data (parser, (const char *) data, (gssize) size, NULL) ||
      json_parser_get_root (parser) == NULL)
    return 0;

  info = clap_task_info_parse (json_parser_get_root (parser), &error);
  g_assert ((info == NULL) != (error == NULL));
  if (info == NULL)
    return 0;

  /* What the rest of the application reads of it. */
  g_assert (info->task_id != NULL && g_utf8_validate (info->task_id, -1, NULL));
  g_assert (clap_task_state_to_string (info->state) != NULL);
  for (guint i = 0; info->result_urls != NULL && info->result_urls[i] != NULL; i++)
    g_assert (g_utf8_validate (info->result_urls[i], -1, NULL));
  g_assert (info->create_time >= 0 && info->complete_time >= 0 && info->cost_time >= 0);

  copy = clap_task_info_copy (info);
  g_assert_cmpstr (copy->task_id, ==, info->task_id);
  return 0;
}
