/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-sim-callback"

#include "config.h"

#include <string.h>

#include "clap-sim-server-private.h"
#include "sim-test-util.h"

/* A local receiver standing in for the user's webhook. */
typedef struct {
  SoupServer *server;
  char       *url;
  GPtrArray  *bodies;       /* GBytes */
  GPtrArray  *types;        /* Content-Type of each */
  GArray     *times;        /* monotonic µs of each */
  GPtrArray  *signatures;   /* any signature-like header, or NULL */
  guint       failures_left;
} Receiver;

static void
receiver_handler (SoupServer        *server,
                  SoupServerMessage *msg,
                  const char        *path,
                  GHashTable        *query,
                  gpointer           user_data)
{
  Receiver *receiver = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  g_autoptr(GBytes) body = soup_message_body_flatten (soup_server_message_get_request_body (msg));
  gint64 now = g_get_monotonic_time ();
  const char *signature = soup_message_headers_get_one (headers, "X-Signature");

  if (signature == NULL)
    signature = soup_message_headers_get_one (headers, "X-Hub-Signature");

  g_ptr_array_add (receiver->bodies, g_bytes_ref (body));
  g_ptr_array_add (receiver->types, g_strdup (soup_message_headers_get_one (headers,
                                                                            "Content-Type")));
  g_ptr_array_add (receiver->signatures, g_strdup (signature));
  g_array_append_val (receiver->times, now);

  if (receiver->failures_left > 0)
    {
      receiver->failures_left--;
      soup_server_message_set_status (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, NULL);
      return;
    }

  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
}

static Receiver *
receiver_new (guint failures)
{
  Receiver *receiver = g_new0 (Receiver, 1);
  g_autoptr(GError) error = NULL;
  GSList *uris;

  receiver->server = soup_server_new (NULL, NULL);
  receiver->bodies = g_ptr_array_new_with_free_func ((GDestroyNotify)g_bytes_unref);
  receiver->types = g_ptr_array_new_with_free_func (g_free);
  receiver->signatures = g_ptr_array_new_with_free_func (g_free);
  receiver->times = g_array_new (FALSE, FALSE, sizeof (gint64));
  receiver->failures_left = failures;

  soup_server_add_handler (receiver->server, "/hook", receiver_handler, receiver, NULL);
  soup_server_listen_local (receiver->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  g_assert_no_error (error);

  uris = soup_server_get_uris (receiver->server);
  receiver->url = g_strdup_printf ("http://127.0.0.1:%d/hook", g_uri_get_port (uris->data));
  g_slist_free_full (uris, (GDestroyNotify)g_uri_unref);

  return receiver;
}

static void
receiver_free (Receiver *receiver)
{
  soup_server_disconnect (receiver->server);
  g_assert_finalize_object (receiver->server);
  g_ptr_array_unref (receiver->bodies);
  g_ptr_array_unref (receiver->types);
  g_ptr_array_unref (receiver->signatures);
  g_array_unref (receiver->times);
  g_free (receiver->url);
  g_free (receiver);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Receiver, receiver_free)

typedef struct {
  Receiver *receiver;
  guint     count;
} Waiting;

static gboolean
received_enough (gpointer data)
{
  Waiting *waiting = data;

  return waiting->receiver->bodies->len >= waiting->count;
}

static void
wait_received (Receiver *receiver,
               guint     count)
{
  Waiting waiting = { receiver, count };

  sim_wait_until (received_enough, &waiting, 20000);
}

static JsonObject *
parse_object (const char *text)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  json_parser_load_from_data (parser, text, -1, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));

  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

/* A received body as it is, whatever its dialect. */
static JsonObject *
body_object (Receiver *receiver,
             guint     index)
{
  GBytes *body = g_ptr_array_index (receiver->bodies, index);
  g_autofree char *text = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));

  return parse_object (text);
}

static JsonObject *
callback_data (Receiver *receiver,
               guint     index)
{
  GBytes *body = g_ptr_array_index (receiver->bodies, index);
  g_autofree char *text = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  g_autoptr(JsonObject) envelope = parse_object (text);

  g_assert_cmpint (json_object_get_int_member (envelope, "code"), ==, 200);
  g_assert_cmpstr (json_object_get_string_member (envelope, "msg"), ==, "success");

  return json_object_ref (json_object_get_object_member (envelope, "data"));
}

