/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "clap-test-files.h"

#include <string.h>
#include <glib/gstdio.h>
#include <libsoup/soup.h>

#include "clap-callback-server.h"
#include "clap-session.h"
#include "clap-sim-server.h"

/* The callback receiver against the simulator and a real session: a
 * callback is only a hint that makes the session ask the service at once;
 * forged, unknown, malformed, oversized and repeated posts change nothing
 * but what the authenticated query says. */

#define WAIT_S 30

/* Polling so slow that only a callback explains an early query. */
#define SLOW_POLL_MS (10 * 60 * 1000)

typedef struct {
  ClapSimServer      *sim;
  ClapClient         *client;
  ClapSession        *session;
  ClapCallbackServer *receiver;
  SoupSession        *soup;
  char               *dir;
  char               *url;
  char               *path;
} Fixture;

static void
on_session_error (ClapSession *session,
                  ClapTask    *task,
                  GError      *error,
                  Fixture     *fx)
{
  g_test_message ("session error: %s", error->message);
}

static void
setup (Fixture       *fx,
       gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ClapStore) store = NULL;
  g_autofree char *db = NULL;
  g_autofree char *base = NULL;

  fx->dir = g_dir_make_tmp ("clap-callback-XXXXXX", NULL);
  db = g_build_filename (fx->dir, "history.db", NULL);

  fx->sim = clap_sim_server_new ();
  g_object_set (fx->sim, "pending-ms", 100, "processing-ms", 300, "time-scale", 0.01, NULL);
  g_assert_true (clap_sim_server_listen (fx->sim, 0, &error));
  base = clap_sim_server_dup_base_url (fx->sim);
  fx->client = clap_client_new (base, "callback-key", &error);
  g_assert_no_error (error);

  store = clap_store_open (db, &error);
  g_assert_no_error (error);
  fx->session = clap_session_new (store, fx->client, NULL);
  clap_poller_set_interval (clap_session_get_poller (fx->session), SLOW_POLL_MS, SLOW_POLL_MS);
  g_signal_connect (fx->session, "error", G_CALLBACK (on_session_error), fx);

  fx->receiver = clap_callback_server_new (fx->session);
  g_assert_true (clap_callback_server_listen (fx->receiver, "127.0.0.1:0", &error));
  g_assert_no_error (error);
  fx->url = clap_callback_server_dup_url (fx->receiver);
  fx->path = clap_callback_server_dup_path (fx->receiver);
  g_assert_true (g_str_has_prefix (fx->url, "http://127.0.0.1:"));
  /* a secret path: "/callback/" and at least 128 bits of a token */
  g_assert_true (g_str_has_prefix (fx->path, "/callback/"));
  g_assert_cmpuint (strlen (fx->path), >=, strlen ("/callback/") + 22);
  g_assert_true (g_str_has_suffix (fx->url, fx->path));

  fx->soup = soup_session_new ();
}

static void
teardown (Fixture       *fx,
          gconstpointer  data)
{
  g_clear_object (&fx->soup);
  g_assert_finalize_object (fx->receiver);
  g_clear_object (&fx->session);
  g_clear_object (&fx->client);
  g_clear_object (&fx->sim);
  clap_test_rm_rf (fx->dir);
  g_free (fx->dir);
  g_free (fx->url);
  g_free (fx->path);
}

typedef gboolean (*Condition) (Fixture *fx, gpointer data);

static void
wait_for (Fixture   *fx,
          Condition  cond,
          gpointer   data)
{
  gint64 end = g_get_monotonic_time () + WAIT_S * G_USEC_PER_SEC;

  while (!cond (fx, data))
    {
      if (g_get_monotonic_time () > end)
        g_error ("condition never met");
      g_main_context_iteration (NULL, TRUE);
    }
}

/* A few turns of the main loop, for anything that should NOT happen. */
static void
spin (guint ms)
{
  gint64 end = g_get_monotonic_time () + ms * 1000;

  while (g_get_monotonic_time () < end)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
}

static gboolean
has_task_id (Fixture  *fx,
             gpointer  data)
{
  return clap_task_get_task_id (data) != NULL;
}

static gboolean
is_downloaded (Fixture  *fx,
               gpointer  data)
{
  return clap_task_get_local_file (data) != NULL;
}

static gboolean
queries_reach (Fixture  *fx,
               gpointer  data)
{
  return clap_sim_server_get_request_count (fx->sim, CLAP_SIM_ENDPOINT_QUERY) >=
           GPOINTER_TO_UINT (data) &&
         clap_poller_get_n_in_flight (clap_session_get_poller (fx->session)) == 0;
}

static gboolean
handled_reach (Fixture  *fx,
               gpointer  data)
{
  return clap_callback_server_get_n_accepted (fx->receiver) +
         clap_callback_server_get_n_refused (fx->receiver) >= GPOINTER_TO_UINT (data);
}

static guint
n_queries (Fixture *fx)
{
  return clap_sim_server_get_request_count (fx->sim, CLAP_SIM_ENDPOINT_QUERY);
}

/* Submits one take and waits until the service has given it an id. */
static ClapTask *
submit_one (Fixture    *fx,
            const char *prompt)
{
  g_autoptr(ClapRequest) request = clap_request_new ("kling-v3");
  ClapTask *task;

  clap_request_set_prompt (request, prompt);
  clap_request_set_duration (request, 3);
  clap_session_submit (fx->session, request, 1);
  task = g_list_model_get_item (G_LIST_MODEL (clap_session_get_store (fx->session)), 0);
  wait_for (fx, has_task_id, task);
  return task;
}

