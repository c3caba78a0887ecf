/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-sim-api"

#include "config.h"

#include <string.h>

#include "clap-sim-server-private.h"
#include "sim-test-util.h"

#define GENERATIONS "/api/v1/video/generations"
#define V26_OK "{\"model\":\"kling-v2-6\",\"prompt\":\"A girl dancing on the beach\"," \
               "\"mode\":\"std\",\"duration\":\"5\",\"aspect_ratio\":\"16:9\"}"

/* Auth */

static void
test_auth_missing (SimFixture    *fx,
                   gconstpointer  data)
{
  g_autoptr(SimResponse) response = sim_request (fx, "POST", GENERATIONS, NULL, V26_OK);

  sim_assert_envelope (response, SOUP_STATUS_UNAUTHORIZED, 401, NULL);
  g_assert_cmpstr (sim_response_text (response), ==,
                   "{\"code\":401,\"msg\":\"Invalid API key\",\"data\":null}");
}

static void
test_auth_refused (SimFixture    *fx,
                   gconstpointer  data)
{
  g_autoptr(SoupMessage) basic = sim_message_new (fx, "GET", GENERATIONS "?task_id=x", NULL);
  g_autoptr(SimResponse) basic_response = NULL;
  g_autoptr(SimResponse) empty = sim_request (fx, "GET", GENERATIONS "?task_id=x", "", NULL);
  g_autoptr(SimResponse) special = sim_request (fx, "POST", GENERATIONS, "sim-unauthorized",
                                                V26_OK);

  soup_message_headers_replace (soup_message_get_request_headers (basic), "Authorization",
                                "Basic dXNlcjpwYXNz");
  basic_response = sim_send (fx, basic);

  sim_assert_envelope (basic_response, SOUP_STATUS_UNAUTHORIZED, 401, "Invalid API key");
  sim_assert_envelope (empty, SOUP_STATUS_UNAUTHORIZED, 401, "Invalid API key");
  sim_assert_envelope (special, SOUP_STATUS_UNAUTHORIZED, 401, "Invalid API key");
  g_assert_cmpuint (g_hash_table_size (fx->server->tasks), ==, 0);
}

static void
test_auth_accepted_key (SimFixture    *fx,
                        gconstpointer  data)
{
  g_autoptr(SimResponse) wrong = NULL;
  g_autoptr(SimResponse) right = NULL;

  g_object_set (fx->server, "accepted-key", "the-key", NULL);

  wrong = sim_request (fx, "POST", GENERATIONS, "another-key", V26_OK);
  sim_assert_envelope (wrong, SOUP_STATUS_UNAUTHORIZED, 401, "Invalid API key");

  right = sim_request (fx, "POST", GENERATIONS, "the-key", V26_OK);
  sim_response_data (right);
}

static void
test_auth_no_balance (SimFixture    *fx,
                      gconstpointer  data)
{
  g_autoptr(SimResponse) create = sim_request (fx, "POST", GENERATIONS, "sim-no-balance", V26_OK);
  g_autoptr(SimResponse) query = NULL;
  g_autoptr(SimResponse) files = NULL;

  sim_assert_envelope (create, SOUP_STATUS_PAYMENT_REQUIRED, 402, "Insufficient balance");
  g_assert_cmpuint (g_hash_table_size (fx->server->tasks), ==, 0);

  /* Queries and uploads still work without credit. */
  query = sim_request (fx, "GET", GENERATIONS "?task_id=clnothere", "sim-no-balance", NULL);
  sim_assert_envelope (query, SOUP_STATUS_NOT_FOUND, 404, "Task not found");

  files = sim_request (fx, "POST", "/api/v1/files", "sim-no-balance",
                       "{\"filename\":\"a.png\",\"contentType\":\"image/png\",\"fileSize\":10}");
  sim_response_data (files);
}

/* Create validation: one case per rule */

typedef struct {
  const char *path;
  const char *body;
  const char *msg;
} InvalidCase;