static void
test_callback_completed (SimFixture    *fx,
                         gconstpointer  data)
{
  g_autoptr(Receiver) receiver = receiver_new (0);
  g_autofree char *body = g_strdup_printf ("{\"model\":\"kling-v2-6\",\"prompt\":\"A kite\","
                                           "\"duration\":\"5\",\"callback_url\":\"%s\"}",
                                           receiver->url);
  g_autofree char *id = sim_create (fx, body);
  g_autoptr(JsonObject) completed = sim_wait_state (fx, id, "completed");
  g_autoptr(JsonObject) payload = NULL;
  g_autoptr(JsonObject) param = NULL;
  g_autoptr(JsonObject) result = NULL;
  g_autofree char *thumbnail_url = g_strdup_printf ("%s/results/%s.jpg", fx->base, id);
  JsonArray *urls;

  wait_received (receiver, 1);
  payload = callback_data (receiver, 0);

  g_assert_cmpstr (g_ptr_array_index (receiver->types, 0), ==, "application/json");
  g_assert_null (g_ptr_array_index (receiver->signatures, 0));

  g_assert_cmpstr (json_object_get_string_member (payload, "taskId"), ==, id);
  g_assert_cmpstr (json_object_get_string_member (payload, "model"), ==, "kling-video/kling-v2-6");
  g_assert_cmpstr (json_object_get_string_member (payload, "state"), ==, "completed");
  g_assert_true (json_node_is_null (json_object_get_member (payload, "failCode")));
  g_assert_true (json_node_is_null (json_object_get_member (payload, "failMsg")));
  g_assert_cmpint (json_object_get_int_member (payload, "createTime"), ==,
                   json_object_get_int_member (completed, "createTime"));
  g_assert_cmpint (json_object_get_int_member (payload, "completeTime"), ==,
                   json_object_get_int_member (completed, "completeTime"));
  g_assert_cmpint (json_object_get_int_member (payload, "costTime"), ==,
                   json_object_get_int_member (completed, "completeTime") -
                   json_object_get_int_member (completed, "createTime"));

  /* param and resultJson are strings holding JSON, parsed once. */
  g_assert_cmpint (json_node_get_value_type (json_object_get_member (payload, "param")), ==,
                   G_TYPE_STRING);
  param = parse_object (json_object_get_string_member (payload, "param"));
  g_assert_cmpstr (json_object_get_string_member (param, "prompt"), ==, "A kite");
  g_assert_cmpstr (json_object_get_string_member (param, "callback_url"), ==, receiver->url);

  g_assert_cmpint (json_node_get_value_type (json_object_get_member (payload, "resultJson")), ==,
                   G_TYPE_STRING);
  result = parse_object (json_object_get_string_member (payload, "resultJson"));
  urls = json_object_get_array_member (result, "resultUrls");
  g_assert_cmpuint (json_array_get_length (urls), ==, 1);
  g_assert_cmpstr (json_array_get_string_element (urls, 0), ==,
                   json_array_get_string_element (json_object_get_array_member (completed,
                                                                                "resultUrls"), 0));
  g_assert_cmpint (json_object_get_int_member (result, "videoDuration"), ==, 5);
  g_assert_cmpstr (json_object_get_string_member (result, "thumbnailUrl"), ==, thumbnail_url);
  g_assert_cmpstr (json_object_get_string_member (result, "videoSize"), ==, "320x180");
  g_assert_cmpstr (json_object_get_string_member (result, "videoModel"), ==, "kling-v2-6");

  /* Sent once: nothing more arrives. */
  sim_iterate_for (200);
  g_assert_cmpuint (receiver->bodies->len, ==, 1);
  g_assert_cmpuint (clap_sim_server_get_request_count (fx->server, CLAP_SIM_ENDPOINT_CALLBACK),
                    ==, 1);
}