typedef struct {
  gboolean  done;
  guint     status;
  GBytes   *body;
  GError   *error;
} Reply;

static void
sent_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Reply *reply = user_data;
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION (source), result);

  reply->body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &reply->error);
  reply->status = soup_message_get_status (msg);
  reply->done = TRUE;
}

static gboolean
reply_done (Fixture  *fx,
            gpointer  data)
{
  return ((Reply *) data)->done;
}

/* Sends @msg from a plain SoupSession, as the service would; the receiver
 * runs on the same main loop, so the loop turns meanwhile. */
static guint
send (Fixture     *fx,
      SoupMessage *msg,
      GError     **error)
{
  Reply reply = { 0 };

  soup_session_send_and_read_async (fx->soup, msg, G_PRIORITY_DEFAULT, NULL, sent_cb, &reply);
  wait_for (fx, reply_done, &reply);
  g_clear_pointer (&reply.body, g_bytes_unref);
  if (reply.error != NULL)
    {
      g_propagate_error (error, reply.error);
      return 0;
    }
  return reply.status;
}

static guint
post (Fixture    *fx,
      const char *content_type,
      const char *body)
{
  g_autoptr(SoupMessage) msg = soup_message_new (SOUP_METHOD_POST, fx->url);
  g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));
  g_autoptr(GError) error = NULL;
  guint status;

  soup_message_set_request_body_from_bytes (msg, content_type, bytes);
  status = send (fx, msg, &error);
  g_assert_no_error (error);
  return status;
}

/* A callback body exactly as the contract has it: param and resultJson are
 * JSON strings inside the data. */
static char *
callback_body (const char *task_id,
               const char *state,
               const char *result_url)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *result_json = NULL;

  if (result_url != NULL)
    result_json = g_strdup_printf ("{\"resultUrls\":[\"%s\"],\"videoDuration\":3}", result_url);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "code");
  json_builder_add_int_value (builder, 200);
  json_builder_set_member_name (builder, "msg");
  json_builder_add_string_value (builder, "success");
  json_builder_set_member_name (builder, "data");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "taskId");
  json_builder_add_string_value (builder, task_id);
  json_builder_set_member_name (builder, "model");
  json_builder_add_string_value (builder, "kling-video/kling-v3");
  json_builder_set_member_name (builder, "state");
  json_builder_add_string_value (builder, state);
  json_builder_set_member_name (builder, "param");
  json_builder_add_string_value (builder, "{\"prompt\":\"forged\"}");
  json_builder_set_member_name (builder, "resultJson");
  if (result_json != NULL)
    json_builder_add_string_value (builder, result_json);
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "failCode");
  json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "failMsg");
  json_builder_add_string_value (builder, g_str_equal (state, "failed") ? "forged failure" : "");
  json_builder_set_member_name (builder, "costTime");
  json_builder_add_int_value (builder, 1000);
  json_builder_set_member_name (builder, "completeTime");
  json_builder_add_int_value (builder, g_get_real_time () / 1000);
  json_builder_set_member_name (builder, "createTime");
  json_builder_add_int_value (builder, g_get_real_time () / 1000 - 1000);
  json_builder_end_object (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  return json_to_string (root, FALSE);
}

static void
test_callback_triggers_query (Fixture       *fx,
                              gconstpointer  data)
{
  g_autoptr(ClapTask) task = NULL;
  g_autoptr(ClapRequest) kept = NULL;

  clap_session_set_callback_url (fx->session, fx->url);
  task = submit_one (fx, "A heron lands at dusk");
  g_assert_cmpuint (n_queries (fx), ==, 0);

  /* The poller would first ask in ten minutes: only the simulator's
   * callback can make the session ask, and then download, this soon. */
  wait_for (fx, is_downloaded, task);
  g_assert_cmpint (clap_task_get_state (task), ==, CLAP_TASK_STATE_COMPLETED);
  g_assert_cmpuint (clap_sim_server_get_request_count (fx->sim, CLAP_SIM_ENDPOINT_CALLBACK), ==, 1);
  g_assert_cmpuint (clap_callback_server_get_n_accepted (fx->receiver), ==, 1);
  g_assert_cmpuint (clap_callback_server_get_n_refused (fx->receiver), ==, 0);
  g_assert_cmpuint (n_queries (fx), ==, 1);
  g_assert_true (g_str_has_prefix (clap_task_get_result_url (task),
                                   clap_client_get_base_url (fx->client)));

  /* the URL went out with the create, but the history keeps the request
   * without it: the receiver may be elsewhere by the time of a retry */
  kept = clap_task_dup_request (task);
  g_assert_null (clap_request_get_callback_url (kept));
}

