/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sim-test"

#include "config.h"

#include <string.h>

#include <gst/gst.h>

#include "clap-sim-server-private.h"
#include "sim-test-util.h"

/* Deadline of every wait: far above what a passing test needs. */
#define WAIT_TIMEOUT_MS 30000

void
sim_fixture_setup (SimFixture    *fx,
                   gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  fx->server = clap_sim_server_new ();
  g_object_set (fx->server,
                "pending-ms", 20,
                "processing-ms", 60,
                "slow-ms", 300,
                NULL);

  clap_sim_server_listen (fx->server, 0, &error);
  g_assert_no_error (error);

  fx->base = clap_sim_server_dup_base_url (fx->server);
  g_assert_true (g_str_has_prefix (fx->base, "http://127.0.0.1:"));

  fx->session = soup_session_new_with_options ("timeout", 60, NULL);
  fx->tmp_dir = g_dir_make_tmp ("clap-sim-test-XXXXXX", &error);
  g_assert_no_error (error);
}

void
sim_fixture_teardown (SimFixture    *fx,
                      gconstpointer  data)
{
  g_autoptr(GFile) tmp = g_file_new_for_path (fx->tmp_dir);

  g_clear_object (&fx->session);
  g_assert_finalize_object (g_steal_pointer (&fx->server));
  g_clear_pointer (&fx->base, g_free);

  _clap_sim_remove_tree (tmp);
  g_clear_pointer (&fx->tmp_dir, g_free);
}

/* Serves a file of @size known bytes as every result, which skips the
 * video render (only the thumbnail is drawn). Returns its path. */
char *
sim_fixture_use_result_file (SimFixture *fx,
                             gsize       size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = sim_pattern_bytes (size);
  char *path = g_build_filename (fx->tmp_dir, "result.bin", NULL);

  g_file_set_contents (path, g_bytes_get_data (bytes, NULL), size, &error);
  g_assert_no_error (error);
  g_object_set (fx->server, "result-file", path, NULL);

  return path;
}

/* @path is relative to the simulator's base URL, or a whole URL. */
SoupMessage *
sim_message_new (SimFixture *fx,
                 const char *method,
                 const char *path,
                 const char *key)
{
  g_autofree char *url = NULL;
  SoupMessage *msg;

  if (g_str_has_prefix (path, "http"))
    url = g_strdup (path);
  else
    url = g_strconcat (fx->base, path, NULL);

  msg = soup_message_new (method, url);
  g_assert_nonnull (msg);

  if (key != NULL)
    {
      g_autofree char *value = g_strconcat ("Bearer ", key, NULL);

      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization",
                                    value);
    }

  return msg;
}

static void
send_cb (GObject      *source_object,
         GAsyncResult *result,
         gpointer      user_data)
{
  SimResponse *response = user_data;

  response->body = soup_session_send_and_read_finish (SOUP_SESSION (source_object), result,
                                                      &response->error);
  response->done = TRUE;
}

SimResponse *
sim_send (SimFixture  *fx,
          SoupMessage *msg)
{
  SimResponse *response = g_new0 (SimResponse, 1);
  const char *content_type;

  soup_session_send_and_read_async (fx->session, msg, G_PRIORITY_DEFAULT, NULL, send_cb,
                                    response);
  while (!response->done)
    g_main_context_iteration (NULL, TRUE);

  response->status = soup_message_get_status (msg);
  response->headers = soup_message_headers_ref (soup_message_get_response_headers (msg));

  content_type = soup_message_headers_get_content_type (response->headers, NULL);
  if (response->body != NULL && g_strcmp0 (content_type, "application/json") == 0)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();
      gsize size;
      const char *data = g_bytes_get_data (response->body, &size);

      if (json_parser_load_from_data (parser, data, size, NULL))
        response->json = json_node_ref (json_parser_get_root (parser));
    }

  return response;
}

SimResponse *
sim_request (SimFixture *fx,
             const char *method,
             const char *path,
             const char *key,
             const char *json_body)
{
  g_autoptr(SoupMessage) msg = sim_message_new (fx, method, path, key);

  if (json_body != NULL)
    {
      g_autoptr(GBytes) body = g_bytes_new (json_body, strlen (json_body));

      soup_message_set_request_body_from_bytes (msg, "application/json", body);
    }

  return sim_send (fx, msg);
}