static const InvalidCase invalid_cases[] = {
  { "not-json", "this is not JSON", "JSON object" },
  { "not-object", "[1,2]", "JSON object" },
  { "model/missing", "{\"prompt\":\"x\"}", "model is required" },
  { "model/not-string", "{\"model\":3,\"prompt\":\"x\"}", "model must be a string" },
  { "model/unknown", "{\"model\":\"kling-v9\",\"prompt\":\"x\"}", "Unknown model" },
  { "model/prefixed", "{\"model\":\"kling-video/kling-v2-6\",\"prompt\":\"x\"}", "Unknown model" },
  { "prompt/missing", "{\"model\":\"kling-v2-6\"}", "prompt is required" },
  { "prompt/blank", "{\"model\":\"kling-v3\",\"prompt\":\"  \\n \"}", "prompt is required" },
  { "prompt/not-string", "{\"model\":\"kling-v3\",\"prompt\":[\"x\"]}", "prompt must be a string" },
  { "prompt/too-long", "LONG_PROMPT", "prompt is too long: 2501 characters" },
  { "negative-prompt/too-long", "LONG_NEGATIVE", "negative_prompt is too long" },
  { "negative-prompt/motion",
    "{\"model\":\"kling-motion-control\",\"negative_prompt\":\"x\"}",
    "negative_prompt is not supported by kling-motion-control" },
  { "mode/unknown", "{\"model\":\"kling-v3\",\"prompt\":\"x\",\"mode\":\"ultra\"}",
    "mode must be \"std\" or \"pro\"" },
  { "mode/not-string", "{\"model\":\"kling-v3\",\"prompt\":\"x\",\"mode\":1}",
    "mode must be a string" },
  { "duration/number", "{\"model\":\"kling-v2-6\",\"prompt\":\"x\",\"duration\":5}",
    "duration must be a string of digits" },
  { "duration/not-digits", "{\"model\":\"kling-v2-6\",\"prompt\":\"x\",\"duration\":\"5s\"}",
    "duration must be a string of digits" },
  { "duration/leading-zero", "{\"model\":\"kling-v2-6\",\"prompt\":\"x\",\"duration\":\"05\"}",
    "duration must be a string of digits" },
  { "duration/signed", "{\"model\":\"kling-v3\",\"prompt\":\"x\",\"duration\":\"+5\"}",
    "duration must be a string of digits" },
  { "duration/v2-6", "{\"model\":\"kling-v2-6\",\"prompt\":\"x\",\"duration\":\"7\"}",
    "duration must be \"5\" or \"10\" for kling-v2-6" },
  { "duration/v3-short", "{\"model\":\"kling-v3\",\"prompt\":\"x\",\"duration\":\"2\"}",
    "duration must be \"3\" to \"15\" for kling-v3" },
  { "duration/v3-long", "{\"model\":\"kling-v3\",\"prompt\":\"x\",\"duration\":\"16\"}",
    "duration must be \"3\" to \"15\" for kling-v3" },
  { "duration/motion-long",
    "{\"model\":\"kling-motion-control\",\"duration\":\"31\",\"image\":\"https://example.com/a.png\","
    "\"motion_video\":\"https://example.com/m.mp4\"}",
    "duration must be \"3\" to \"30\" for kling-motion-control" },
  { "aspect-ratio/unknown", "{\"model\":\"kling-v3\",\"prompt\":\"x\",\"aspect_ratio\":\"4:3\"}",
    "aspect_ratio must be" },
  { "aspect-ratio/motion",
    "{\"model\":\"kling-motion-control\",\"aspect_ratio\":\"16:9\"}",
    "aspect_ratio is not supported by kling-motion-control" },
  { "sound/value", "{\"model\":\"kling-v3\",\"prompt\":\"x\",\"sound\":\"yes\"}",
    "sound must be \"on\" or \"off\"" },
  { "sound/std-v2-6", "{\"model\":\"kling-v2-6\",\"prompt\":\"x\",\"mode\":\"std\",\"sound\":\"on\"}",
    "sound \"on\" needs mode \"pro\" on kling-v2-6" },
  { "sound/default-mode-v2-6", "{\"model\":\"kling-v2-6\",\"prompt\":\"x\",\"sound\":\"on\"}",
    "needs mode \"pro\"" },
  { "sound/motion", "{\"model\":\"kling-motion-control\",\"sound\":\"off\"}",
    "sound is not supported by kling-motion-control" },
  { "voice-list/not-array",
    "{\"model\":\"kling-v2-6\",\"prompt\":\"x\",\"mode\":\"pro\",\"sound\":\"on\","
    "\"voice_list\":\"v1\"}", "voice_list must be an array" },
  { "voice-list/too-many",
    "{\"model\":\"kling-v2-6\",\"prompt\":\"x\",\"mode\":\"pro\",\"sound\":\"on\","
    "\"voice_list\":[{\"voice_id\":\"a\"},{\"voice_id\":\"b\"},{\"voice_id\":\"c\"}]}",
    "voice_list has 3 voices, at most 2" },
  { "voice-list/bad-entry",
    "{\"model\":\"kling-v2-6\",\"prompt\":\"x\",\"mode\":\"pro\",\"sound\":\"on\","
    "\"voice_list\":[{\"id\":\"a\"}]}", "voice_list[0] must be" },
  { "voice-list/empty-id",
    "{\"model\":\"kling-v2-6\",\"prompt\":\"x\",\"mode\":\"pro\",\"sound\":\"on\","
    "\"voice_list\":[{\"voice_id\":\"\"}]}", "voice_list[0] must be" },
  { "voice-list/without-sound",
    "{\"model\":\"kling-v2-6\",\"prompt\":\"x\",\"mode\":\"pro\",\"voice_list\":[{\"voice_id\":\"a\"}]}",
    "voice_list needs sound \"on\"" },
  { "voice-list/v3",
    "{\"model\":\"kling-v3\",\"prompt\":\"x\",\"sound\":\"on\",\"voice_list\":[{\"voice_id\":\"a\"}]}",
    "voice_list is not supported by kling-v3" },
  { "image/not-url", "{\"model\":\"kling-v3\",\"prompt\":\"x\",\"image\":\"picture.png\"}",
    "image must be an absolute https URL" },
  { "image/http", "{\"model\":\"kling-v3\",\"prompt\":\"x\",\"image\":\"http://example.com/a.png\"}",
    "image must be an https URL" },
  { "image/loopback",
    "{\"model\":\"kling-v3\",\"prompt\":\"x\",\"image\":\"https://127.0.0.1/a.png\"}",
    "loopback and private addresses are refused" },
  { "image/localhost",
    "{\"model\":\"kling-v3\",\"prompt\":\"x\",\"image\":\"https://localhost:8443/a.png\"}",
    "loopback and private addresses are refused" },
  { "image/private",
    "{\"model\":\"kling-v3\",\"prompt\":\"x\",\"image\":\"https://192.168.1.20/a.png\"}",
    "loopback and private addresses are refused" },
  { "image/private-ipv6",
    "{\"model\":\"kling-v3\",\"prompt\":\"x\",\"image\":\"https://[fd00::1]/a.png\"}",
    "loopback and private addresses are refused" },
  { "image/own-http-other-port",
    "{\"model\":\"kling-v3\",\"prompt\":\"x\",\"image\":\"http://127.0.0.1:1/files/a/a.png\"}",
    "image must be an https URL" },
  { "image/own-never-uploaded",
    "{\"model\":\"kling-v3\",\"prompt\":\"x\",\"image\":\"BASE/files/nothere/a.png\"}",
    "the uploaded file was not found" },
  { "image-tail/without-image",
    "{\"model\":\"kling-v3\",\"prompt\":\"x\",\"image_tail\":\"https://example.com/b.png\"}",
    "image_tail needs image" },
  { "image-tail/http",
    "{\"model\":\"kling-v3\",\"prompt\":\"x\",\"image\":\"https://example.com/a.png\","
    "\"image_tail\":\"http://example.com/b.png\"}", "image_tail must be an https URL" },
  { "motion/needs-image",
    "{\"model\":\"kling-motion-control\",\"motion_video\":\"https://example.com/m.mp4\"}",
    "image (the character) is required" },
  { "motion/needs-video",
    "{\"model\":\"kling-motion-control\",\"image\":\"https://example.com/a.png\"}",
    "motion_video is required" },
  { "motion/video-private",
    "{\"model\":\"kling-motion-control\",\"image\":\"https://example.com/a.png\","
    "\"motion_video\":\"https://10.1.2.3/m.mp4\"}", "loopback and private" },
  { "motion/orientation",
    "{\"model\":\"kling-motion-control\",\"image\":\"https://example.com/a.png\","
    "\"motion_video\":\"https://example.com/m.mp4\",\"character_orientation\":\"left\"}",
    "character_orientation must be \"image\" or \"video\"" },
  { "motion/keep-original-sound",
    "{\"model\":\"kling-motion-control\",\"image\":\"https://example.com/a.png\","
    "\"motion_video\":\"https://example.com/m.mp4\",\"keep_original_sound\":\"true\"}",
    "keep_original_sound must be \"yes\" or \"no\"" },
  { "motion/version",
    "{\"model\":\"kling-motion-control\",\"image\":\"https://example.com/a.png\","
    "\"motion_video\":\"https://example.com/m.mp4\",\"version\":\"2.5\"}",
    "version must be \"2.6\" or \"3.0\"" },
  { "motion/field-on-v2-6",
    "{\"model\":\"kling-v2-6\",\"prompt\":\"x\",\"motion_video\":\"https://example.com/m.mp4\"}",
    "motion_video is not supported by kling-v2-6" },
  { "callback-url/http-remote",
    "{\"model\":\"kling-v3\",\"prompt\":\"x\",\"callback_url\":\"http://example.com/hook\"}",
    "callback_url must be an https URL" },
  { "callback-url/not-url",
    "{\"model\":\"kling-v3\",\"prompt\":\"x\",\"callback_url\":\"hook\"}",
    "callback_url must be an https URL" },
};