static void
test_callback_failed (SimFixture    *fx,
                      gconstpointer  data)
{
  g_autoptr(Receiver) receiver = receiver_new (0);
  g_autofree char *body = g_strdup_printf ("{\"model\":\"kling-v3\",\"prompt\":\"x [sim:fail]\","
                                           "\"callback_url\":\"%s\"}", receiver->url);
  g_autofree char *id = sim_create (fx, body);
  g_autoptr(JsonObject) payload = NULL;

  wait_received (receiver, 1);
  payload = callback_data (receiver, 0);

  g_assert_cmpstr (json_object_get_string_member (payload, "taskId"), ==, id);
  g_assert_cmpstr (json_object_get_string_member (payload, "state"), ==, "failed");
  g_assert_true (json_node_is_null (json_object_get_member (payload, "resultJson")));
  g_assert_cmpstr (json_object_get_string_member (payload, "failCode"), ==, "CONTENT_POLICY");
  g_assert_cmpstr (json_object_get_string_member (payload, "failMsg"), ==,
                   "Content policy violation");
}

static void
test_callback_retries (SimFixture    *fx,
                       gconstpointer  data)
{
  g_autoptr(Receiver) receiver = receiver_new (3);
  g_autofree char *path = sim_fixture_use_result_file (fx, 100);
  g_autofree char *body = g_strdup_printf ("{\"model\":\"kling-v3\",\"prompt\":\"x\","
                                           "\"callback_url\":\"%s\"}", receiver->url);
  g_autofree char *id = NULL;
  gint64 *times;

  /* 1 s, 2 s, 4 s become 50, 100 and 200 ms. */
  g_object_set (fx->server, "time-scale", 0.05, NULL);
  id = sim_create (fx, body);

  wait_received (receiver, 4);
  times = (gint64 *)receiver->times->data;
  g_assert_cmpint (times[1] - times[0], >=, 50 * 1000);
  g_assert_cmpint (times[2] - times[1], >=, 100 * 1000);
  g_assert_cmpint (times[3] - times[2], >=, 200 * 1000);

  /* The same body every time; the 2xx ends the deliveries. */
  for (guint i = 1; i < 4; i++)
    g_assert_true (g_bytes_equal (g_ptr_array_index (receiver->bodies, i),
                                  g_ptr_array_index (receiver->bodies, 0)));

  sim_iterate_for (150);
  g_assert_cmpuint (receiver->bodies->len, ==, 4);
  g_assert_cmpuint (clap_sim_server_get_request_count (fx->server, CLAP_SIM_ENDPOINT_CALLBACK),
                    ==, 4);
}

static gboolean
deliveries_done (gpointer data)
{
  SimFixture *fx = data;

  return fx->server->deliveries != NULL && fx->server->deliveries->len == 0;
}

static void
test_callback_gives_up (SimFixture    *fx,
                        gconstpointer  data)
{
  g_autoptr(Receiver) receiver = receiver_new (G_MAXUINT);
  g_autofree char *path = sim_fixture_use_result_file (fx, 100);
  g_autofree char *body = g_strdup_printf ("{\"model\":\"kling-v3\",\"prompt\":\"x\","
                                           "\"callback_url\":\"%s\"}", receiver->url);
  g_autofree char *id = NULL;
  gint64 *times;
  guint count;

  /* 30 minutes become 1.8 s, the 60 s re-sends 60 ms. */
  g_object_set (fx->server, "time-scale", 0.001, NULL);
  id = sim_create (fx, body);

  sim_wait_until (deliveries_done, fx, 20000);
  count = receiver->bodies->len;
  times = (gint64 *)receiver->times->data;

  /* 4 quick attempts, then one every 60 ms until 1.8 s have gone by (a
   * loaded machine fires timers late: fewer attempts, never more). */
  g_assert_cmpuint (count, >=, 15);
  g_assert_cmpuint (count, <=, 34);
  g_assert_cmpint (times[count - 1] - times[0], >=, 1500 * 1000);
  g_assert_cmpint (times[count - 1] - times[0], <=, 2000 * 1000);

  sim_iterate_for (150);
  g_assert_cmpuint (receiver->bodies->len, ==, count);
}