void
sim_response_free (SimResponse *response)
{
  g_clear_pointer (&response->headers, soup_message_headers_unref);
  g_clear_pointer (&response->body, g_bytes_unref);
  g_clear_pointer (&response->json, json_node_unref);
  g_clear_error (&response->error);
  g_free (response);
}

const char *
sim_response_text (SimResponse *response)
{
  static char empty[] = "";

  if (response->body == NULL || g_bytes_get_size (response->body) == 0)
    return empty;

  /* Bodies from libsoup end with a NUL byte past their size. */
  return g_bytes_get_data (response->body, NULL);
}

/* The envelope of a JSON answer; fails the test when there is none. */
JsonObject *
sim_response_object (SimResponse *response)
{
  g_assert_no_error (response->error);
  if (response->json == NULL || !JSON_NODE_HOLDS_OBJECT (response->json))
    g_error ("Not a JSON object (HTTP %u): %s", response->status, sim_response_text (response));

  return json_node_get_object (response->json);
}

void
sim_assert_envelope (SimResponse *response,
                     guint        status,
                     gint64       code,
                     const char  *msg_contains)
{
  JsonObject *envelope = sim_response_object (response);

  if (response->status != status)
    g_error ("Expected HTTP %u, got %u: %s", status, response->status,
             sim_response_text (response));

  g_assert_cmpint (json_object_get_int_member (envelope, "code"), ==, code);
  g_assert_true (json_object_has_member (envelope, "data"));

  if (msg_contains != NULL)
    {
      const char *text = json_object_get_string_member (envelope, "msg");

      if (strstr (text, msg_contains) == NULL)
        g_error ("Expected a msg with “%s”, got “%s”", msg_contains, text);
    }
}

/* The data of a success envelope. */
JsonObject *
sim_response_data (SimResponse *response)
{
  JsonObject *envelope;
  JsonNode *data;

  sim_assert_envelope (response, SOUP_STATUS_OK, 200, "success");
  envelope = sim_response_object (response);
  data = json_object_get_member (envelope, "data");
  g_assert_true (JSON_NODE_HOLDS_OBJECT (data));

  return json_node_get_object (data);
}

char *
sim_create (SimFixture *fx,
            const char *json_body)
{
  g_autoptr(SimResponse) response = sim_request (fx, "POST", "/api/v1/video/generations",
                                                 SIM_KEY, json_body);
  JsonObject *data = sim_response_data (response);

  return g_strdup (json_object_get_string_member (data, "taskId"));
}

JsonObject *
sim_query (SimFixture *fx,
           const char *task_id)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/video/generations?task_id=%s", task_id);
  g_autoptr(SimResponse) response = sim_request (fx, "GET", path, SIM_KEY, NULL);

  return json_object_ref (sim_response_data (response));
}

/* Queries @task_id every 20 ms, as a client polls, until it is in @state. */
JsonObject *
sim_wait_state (SimFixture *fx,
                const char *task_id,
                const char *state)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_TIMEOUT_MS * 1000;

  for (;;)
    {
      g_autoptr(JsonObject) data = sim_query (fx, task_id);
      const char *current = json_object_get_string_member (data, "state");

      if (g_str_equal (current, state))
        return g_steal_pointer (&data);

      if ((g_str_equal (current, "completed") || g_str_equal (current, "failed")))
        g_error ("Task %s ended %s (%s), not %s", task_id, current,
                 json_object_get_string_member_with_default (data, "failMsg", ""), state);

      if (g_get_monotonic_time () > deadline)
        g_error ("Task %s still %s, not %s", task_id, current, state);

      sim_iterate_for (20);
    }
}

/* Uploads through the JSON files endpoint and the presigned PUT. */
char *
sim_upload (SimFixture *fx,
            const char *filename,
            const char *content_type,
            GBytes     *bytes)
{
  g_autofree char *body = g_strdup_printf ("{\"filename\":\"%s\",\"contentType\":\"%s\","
                                           "\"fileSize\":%" G_GSIZE_FORMAT "}",
                                           filename, content_type, g_bytes_get_size (bytes));
  g_autoptr(SimResponse) files = sim_request (fx, "POST", "/api/v1/files", SIM_KEY, body);
  JsonObject *data = sim_response_data (files);
  g_autoptr(SoupMessage) put = sim_message_new (fx, "PUT",
                                                json_object_get_string_member (data, "uploadUrl"),
                                                NULL);
  g_autoptr(SimResponse) uploaded = NULL;

  soup_message_set_request_body_from_bytes (put, content_type, bytes);
  uploaded = sim_send (fx, put);
  g_assert_no_error (uploaded->error);
  g_assert_cmpuint (uploaded->status, ==, SOUP_STATUS_OK);

  return g_strdup (json_object_get_string_member (data, "publicUrl"));
}

