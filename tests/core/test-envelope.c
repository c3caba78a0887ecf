/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "clap-envelope.h"
#include "clap-task-info.h"

static JsonNode *
parse (guint        status,
       const char  *content_type,
       const char  *body,
       gssize       len,
       GError     **error)
{
  g_autoptr(GBytes) bytes = NULL;

  if (body != NULL)
    bytes = g_bytes_new (body, len < 0 ? strlen (body) : (gsize) len);
  return clap_envelope_parse (status, content_type, bytes, error);
}

static void
expect_error (guint        status,
              const char  *content_type,
              const char  *body,
              gint         code,
              const char  *fragment)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) data = parse (status, content_type, body, -1, &error);

  g_assert_null (data);
  g_assert_error (error, CLAP_CLIENT_ERROR, code);
  g_test_message ("%u %s → %s", status, body ? body : "(none)", error->message);
  if (fragment != NULL && strstr (error->message, fragment) == NULL)
    g_error ("“%s” does not mention “%s”", error->message, fragment);
}

static void
test_success (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) data = parse (200, "application/json",
                                    "{\"code\":200,\"msg\":\"success\",\"data\":"
                                    "{\"taskId\":\"cl1\",\"state\":\"pending\"}}", -1, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (data));
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (data), "taskId"), ==, "cl1");

  /* a code written as a number with a fraction part is still read */
  {
    g_autoptr(JsonNode) fractional = parse (200, "application/json",
                                            "{\"code\":200.0,\"data\":{\"taskId\":\"cl2\"}}", -1,
                                            &error);
    g_assert_no_error (error);
    g_assert_nonnull (fractional);
  }
}