static void
test_forged_callback_changes_nothing (Fixture       *fx,
                                      gconstpointer  data)
{
  g_autoptr(ClapTask) task = NULL;
  g_autofree char *completed = NULL;
  g_autofree char *failed = NULL;
  guint before;

  /* A take that stays pending: the service is still on it. Each callback
   * asks, however close together. */
  clap_callback_server_set_hint_interval (fx->receiver, 0);
  g_object_set (fx->sim, "pending-ms", 60 * 1000, NULL);
  task = submit_one (fx, "Still pending");
  g_assert_cmpint (clap_task_get_state (task), ==, CLAP_TASK_STATE_PENDING);
  before = n_queries (fx);

  completed = callback_body (clap_task_get_task_id (task), "completed",
                             "https://forged.example/result.mp4");
  g_assert_cmpuint (post (fx, "application/json", completed), ==, SOUP_STATUS_OK);
  wait_for (fx, queries_reach, GUINT_TO_POINTER (before + 1));

  /* only the query's answer counts, and it says pending */
  g_assert_cmpint (clap_task_get_state (task), ==, CLAP_TASK_STATE_PENDING);
  g_assert_null (clap_task_get_result_url (task));
  g_assert_null (clap_task_get_local_file (task));

  failed = callback_body (clap_task_get_task_id (task), "failed", NULL);
  g_assert_cmpuint (post (fx, "application/json", failed), ==, SOUP_STATUS_OK);
  wait_for (fx, queries_reach, GUINT_TO_POINTER (before + 2));
  g_assert_cmpint (clap_task_get_state (task), ==, CLAP_TASK_STATE_PENDING);
  g_assert_null (clap_task_get_fail_message (task));

  g_assert_cmpuint (clap_callback_server_get_n_accepted (fx->receiver), ==, 2);
  g_assert_cmpuint (clap_sim_server_get_request_count (fx->sim, CLAP_SIM_ENDPOINT_RESULT_GET),
                    ==, 0);
}

static void
test_unknown_task (Fixture       *fx,
                   gconstpointer  data)
{
  g_autoptr(ClapTask) task = NULL;
  g_autofree char *body = callback_body ("cl-nobody-knows", "completed",
                                         "https://forged.example/result.mp4");

  g_object_set (fx->sim, "pending-ms", 60 * 1000, NULL);
  task = submit_one (fx, "Someone else's callback");

  g_assert_cmpuint (post (fx, "application/json", body), ==, SOUP_STATUS_NOT_FOUND);
  spin (100);
  g_assert_cmpuint (n_queries (fx), ==, 0);
  g_assert_cmpint (clap_task_get_state (task), ==, CLAP_TASK_STATE_PENDING);
  g_assert_cmpuint (clap_callback_server_get_n_accepted (fx->receiver), ==, 0);
  g_assert_cmpuint (clap_callback_server_get_n_refused (fx->receiver), ==, 1);
}

static void
test_malformed (Fixture       *fx,
                gconstpointer  data)
{
  g_autoptr(ClapTask) task = NULL;
  g_autofree char *good = NULL;
  const char *bad[] = {
    "",
    "{\"code\":200,\"msg\":\"success\",\"data\":{\"taskId\":",
    "not json at all",
    "[1, 2, 3]",
    "{\"code\":200,\"msg\":\"success\",\"data\":{\"state\":\"completed\"}}",
    "{\"code\":200,\"msg\":\"success\",\"data\":{\"taskId\":\"\"}}",
    "{\"code\":200,\"msg\":\"success\",\"data\":\"cl-123\"}",
  };

  g_object_set (fx->sim, "pending-ms", 60 * 1000, NULL);
  task = submit_one (fx, "Malformed callbacks");

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_test_message ("body %u", i);
      g_assert_cmpuint (post (fx, "application/json", bad[i]), ==, SOUP_STATUS_BAD_REQUEST);
    }

  /* a good body in the wrong type */
  good = callback_body (clap_task_get_task_id (task), "completed", NULL);
  g_assert_cmpuint (post (fx, "text/plain", good), ==, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE);
  g_assert_cmpuint (post (fx, "application/x-www-form-urlencoded", good), ==,
                    SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE);
  /* parameters of the right type are fine */
  g_assert_cmpuint (post (fx, "application/json; charset=utf-8", good), ==, SOUP_STATUS_OK);
  wait_for (fx, queries_reach, GUINT_TO_POINTER (1));

  g_assert_cmpuint (n_queries (fx), ==, 1);
  g_assert_cmpint (clap_task_get_state (task), ==, CLAP_TASK_STATE_PENDING);
  g_assert_cmpuint (clap_callback_server_get_n_refused (fx->receiver), ==, G_N_ELEMENTS (bad) + 2);
}