/* Downloads @url into the fixture's temporary directory. */
char *
sim_download (SimFixture *fx,
              const char *url,
              const char *name)
{
  g_autoptr(SimResponse) response = sim_request (fx, "GET", url, NULL, NULL);
  g_autoptr(GError) error = NULL;
  char *path = g_build_filename (fx->tmp_dir, name, NULL);

  g_assert_no_error (response->error);
  g_assert_cmpuint (response->status, ==, SOUP_STATUS_OK);

  g_file_set_contents (path, g_bytes_get_data (response->body, NULL),
                       g_bytes_get_size (response->body), &error);
  g_assert_no_error (error);

  return path;
}

/* Switches the simulator's dialect over HTTP, as a test of another part
 * (or a person with curl) does. */
void
sim_set_dialect (SimFixture *fx,
                 const char *name)
{
  g_autofree char *body = g_strdup_printf ("{\"dialect\":\"%s\"}", name);
  g_autoptr(SimResponse) response = sim_request (fx, "POST", "/sim/dialect", NULL, body);
  JsonObject *data = sim_response_data (response);

  g_assert_cmpstr (json_object_get_string_member (data, "dialect"), ==, name);
}

/* GET /sim/tasks: every task made, oldest first. */
JsonArray *
sim_list_tasks (SimFixture *fx)
{
  g_autoptr(SimResponse) response = sim_request (fx, "GET", "/sim/tasks", NULL, NULL);

  return json_array_ref (json_object_get_array_member (sim_response_data (response), "tasks"));
}

/* The envelope's code, a JSON number or (the gateway) a string. */
void
sim_assert_code (JsonObject *envelope,
                 gint64      code,
                 gboolean    as_string)
{
  JsonNode *node = json_object_get_member (envelope, "code");

  g_assert_nonnull (node);
  g_assert_true (JSON_NODE_HOLDS_VALUE (node));

  if (as_string)
    {
      g_autofree char *text = g_strdup_printf ("%" G_GINT64_FORMAT, code);

      g_assert_cmpint (json_node_get_value_type (node), ==, G_TYPE_STRING);
      g_assert_cmpstr (json_node_get_string (node), ==, text);
    }
  else
    {
      g_assert_cmpint (json_node_get_value_type (node), ==, G_TYPE_INT64);
      g_assert_cmpint (json_node_get_int (node), ==, code);
    }
}

static gboolean
code_is_200 (JsonObject *envelope)
{
  JsonNode *node = json_object_get_member (envelope, "code");

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return FALSE;

  if (json_node_get_value_type (node) == G_TYPE_STRING)
    return g_strcmp0 (json_node_get_string (node), "200") == 0;

  return json_node_get_int (node) == 200;
}

/* Creates a task in whatever dialect is spoken; returns the envelope and
 * the id as data names it (taskId or task_id). */
JsonObject *
sim_dialect_create (SimFixture  *fx,
                    const char  *json_body,
                    char       **id)
{
  g_autoptr(SimResponse) response = sim_request (fx, "POST", "/api/v1/video/generations",
                                                 SIM_KEY, json_body);
  JsonObject *envelope = sim_response_object (response);
  JsonObject *data;

  if (response->status != SOUP_STATUS_OK || !code_is_200 (envelope))
    g_error ("Create failed (HTTP %u): %s", response->status, sim_response_text (response));

  data = json_object_get_object_member (envelope, "data");
  g_assert_nonnull (data);
  if (id != NULL)
    *id = g_strdup (json_object_has_member (data, "taskId")
                    ? json_object_get_string_member (data, "taskId")
                    : json_object_get_string_member (data, "task_id"));

  return json_object_ref (envelope);
}

