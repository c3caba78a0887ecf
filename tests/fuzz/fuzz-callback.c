/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "clap-task-info.h"
#include "fuzz-checks.h"
#include "fuzz-common.h"

/* clap_task_info_parse_callback() reads the body of an unsigned POST that
 * anyone on the network may send: the envelope, then `param` and
 * `resultJson`, JSON held in strings. */

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GBytes) body = g_bytes_new (data, size);
  g_autoptr(ClapTaskInfo) info = NULL;
  g_autoptr(GError) error = NULL;

  fuzz_init ();

  info = clap_task_info_parse_callback (body, &error);
  g_assert ((info == NULL) != (error == NULL));
  if (info == NULL)
    {
      g_assert (g_utf8_validate (error->message, -1, NULL));
      return 0;
    }

  fuzz_check_task_info (info);
  if (info->video_size != NULL)
    g_assert (g_utf8_validate (info->video_size, -1, NULL));
  return 0;
}