static char *
expand_body (SimFixture *fx,
             const char *body)
{
  g_autoptr(GString) text = NULL;

  /* Bodies too long to write out, and those naming the simulator itself. */
  if (g_str_equal (body, "LONG_PROMPT") || g_str_equal (body, "LONG_NEGATIVE"))
    {
      text = g_string_new (NULL);
      g_string_append_printf (text, "{\"model\":\"kling-v3\",\"%s\":\"",
                              g_str_equal (body, "LONG_PROMPT") ? "prompt" : "negative_prompt");
      /* "é" is two bytes but one character: the limit counts characters. */
      for (guint i = 0; i < 2501; i++)
        g_string_append (text, "é");
      g_string_append (text, "\",\"prompt\":\"ok\"}");
      if (g_str_equal (body, "LONG_PROMPT"))
        g_string_replace (text, ",\"prompt\":\"ok\"", "", 1);
      return g_string_free (g_steal_pointer (&text), FALSE);
    }

  text = g_string_new (body);
  g_string_replace (text, "BASE", fx->base, 0);

  return g_string_free (g_steal_pointer (&text), FALSE);
}

static void
test_create_invalid (SimFixture    *fx,
                     gconstpointer  data)
{
  const InvalidCase *invalid = data;
  g_autofree char *body = expand_body (fx, invalid->body);
  g_autoptr(SimResponse) response = sim_request (fx, "POST", GENERATIONS, SIM_KEY, body);

  sim_assert_envelope (response, SOUP_STATUS_BAD_REQUEST, 400, invalid->msg);
  g_assert_true (json_node_is_null (json_object_get_member (sim_response_object (response),
                                                            "data")));
  g_assert_cmpuint (g_hash_table_size (fx->server->tasks), ==, 0);
}

static const char *valid_bodies[] = {
  V26_OK,
  "{\"model\":\"kling-v2-6\",\"prompt\":\"x\",\"mode\":\"pro\",\"duration\":\"10\",\"sound\":\"on\","
  "\"voice_list\":[{\"voice_id\":\"a\"},{\"voice_id\":\"b\"}],\"negative_prompt\":\"blur\"}",
  "{\"model\":\"kling-v3\",\"prompt\":\"x\",\"duration\":\"3\",\"sound\":\"on\",\"mode\":\"std\"}",
  "{\"model\":\"kling-v3\",\"prompt\":\"x\",\"duration\":\"15\",\"aspect_ratio\":\"1:1\","
  "\"image\":\"https://example.com/a.png\",\"image_tail\":\"https://example.com/b.png\","
  "\"callback_url\":\"https://example.com/hook\"}",
  "{\"model\":\"kling-motion-control\",\"image\":\"https://example.com/a.png\","
  "\"motion_video\":\"https://example.com/m.mp4\",\"character_orientation\":\"image\","
  "\"keep_original_sound\":\"no\",\"version\":\"3.0\",\"mode\":\"pro\",\"duration\":\"30\"}",
  /* Fields the simulator does not know are ignored, as the provider does. */
  "{\"model\":\"kling-v3\",\"prompt\":\"x\",\"seed\":42,\"extra\":{\"a\":1}}",
  /* Callbacks to the local machine are allowed over plain http. */
  "{\"model\":\"kling-v3\",\"prompt\":\"x\",\"callback_url\":\"http://127.0.0.1:9/hook\"}",
};

static void
test_create_valid (SimFixture    *fx,
                   gconstpointer  data)
{
  g_autoptr(GHashTable) ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GRegex) id_format = g_regex_new ("^cl[a-z0-9]{24}$", 0, 0, NULL);

  /* Keep the takes pending: this test is about the create answer. */
  g_object_set (fx->server, "pending-ms", 60000, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (valid_bodies); i++)
    {
      g_autoptr(SimResponse) response = sim_request (fx, "POST", GENERATIONS, SIM_KEY,
                                                     valid_bodies[i]);
      JsonObject *result = sim_response_data (response);
      g_autoptr(JsonParser) parser = json_parser_new ();
      const char *id = json_object_get_string_member (result, "taskId");
      g_autofree char *model = NULL;

      g_assert_true (json_parser_load_from_data (parser, valid_bodies[i], -1, NULL));
      model = g_strconcat ("kling-video/",
                           json_object_get_string_member (json_node_get_object (
                                                            json_parser_get_root (parser)),
                                                          "model"), NULL);

      g_assert_true (g_regex_match (id_format, id, 0, NULL));
      g_assert_cmpstr (json_object_get_string_member (result, "state"), ==, "pending");
      g_assert_cmpstr (json_object_get_string_member (result, "model"), ==, model);
      g_assert_true (g_hash_table_add (ids, g_strdup (id)));
    }
}

static void
test_create_prompt_limit (SimFixture    *fx,
                          gconstpointer  data)
{
  g_autoptr(GString) body = g_string_new ("{\"model\":\"kling-v3\",\"prompt\":\"");
  g_autofree char *id = NULL;

  g_object_set (fx->server, "pending-ms", 60000, NULL);

  for (guint i = 0; i < 2500; i++)
    g_string_append (body, "片");
  g_string_append (body, "\"}");

  id = sim_create (fx, body->str);
  g_assert_nonnull (id);
}

/* Query and the task clock */