static void
test_method_and_path (Fixture       *fx,
                      gconstpointer  data)
{
  g_autofree char *base = g_strndup (fx->url, strlen (fx->url) - strlen (fx->path));
  g_autofree char *longer = g_strconcat (fx->path, "x", NULL);
  g_autofree char *shorter = g_strndup (fx->path, strlen (fx->path) - 1);
  g_autofree char *below = g_strconcat (fx->path, "/", NULL);
  const struct {
    const char *method;
    const char *path;
    guint       status;
  } cases[] = {
    { SOUP_METHOD_GET, fx->path, SOUP_STATUS_METHOD_NOT_ALLOWED },
    { SOUP_METHOD_PUT, fx->path, SOUP_STATUS_METHOD_NOT_ALLOWED },
    { SOUP_METHOD_DELETE, fx->path, SOUP_STATUS_METHOD_NOT_ALLOWED },
    { SOUP_METHOD_POST, "/", SOUP_STATUS_NOT_FOUND },
    { SOUP_METHOD_POST, "/callback", SOUP_STATUS_NOT_FOUND },
    { SOUP_METHOD_POST, "/callbacks", SOUP_STATUS_NOT_FOUND },
    { SOUP_METHOD_POST, "/callback/x", SOUP_STATUS_NOT_FOUND },
    { SOUP_METHOD_POST, longer, SOUP_STATUS_NOT_FOUND },
    { SOUP_METHOD_POST, shorter, SOUP_STATUS_NOT_FOUND },
    { SOUP_METHOD_POST, below, SOUP_STATUS_NOT_FOUND },
    { SOUP_METHOD_GET, "/api/v1/video/generations", SOUP_STATUS_NOT_FOUND },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *url = g_strconcat (base, cases[i].path, NULL);
      g_autoptr(SoupMessage) msg = soup_message_new (cases[i].method, url);
      g_autoptr(GError) error = NULL;

      if (cases[i].method == SOUP_METHOD_POST || cases[i].method == SOUP_METHOD_PUT)
        {
          g_autoptr(GBytes) body = g_bytes_new_static ("{}", 2);
          soup_message_set_request_body_from_bytes (msg, "application/json", body);
        }

      g_test_message ("%s %s", cases[i].method, cases[i].path);
      g_assert_cmpuint (send (fx, msg, &error), ==, cases[i].status);
      g_assert_no_error (error);
      if (cases[i].status == SOUP_STATUS_METHOD_NOT_ALLOWED)
        g_assert_cmpstr (soup_message_headers_get_one (soup_message_get_response_headers (msg),
                                                       "Allow"), ==, "POST");
    }

  g_assert_cmpuint (clap_callback_server_get_n_refused (fx->receiver), ==, G_N_ELEMENTS (cases));
  g_assert_cmpuint (clap_callback_server_get_n_accepted (fx->receiver), ==, 0);
}

static void
test_too_large (Fixture       *fx,
                gconstpointer  data)
{
  gsize size = 1000 * 1000;
  g_autofree char *big = g_malloc (size);
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(SoupMessage) msg = soup_message_new (SOUP_METHOD_POST, fx->url);
  g_autoptr(GError) error = NULL;

  /* valid JSON all along, so only the size can be the reason */
  memset (big, ' ', size);
  big[0] = '{';
  big[size - 1] = '}';
  bytes = g_bytes_new_take (g_steal_pointer (&big), size);

  soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
  g_assert_cmpuint (send (fx, msg, &error), ==, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE);
  g_assert_no_error (error);
  g_assert_cmpuint (clap_callback_server_get_n_refused (fx->receiver), ==, 1);

  /* just within the limit is read, and refused only for what it says */
  {
    g_autofree char *fits = g_malloc (CLAP_CALLBACK_SERVER_MAX_BODY + 1);

    memset (fits, ' ', CLAP_CALLBACK_SERVER_MAX_BODY);
    fits[0] = '{';
    fits[CLAP_CALLBACK_SERVER_MAX_BODY - 1] = '}';
    fits[CLAP_CALLBACK_SERVER_MAX_BODY] = '\0';
    g_assert_cmpuint (post (fx, "application/json", fits), ==, SOUP_STATUS_BAD_REQUEST);
  }
}

typedef struct {
  gboolean  done;
  gssize    n;
  GError   *error;
} Read;

static void
read_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Read *read = user_data;

  read->n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, &read->error);
  read->done = TRUE;
}

static gboolean
read_done (Fixture  *fx,
           gpointer  data)
{
  return ((Read *) data)->done;
}

/* With "Expect: 100-continue" the 413 comes before a byte of the body is
 * sent: the refusal needs only the headers. */
static void
test_too_large_refused_before_body (Fixture       *fx,
                                    gconstpointer  data)
{
  g_autoptr(GUri) uri = g_uri_parse (fx->url, G_URI_FLAGS_NONE, NULL);
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *head = NULL;
  char buffer[1024] = { 0 };
  Read read = { 0 };

  connection = g_socket_client_connect_to_host (client, "127.0.0.1", g_uri_get_port (uri), NULL,
                                                &error);
  g_assert_no_error (error);

  head = g_strdup_printf ("POST %s HTTP/1.1\r\n"
                          "Host: 127.0.0.1:%d\r\n"
                          "Content-Type: application/json\r\n"
                          "Content-Length: 100000000\r\n"
                          "Expect: 100-continue\r\n"
                          "\r\n", fx->path, g_uri_get_port (uri));
  g_assert_true (g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)),
                                            head, strlen (head), NULL, NULL, &error));
  g_input_stream_read_async (g_io_stream_get_input_stream (G_IO_STREAM (connection)), buffer,
                             sizeof buffer - 1, G_PRIORITY_DEFAULT, NULL, read_cb, &read);
  wait_for (fx, read_done, &read);
  g_assert_no_error (read.error);
  g_assert_cmpint (read.n, >, 0);
  g_assert_true (g_str_has_prefix (buffer, "HTTP/1.1 413"));
  g_assert_cmpuint (clap_callback_server_get_n_refused (fx->receiver), ==, 1);
}

/* A body with no length that never ends is cut off: the receiver neither
 * keeps it nor reads it forever. */