/* The data of a successful query, in whatever dialect is spoken. */
JsonObject *
sim_dialect_query (SimFixture *fx,
                   const char *task_id)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/video/generations?task_id=%s", task_id);
  g_autoptr(SimResponse) response = sim_request (fx, "GET", path, SIM_KEY, NULL);
  JsonObject *envelope = sim_response_object (response);
  JsonNode *data = json_object_get_member (envelope, "data");

  if (response->status != SOUP_STATUS_OK || !code_is_200 (envelope) || data == NULL ||
      !JSON_NODE_HOLDS_OBJECT (data))
    g_error ("Query failed (HTTP %u): %s", response->status, sim_response_text (response));

  return json_object_ref (json_node_get_object (data));
}

/* Polls, as a client does, until the member @state_member reads @state. */
JsonObject *
sim_dialect_wait (SimFixture *fx,
                  const char *task_id,
                  const char *state_member,
                  const char *state)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_TIMEOUT_MS * 1000;

  for (;;)
    {
      g_autoptr(JsonObject) data = sim_dialect_query (fx, task_id);
      const char *current = json_object_get_string_member_with_default (data, state_member, "");

      if (g_str_equal (current, state))
        return g_steal_pointer (&data);

      if (g_get_monotonic_time () > deadline)
        {
          g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), data);
          g_autofree char *text = json_to_string (node, FALSE);

          g_error ("Task %s still %s, not %s: %s", task_id, current, state, text);
        }

      sim_iterate_for (20);
    }
}

static gboolean
set_flag_cb (gpointer data)
{
  *(gboolean *)data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Runs the main context for @ms: the simulator keeps working meanwhile. */
void
sim_iterate_for (guint ms)
{
  gboolean done = FALSE;

  g_timeout_add (ms, set_flag_cb, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
}

void
sim_wait_until (gboolean (*condition) (gpointer data),
                gpointer   data,
                guint      timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64)timeout_ms * 1000;

  while (!condition (data))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("Condition not met within %u ms", timeout_ms);

      sim_iterate_for (5);
    }
}

/* @size bytes that are not all alike, so that a wrong offset shows. */
GBytes *
sim_pattern_bytes (gsize size)
{
  guint8 *data = g_malloc (size);

  for (gsize i = 0; i < size; i++)
    data[i] = (i * 13 + i / 251) & 0xff;

  return g_bytes_new_take (data, size);
}

GBytes *
sim_read_file (const char *path)
{
  g_autoptr(GError) error = NULL;
  char *contents;
  gsize size;

  g_file_get_contents (path, &contents, &size, &error);
  g_assert_no_error (error);

  return g_bytes_new_take (contents, size);
}

static void
run_pipeline (const char *description,
              const char *location)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GstElement) pipeline = gst_parse_launch (description, &error);
  g_autoptr(GstElement) sink = NULL;
  g_autoptr(GstBus) bus = NULL;
  g_autoptr(GstMessage) message = NULL;

  g_assert_no_error (error);
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  g_object_set (sink, "location", location, NULL);

  bus = gst_element_get_bus (pipeline);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  message = gst_bus_timed_pop_filtered (bus, 60 * GST_SECOND, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  gst_element_set_state (pipeline, GST_STATE_NULL);

  g_assert_nonnull (message);
  g_assert_cmpint (GST_MESSAGE_TYPE (message), ==, GST_MESSAGE_EOS);
}

/* A small H.264 MP4 fixture of the given length, for motion videos. */
char *
sim_make_clip (const char *dir,
               const char *name,
               double      seconds,
               guint       width,
               guint       height)
{
  g_autofree char *description = NULL;
  char *path = g_build_filename (dir, name, NULL);

  description = g_strdup_printf ("videotestsrc num-buffers=%u "
                                 "! video/x-raw,width=%u,height=%u,framerate=10/1,format=I420 "
                                 "! x264enc speed-preset=ultrafast threads=1 "
                                 "! mp4mux ! filesink name=sink",
                                 (guint)(seconds * 10 + 0.5), width, height);
  run_pipeline (description, path);

  return path;
}

char *
sim_make_png (const char *dir,
              const char *name,
              guint       width,
              guint       height)
{
  g_autofree char *description = NULL;
  char *path = g_build_filename (dir, name, NULL);

  description = g_strdup_printf ("videotestsrc num-buffers=1 "
                                 "! video/x-raw,width=%u,height=%u "
                                 "! videoconvert ! pngenc ! filesink name=sink",
                                 width, height);
  run_pipeline (description, path);

  return path;
}