static void
test_callback_lost_attempt (SimFixture    *fx,
                            gconstpointer  data)
{
  g_autoptr(Receiver) receiver = receiver_new (0);
  g_autofree char *path = sim_fixture_use_result_file (fx, 100);
  g_autofree char *body = g_strdup_printf ("{\"model\":\"kling-v3\",\"prompt\":\"x\","
                                           "\"callback_url\":\"%s\"}", receiver->url);
  g_autofree char *id = NULL;

  /* An injected fault loses the first attempt on the way. */
  g_object_set (fx->server, "time-scale", 0.01, NULL);
  clap_sim_server_inject_fault (fx->server, CLAP_SIM_ENDPOINT_CALLBACK, CLAP_SIM_FAULT_DROP, 1);
  id = sim_create (fx, body);

  wait_received (receiver, 1);
  g_assert_cmpuint (clap_sim_server_get_request_count (fx->server, CLAP_SIM_ENDPOINT_CALLBACK),
                    ==, 2);
}

static void
test_callback_server_gone (SimFixture    *fx,
                           gconstpointer  data)
{
  g_autoptr(Receiver) receiver = receiver_new (G_MAXUINT);
  g_autofree char *path = sim_fixture_use_result_file (fx, 100);
  g_autofree char *body = g_strdup_printf ("{\"model\":\"kling-v3\",\"prompt\":\"x\","
                                           "\"callback_url\":\"%s\"}", receiver->url);
  g_autofree char *id = sim_create (fx, body);

  /* Deliveries still retrying end with the server, which finalizes. */
  wait_received (receiver, 1);
  g_assert_cmpuint (fx->server->deliveries->len, ==, 1);
}

/* The callbacks of the prompt keywords, in the seed dialect */
static void
test_callback_keywords (SimFixture    *fx,
                        gconstpointer  data)
{
  g_autoptr(Receiver) receiver = receiver_new (0);
  g_autofree char *path = sim_fixture_use_result_file (fx, 100);
  g_autofree char *cancel_body = g_strdup_printf ("{\"model\":\"kling-v3\",\"prompt\":"
                                                  "\"x [sim:cancel]\",\"callback_url\":\"%s\"}",
                                                  receiver->url);
  g_autofree char *no_link_body = g_strdup_printf ("{\"model\":\"kling-v3\",\"prompt\":"
                                                   "\"x [sim:no-link]\",\"callback_url\":\"%s\"}",
                                                   receiver->url);
  g_autofree char *echo_body = g_strdup_printf ("{\"model\":\"kling-motion-control\","
                                                "\"image\":\"https://example.com/a.png\","
                                                "\"motion_video\":\"https://example.com/m.mp4\","
                                                "\"mode\":\"1080p\",\"version\":\"3.0\","
                                                "\"prompt\":"
                                                "\"x [sim:echo-model=kling-video/kling-v2-6]\","
                                                "\"callback_url\":\"%s\"}", receiver->url);
  g_autofree char *cancel_id = NULL;
  g_autofree char *no_link_id = NULL;
  g_autofree char *echo_id = NULL;
  g_autoptr(JsonObject) cancelled = NULL;
  g_autoptr(JsonObject) no_link = NULL;
  g_autoptr(JsonObject) no_link_result = NULL;
  g_autoptr(JsonObject) echo = NULL;
  g_autoptr(JsonObject) echo_result = NULL;

  /* One at a time, so that the bodies arrive in order. */
  cancel_id = sim_create (fx, cancel_body);
  wait_received (receiver, 1);
  no_link_id = sim_create (fx, no_link_body);
  wait_received (receiver, 2);
  echo_id = sim_create (fx, echo_body);
  wait_received (receiver, 3);

  cancelled = callback_data (receiver, 0);
  g_assert_cmpstr (json_object_get_string_member (cancelled, "taskId"), ==, cancel_id);
  g_assert_cmpstr (json_object_get_string_member (cancelled, "state"), ==, "cancelled");
  g_assert_true (json_node_is_null (json_object_get_member (cancelled, "resultJson")));
  g_assert_cmpstr (json_object_get_string_member (cancelled, "failCode"), ==, "CANCELLED");
  g_assert_cmpstr (json_object_get_string_member (cancelled, "failMsg"), ==, "Task cancelled");

  /* No link in any field: resultJson lists none, not even a thumbnail. */
  no_link = callback_data (receiver, 1);
  g_assert_cmpstr (json_object_get_string_member (no_link, "state"), ==, "completed");
  g_assert_null (strstr (json_object_get_string_member (no_link, "resultJson"), "http"));
  no_link_result = parse_object (json_object_get_string_member (no_link, "resultJson"));
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (no_link_result,
                                                                         "resultUrls")), ==, 0);
  g_assert_false (json_object_has_member (no_link_result, "thumbnailUrl"));

  /* Motion control 3.0 asked, Kling 2.6 answered. */
  echo = callback_data (receiver, 2);
  g_assert_cmpstr (json_object_get_string_member (echo, "model"), ==, "kling-video/kling-v2-6");
  echo_result = parse_object (json_object_get_string_member (echo, "resultJson"));
  g_assert_cmpstr (json_object_get_string_member (echo_result, "videoModel"), ==, "kling-v2-6");
}