static void
test_query_errors (SimFixture    *fx,
                   gconstpointer  data)
{
  g_autoptr(SimResponse) missing = sim_request (fx, "GET", GENERATIONS, SIM_KEY, NULL);
  g_autoptr(SimResponse) empty = sim_request (fx, "GET", GENERATIONS "?task_id=", SIM_KEY, NULL);
  g_autoptr(SimResponse) unknown = sim_request (fx, "GET", GENERATIONS "?task_id=clnothere",
                                                SIM_KEY, NULL);
  g_autoptr(SimResponse) other = sim_request (fx, "GET", "/api/v1/nothing", SIM_KEY, NULL);
  g_autoptr(SimResponse) method = sim_request (fx, "DELETE", GENERATIONS, SIM_KEY, NULL);

  sim_assert_envelope (missing, SOUP_STATUS_BAD_REQUEST, 400, "task_id is required");
  sim_assert_envelope (empty, SOUP_STATUS_BAD_REQUEST, 400, "task_id is required");
  sim_assert_envelope (unknown, SOUP_STATUS_NOT_FOUND, 404, "Task not found");
  sim_assert_envelope (other, SOUP_STATUS_NOT_FOUND, 404, "Not found");
  sim_assert_envelope (method, SOUP_STATUS_METHOD_NOT_ALLOWED, 405, NULL);
}

static void
test_task_lifecycle (SimFixture    *fx,
                     gconstpointer  data)
{
  g_autofree char *id = NULL;
  g_autoptr(JsonObject) pending = NULL;
  g_autoptr(JsonObject) processing = NULL;
  g_autoptr(JsonObject) completed = NULL;
  g_autofree char *result_url = NULL;
  JsonArray *urls;
  gint64 before = g_get_real_time () / 1000;

  g_object_set (fx->server, "pending-ms", 150, "processing-ms", 300, NULL);

  id = sim_create (fx, "{\"model\":\"kling-v3\",\"prompt\":\"A lighthouse\",\"duration\":\"3\"}");

  pending = sim_query (fx, id);
  g_assert_cmpstr (json_object_get_string_member (pending, "state"), ==, "pending");
  g_assert_cmpstr (json_object_get_string_member (pending, "taskId"), ==, id);
  g_assert_cmpstr (json_object_get_string_member (pending, "model"), ==, "kling-video/kling-v3");
  g_assert_cmpint (json_object_get_int_member (pending, "createTime"), >=, before);
  g_assert_false (json_object_has_member (pending, "completeTime"));
  g_assert_false (json_object_has_member (pending, "resultUrls"));
  g_assert_false (json_object_has_member (pending, "failMsg"));

  processing = sim_wait_state (fx, id, "processing");
  g_assert_false (json_object_has_member (processing, "completeTime"));
  g_assert_false (json_object_has_member (processing, "resultUrls"));

  completed = sim_wait_state (fx, id, "completed");
  g_assert_cmpint (json_object_get_int_member (completed, "createTime"), ==,
                   json_object_get_int_member (pending, "createTime"));
  g_assert_cmpint (json_object_get_int_member (completed, "completeTime"), >=,
                   json_object_get_int_member (completed, "createTime") + 150 + 300);
  g_assert_false (json_object_has_member (completed, "failMsg"));

  urls = json_object_get_array_member (completed, "resultUrls");
  g_assert_cmpuint (json_array_get_length (urls), ==, 1);
  result_url = g_strdup_printf ("%s/results/%s.mp4", fx->base, id);
  g_assert_cmpstr (json_array_get_string_element (urls, 0), ==, result_url);
}

static void
test_task_fail_keyword (SimFixture    *fx,
                        gconstpointer  data)
{
  g_autofree char *id = sim_create (fx, "{\"model\":\"kling-v2-6\",\"prompt\":\"A riot [sim:fail]\"}");
  g_autofree char *custom_id = sim_create (fx, "{\"model\":\"kling-v2-6\",\"prompt\":"
                                               "\"x [sim:fail=The GPU caught fire]\"}");
  g_autoptr(JsonObject) failed = sim_wait_state (fx, id, "failed");
  g_autoptr(JsonObject) custom = sim_wait_state (fx, custom_id, "failed");
  g_autofree char *result_path = g_strdup_printf ("/results/%s.mp4", id);
  g_autoptr(SimResponse) result = sim_request (fx, "GET", result_path, NULL, NULL);

  g_assert_cmpstr (json_object_get_string_member (failed, "failMsg"), ==,
                   "Content policy violation");
  g_assert_true (json_object_has_member (failed, "completeTime"));
  g_assert_false (json_object_has_member (failed, "resultUrls"));
  g_assert_cmpstr (json_object_get_string_member (custom, "failMsg"), ==, "The GPU caught fire");

  /* A failed take has no result to download. */
  g_assert_cmpuint (result->status, ==, SOUP_STATUS_NOT_FOUND);
}

static void
test_task_slow_render (SimFixture    *fx,
                       gconstpointer  data)
{
  g_autofree char *id = NULL;
  g_autoptr(JsonObject) completed = NULL;
  g_autofree char *path = sim_fixture_use_result_file (fx, 1000);
  gint64 taken;

  g_object_set (fx->server, "pending-ms", 10, "processing-ms", 200, NULL);

  id = sim_create (fx, "{\"model\":\"kling-v3\",\"prompt\":\"x [sim:slow-render]\"}");
  completed = sim_wait_state (fx, id, "completed");

  taken = json_object_get_int_member (completed, "completeTime") -
          json_object_get_int_member (completed, "createTime");
  g_assert_cmpint (taken, >=, 10 + 3 * 200);
}

/* Faults */

static JsonObject *
pending_task (SimFixture  *fx,
              char       **id)
{
  g_object_set (fx->server, "pending-ms", 60000, NULL);
  *id = sim_create (fx, V26_OK);
  return sim_query (fx, *id);
}

static SimResponse *
query_fresh (SimFixture *fx,
             const char *id)
{
  g_autofree char *path = g_strdup_printf (GENERATIONS "?task_id=%s", id);
  g_autoptr(SoupMessage) msg = sim_message_new (fx, "GET", path, SIM_KEY);

  /* libsoup silently replays an idempotent request dropped on a reused
   * connection: a new one shows the drop as it is. */
  soup_message_add_flags (msg, SOUP_MESSAGE_NEW_CONNECTION);
  return sim_send (fx, msg);
}

