/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "clap-envelope.h"
#include "clap-task-info.h"
#include "clap-untrusted.h"

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
  g_test_message ("%u %.200s → %.300s", status, body ? body : "(none)", error->message);
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

static JsonObject *
expect_data (guint        status,
             const char  *body,
             JsonNode   **out_node)
{
  g_autoptr(GError) error = NULL;
  JsonNode *data = parse (status, "application/json", body, -1, &error);

  g_test_message ("%u %.200s", status, body);
  g_assert_no_error (error);
  g_assert_nonnull (data);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (data));
  *out_node = data;
  return json_node_get_object (data);
}

/* The envelope's code as a string, and Kling's own success code 0, which
 * the gateway passes through from that upstream. */
static void
test_code_string (void)
{
  g_autoptr(JsonNode) a = NULL;
  g_autoptr(JsonNode) b = NULL;
  g_autoptr(JsonNode) c = NULL;
  JsonObject *data;

  data = expect_data (200, "{\"code\":\"200\",\"msg\":\"success\",\"data\":{\"taskId\":\"t1\"}}", &a);
  g_assert_cmpstr (json_object_get_string_member (data, "taskId"), ==, "t1");

  data = expect_data (200, "{\"code\":0,\"message\":\"SUCCEED\",\"request_id\":\"r\","
                      "\"data\":{\"task_id\":\"t2\",\"task_status\":\"submitted\"}}", &b);
  g_assert_cmpstr (json_object_get_string_member (data, "task_id"), ==, "t2");

  data = expect_data (200, "{\"code\":\"0\",\"data\":{\"task_id\":\"t3\"}}", &c);
  g_assert_cmpstr (json_object_get_string_member (data, "task_id"), ==, "t3");

  /* failures keep their meaning, whatever the type of the code */
  expect_error (200, "application/json", "{\"code\":\"401\",\"msg\":\"bad key\"}",
                CLAP_CLIENT_ERROR_UNAUTHORIZED, "bad key");
  expect_error (200, "application/json", "{\"code\":1303,\"message\":\"too many at once\"}",
                CLAP_CLIENT_ERROR_RATE_LIMITED, "too many at once");
  expect_error (200, "application/json", "{\"code\":\"abc\",\"data\":{\"taskId\":\"t\"}}",
                CLAP_CLIENT_ERROR_PROTOCOL, "status code");
}

/* A 2xx answer with no code and no data whose root reads as a task is the
 * task itself: the gateway sometimes answers bare. */
static void
test_bare (void)
{
  g_autoptr(JsonNode) a = NULL;
  g_autoptr(JsonNode) b = NULL;
  g_autoptr(JsonNode) c = NULL;
  g_autoptr(JsonNode) d = NULL;
  g_autoptr(JsonNode) e = NULL;
  JsonObject *data;

  data = expect_data (200, "{\"task_id\":\"t1\",\"status\":\"processing\"}", &a);
  g_assert_cmpstr (json_object_get_string_member (data, "task_id"), ==, "t1");
  g_assert_cmpstr (json_object_get_string_member (data, "status"), ==, "processing");

  data = expect_data (201, "{\"id\":\"t2\",\"videos\":[]}", &b);
  g_assert_cmpstr (json_object_get_string_member (data, "id"), ==, "t2");

  /* a code but no data */
  data = expect_data (200, "{\"code\":200,\"msg\":\"success\",\"taskId\":\"t3\",\"state\":\"pending\"}", &c);
  g_assert_cmpstr (json_object_get_string_member (data, "taskId"), ==, "t3");

  /* the id beside the data: both are read */
  data = expect_data (200, "{\"code\":200,\"task_id\":\"t4\",\"data\":{\"status\":\"queued\"}}", &d);
  g_assert_cmpstr (json_object_get_string_member (data, "task_id"), ==, "t4");
  g_assert_cmpstr (json_object_get_string_member (data, "status"), ==, "queued");

  /* an envelope's own status word is not the task's state */
  data = expect_data (200, "{\"code\":200,\"status\":\"success\",\"msg\":\"ok\","
                      "\"data\":{\"task_id\":\"t5\"}}", &e);
  g_assert_false (json_object_has_member (data, "status"));
  g_assert_false (json_object_has_member (data, "msg"));

  /* what does not read as a task stays an error */
  expect_error (200, "application/json", "{\"hello\":\"world\"}", CLAP_CLIENT_ERROR_PROTOCOL,
                "status code");
  expect_error (200, "application/json", "{\"error\":\"invalid key\"}", CLAP_CLIENT_ERROR_PROTOCOL,
                NULL);
  /* and an error status stays the error it says */
  expect_error (401, "application/json", "{\"task_id\":\"t1\"}", CLAP_CLIENT_ERROR_UNAUTHORIZED,
                NULL);
  expect_error (500, "application/json", "{\"task_id\":\"t1\",\"status\":\"failed\"}",
                CLAP_CLIENT_ERROR_SERVER, "500");
}