static void
test_endless_chunked_body_cut (Fixture       *fx,
                               gconstpointer  data)
{
  gsize size = 16 * 1024 * 1024;
  g_autoptr(GBytes) bytes = g_bytes_new_take (g_malloc0 (size), size);
  g_autoptr(GInputStream) stream = g_memory_input_stream_new_from_bytes (bytes);
  g_autoptr(SoupMessage) msg = soup_message_new (SOUP_METHOD_POST, fx->url);
  g_autoptr(GError) error = NULL;
  guint status;

  /* -1: chunked, no Content-Length to refuse it by */
  soup_message_set_request_body (msg, "application/json", stream, -1);
  status = send (fx, msg, &error);
  g_test_message ("status %u, %s", status, error ? error->message : "no error");
  g_assert_true (error != NULL || status == SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE);

  wait_for (fx, handled_reach, GUINT_TO_POINTER (1));
  g_assert_cmpuint (clap_callback_server_get_n_refused (fx->receiver), ==, 1);
  g_assert_cmpuint (clap_callback_server_get_n_accepted (fx->receiver), ==, 0);

  /* the receiver still answers */
  g_assert_cmpuint (post (fx, "application/json", "{}"), ==, SOUP_STATUS_BAD_REQUEST);
}

/* A chunked body past the limit gets its 413 like any other. */
static void
test_chunked_body_over_limit (Fixture       *fx,
                              gconstpointer  data)
{
  gsize size = 256 * 1024;
  g_autoptr(GBytes) bytes = g_bytes_new_take (g_malloc0 (size), size);
  g_autoptr(GInputStream) stream = g_memory_input_stream_new_from_bytes (bytes);
  g_autoptr(SoupMessage) msg = soup_message_new (SOUP_METHOD_POST, fx->url);
  g_autoptr(GError) error = NULL;

  soup_message_set_request_body (msg, "application/json", stream, -1);
  g_assert_cmpuint (send (fx, msg, &error), ==, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE);
  g_assert_no_error (error);
  g_assert_cmpuint (clap_callback_server_get_n_refused (fx->receiver), ==, 1);
}

static void
test_duplicates_idempotent (Fixture       *fx,
                            gconstpointer  data)
{
  g_autoptr(ClapTask) task = NULL;
  g_autofree char *body = NULL;
  g_autofree char *stale = NULL;
  g_autofree char *local_file = NULL;
  g_autofree char *result_url = NULL;
  guint downloads, queries;

  /* each asks again, as close together as they come */
  clap_callback_server_set_hint_interval (fx->receiver, 0);
  clap_session_set_callback_url (fx->session, fx->url);
  task = submit_one (fx, "Delivered twice");
  wait_for (fx, is_downloaded, task);
  local_file = g_strdup (clap_task_get_local_file (task));
  result_url = g_strdup (clap_task_get_result_url (task));
  downloads = clap_sim_server_get_request_count (fx->sim, CLAP_SIM_ENDPOINT_RESULT_GET);
  queries = n_queries (fx);

  /* the same callback again, twice, as a provider that missed our 200
   * would resend it; then a stale one saying "processing" */
  body = callback_body (clap_task_get_task_id (task), "completed", result_url);
  stale = callback_body (clap_task_get_task_id (task), "processing", NULL);
  g_assert_cmpuint (post (fx, "application/json", body), ==, SOUP_STATUS_OK);
  g_assert_cmpuint (post (fx, "application/json", body), ==, SOUP_STATUS_OK);
  g_assert_cmpuint (post (fx, "application/json", stale), ==, SOUP_STATUS_OK);
  wait_for (fx, queries_reach, GUINT_TO_POINTER (queries + 1));
  spin (200);

  /* each only asked again; the take did not move */
  g_assert_cmpuint (n_queries (fx), >=, queries + 1);
  g_assert_cmpuint (n_queries (fx), <=, queries + 3);
  g_assert_cmpint (clap_task_get_state (task), ==, CLAP_TASK_STATE_COMPLETED);
  g_assert_cmpstr (clap_task_get_local_file (task), ==, local_file);
  g_assert_cmpstr (clap_task_get_result_url (task), ==, result_url);
  g_assert_cmpuint (clap_sim_server_get_request_count (fx->sim, CLAP_SIM_ENDPOINT_RESULT_GET),
                    ==, downloads);
  g_assert_cmpuint (clap_callback_server_get_n_accepted (fx->receiver), ==, 4);
}