static void
test_fault_envelopes (SimFixture    *fx,
                      gconstpointer  data)
{
  static const struct {
    ClapSimFault fault;
    guint        status;
    gint64       code;
  } cases[] = {
    { CLAP_SIM_FAULT_HTTP_500, 500, 500 },
    { CLAP_SIM_FAULT_ENVELOPE_500, 200, 500 },
    { CLAP_SIM_FAULT_HTTP_429, 429, 1302 },
    { CLAP_SIM_FAULT_HTTP_429_NO_RETRY_AFTER, 429, 1303 },
    { CLAP_SIM_FAULT_HTTP_404, 404, 404 },
    { CLAP_SIM_FAULT_HTTP_403, 403, 403 },
  };
  g_autofree char *id = NULL;
  g_autoptr(JsonObject) task = pending_task (fx, &id);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(SimResponse) response = NULL;
      const char *retry_after;

      clap_sim_server_inject_fault (fx->server, CLAP_SIM_ENDPOINT_QUERY, cases[i].fault, 1);
      response = query_fresh (fx, id);

      sim_assert_envelope (response, cases[i].status, cases[i].code, NULL);
      g_assert_true (json_node_is_null (json_object_get_member (sim_response_object (response),
                                                                "data")));

      retry_after = soup_message_headers_get_one (response->headers, "Retry-After");
      if (cases[i].fault == CLAP_SIM_FAULT_HTTP_429)
        g_assert_cmpstr (retry_after, ==, "1");
      else
        g_assert_null (retry_after);
    }

  /* Each fault was used once: the next query is answered. */
  g_clear_pointer (&task, json_object_unref);
  task = sim_query (fx, id);
  g_assert_cmpstr (json_object_get_string_member (task, "taskId"), ==, id);
}

static void
test_fault_bodies (SimFixture    *fx,
                   gconstpointer  data)
{
  g_autofree char *id = NULL;
  g_autoptr(JsonObject) task = pending_task (fx, &id);
  g_autoptr(SimResponse) normal = query_fresh (fx, id);
  g_autoptr(SimResponse) garbage = NULL;
  g_autoptr(SimResponse) html = NULL;
  g_autoptr(SimResponse) truncated = NULL;
  g_autoptr(SimResponse) missing = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *envelope;

  clap_sim_server_inject_fault (fx->server, CLAP_SIM_ENDPOINT_QUERY, CLAP_SIM_FAULT_GARBAGE, 1);
  clap_sim_server_inject_fault (fx->server, CLAP_SIM_ENDPOINT_QUERY, CLAP_SIM_FAULT_HTML, 1);
  clap_sim_server_inject_fault (fx->server, CLAP_SIM_ENDPOINT_QUERY, CLAP_SIM_FAULT_TRUNCATED, 1);
  clap_sim_server_inject_fault (fx->server, CLAP_SIM_ENDPOINT_QUERY,
                                CLAP_SIM_FAULT_MISSING_DATA, 1);

  garbage = query_fresh (fx, id);
  g_assert_cmpuint (garbage->status, ==, 200);
  g_assert_cmpstr (soup_message_headers_get_content_type (garbage->headers, NULL), ==,
                   "application/json");
  g_assert_cmpuint (g_bytes_get_size (garbage->body), >, 0);
  g_assert_null (garbage->json);

  html = query_fresh (fx, id);
  g_assert_cmpuint (html->status, ==, 502);
  g_assert_cmpstr (soup_message_headers_get_content_type (html->headers, NULL), ==, "text/html");
  g_assert_nonnull (strstr (sim_response_text (html), "<html>"));

  /* A well-formed HTTP message whose JSON stops half way. */
  truncated = query_fresh (fx, id);
  g_assert_no_error (truncated->error);
  g_assert_cmpuint (truncated->status, ==, 200);
  g_assert_cmpuint (g_bytes_get_size (truncated->body), ==, g_bytes_get_size (normal->body) / 2);
  g_assert_cmpint (soup_message_headers_get_content_length (truncated->headers), ==,
                   g_bytes_get_size (truncated->body));
  g_assert_null (truncated->json);
  g_assert_true (memcmp (g_bytes_get_data (truncated->body, NULL),
                         g_bytes_get_data (normal->body, NULL),
                         g_bytes_get_size (truncated->body)) == 0);

  missing = query_fresh (fx, id);
  envelope = sim_response_object (missing);
  g_assert_cmpuint (missing->status, ==, 200);
  g_assert_cmpint (json_object_get_int_member (envelope, "code"), ==, 200);
  g_assert_false (json_object_has_member (envelope, "data"));
}

static void
test_fault_slow (SimFixture    *fx,
                 gconstpointer  data)
{
  g_autofree char *id = NULL;
  g_autoptr(JsonObject) task = pending_task (fx, &id);
  g_autoptr(SimResponse) response = NULL;
  gint64 start;

  g_object_set (fx->server, "slow-ms", 250, NULL);
  clap_sim_server_inject_fault (fx->server, CLAP_SIM_ENDPOINT_QUERY, CLAP_SIM_FAULT_SLOW, 1);

  start = g_get_monotonic_time ();
  response = query_fresh (fx, id);
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 250 * 1000);

  /* Late, but the real answer. */
  g_assert_cmpstr (json_object_get_string_member (sim_response_data (response), "taskId"), ==, id);
}

static void
test_fault_drop (SimFixture    *fx,
                 gconstpointer  data)
{
  g_autofree char *id = NULL;
  g_autoptr(JsonObject) task = pending_task (fx, &id);
  g_autoptr(SimResponse) dropped = NULL;
  g_autoptr(SimResponse) after = NULL;
  g_autoptr(SimResponse) create = NULL;

  clap_sim_server_inject_fault (fx->server, CLAP_SIM_ENDPOINT_QUERY, CLAP_SIM_FAULT_DROP, 1);
  dropped = query_fresh (fx, id);
  g_assert_nonnull (dropped->error);
  g_assert_null (dropped->body);

  after = query_fresh (fx, id);
  sim_response_data (after);

  /* A plain drop on create answers nothing and makes no task. */
  clap_sim_server_inject_fault (fx->server, CLAP_SIM_ENDPOINT_CREATE, CLAP_SIM_FAULT_DROP, 1);
  create = sim_request (fx, "POST", GENERATIONS, SIM_KEY, V26_OK);
  g_assert_nonnull (create->error);
  g_assert_cmpuint (g_hash_table_size (fx->server->tasks), ==, 1);
}