/* "[[[…" nested @depth deep around @inner. */
static char *
nested (guint       depth,
        const char *open,
        const char *inner,
        const char *close)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < depth; i++)
    g_string_append (s, open);
  g_string_append (s, inner);
  for (guint i = 0; i < depth; i++)
    g_string_append (s, close);
  return g_string_free (s, FALSE);
}

/* An answer nested 200,000 deep is refused before json-glib recurses into
 * it (which crashed the CLI and the window), in the envelope, in a callback
 * and in JSON held in a string. */
static void
test_deep (void)
{
  g_autofree char *deep_data = nested (200000, "{\"data\":", "{}", "}");
  g_autofree char *deep_array = nested (200000, "[", "1", "]");
  g_autofree char *deep_callback = g_strdup_printf ("{\"code\":200,\"data\":{\"taskId\":\"t\","
                                                    "\"payload\":%s}}", deep_array);
  g_autoptr(GString) deep_string = g_string_new ("{\"code\":200,\"data\":{\"taskId\":\"t\","
                                                 "\"state\":\"completed\",\"resultJson\":\"");
  g_autoptr(GString) big = g_string_new ("{\"code\":200,\"data\":{\"taskId\":\"t\",\"pad\":\"");
  g_autoptr(GBytes) callback = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(ClapTaskInfo) info = NULL;
  g_autoptr(JsonNode) data = NULL;
  g_autoptr(JsonNode) nested_node = NULL;
  g_autoptr(ClapTaskInfo) nested_info = NULL;

  expect_error (200, "application/json", deep_data, CLAP_CLIENT_ERROR_PROTOCOL, "deep");
  expect_error (200, "application/json", deep_array, CLAP_CLIENT_ERROR_PROTOCOL, "deep");
  expect_error (200, "application/json", deep_callback, CLAP_CLIENT_ERROR_PROTOCOL, "deep");

  callback = g_bytes_new (deep_callback, strlen (deep_callback));
  info = clap_task_info_parse_callback (callback, &error);
  g_assert_null (info);
  g_assert_error (error, CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_PROTOCOL);
  g_clear_error (&error);

  /* nested JSON in a string: refused alone, the rest of the answer read */
  for (guint i = 0; i < 200000; i++)
    g_string_append (deep_string, "[");
  g_string_append (deep_string, "\"}}");
  nested_node = parse (200, "application/json", deep_string->str, -1, &error);
  g_assert_no_error (error);
  nested_info = clap_task_info_parse (nested_node, &error);
  g_assert_no_error (error);
  g_assert_cmpint (nested_info->state, ==, CLAP_TASK_STATE_COMPLETED);
  g_assert_null (nested_info->result_urls);

  /* the size cap comes first */
  while (big->len <= CLAP_UNTRUSTED_MAX_ANSWER_BYTES)
    g_string_append (big, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
  g_string_append (big, "\"}}");
  data = parse (200, "application/json", big->str, -1, &error);
  g_assert_null (data);
  g_assert_error (error, CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_TOO_LARGE);
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

/* The server's message is shown to the person: an escape sequence in it
 * must be printed, not acted on by the terminal. */
static void
test_controls_escaped (void)
{
  expect_error (200, "application/json",
                "{\"code\":500,\"msg\":\"bad\\u001b[2J\\u0007\\u009bword\\nnext\",\"data\":null}",
                CLAP_CLIENT_ERROR_SERVER, "bad\\x1B[2J\\x07\\x9Bword next");
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
  g_test_add_func ("/core/envelope/code-string", test_code_string);
  g_test_add_func ("/core/envelope/bare", test_bare);
  g_test_add_func ("/core/envelope/deep", test_deep);
  g_test_add_func ("/core/envelope/transient", test_transient);
  g_test_add_func ("/core/envelope/controls-escaped", test_controls_escaped);

  return g_test_run ();
}
