/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "clap-exchange.h"

/* Request Details as text: every part of each exchange, in order, bodies
 * laid out, and nothing a terminal would act on. */
static void
test_text (void)
{
  const char *json =
    "[{\"seq\":1,\"time\":1,\"attempt\":0,\"exchange\":{\"time\":1796200000000,\"method\":\"POST\","
    "\"url\":\"https://apimodels.app/api/v1/video/generations\","
    "\"requestHeaders\":{\"Authorization\":\"Bearer [redacted]\"},"
    "\"requestBody\":\"{\\\"prompt\\\":\\\"A fox\\\"}\",\"status\":200,"
    "\"responseBody\":\"{\\\"code\\\":200,\\\"msg\\\":\\\"ok\\u001b[2J\\\"}\","
    "\"redirects\":[],\"error\":null,\"durationMs\":412}},"
    "{\"seq\":2,\"time\":2,\"attempt\":0,\"exchange\":{\"time\":1796200001000,\"method\":\"GET\","
    "\"url\":\"https://apimodels.app/x\",\"status\":0,\"redirects\":[{\"status\":302,"
    "\"url\":\"http://192.0.2.1/x\"}],\"error\":\"not secure\\u0007\",\"durationMs\":3}},"
    "{\"seq\":3,\"time\":3,\"attempt\":1,\"exchange\":{\"truncated\":true,\"bytes\":400000,"
    "\"head\":\"{\\\"what\\\"\"}},"
    "{\"seq\":4,\"time\":4,\"attempt\":1,\"error\":\"it nests more than 64 levels deep\"}]";
  g_autoptr(JsonNode) entries = json_from_string (json, NULL);
  g_autofree char *text = clap_exchanges_to_text (entries);
  const char *post, *answer, *get;

  g_assert_nonnull (entries);
  g_test_message ("%s", text);

  g_assert_nonnull (strstr (text, "Submission 1\n"));
  g_assert_nonnull (strstr (text, "Submission 2\n"));
  post = strstr (text, "POST https://apimodels.app/api/v1/video/generations → HTTP 200 · 412 ms");
  g_assert_nonnull (post);
  g_assert_nonnull (strstr (text, "> Authorization: Bearer [redacted]"));
  g_assert_nonnull (strstr (text, "\"prompt\" : \"A fox\""));
  answer = strstr (text, "\"msg\" : \"ok\\u001b[2J\"");
  g_assert_nonnull (answer);
  get = strstr (text, "GET https://apimodels.app/x → no answer");
  g_assert_nonnull (get);
  g_assert_true (post < answer && answer < get);
  g_assert_nonnull (strstr (text, "< redirected 302 → http://192.0.2.1/x"));
  g_assert_nonnull (strstr (text, "! not secure\\x07"));
  g_assert_nonnull (strstr (text, "(400000 bytes, cut when kept)"));
  g_assert_nonnull (strstr (text, "! it nests more than 64 levels deep"));

  /* nothing raw for a terminal */
  g_assert_null (strchr (text, '\x1b'));
  g_assert_null (strchr (text, '\x07'));
}

static void
test_empty (void)
{
  g_autoptr(JsonNode) empty = json_from_string ("[]", NULL);
  g_autofree char *none = clap_exchanges_to_text (empty);
  g_autofree char *null = clap_exchanges_to_text (NULL);

  g_assert_cmpstr (none, ==, "");
  g_assert_cmpstr (null, ==, "");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/core/exchange/text", test_text);
  g_test_add_func ("/core/exchange/empty", test_empty);

  return g_test_run ();
}