static void
test_fault_created_then_drop (SimFixture    *fx,
                              gconstpointer  data)
{
  g_autoptr(SimResponse) create = NULL;
  g_autoptr(JsonObject) completed = NULL;
  g_autofree char *path = sim_fixture_use_result_file (fx, 1000);
  GHashTableIter iter;
  const char *id;

  clap_sim_server_inject_fault (fx->server, CLAP_SIM_ENDPOINT_CREATE,
                                CLAP_SIM_FAULT_CREATED_THEN_DROP, 1);
  create = sim_request (fx, "POST", GENERATIONS, SIM_KEY, V26_OK);

  /* The client sees a network error, yet it was charged: the task exists
   * and goes on to complete. */
  g_assert_nonnull (create->error);
  g_assert_null (create->body);
  g_assert_cmpuint (g_hash_table_size (fx->server->tasks), ==, 1);
  g_assert_cmpuint (clap_sim_server_get_request_count (fx->server, CLAP_SIM_ENDPOINT_CREATE), ==,
                    1);

  g_hash_table_iter_init (&iter, fx->server->tasks);
  g_assert_true (g_hash_table_iter_next (&iter, (gpointer *)&id, NULL));
  completed = sim_wait_state (fx, id, "completed");
  g_assert_true (json_object_has_member (completed, "resultUrls"));
}

static void
test_fault_queue (SimFixture    *fx,
                  gconstpointer  data)
{
  g_autofree char *id = NULL;
  g_autoptr(JsonObject) task = pending_task (fx, &id);
  guint statuses[5];

  /* Faults run in the order injected, each for its count. */
  clap_sim_server_inject_fault (fx->server, CLAP_SIM_ENDPOINT_QUERY, CLAP_SIM_FAULT_HTTP_500, 2);
  clap_sim_server_inject_fault (fx->server, CLAP_SIM_ENDPOINT_QUERY, CLAP_SIM_FAULT_HTTP_404, 1);
  clap_sim_server_inject_fault (fx->server, CLAP_SIM_ENDPOINT_CREATE, CLAP_SIM_FAULT_HTTP_500, 0);

  for (guint i = 0; i < G_N_ELEMENTS (statuses); i++)
    {
      g_autoptr(SimResponse) response = query_fresh (fx, id);

      statuses[i] = response->status;
    }

  g_assert_cmpuint (statuses[0], ==, 500);
  g_assert_cmpuint (statuses[1], ==, 500);
  g_assert_cmpuint (statuses[2], ==, 404);
  g_assert_cmpuint (statuses[3], ==, 200);
  g_assert_cmpuint (statuses[4], ==, 200);

  /* NONE clears what is queued. */
  clap_sim_server_inject_fault (fx->server, CLAP_SIM_ENDPOINT_QUERY, CLAP_SIM_FAULT_HTTP_500, 5);
  clap_sim_server_inject_fault (fx->server, CLAP_SIM_ENDPOINT_QUERY, CLAP_SIM_FAULT_NONE, 0);
  {
    g_autoptr(SimResponse) response = query_fresh (fx, id);

    g_assert_cmpuint (response->status, ==, 200);
  }

  /* A fault comes before the key is looked at, as a proxy's would. */
  clap_sim_server_inject_fault (fx->server, CLAP_SIM_ENDPOINT_QUERY, CLAP_SIM_FAULT_HTTP_429, 1);
  {
    g_autoptr(SimResponse) response = sim_request (fx, "GET", GENERATIONS "?task_id=x", NULL,
                                                   NULL);

    g_assert_cmpuint (response->status, ==, 429);
  }

  /* 1 pending_task query + 5 + 1 + 1; the create count is untouched by
   * the count-0 injection. */
  g_assert_cmpuint (clap_sim_server_get_request_count (fx->server, CLAP_SIM_ENDPOINT_QUERY), ==, 8);
  g_assert_cmpuint (clap_sim_server_get_request_count (fx->server, CLAP_SIM_ENDPOINT_CREATE), ==, 1);
}

/* Prompt keywords */

static void
test_keyword_create (SimFixture    *fx,
                     gconstpointer  data)
{
  g_autoptr(SimResponse) failed = sim_request (fx, "POST", GENERATIONS, SIM_KEY,
                                               "{\"model\":\"kling-v3\",\"prompt\":"
                                               "\"x [sim:create=http-500]\"}");
  g_autoptr(SimResponse) dropped = NULL;

  sim_assert_envelope (failed, 500, 500, NULL);
  g_assert_cmpuint (g_hash_table_size (fx->server->tasks), ==, 0);

  dropped = sim_request (fx, "POST", GENERATIONS, SIM_KEY,
                         "{\"model\":\"kling-v3\",\"prompt\":\"x [sim:create=created-then-drop]\"}");
  g_assert_nonnull (dropped->error);
  g_assert_cmpuint (g_hash_table_size (fx->server->tasks), ==, 1);
}

static void
test_keyword_query (SimFixture    *fx,
                    gconstpointer  data)
{
  g_autofree char *id = NULL;
  g_autoptr(SimResponse) first = NULL;
  g_autoptr(SimResponse) second = NULL;
  g_autoptr(SimResponse) third = NULL;

  g_object_set (fx->server, "pending-ms", 60000, NULL);
  id = sim_create (fx, "{\"model\":\"kling-v3\",\"prompt\":\"x [sim:query=envelope-500*2]\"}");

  first = query_fresh (fx, id);
  second = query_fresh (fx, id);
  third = query_fresh (fx, id);

  sim_assert_envelope (first, 200, 500, NULL);
  sim_assert_envelope (second, 200, 500, NULL);
  sim_response_data (third);
}

static void
test_keyword_download (SimFixture    *fx,
                       gconstpointer  data)
{
  g_autofree char *expired = NULL;
  g_autofree char *gone = NULL;
  g_autoptr(JsonObject) expired_task = NULL;
  g_autoptr(JsonObject) gone_task = NULL;
  g_autofree char *expired_url = NULL;
  g_autofree char *expired_thumbnail = NULL;
  g_autofree char *gone_url = NULL;
  g_autoptr(SimResponse) expired_response = NULL;
  g_autoptr(SimResponse) expired_thumbnail_response = NULL;
  g_autoptr(SimResponse) gone_response = NULL;
  g_autofree char *path = sim_fixture_use_result_file (fx, 1000);

  expired = sim_create (fx, "{\"model\":\"kling-v3\",\"prompt\":\"x [sim:download=http-403]\"}");
  gone = sim_create (fx, "{\"model\":\"kling-v3\",\"prompt\":\"x [sim:download=http-404]\"}");
  expired_task = sim_wait_state (fx, expired, "completed");
  gone_task = sim_wait_state (fx, gone, "completed");

  expired_url = g_strdup_printf ("/results/%s.mp4", expired);
  expired_thumbnail = g_strdup_printf ("/results/%s.jpg", expired);
  gone_url = g_strdup_printf ("/results/%s.mp4", gone);

  expired_response = sim_request (fx, "GET", expired_url, NULL, NULL);
  expired_thumbnail_response = sim_request (fx, "GET", expired_thumbnail, NULL, NULL);
  gone_response = sim_request (fx, "GET", gone_url, NULL, NULL);

  g_assert_cmpuint (expired_response->status, ==, 403);
  g_assert_nonnull (strstr (sim_response_text (expired_response), "<Code>AccessDenied</Code>"));
  g_assert_cmpuint (expired_thumbnail_response->status, ==, 403);
  g_assert_cmpuint (gone_response->status, ==, 404);
  g_assert_nonnull (strstr (sim_response_text (gone_response), "<Code>NoSuchKey</Code>"));
}

