/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "clap-envelope.h"
#include "clap-task-info.h"
#include "fuzz-checks.h"
#include "fuzz-common.h"

/* clap_envelope_parse() reads every reply of the service, in every
 * dialect: the envelope, a bare task, task members beside the data.
 * Input: two bytes of HTTP status (little-endian, modulo 600), one byte
 * choosing the Content-Type, then the body. A successful envelope's data
 * goes on to clap_task_info_parse(), as a create or a query reply does. */

static const char *const content_types[] = {
  NULL,
  "application/json",
  "application/json; charset=utf-8",
  "text/html",
  "text/html; charset=utf-8",
  "text/plain",
  "application/octet-stream",
  "",
};

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GBytes) body = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GError) error = NULL;
  const char *content_type;
  guint status;

  fuzz_init ();

  if (size < 3)
    return 0;

  status = (data[0] | (data[1] << 8)) % 600;
  content_type = content_types[data[2] % G_N_ELEMENTS (content_types)];
  body = g_bytes_new (data + 3, size - 3);

  node = clap_envelope_parse (status, content_type, body, &error);

  /* Exactly one of a result and an error, and the error is ours. */
  g_assert ((node == NULL) != (error == NULL));
  if (error != NULL)
    {
      g_assert (error->domain == CLAP_CLIENT_ERROR);
      g_assert (g_utf8_validate (error->message, -1, NULL));
      return 0;
    }

  {
    g_autoptr(ClapTaskInfo) info = clap_task_info_parse (node, &error);
    g_autoptr(ClapTaskInfo) copy = clap_task_info_copy (info);

    g_assert ((info == NULL) != (error == NULL));
    g_assert ((copy == NULL) == (info == NULL));
    if (copy != NULL)
      {
        g_assert_cmpstr (copy->task_id, ==, info->task_id);
        fuzz_check_task_info (info);
      }
  }

  return 0;
}