static void
test_busy_port (Fixture       *fx,
                gconstpointer  data)
{
  g_autoptr(ClapCallbackServer) second = clap_callback_server_new (fx->session);
  g_autoptr(GUri) uri = g_uri_parse (fx->url, G_URI_FLAGS_NONE, NULL);
  g_autofree char *address = g_strdup_printf ("127.0.0.1:%d", g_uri_get_port (uri));
  g_autoptr(GError) error = NULL;

  g_assert_false (clap_callback_server_listen (second, address, &error));
  g_assert_error (error, CLAP_CALLBACK_SERVER_ERROR, CLAP_CALLBACK_SERVER_ERROR_ADDRESS_IN_USE);
  g_assert_nonnull (strstr (error->message, "could not listen on"));
  g_assert_nonnull (strstr (error->message, address));
  g_assert_false (clap_callback_server_is_listening (second));
  g_assert_null (clap_callback_server_dup_url (second));
  g_clear_error (&error);

  /* once the first one stops, the port is free */
  clap_callback_server_stop (fx->receiver);
  g_assert_false (clap_callback_server_is_listening (fx->receiver));
  g_assert_true (clap_callback_server_listen (second, address, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (clap_callback_server_get_address (second), ==, address);
}

static void
test_addresses (Fixture       *fx,
                gconstpointer  data)
{
  const char *valid[] = { "127.0.0.1:8765", "0.0.0.0:9000", "[::1]:0", "[::]:65535",
                          "192.168.1.20:80" };
  const char *invalid[] = { "", "127.0.0.1", "127.0.0.1:", ":8765", "localhost:8765",
                            "127.0.0.1:65536", "127.0.0.1:-1", "127.0.0.1:80x", "::1:8765",
                            "[127.0.0.1]:80", "[::1]8765", "[::1", "http://127.0.0.1:8765" };
  g_autoptr(ClapCallbackServer) any = clap_callback_server_new (fx->session);
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (valid); i++)
    {
      g_autoptr(GInetSocketAddress) address = clap_callback_server_parse_address (valid[i], &error);

      g_test_message ("%s", valid[i]);
      g_assert_no_error (error);
      g_assert_nonnull (address);
    }

  for (guint i = 0; i < G_N_ELEMENTS (invalid); i++)
    {
      g_autoptr(GInetSocketAddress) address = clap_callback_server_parse_address (invalid[i], &error);

      g_test_message ("%s", invalid[i]);
      g_assert_null (address);
      g_assert_error (error, CLAP_CALLBACK_SERVER_ERROR, CLAP_CALLBACK_SERVER_ERROR_INVALID_ADDRESS);
      g_clear_error (&error);
    }

  g_assert_false (clap_callback_server_listen (any, "localhost:0", &error));
  g_assert_error (error, CLAP_CALLBACK_SERVER_ERROR, CLAP_CALLBACK_SERVER_ERROR_INVALID_ADDRESS);
  g_clear_error (&error);

  /* every address: reached on this computer through loopback */
  g_assert_true (clap_callback_server_listen (any, "0.0.0.0:0", &error));
  g_assert_no_error (error);
  url = clap_callback_server_dup_url (any);
  g_assert_true (g_str_has_prefix (url, "http://127.0.0.1:"));
  g_assert_false (g_str_has_prefix (url, "http://127.0.0.1:0/"));
  g_clear_pointer (&url, g_free);

  /* IPv6, where the machine has it */
  if (clap_callback_server_listen (any, "[::1]:0", &error))
    {
      g_autofree char *path = clap_callback_server_dup_path (any);

      url = clap_callback_server_dup_url (any);
      g_assert_true (g_str_has_prefix (url, "http://[::1]:"));
      g_assert_true (g_str_has_suffix (url, path));
    }
  else
    {
      g_test_message ("no IPv6 loopback: %s", error->message);
    }
}

typedef struct {
  GSocketConnection *connection;
  char               buffer[256];
  Read               read;
  gint64             closed_us;
} Slow;

static void
slow_read_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Slow *one = user_data;

  one->closed_us = g_get_monotonic_time ();
  read_cb (source, result, &one->read);
}

static gboolean
all_read (Fixture  *fx,
          gpointer  data)
{
  GPtrArray *slow = data;

  for (guint i = 0; i < slow->len; i++)
    if (!((Slow *) g_ptr_array_index (slow, i))->read.done)
      return FALSE;
  return TRUE;
}

static void
slow_free (Slow *one)
{
  g_clear_object (&one->connection);
  g_clear_error (&one->read.error);
  g_free (one);
}

/* Senders that open connections and trickle, or send nothing: each gets a
 * deadline, those past the cap are shut at once, and a real callback gets
 * through afterwards. */
static void
test_slow_senders_cut_off (Fixture       *fx,
                           gconstpointer  data)
{
  g_autoptr(GUri) uri = g_uri_parse (fx->url, G_URI_FLAGS_NONE, NULL);
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GPtrArray) slow = g_ptr_array_new_with_free_func ((GDestroyNotify) slow_free);
  g_autoptr(GError) error = NULL;
  const char *head = "POST /callback HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  gint64 start = g_get_monotonic_time ();
  guint n_early = 0;

  clap_callback_server_set_request_timeout (fx->receiver, 500);

  for (guint i = 0; i < 24; i++)
    {
      Slow *one = g_new0 (Slow, 1);

      one->connection = g_socket_client_connect_to_host (client, "127.0.0.1",
                                                         g_uri_get_port (uri), NULL, &error);
      g_assert_no_error (error);
      /* half the headers, never the rest */
      if (i % 2 == 0)
        g_assert_true (g_output_stream_write_all (
          g_io_stream_get_output_stream (G_IO_STREAM (one->connection)), head, strlen (head),
          NULL, NULL, &error));
      g_input_stream_read_async (g_io_stream_get_input_stream (G_IO_STREAM (one->connection)),
                                 one->buffer, sizeof one->buffer - 1, G_PRIORITY_DEFAULT, NULL,
                                 slow_read_cb, one);
      g_ptr_array_add (slow, one);
      spin (10);
    }

  wait_for (fx, all_read, slow);

  /* every one was closed, without a byte of answer; 8 past the cap of 16
   * before their deadline, the others at it */
  for (guint i = 0; i < slow->len; i++)
    {
      Slow *one = g_ptr_array_index (slow, i);

      g_assert_cmpint (one->read.n, <=, 0);
      if (one->closed_us - start < 450 * 1000)
        n_early++;
    }
  g_test_message ("%u closed before the deadline", n_early);
  g_assert_cmpuint (n_early, >=, 8);
  g_assert_cmpuint (n_early, <, slow->len);

  /* the receiver still answers */
  g_assert_cmpuint (post (fx, "application/json", "{\"code\":200,\"data\":{\"taskId\":\"cl-none\"}}"),
                    ==, SOUP_STATUS_NOT_FOUND);
}