typedef struct {
  SimFixture *fx;
  const char *id;
} SameId;

/* Both tasks answering to @id have completed. */
static gboolean
both_completed (gpointer data)
{
  SameId *same = data;
  g_autoptr(JsonArray) tasks = sim_list_tasks (same->fx);
  guint completed = 0;

  for (guint i = 0; i < json_array_get_length (tasks); i++)
    {
      JsonObject *item = json_array_get_object_element (tasks, i);

      if (g_str_equal (json_object_get_string_member (item, "taskId"), same->id) &&
          g_str_equal (json_object_get_string_member (item, "state"), "completed"))
        completed++;
    }

  return completed == 2;
}

/* [sim:same-id]: the service answers the id it gave last. Two takes, one
 * id; each task still renders its own video at its own URL, and queries
 * of the id answer for the newest. */
static void
test_keyword_same_id (SimFixture    *fx,
                      gconstpointer  data)
{
  g_autofree char *alone = sim_create (fx, "{\"model\":\"kling-v3\",\"prompt\":"
                                           "\"x [sim:same-id] [sim:fail]\"}");
  g_autofree char *first = sim_create (fx, "{\"model\":\"kling-v3\",\"duration\":\"3\","
                                           "\"prompt\":\"The first take\"}");
  g_autofree char *second = sim_create (fx, "{\"model\":\"kling-v3\",\"duration\":\"3\","
                                            "\"prompt\":\"The second take [sim:same-id]\"}");
  g_autofree char *third = sim_create (fx, "{\"model\":\"kling-v3\",\"prompt\":\"x [sim:fail]\"}");
  g_autoptr(JsonArray) tasks = NULL;
  g_autoptr(JsonObject) answer = NULL;
  g_autoptr(SimResponse) first_video = NULL;
  g_autoptr(SimResponse) second_video = NULL;
  SameId same = { fx, first };
  JsonObject *first_item;
  JsonObject *second_item;

  /* Nothing before it to repeat: a task of its own. */
  g_assert_cmpstr (alone, !=, first);
  g_assert_cmpstr (second, ==, first);
  g_assert_cmpstr (third, !=, first);

  sim_wait_until (both_completed, &same, 60000);

  tasks = sim_list_tasks (fx);
  g_assert_cmpuint (json_array_get_length (tasks), ==, 4);
  first_item = json_array_get_object_element (tasks, 1);
  second_item = json_array_get_object_element (tasks, 2);
  g_assert_cmpstr (json_object_get_string_member (first_item, "taskId"), ==, first);
  g_assert_cmpstr (json_object_get_string_member (second_item, "taskId"), ==, first);
  g_assert_cmpstr (json_object_get_string_member (second_item, "prompt"), ==,
                   "The second take [sim:same-id]");
  g_assert_cmpstr (json_object_get_string_member (first_item, "resultUrl"), !=,
                   json_object_get_string_member (second_item, "resultUrl"));

  /* Each video is there, and they are not the same video. */
  first_video = sim_request (fx, "GET", json_object_get_string_member (first_item, "resultUrl"),
                             NULL, NULL);
  second_video = sim_request (fx, "GET", json_object_get_string_member (second_item, "resultUrl"),
                              NULL, NULL);
  g_assert_cmpuint (first_video->status, ==, SOUP_STATUS_OK);
  g_assert_cmpuint (second_video->status, ==, SOUP_STATUS_OK);
  g_assert_false (g_bytes_equal (first_video->body, second_video->body));

  /* The id's row was overwritten: a query answers for the newest task. */
  answer = sim_query (fx, first);
  g_assert_cmpstr (json_object_get_string_member (answer, "taskId"), ==, first);
  g_assert_cmpstr (json_array_get_string_element (json_object_get_array_member (answer,
                                                                                "resultUrls"), 0),
                   ==, json_object_get_string_member (second_item, "resultUrl"));
}

/* Fault control over HTTP */

static void
test_control_http (SimFixture    *fx,
                   gconstpointer  data)
{
  g_autofree char *id = NULL;
  g_autoptr(JsonObject) task = pending_task (fx, &id);
  g_autoptr(SimResponse) inject = sim_request (fx, "POST", "/sim/faults", NULL,
                                               "{\"endpoint\":\"query\",\"fault\":\"http-500\","
                                               "\"count\":2}");
  g_autoptr(SimResponse) bad_fault = sim_request (fx, "POST", "/sim/faults", NULL,
                                                  "{\"endpoint\":\"query\",\"fault\":\"boom\"}");
  g_autoptr(SimResponse) bad_endpoint = sim_request (fx, "POST", "/sim/faults", NULL,
                                                     "{\"endpoint\":\"nope\",\"fault\":\"drop\"}");
  g_autoptr(SimResponse) stats = NULL;
  JsonObject *counts;

  sim_response_data (inject);
  sim_assert_envelope (bad_fault, 400, 400, "Unknown fault");
  sim_assert_envelope (bad_endpoint, 400, 400, "Unknown endpoint");

  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(SimResponse) response = query_fresh (fx, id);

      g_assert_cmpuint (response->status, ==, i < 2 ? 500 : 200);
    }

  stats = sim_request (fx, "GET", "/sim/stats", NULL, NULL);
  counts = sim_response_data (stats);
  g_assert_cmpint (json_object_get_int_member (counts, "create"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (counts, "query"), ==, 4);
  g_assert_cmpint (json_object_get_int_member (counts, "upload-put"), ==, 0);
  g_assert_cmpint (json_object_get_int_member (counts, "callback"), ==, 0);
  g_assert_cmpuint (json_object_get_size (counts), ==, 8);
}

/* A task of a /sim/tasks listing, found by its id. */
static JsonObject *
find_listed (JsonArray  *tasks,
             const char *id)
{
  for (guint i = 0; i < json_array_get_length (tasks); i++)
    {
      JsonObject *item = json_array_get_object_element (tasks, i);

      if (g_strcmp0 (json_object_get_string_member (item, "taskId"), id) == 0)
        return item;
    }
  return NULL;
}

