/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "clap-task-info.h"
#include "clap-untrusted.h"
#include "fuzz-checks.h"
#include "fuzz-common.h"

/* clap_task_info_parse() on whatever JSON an envelope's data may hold, read
 * as the client reads it (size and depth bounded first): any shape, any
 * types, every dialect's names, nested JSON as strings or objects. */

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(ClapTaskInfo) info = NULL;
  g_autoptr(ClapTaskInfo) copy = NULL;
  g_autoptr(GError) error = NULL;

  fuzz_init ();

  root = clap_untrusted_parse_json ((const char *) data, (gssize) size,
                                    CLAP_UNTRUSTED_MAX_ANSWER_BYTES, NULL);
  if (root == NULL)
    return 0;

  info = clap_task_info_parse (root, &error);
  g_assert ((info == NULL) != (error == NULL));
  if (info == NULL)
    {
      g_assert (g_utf8_validate (error->message, -1, NULL));
      return 0;
    }

  fuzz_check_task_info (info);

  copy = clap_task_info_copy (info);
  g_assert_cmpstr (copy->task_id, ==, info->task_id);
  g_assert_cmpstrv (copy->result_urls, info->result_urls);
  return 0;
}