/* Every session sends the receiver's URL as given; NULL sends none. */
static void
test_session_callback_url (Fixture       *fx,
                           gconstpointer  data)
{
  g_assert_null (clap_session_get_callback_url (fx->session));
  clap_session_set_callback_url (fx->session, fx->url);
  g_assert_cmpstr (clap_session_get_callback_url (fx->session), ==, fx->url);
  clap_session_set_callback_url (fx->session, NULL);
  g_assert_null (clap_session_get_callback_url (fx->session));

  /* without it, the simulator has nowhere to call: polling finds the end */
  clap_poller_set_interval (clap_session_get_poller (fx->session), 50, 100);
  {
    g_autoptr(ClapTask) task = submit_one (fx, "No callback");

    wait_for (fx, is_downloaded, task);
    g_assert_cmpuint (clap_sim_server_get_request_count (fx->sim, CLAP_SIM_ENDPOINT_CALLBACK), ==, 0);
    g_assert_cmpuint (clap_callback_server_get_n_accepted (fx->receiver), ==, 0);
  }
}

/* Posts @body as JSON to @path on the receiver's port. */
static guint
post_to (Fixture    *fx,
         const char *path,
         const char *body)
{
  g_autoptr(GUri) receiver = g_uri_parse (fx->url, G_URI_FLAGS_NONE, NULL);
  g_autofree char *url = g_uri_join (G_URI_FLAGS_NONE, "http", NULL, g_uri_get_host (receiver),
                                     g_uri_get_port (receiver), path, NULL, NULL);
  g_autoptr(SoupMessage) msg = soup_message_new (SOUP_METHOD_POST, url);
  g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));
  g_autoptr(GError) error = NULL;
  guint status;

  soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
  status = send (fx, msg, &error);
  g_assert_no_error (error);
  return status;
}

/* Another user of this computer can reach the port, but not the path: a
 * callback anywhere else is a 404 that asks nothing. */
static void
test_token_path (Fixture       *fx,
                 gconstpointer  data)
{
  g_autoptr(ClapTask) task = NULL;
  g_autoptr(ClapCallbackServer) other = clap_callback_server_new (fx->session);
  g_autofree char *other_path = clap_callback_server_dup_path (other);
  g_autofree char *body = NULL;
  g_autofree char *url = NULL;
  const char *token = "Abcdefghijklmnopqrstuvwxyz_0123456789-AB";

  g_object_set (fx->sim, "pending-ms", 60 * 1000, NULL);
  task = submit_one (fx, "Reached by the token alone");
  body = callback_body (clap_task_get_task_id (task), "completed", NULL);

  /* each receiver has a token of its own, until one is set */
  g_assert_cmpstr (other_path, !=, fx->path);

  g_assert_cmpuint (post_to (fx, "/callback", body), ==, SOUP_STATUS_NOT_FOUND);
  g_assert_cmpuint (post_to (fx, other_path, body), ==, SOUP_STATUS_NOT_FOUND);
  g_assert_cmpuint (post_to (fx, "/callback/Abcdefghijklmnopqrstuvwxyz_0123456789-AB", body),
                    ==, SOUP_STATUS_NOT_FOUND);
  spin (100);
  g_assert_cmpuint (n_queries (fx), ==, 0);
  g_assert_cmpuint (clap_callback_server_get_n_accepted (fx->receiver), ==, 0);

  g_assert_cmpuint (post_to (fx, fx->path, body), ==, SOUP_STATUS_OK);
  wait_for (fx, queries_reach, GUINT_TO_POINTER (1));

  /* the installation's token replaces the receiver's own */
  clap_callback_server_set_token (fx->receiver, token);
  g_free (fx->path);
  fx->path = clap_callback_server_dup_path (fx->receiver);
  g_assert_cmpstr (fx->path, ==, "/callback/Abcdefghijklmnopqrstuvwxyz_0123456789-AB");
  url = clap_callback_server_dup_url (fx->receiver);
  g_assert_true (g_str_has_suffix (url, fx->path));
  g_assert_cmpuint (post_to (fx, other_path, body), ==, SOUP_STATUS_NOT_FOUND);
  g_assert_cmpuint (post_to (fx, fx->path, body), ==, SOUP_STATUS_OK);
}

static guint
file_mode (const char *path)
{
  GStatBuf st;

  g_assert_cmpint (g_stat (path, &st), ==, 0);
  return st.st_mode & 0777;
}

/* The token is made once per installation, kept where only its owner
 * reads it, and the same on every start. */