static void
test_control_tasks (SimFixture    *fx,
                    gconstpointer  data)
{
  g_autoptr(SimResponse) empty = sim_request (fx, "GET", "/sim/tasks", NULL, NULL);
  g_autoptr(SimResponse) failing = NULL;
  g_autoptr(SimResponse) listing = NULL;
  g_autoptr(SimResponse) refused = NULL;
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  JsonArray *tasks;
  JsonObject *item;

  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (
                      sim_response_data (empty), "tasks")), ==, 0);

  g_object_set (fx->server, "pending-ms", 60000, NULL);
  first = sim_create (fx, V26_OK);
  second = sim_create (fx, "{\"model\":\"kling-v3\",\"prompt\":\"Second\",\"duration\":\"3\"}");
  /* a refused create makes no task */
  clap_sim_server_inject_fault (fx->server, CLAP_SIM_ENDPOINT_CREATE, CLAP_SIM_FAULT_HTTP_500, 1);
  failing = sim_request (fx, "POST", GENERATIONS, SIM_KEY, V26_OK);
  sim_assert_envelope (failing, 500, 500, "Internal");

  listing = sim_request (fx, "GET", "/sim/tasks", NULL, NULL);
  tasks = json_object_get_array_member (sim_response_data (listing), "tasks");
  g_assert_cmpuint (json_array_get_length (tasks), ==, 2);

  item = find_listed (tasks, first);
  g_assert_nonnull (item);
  g_assert_cmpstr (json_object_get_string_member (item, "state"), ==, "pending");
  g_assert_cmpstr (json_object_get_string_member (item, "model"), ==, "kling-v2-6");
  g_assert_cmpstr (json_object_get_string_member (item, "prompt"), ==,
                   "A girl dancing on the beach");
  g_assert_cmpint (json_object_get_int_member (item, "createTime"), >, 0);

  item = find_listed (tasks, second);
  g_assert_nonnull (item);
  g_assert_cmpstr (json_object_get_string_member (item, "model"), ==, "kling-v3");
  g_assert_cmpstr (json_object_get_string_member (item, "prompt"), ==, "Second");

  refused = sim_request (fx, "POST", "/sim/tasks", NULL, "{}");
  sim_assert_envelope (refused, 405, 405, "GET");
}

/* The object itself */

static void
count_notify (GObject    *object,
              GParamSpec *pspec,
              guint      *count)
{
  (*count)++;
}

static void
test_server_object (void)
{
  g_autoptr(ClapSimServer) server = clap_sim_server_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *base = NULL;
  g_autofree char *data_dir = NULL;
  guint pending, processing, slow, ttl, upload_ttl, notified = 0;
  gboolean full;
  double scale;

  g_object_get (server, "pending-ms", &pending, "processing-ms", &processing, "slow-ms", &slow,
                "result-ttl-ms", &ttl, "upload-url-ttl-ms", &upload_ttl, "time-scale", &scale,
                "full-resolution", &full, "data-dir", &data_dir, NULL);
  g_assert_cmpuint (pending, ==, 2000);
  g_assert_cmpuint (processing, ==, 6000);
  g_assert_cmpuint (slow, ==, 20000);
  g_assert_cmpuint (ttl, ==, 0);
  g_assert_cmpuint (upload_ttl, ==, 600000);
  g_assert_cmpfloat (scale, ==, 1.0);
  g_assert_false (full);
  g_assert_null (data_dir);

  /* Notified on a change only. */
  g_signal_connect (server, "notify::pending-ms", G_CALLBACK (count_notify), &notified);
  g_object_set (server, "pending-ms", 2000, NULL);
  g_assert_cmpuint (notified, ==, 0);
  g_object_set (server, "pending-ms", 10, NULL);
  g_object_set (server, "pending-ms", 10, NULL);
  g_assert_cmpuint (notified, ==, 1);

  g_assert_null (clap_sim_server_dup_base_url (server));
  g_assert_true (clap_sim_server_listen (server, 0, &error));
  g_assert_no_error (error);
  base = clap_sim_server_dup_base_url (server);
  g_assert_true (g_str_has_prefix (base, "http://127.0.0.1:"));

  g_assert_false (clap_sim_server_listen (server, 0, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS);

  g_assert_finalize_object (g_steal_pointer (&server));
}

static void
add (const char *path,
     void      (*func) (SimFixture *, gconstpointer),
     gconstpointer data)
{
  g_test_add (path, SimFixture, data, sim_fixture_setup, func, sim_fixture_teardown);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/sim/server/object", test_server_object);
  add ("/sim/auth/missing", test_auth_missing, NULL);
  add ("/sim/auth/refused", test_auth_refused, NULL);
  add ("/sim/auth/accepted-key", test_auth_accepted_key, NULL);
  add ("/sim/auth/no-balance", test_auth_no_balance, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (invalid_cases); i++)
    {
      g_autofree char *path = g_strconcat ("/sim/create/validation/", invalid_cases[i].path, NULL);

      add (path, test_create_invalid, &invalid_cases[i]);
    }

  add ("/sim/create/valid", test_create_valid, NULL);
  add ("/sim/create/prompt-limit", test_create_prompt_limit, NULL);
  add ("/sim/query/errors", test_query_errors, NULL);
  add ("/sim/task/lifecycle", test_task_lifecycle, NULL);
  add ("/sim/task/fail-keyword", test_task_fail_keyword, NULL);
  add ("/sim/task/slow-render", test_task_slow_render, NULL);
  add ("/sim/faults/envelopes", test_fault_envelopes, NULL);
  add ("/sim/faults/bodies", test_fault_bodies, NULL);
  add ("/sim/faults/slow", test_fault_slow, NULL);
  add ("/sim/faults/drop", test_fault_drop, NULL);
  add ("/sim/faults/created-then-drop", test_fault_created_then_drop, NULL);
  add ("/sim/faults/queue", test_fault_queue, NULL);
  add ("/sim/control/tasks", test_control_tasks, NULL);
  add ("/sim/keywords/create", test_keyword_create, NULL);
  add ("/sim/keywords/query", test_keyword_query, NULL);
  add ("/sim/keywords/download", test_keyword_download, NULL);
  add ("/sim/keywords/same-id", test_keyword_same_id, NULL);
  add ("/sim/control/http", test_control_http, NULL);

  return g_test_run ();
}