/* The gateway forwards its own task object; Kling's are passed through. */
static void
test_callback_dialects (SimFixture    *fx,
                        gconstpointer  data)
{
  g_autoptr(Receiver) receiver = receiver_new (0);
  g_autofree char *path = sim_fixture_use_result_file (fx, 100);
  g_autofree char *body = g_strdup_printf ("{\"model\":\"kling-v3\",\"prompt\":\"A kite\","
                                           "\"callback_url\":\"%s\"}", receiver->url);
  g_autofree char *gateway_id = NULL;
  g_autofree char *kling_id = NULL;
  g_autofree char *gateway_url = NULL;
  g_autofree char *kling_url = NULL;
  g_autoptr(JsonObject) gateway_created = NULL;
  g_autoptr(JsonObject) kling_created = NULL;
  g_autoptr(JsonObject) gateway = NULL;
  g_autoptr(JsonObject) kling = NULL;
  JsonObject *gateway_data;
  JsonObject *kling_data;
  JsonObject *video;

  sim_set_dialect (fx, "gateway");
  gateway_created = sim_dialect_create (fx, body, &gateway_id);
  wait_received (receiver, 1);

  sim_set_dialect (fx, "kling-native");
  kling_created = sim_dialect_create (fx, body, &kling_id);
  wait_received (receiver, 2);

  gateway = body_object (receiver, 0);
  sim_assert_code (gateway, 200, TRUE);
  gateway_data = json_object_get_object_member (gateway, "data");
  g_assert_cmpstr (json_object_get_string_member (gateway_data, "task_id"), ==, gateway_id);
  g_assert_false (json_object_has_member (gateway_data, "id"));
  g_assert_false (json_object_has_member (gateway_data, "taskId"));
  g_assert_cmpstr (json_object_get_string_member (gateway_data, "status"), ==, "succeeded");
  video = json_array_get_object_element (json_object_get_array_member (gateway_data, "videos"), 0);
  gateway_url = g_strdup_printf ("%s/results/%s.mp4", fx->base, gateway_id);
  g_assert_cmpstr (json_object_get_string_member (video, "url"), ==, gateway_url);

  /* the second task: the second of Kling's shapes */
  kling = body_object (receiver, 1);
  sim_assert_code (kling, 200, FALSE);
  kling_data = json_object_get_object_member (kling, "data");
  g_assert_cmpstr (json_object_get_string_member (kling_data, "task_id"), ==, kling_id);
  g_assert_cmpstr (json_object_get_string_member (kling_data, "task_status"), ==, "succeed");
  kling_url = g_strdup_printf ("{\"resultUrls\":[\"%s/results/%s.mp4\"]}", fx->base, kling_id);
  g_assert_cmpstr (json_object_get_string_member (kling_data, "resultJson"), ==, kling_url);
}

static void
add (const char *path,
     void      (*func) (SimFixture *, gconstpointer))
{
  g_test_add (path, SimFixture, NULL, sim_fixture_setup, func, sim_fixture_teardown);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  add ("/sim/callback/completed", test_callback_completed);
  add ("/sim/callback/failed", test_callback_failed);
  add ("/sim/callback/retries", test_callback_retries);
  add ("/sim/callback/gives-up", test_callback_gives_up);
  add ("/sim/callback/lost-attempt", test_callback_lost_attempt);
  add ("/sim/callback/server-gone", test_callback_server_gone);
  add ("/sim/callback/keywords", test_callback_keywords);
  add ("/sim/callback/dialects", test_callback_dialects);

  return g_test_run ();
}