static void
test_codes (void)
{
  /* the envelope's code, with HTTP 200 or with the same HTTP status */
  struct { guint code; gint error; const char *fragment; } cases[] = {
    { 400, CLAP_CLIENT_ERROR_BAD_REQUEST, "duration must be" },
    { 401, CLAP_CLIENT_ERROR_UNAUTHORIZED, "Preferences" },
    { 402, CLAP_CLIENT_ERROR_INSUFFICIENT_BALANCE, "balance" },
    { 404, CLAP_CLIENT_ERROR_NOT_FOUND, "duration must be" },
    { 429, CLAP_CLIENT_ERROR_RATE_LIMITED, "too many" },
    { 500, CLAP_CLIENT_ERROR_SERVER, "500" },
    { 503, CLAP_CLIENT_ERROR_SERVER, "503" },
    { 1302, CLAP_CLIENT_ERROR_RATE_LIMITED, NULL },
    { 418, CLAP_CLIENT_ERROR_BAD_REQUEST, "418" },
    { 0, CLAP_CLIENT_ERROR_PROTOCOL, NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *body = g_strdup_printf ("{\"code\":%u,\"msg\":\"duration must be 5 or 10\","
                                               "\"data\":null}", cases[i].code);
      expect_error (200, "application/json", body, cases[i].error, cases[i].fragment);
      if (cases[i].code >= 400 && cases[i].code < 600)
        expect_error (cases[i].code, "application/json", body, cases[i].error, cases[i].fragment);
    }

  /* the code as a string */
  expect_error (200, "application/json", "{\"code\":\"402\",\"msg\":\"no money\"}",
                CLAP_CLIENT_ERROR_INSUFFICIENT_BALANCE, "no money");
}

static void
test_http_status_wins (void)
{
  /* code 200 but HTTP 500: failed, whatever the body says */
  expect_error (500, "application/json", "{\"code\":200,\"msg\":\"ok\",\"data\":{}}",
                CLAP_CLIENT_ERROR_SERVER, "500");
  expect_error (404, "application/json", "{\"code\":200,\"msg\":\"ok\",\"data\":{}}",
                CLAP_CLIENT_ERROR_NOT_FOUND, NULL);
}

static void
test_malformed (void)
{
  /* HTML error pages */
  expect_error (502, "text/html", "<html><body>Bad Gateway</body></html>",
                CLAP_CLIENT_ERROR_SERVER, "502");
  expect_error (200, "text/html; charset=utf-8", "<html><body>Login</body></html>",
                CLAP_CLIENT_ERROR_PROTOCOL, "HTML");
  expect_error (401, "text/html", "<html>nope</html>", CLAP_CLIENT_ERROR_UNAUTHORIZED, NULL);
  /* truncated */
  expect_error (200, "application/json", "{\"code\":200,\"msg\":\"succ",
                CLAP_CLIENT_ERROR_PROTOCOL, "HTTP 200");
  /* not JSON */
  expect_error (200, "application/json", "\x01garbage{{", CLAP_CLIENT_ERROR_PROTOCOL, "not JSON");
  /* empty */
  expect_error (200, "application/json", "", CLAP_CLIENT_ERROR_PROTOCOL, "empty");
  expect_error (200, "application/json", NULL, CLAP_CLIENT_ERROR_PROTOCOL, "empty");
  expect_error (503, NULL, "", CLAP_CLIENT_ERROR_SERVER, "503");
  /* JSON but not an envelope */
  expect_error (200, "application/json", "[1,2,3]", CLAP_CLIENT_ERROR_PROTOCOL, NULL);
  expect_error (200, "application/json", "\"text\"", CLAP_CLIENT_ERROR_PROTOCOL, NULL);
  expect_error (200, "application/json", "{\"msg\":\"success\",\"data\":{}}",
                CLAP_CLIENT_ERROR_PROTOCOL, "status code");
  expect_error (200, "application/json", "{\"code\":true,\"data\":{}}",
                CLAP_CLIENT_ERROR_PROTOCOL, NULL);
  /* a code no integer can hold (found by fuzzing: the cast was undefined) */
  expect_error (200, "application/json", "{\"code\":9999999e99,\"data\":{}}",
                CLAP_CLIENT_ERROR_PROTOCOL, "status code");
  expect_error (200, "application/json", "{\"code\":-1e300,\"data\":{}}",
                CLAP_CLIENT_ERROR_PROTOCOL, "status code");
  /* missing or null data */
  expect_error (200, "application/json", "{\"code\":200,\"msg\":\"success\"}",
                CLAP_CLIENT_ERROR_PROTOCOL, "no data");
  expect_error (200, "application/json", "{\"code\":200,\"msg\":\"success\",\"data\":null}",
                CLAP_CLIENT_ERROR_PROTOCOL, "no data");
}

static void
test_detail_sanitized (void)
{
  g_autoptr(GString) long_msg = g_string_new ("{\"code\":400,\"msg\":\"");
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) data = NULL;

  for (guint i = 0; i < 1000; i++)
    g_string_append (long_msg, "x");
  g_string_append (long_msg, "\\u0007\"}");

  data = parse (400, "application/json", long_msg->str, -1, &error);
  g_assert_null (data);
  g_assert_error (error, CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_BAD_REQUEST);
  g_assert_cmpuint (g_utf8_strlen (error->message, -1), <, 450);
  g_assert_null (strchr (error->message, '\a'));
}

static void
test_transient (void)
{
  g_autoptr(GError) e = NULL;

  for (gint code = CLAP_CLIENT_ERROR_BAD_REQUEST; code <= CLAP_CLIENT_ERROR_BUSY; code++)
    {
      gboolean transient;

      e = g_error_new_literal (CLAP_CLIENT_ERROR, code, "x");
      transient = clap_client_error_is_transient (e);
      g_assert_cmpint (transient, ==,
                       code == CLAP_CLIENT_ERROR_RATE_LIMITED || code == CLAP_CLIENT_ERROR_SERVER ||
                       code == CLAP_CLIENT_ERROR_NETWORK || code == CLAP_CLIENT_ERROR_TIMEOUT ||
                       code == CLAP_CLIENT_ERROR_PROTOCOL);
      g_clear_error (&e);
    }

  e = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "x");
  g_assert_false (clap_client_error_is_transient (e));
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/core/envelope/success", test_success);
  g_test_add_func ("/core/envelope/codes", test_codes);
  g_test_add_func ("/core/envelope/http-status-wins", test_http_status_wins);
  g_test_add_func ("/core/envelope/malformed", test_malformed);
  g_test_add_func ("/core/envelope/detail-sanitized", test_detail_sanitized);
  g_test_add_func ("/core/envelope/transient", test_transient);

  return g_test_run ();
}