static void
test_token_file (Fixture       *fx,
                 gconstpointer  data)
{
  g_autofree char *folder = g_build_filename (fx->dir, "data", NULL);
  g_autofree char *path = g_build_filename (folder, CLAP_CALLBACK_SERVER_TOKEN_FILE, NULL);
  g_autofree char *elsewhere = g_build_filename (fx->dir, "elsewhere", NULL);
  g_autofree char *first = NULL;
  g_autofree char *again = NULL;
  g_autofree char *other = NULL;
  g_autofree char *replaced = NULL;
  g_autofree char *kept = NULL;
  g_autoptr(GError) error = NULL;

  first = clap_callback_server_load_token (folder, &error);
  g_assert_no_error (error);
  g_assert_nonnull (first);
  g_assert_cmpuint (strlen (first), >=, 22);
  for (const char *p = first; *p != '\0'; p++)
    g_assert_true (g_ascii_isalnum (*p) || *p == '-' || *p == '_');
  g_assert_cmpuint (file_mode (path), ==, 0600);

  again = clap_callback_server_load_token (folder, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (again, ==, first);

  /* another installation, another token */
  other = clap_callback_server_load_token (elsewhere, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (other, !=, first);

  /* a file others can read is made private, and kept */
  g_assert_cmpint (g_chmod (path, 0644), ==, 0);
  kept = clap_callback_server_load_token (folder, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (kept, ==, first);
  g_assert_cmpuint (file_mode (path), ==, 0600);

  /* a file that holds no token (cut short, edited) gets a new one */
  g_assert_true (g_file_set_contents (path, "short\n", -1, NULL));
  replaced = clap_callback_server_load_token (folder, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (replaced, !=, first);
  g_assert_cmpuint (strlen (replaced), >=, 22);
  g_assert_cmpuint (file_mode (path), ==, 0600);

  /* the receiver answers on it */
  clap_callback_server_set_token (fx->receiver, replaced);
  g_free (fx->path);
  fx->path = clap_callback_server_dup_path (fx->receiver);
  g_assert_true (g_str_has_suffix (fx->path, replaced));
}

/* 100 forged callbacks for a known take, as fast as they come: each is
 * answered 200 (the sender learns nothing), and the service is asked once.
 * 100 for takes nobody knows ask nothing at all. */
static void
test_burst_asks_once (Fixture       *fx,
                      gconstpointer  data)
{
  g_autoptr(ClapTask) task = NULL;
  g_autofree char *body = NULL;

  /* A window longer than any test run: the count cannot depend on speed. */
  clap_callback_server_set_hint_interval (fx->receiver, 10 * 60 * 1000);
  g_object_set (fx->sim, "pending-ms", 60 * 1000, NULL);
  task = submit_one (fx, "A hundred forged callbacks");
  body = callback_body (clap_task_get_task_id (task), "completed",
                        "https://forged.example/result.mp4");

  for (guint i = 0; i < 100; i++)
    g_assert_cmpuint (post (fx, "application/json", body), ==, SOUP_STATUS_OK);
  wait_for (fx, queries_reach, GUINT_TO_POINTER (1));
  spin (200);

  g_assert_cmpuint (n_queries (fx), ==, 1);
  g_assert_cmpuint (clap_callback_server_get_n_accepted (fx->receiver), ==, 100);
  g_assert_cmpint (clap_task_get_state (task), ==, CLAP_TASK_STATE_PENDING);

  for (guint i = 0; i < 100; i++)
    {
      g_autofree char *id = g_strdup_printf ("cl-forged-%u", i % 7);
      g_autofree char *forged = callback_body (id, "completed", NULL);

      g_assert_cmpuint (post (fx, "application/json", forged), ==, SOUP_STATUS_NOT_FOUND);
    }
  spin (200);
  g_assert_cmpuint (n_queries (fx), ==, 1);
  g_assert_cmpuint (clap_callback_server_get_n_refused (fx->receiver), ==, 100);
}

/* Once the window has passed, a callback asks again. */
static void
test_burst_window_ends (Fixture       *fx,
                        gconstpointer  data)
{
  g_autoptr(ClapTask) task = NULL;
  g_autofree char *body = NULL;

  clap_callback_server_set_hint_interval (fx->receiver, 100);
  g_object_set (fx->sim, "pending-ms", 60 * 1000, NULL);
  task = submit_one (fx, "Asked again later");
  body = callback_body (clap_task_get_task_id (task), "completed", NULL);

  g_assert_cmpuint (post (fx, "application/json", body), ==, SOUP_STATUS_OK);
  wait_for (fx, queries_reach, GUINT_TO_POINTER (1));
  /* at least the window: waiting longer only makes this surer */
  spin (150);
  g_assert_cmpuint (post (fx, "application/json", body), ==, SOUP_STATUS_OK);
  wait_for (fx, queries_reach, GUINT_TO_POINTER (2));
  g_assert_cmpuint (n_queries (fx), ==, 2);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/core/callback-server/" path, Fixture, NULL, setup, func, teardown)
  ADD ("callback-triggers-query", test_callback_triggers_query);
  ADD ("forged-callback-changes-nothing", test_forged_callback_changes_nothing);
  ADD ("unknown-task", test_unknown_task);
  ADD ("malformed", test_malformed);
  ADD ("method-and-path", test_method_and_path);
  ADD ("too-large", test_too_large);
  ADD ("too-large-refused-before-body", test_too_large_refused_before_body);
  ADD ("chunked-body-over-limit", test_chunked_body_over_limit);
  ADD ("endless-chunked-body-cut", test_endless_chunked_body_cut);
  ADD ("duplicates-idempotent", test_duplicates_idempotent);
  ADD ("busy-port", test_busy_port);
  ADD ("addresses", test_addresses);
  ADD ("session-callback-url", test_session_callback_url);
  ADD ("slow-senders-cut-off", test_slow_senders_cut_off);
  ADD ("token/path", test_token_path);
  ADD ("token/file", test_token_file);
  ADD ("burst/asks-once", test_burst_asks_once);
  ADD ("burst/window-ends", test_burst_window_ends);

  return g_test_run ();
}
