/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <libsoup/soup.h>

#include "clap-client-private.h"
#include "clap-media.h"
#include "clap-poller.h"
#include "clap-sim-server.h"
#include "clap-transfer.h"
#include "clap-test-files.h"

/* The client against the real simulator on loopback, every fault included. */

#define KEY "test-key-0123456789abcdef"

typedef struct {
  ClapSimServer *sim;
  ClapClient    *client;
  char          *base;
  char          *dir;
} Fixture;

static void
fixture_setup (Fixture       *fx,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  fx->dir = g_dir_make_tmp ("clap-client-XXXXXX", &error);
  g_assert_no_error (error);

  fx->sim = clap_sim_server_new ();
  g_object_set (fx->sim, "pending-ms", 100, "processing-ms", 300, "slow-ms", 3000,
                "time-scale", 0.01, NULL);
  g_assert_true (clap_sim_server_listen (fx->sim, 0, &error));
  g_assert_no_error (error);
  fx->base = clap_sim_server_dup_base_url (fx->sim);

  fx->client = clap_client_new (fx->base, KEY, &error);
  g_assert_no_error (error);
  /* Short delays keep the suite fast; the bounds are what is tested. */
  clap_client_set_retry_policy (fx->client, 4, 20, 80);
}

static void
fixture_teardown (Fixture       *fx,
                  gconstpointer  data)
{
  g_assert_finalize_object (fx->client);
  g_clear_object (&fx->sim);
  g_free (fx->base);
  clap_test_rm_rf (fx->dir);
  g_free (fx->dir);
}

/* Iterates the main context until *@done, failing after @seconds. */
static void
wait_until (gboolean *done,
            guint     seconds)
{
  gint64 end = g_get_monotonic_time () + (gint64) seconds * G_USEC_PER_SEC;

  while (!*done)
    {
      g_main_context_iteration (NULL, FALSE);
      if (!*done && g_get_monotonic_time () > end)
        g_error ("timed out after %u s", seconds);
      if (!*done)
        g_usleep (500);
    }
}

typedef struct {
  gboolean      done;
  GAsyncResult *result;
} Wait;

static void
store_result (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Wait *w = user_data;
  w->result = g_object_ref (result);
  w->done = TRUE;
}

static GAsyncResult *
wait_result (Wait *w)
{
  wait_until (&w->done, 30);
  return w->result;
}

static ClapTaskInfo *
create (Fixture      *fx,
        ClapRequest  *request,
        GError      **error)
{
  Wait w = { 0 };
  g_autoptr(GAsyncResult) result = NULL;

  clap_client_create_async (fx->client, request, NULL, store_result, &w);
  result = wait_result (&w);
  return clap_client_create_finish (fx->client, result, error);
}

static ClapTaskInfo *
query (Fixture     *fx,
       const char  *task_id,
       GError     **error)
{
  Wait w = { 0 };
  g_autoptr(GAsyncResult) result = NULL;

  clap_client_query_async (fx->client, task_id, NULL, store_result, &w);
  result = wait_result (&w);
  return clap_client_query_finish (fx->client, result, error);
}

static gboolean
download (Fixture     *fx,
          const char  *url,
          const char  *path,
          GError     **error)
{
  Wait w = { 0 };
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GFile) file = g_file_new_for_path (path);

  clap_client_download_async (fx->client, url, file, CLAP_RESULT_MAX_BYTES,
                              CLAP_DOWNLOAD_KIND_VIDEO, NULL, NULL, NULL, NULL, store_result, &w);
  result = wait_result (&w);
  return clap_client_download_finish (fx->client, result, error);
}

static ClapRequest *
simple_request (const char *prompt)
{
  ClapRequest *request = clap_request_new ("kling-v3");

  clap_request_set_prompt (request, prompt);
  clap_request_set_duration (request, 3);
  return request;
}

static void
set_true (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
}

/* Runs the main context for @ms milliseconds. */
static void
spin (guint ms)
{
  gboolean done = FALSE;

  g_timeout_add_once (ms, set_true, &done);
  wait_until (&done, 10 + ms / 1000);
}

/* Polls until final, as a person waiting would. */
static ClapTaskInfo *
wait_final (Fixture    *fx,
            const char *task_id)
{
  for (guint i = 0; i < 300; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(ClapTaskInfo) info = query (fx, task_id, &error);

      g_assert_no_error (error);
      if (clap_task_state_is_final (info->state))
        return g_steal_pointer (&info);

      spin (50);
    }

  g_error ("task %s never finished", task_id);
}

static void
test_create_query_download (Fixture       *fx,
                            gconstpointer  data)
{
  g_autoptr(ClapRequest) request = simple_request ("A red kite over the hills");
  g_autoptr(GError) error = NULL;
  g_autoptr(ClapTaskInfo) created = NULL;
  g_autoptr(ClapTaskInfo) final = NULL;
  g_autofree char *path = g_build_filename (fx->dir, "clip.mp4", NULL);
  g_autofree char *part = g_strconcat (path, ".part", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  ClapMediaInfo info;

  created = create (fx, request, &error);
  g_assert_no_error (error);
  g_assert_nonnull (created->task_id);
  g_assert_cmpint (created->state, ==, CLAP_TASK_STATE_PENDING);
  g_assert_cmpstr (created->model, ==, "kling-video/kling-v3");

  final = wait_final (fx, created->task_id);
  g_assert_cmpint (final->state, ==, CLAP_TASK_STATE_COMPLETED);
  g_assert_nonnull (final->result_urls);
  g_assert_cmpint (final->create_time, >, 0);
  g_assert_cmpint (final->complete_time, >=, final->create_time);

  g_assert_true (download (fx, final->result_urls[0], path, &error));
  g_assert_no_error (error);
  g_assert_false (g_file_test (part, G_FILE_TEST_EXISTS));

  /* A real MP4 of the requested length */
  g_assert_true (clap_media_probe_file (file, &info, NULL, &error));
  g_assert_cmpint (info.type, ==, CLAP_MEDIA_MP4);
  g_assert_cmpfloat_with_epsilon (info.duration, 3.0, 0.35);
  g_assert_cmpuint (info.width, >, info.height);

  /* Exactly one create was sent. */
  g_assert_cmpuint (clap_sim_server_get_request_count (fx->sim, CLAP_SIM_ENDPOINT_CREATE), ==, 1);
}

static void
test_create_faults_never_retried (Fixture       *fx,
                                  gconstpointer  data)
{
  struct { ClapSimFault fault; gint code; gboolean makes_task; } cases[] = {
    { CLAP_SIM_FAULT_HTTP_500, CLAP_CLIENT_ERROR_SERVER, FALSE },
    { CLAP_SIM_FAULT_ENVELOPE_500, CLAP_CLIENT_ERROR_SERVER, FALSE },
    { CLAP_SIM_FAULT_HTTP_429, CLAP_CLIENT_ERROR_RATE_LIMITED, FALSE },
    { CLAP_SIM_FAULT_HTTP_429_NO_RETRY_AFTER, CLAP_CLIENT_ERROR_RATE_LIMITED, FALSE },
    { CLAP_SIM_FAULT_GARBAGE, CLAP_CLIENT_ERROR_PROTOCOL, FALSE },
    { CLAP_SIM_FAULT_HTML, CLAP_CLIENT_ERROR_SERVER, FALSE },
    { CLAP_SIM_FAULT_TRUNCATED, CLAP_CLIENT_ERROR_PROTOCOL, TRUE },
    { CLAP_SIM_FAULT_MISSING_DATA, CLAP_CLIENT_ERROR_PROTOCOL, FALSE },
    { CLAP_SIM_FAULT_DROP, CLAP_CLIENT_ERROR_NETWORK, FALSE },
    { CLAP_SIM_FAULT_CREATED_THEN_DROP, CLAP_CLIENT_ERROR_NETWORK, TRUE },
    { CLAP_SIM_FAULT_HTTP_404, CLAP_CLIENT_ERROR_NOT_FOUND, FALSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(ClapRequest) request = simple_request ("fault");
      g_autoptr(GError) error = NULL;
      g_autoptr(ClapTaskInfo) info = NULL;
      guint before = clap_sim_server_get_request_count (fx->sim, CLAP_SIM_ENDPOINT_CREATE);

      clap_sim_server_inject_fault (fx->sim, CLAP_SIM_ENDPOINT_CREATE, cases[i].fault, 1);
      info = create (fx, request, &error);
      g_assert_null (info);
      g_test_message ("fault %u: %s", cases[i].fault, error->message);
      g_assert_error (error, CLAP_CLIENT_ERROR, cases[i].code);
      g_assert_cmpuint (clap_sim_server_get_request_count (fx->sim, CLAP_SIM_ENDPOINT_CREATE),
                        ==, before + 1);
    }
}

static void
test_create_slow_times_out (Fixture       *fx,
                            gconstpointer  data)
{
  g_autoptr(ClapRequest) request = simple_request ("slow");
  g_autoptr(GError) error = NULL;
  g_autoptr(ClapTaskInfo) info = NULL;

  clap_client_set_timeout (fx->client, 1);
  clap_sim_server_inject_fault (fx->sim, CLAP_SIM_ENDPOINT_CREATE, CLAP_SIM_FAULT_SLOW, 1);
  info = create (fx, request, &error);
  g_assert_null (info);
  g_assert_error (error, CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_TIMEOUT);
  g_assert_cmpuint (clap_sim_server_get_request_count (fx->sim, CLAP_SIM_ENDPOINT_CREATE), ==, 1);
}

static void
test_create_errors (Fixture       *fx,
                    gconstpointer  data)
{
  g_autoptr(ClapRequest) request = simple_request ("hello");
  g_autoptr(ClapRequest) invalid = simple_request ("hello");
  g_autoptr(GError) error = NULL;
  g_autoptr(ClapTaskInfo) info = NULL;
  g_autoptr(ClapClient) bad = clap_client_new (fx->base, "sim-unauthorized", NULL);
  g_autoptr(ClapClient) poor = clap_client_new (fx->base, "sim-no-balance", NULL);
  Wait w1 = { 0 }, w2 = { 0 };
  g_autoptr(GAsyncResult) r1 = NULL;
  g_autoptr(GAsyncResult) r2 = NULL;

  clap_client_create_async (bad, request, NULL, store_result, &w1);
  r1 = wait_result (&w1);
  info = clap_client_create_finish (bad, r1, &error);
  g_assert_error (error, CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_UNAUTHORIZED);
  g_assert_nonnull (strstr (error->message, "Preferences"));
  g_clear_error (&error);

  clap_client_create_async (poor, request, NULL, store_result, &w2);
  r2 = wait_result (&w2);
  info = clap_client_create_finish (poor, r2, &error);
  g_assert_error (error, CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_INSUFFICIENT_BALANCE);
  g_assert_nonnull (strstr (error->message, "balance"));
  g_clear_error (&error);

  /* An invalid request never reaches the network. */
  clap_request_set_duration (invalid, 99);
  info = create (fx, invalid, &error);
  g_assert_error (error, CLAP_REQUEST_ERROR, CLAP_REQUEST_ERROR_DURATION_NOT_ALLOWED);
  g_assert_cmpuint (clap_sim_server_get_request_count (fx->sim, CLAP_SIM_ENDPOINT_CREATE), ==, 2);
}

static void
test_query_retries (Fixture       *fx,
                    gconstpointer  data)
{
  g_autoptr(ClapRequest) request = simple_request ("retry me");
  g_autoptr(GError) error = NULL;
  g_autoptr(ClapTaskInfo) created = create (fx, request, &error);
  ClapSimFault transient[] = {
    CLAP_SIM_FAULT_HTTP_500, CLAP_SIM_FAULT_ENVELOPE_500, CLAP_SIM_FAULT_HTTP_429_NO_RETRY_AFTER,
    CLAP_SIM_FAULT_GARBAGE, CLAP_SIM_FAULT_HTML, CLAP_SIM_FAULT_TRUNCATED,
    CLAP_SIM_FAULT_MISSING_DATA, CLAP_SIM_FAULT_DROP,
  };

  g_assert_no_error (error);

  /* Each transient fault, three times: the fourth attempt answers. */
  for (guint i = 0; i < G_N_ELEMENTS (transient); i++)
    {
      g_autoptr(ClapTaskInfo) info = NULL;
      guint before = clap_sim_server_get_request_count (fx->sim, CLAP_SIM_ENDPOINT_QUERY);

      clap_sim_server_inject_fault (fx->sim, CLAP_SIM_ENDPOINT_QUERY, transient[i], 3);
      info = query (fx, created->task_id, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (info->task_id, ==, created->task_id);
      g_assert_cmpuint (clap_sim_server_get_request_count (fx->sim, CLAP_SIM_ENDPOINT_QUERY),
                        ==, before + 4);
    }
}

static void
test_query_retries_bounded (Fixture       *fx,
                            gconstpointer  data)
{
  g_autoptr(ClapRequest) request = simple_request ("give up");
  g_autoptr(GError) error = NULL;
  g_autoptr(ClapTaskInfo) created = create (fx, request, &error);
  g_autoptr(ClapTaskInfo) info = NULL;
  guint before = clap_sim_server_get_request_count (fx->sim, CLAP_SIM_ENDPOINT_QUERY);

  clap_sim_server_inject_fault (fx->sim, CLAP_SIM_ENDPOINT_QUERY, CLAP_SIM_FAULT_HTTP_500, 100);
  info = query (fx, created->task_id, &error);
  g_assert_null (info);
  g_assert_error (error, CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_SERVER);
  /* max_attempts is 4: never more */
  g_assert_cmpuint (clap_sim_server_get_request_count (fx->sim, CLAP_SIM_ENDPOINT_QUERY),
                    ==, before + 4);
  clap_sim_server_inject_fault (fx->sim, CLAP_SIM_ENDPOINT_QUERY, CLAP_SIM_FAULT_NONE, 0);

  /* not found is final: no retry */
  before = clap_sim_server_get_request_count (fx->sim, CLAP_SIM_ENDPOINT_QUERY);
  g_clear_error (&error);
  info = query (fx, "cl-no-such-task", &error);
  g_assert_error (error, CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_NOT_FOUND);
  g_assert_cmpuint (clap_sim_server_get_request_count (fx->sim, CLAP_SIM_ENDPOINT_QUERY),
                    ==, before + 1);
}

static void
test_retry_after (Fixture       *fx,
                  gconstpointer  data)
{
  g_autoptr(ClapRequest) request = simple_request ("wait for me");
  g_autoptr(GError) error = NULL;
  g_autoptr(ClapTaskInfo) created = create (fx, request, &error);
  g_autoptr(ClapTaskInfo) info = NULL;
  gint64 start;

  /* Retry-After: 1 is honoured, though the policy's own delay is 20 ms. */
  clap_sim_server_inject_fault (fx->sim, CLAP_SIM_ENDPOINT_QUERY, CLAP_SIM_FAULT_HTTP_429, 1);
  start = g_get_monotonic_time ();
  info = query (fx, created->task_id, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 950 * 1000);
}

static void
test_cancel (Fixture       *fx,
             gconstpointer  data)
{
  g_autoptr(ClapRequest) request = simple_request ("cancel me");
  g_autoptr(GError) error = NULL;
  g_autoptr(ClapTaskInfo) created = create (fx, request, &error);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(ClapTaskInfo) info = NULL;
  Wait w = { 0 };
  gint64 start;

  /* Cancelling during a backoff wait ends the call at once. */
  clap_client_set_retry_policy (fx->client, 4, 5000, 5000);
  clap_sim_server_inject_fault (fx->sim, CLAP_SIM_ENDPOINT_QUERY, CLAP_SIM_FAULT_HTTP_500, 10);
  clap_client_query_async (fx->client, created->task_id, cancellable, store_result, &w);
  g_timeout_add_once (200, (GSourceOnceFunc) g_cancellable_cancel, cancellable);
  start = g_get_monotonic_time ();
  result = wait_result (&w);
  info = clap_client_query_finish (fx->client, result, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 2500 * 1000);
}

static char *
write_png (Fixture *fx,
           guint    w,
           guint    h)
{
  g_autoptr(GBytes) bytes = clap_test_make_png (w, h, 2000);
  return clap_test_write (fx->dir, "frame.png", bytes);
}

static void
test_upload_and_create (Fixture       *fx,
                        gconstpointer  data)
{
  g_autoptr(ClapRequest) request = simple_request ("from a first frame");
  g_autofree char *png = write_png (fx, 640, 360);
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(ClapTaskInfo) created = NULL;
  g_autoptr(ClapTaskInfo) final = NULL;
  Wait w = { 0 };

  clap_request_set_image (request, png);

  /* The slot request fails once: it is retried; nothing else is. */
  clap_sim_server_inject_fault (fx->sim, CLAP_SIM_ENDPOINT_FILES, CLAP_SIM_FAULT_HTTP_500, 1);
  clap_transfer_upload_inputs_async (fx->client, request, NULL, store_result, &w);
  result = wait_result (&w);
  g_assert_true (clap_transfer_upload_inputs_finish (fx->client, result, &error));
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (clap_request_get_image (request), fx->base));
  g_assert_cmpuint (clap_sim_server_get_request_count (fx->sim, CLAP_SIM_ENDPOINT_FILES), ==, 2);
  g_assert_cmpuint (clap_sim_server_get_request_count (fx->sim, CLAP_SIM_ENDPOINT_UPLOAD_PUT), ==, 1);

  created = create (fx, request, &error);
  g_assert_no_error (error);
  final = wait_final (fx, created->task_id);
  g_assert_cmpint (final->state, ==, CLAP_TASK_STATE_COMPLETED);
}

static void
test_upload_refused (Fixture       *fx,
                     gconstpointer  data)
{
  g_autoptr(ClapRequest) request = simple_request ("tiny");
  g_autoptr(ClapRequest) gone = simple_request ("gone");
  g_autofree char *png = write_png (fx, 1, 1);
  g_autofree char *missing = g_build_filename (fx->dir, "deleted.png", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) r1 = NULL;
  g_autoptr(GAsyncResult) r2 = NULL;
  Wait w1 = { 0 }, w2 = { 0 };

  /* A 1×1 image is refused before any upload. */
  clap_request_set_image (request, png);
  clap_transfer_upload_inputs_async (fx->client, request, NULL, store_result, &w1);
  r1 = wait_result (&w1);
  g_assert_false (clap_transfer_upload_inputs_finish (fx->client, r1, &error));
  g_assert_error (error, CLAP_MEDIA_ERROR, CLAP_MEDIA_ERROR_TOO_SMALL);
  g_assert_true (g_str_has_prefix (error->message, "First frame: "));
  g_clear_error (&error);

  /* A file deleted after it was chosen. */
  clap_request_set_image (gone, missing);
  clap_transfer_upload_inputs_async (fx->client, gone, NULL, store_result, &w2);
  r2 = wait_result (&w2);
  g_assert_false (clap_transfer_upload_inputs_finish (fx->client, r2, &error));
  g_assert_error (error, CLAP_MEDIA_ERROR, CLAP_MEDIA_ERROR_NOT_FOUND);

  g_assert_cmpuint (clap_sim_server_get_request_count (fx->sim, CLAP_SIM_ENDPOINT_FILES), ==, 0);
}

static void
test_upload_put_refused (Fixture       *fx,
                         gconstpointer  data)
{
  g_autofree char *png = write_png (fx, 640, 360);
  g_autoptr(GFile) file = g_file_new_for_path (png);
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autofree char *url = NULL;
  Wait w = { 0 };

  clap_sim_server_inject_fault (fx->sim, CLAP_SIM_ENDPOINT_UPLOAD_PUT, CLAP_SIM_FAULT_HTTP_403, 1);
  clap_client_upload_async (fx->client, file, "image/png", NULL, store_result, &w);
  result = wait_result (&w);
  url = clap_client_upload_finish (fx->client, result, NULL, &error);
  g_assert_null (url);
  g_assert_error (error, CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_STORAGE);
}

typedef struct {
  char     *dir;
  char     *part;
  guint     n_checks;
} PartWatch;

/* While a download runs, what arrived is in the .part itself, and nothing
 * else is in the folder that a crash could leave behind. */
static void
check_part (goffset  received,
            goffset  total,
            gpointer user_data)
{
  PartWatch *watch = user_data;
  g_autoptr(GDir) dir = g_dir_open (watch->dir, 0, NULL);
  const char *name;
  GStatBuf st;

  g_assert_cmpint (g_stat (watch->part, &st), ==, 0);
  g_assert_cmpint (st.st_size, ==, received);
  while ((name = g_dir_read_name (dir)) != NULL)
    g_assert_false (g_str_has_prefix (name, ".goutputstream"));
  watch->n_checks++;
}

static void
test_download_resume (Fixture       *fx,
                      gconstpointer  data)
{
  g_autoptr(ClapRequest) request = simple_request ("resume");
  g_autoptr(GError) error = NULL;
  g_autoptr(ClapTaskInfo) created = create (fx, request, &error);
  g_autoptr(ClapTaskInfo) final = wait_final (fx, created->task_id);
  g_autofree char *whole = g_build_filename (fx->dir, "whole.mp4", NULL);
  g_autofree char *resumed = g_build_filename (fx->dir, "resumed.mp4", NULL);
  g_autofree char *part = g_strconcat (resumed, ".part", NULL);
  g_autofree char *a = NULL;
  g_autofree char *b = NULL;
  gsize la = 0, lb = 0;

  g_assert_true (download (fx, final->result_urls[0], whole, &error));
  g_assert_true (g_file_get_contents (whole, &a, &la, NULL));

  /* A .part left by an interrupted run: the first third of the file */
  g_assert_true (g_file_set_contents (part, a, la / 3, NULL));
  g_assert_true (download (fx, final->result_urls[0], resumed, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (resumed, &b, &lb, NULL));
  g_assert_cmpmem (a, la, b, lb);

  /* A .part longer than the file is discarded, and the download redone */
  {
    g_autofree char *longer = g_strnfill (la + 100, 'z');
    g_assert_true (g_file_set_contents (part, longer, la + 100, NULL));
  }
  g_assert_true (download (fx, final->result_urls[0], resumed, &error));
  g_assert_no_error (error);
  g_free (b);
  g_assert_true (g_file_get_contents (resumed, &b, &lb, NULL));
  g_assert_cmpmem (a, la, b, lb);

  /* An empty .part (a run killed right after making it) is written in
   * place, not through a temporary file a second crash would strand. */
  {
    g_autoptr(GFile) file = g_file_new_for_path (resumed);
    g_autoptr(GAsyncResult) result = NULL;
    PartWatch watch = { fx->dir, part };
    Wait w = { 0 };

    g_assert_true (g_file_set_contents (part, "", 0, NULL));
    clap_client_download_async (fx->client, final->result_urls[0], file, CLAP_RESULT_MAX_BYTES,
                                CLAP_DOWNLOAD_KIND_VIDEO, check_part, &watch,
                                NULL, NULL, store_result, &w);
    result = wait_result (&w);
    g_assert_true (clap_client_download_finish (fx->client, result, &error));
    g_assert_no_error (error);
    g_assert_cmpuint (watch.n_checks, >, 0);
    g_free (b);
    g_assert_true (g_file_get_contents (resumed, &b, &lb, NULL));
    g_assert_cmpmem (a, la, b, lb);
  }
}

static void
test_download_faults (Fixture       *fx,
                      gconstpointer  data)
{
  g_autoptr(ClapRequest) request = simple_request ("faults");
  g_autoptr(GError) error = NULL;
  g_autoptr(ClapTaskInfo) created = create (fx, request, &error);
  g_autoptr(ClapTaskInfo) final = wait_final (fx, created->task_id);
  g_autofree char *path = g_build_filename (fx->dir, "out.mp4", NULL);
  guint before;

  /* transient: retried */
  before = clap_sim_server_get_request_count (fx->sim, CLAP_SIM_ENDPOINT_RESULT_GET);
  clap_sim_server_inject_fault (fx->sim, CLAP_SIM_ENDPOINT_RESULT_GET, CLAP_SIM_FAULT_DROP, 2);
  g_assert_true (download (fx, final->result_urls[0], path, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (clap_sim_server_get_request_count (fx->sim, CLAP_SIM_ENDPOINT_RESULT_GET),
                    ==, before + 3);
  g_unlink (path);

  /* a page instead of the file (a gateway's JSON, a portal's HTML) is
   * never kept: retried, and the real file saved */
  before = clap_sim_server_get_request_count (fx->sim, CLAP_SIM_ENDPOINT_RESULT_GET);
  clap_sim_server_inject_fault (fx->sim, CLAP_SIM_ENDPOINT_RESULT_GET, CLAP_SIM_FAULT_GARBAGE, 1);
  g_assert_true (download (fx, final->result_urls[0], path, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (clap_sim_server_get_request_count (fx->sim, CLAP_SIM_ENDPOINT_RESULT_GET),
                    ==, before + 2);
  {
    g_autofree char *head = NULL;
    gsize length = 0;

    g_assert_true (g_file_get_contents (path, &head, &length, NULL));
    g_assert_cmpuint (length, >, 8);
    g_assert_cmpmem (head + 4, 4, "ftyp", 4);
  }
  g_unlink (path);

  /* a body cut short under a matching Content-Length is not kept either */
  before = clap_sim_server_get_request_count (fx->sim, CLAP_SIM_ENDPOINT_RESULT_GET);
  clap_sim_server_inject_fault (fx->sim, CLAP_SIM_ENDPOINT_RESULT_GET, CLAP_SIM_FAULT_TRUNCATED, 1);
  g_assert_true (download (fx, final->result_urls[0], path, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (clap_sim_server_get_request_count (fx->sim, CLAP_SIM_ENDPOINT_RESULT_GET),
                    ==, before + 2);
  {
    g_autoptr(GFile) file = g_file_new_for_path (path);
    ClapMediaInfo info;

    g_assert_true (clap_media_probe_file (file, &info, NULL, &error));
    g_assert_no_error (error);
    g_assert_true (clap_media_is_video (&info));
  }
  g_unlink (path);

  /* expired links: final, no retry, nothing left behind */
  for (guint i = 0; i < 2; i++)
    {
      ClapSimFault fault = i == 0 ? CLAP_SIM_FAULT_HTTP_403 : CLAP_SIM_FAULT_HTTP_404;

      before = clap_sim_server_get_request_count (fx->sim, CLAP_SIM_ENDPOINT_RESULT_GET);
      clap_sim_server_inject_fault (fx->sim, CLAP_SIM_ENDPOINT_RESULT_GET, fault, 1);
      g_assert_false (download (fx, final->result_urls[0], path, &error));
      g_assert_error (error, CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_EXPIRED);
      g_clear_error (&error);
      g_assert_cmpuint (clap_sim_server_get_request_count (fx->sim, CLAP_SIM_ENDPOINT_RESULT_GET),
                        ==, before + 1);
      g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
    }

  /* an unwritable destination */
  {
    g_autofree char *nowhere = g_build_filename (fx->dir, "no-such-dir", "out.mp4", NULL);
    g_assert_false (download (fx, final->result_urls[0], nowhere, &error));
    g_assert_error (error, CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_DISK);
  }
}

/* The window and clapboard-cli share the results folder: a download that
 * another process (or an older Clapboard, through its own lock file)
 * holds is refused, and goes ahead once it lets go. */
static void
test_download_locked (Fixture       *fx,
                      gconstpointer  data)
{
  g_autoptr(ClapRequest) request = simple_request ("two processes");
  g_autoptr(GError) error = NULL;
  g_autoptr(ClapTaskInfo) created = create (fx, request, &error);
  g_autoptr(ClapTaskInfo) final = wait_final (fx, created->task_id);
  g_autofree char *path = g_build_filename (fx->dir, "shared.mp4", NULL);
  g_autofree char *legacy = g_strconcat (path, ".lock", NULL);
  g_autofree char *part = g_strconcat (path, ".part", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GDir) dir = NULL;
  const char *name;
  int fd;

  /* another process holds the download */
  fd = _clap_download_lock (file, &error);
  g_assert_no_error (error);
  g_assert_cmpint (fd, >=, 0);
  g_assert_false (download (fx, final->result_urls[0], path, &error));
  g_assert_error (error, CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_BUSY);
  g_clear_error (&error);
  g_assert_false (g_file_test (part, G_FILE_TEST_EXISTS));
  close (fd);

  /* an older version does, the way it did */
  fd = open (legacy, O_RDWR | O_CREAT, 0600);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (flock (fd, LOCK_EX), ==, 0);
  g_assert_false (download (fx, final->result_urls[0], path, &error));
  g_assert_error (error, CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_BUSY);
  g_clear_error (&error);
  close (fd);

  /* once it lets go, the download goes ahead and leaves no file of its
   * own behind: the folder's one lock file is all */
  g_assert_true (download (fx, final->result_urls[0], path, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
  g_assert_false (g_file_test (legacy, G_FILE_TEST_EXISTS));
  dir = g_dir_open (fx->dir, 0, NULL);
  while ((name = g_dir_read_name (dir)) != NULL)
    g_assert_true (g_str_equal (name, "shared.mp4") || g_str_equal (name, _CLAP_DOWNLOAD_LOCK_NAME));
}

/* Check Connection against the simulator: a query for a task that cannot
 * exist tells the key is good (404) or not (401), and creates nothing. */
static void
test_check_connection (Fixture       *fx,
                       gconstpointer  data)
{
  g_autoptr(ClapClient) revoked = clap_client_new (fx->base, "sim-unauthorized", NULL);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  guint round_trip = G_MAXUINT, status = 0;
  Wait w = { 0 };

  clap_client_check_async (fx->client, NULL, store_result, &w);
  result = wait_result (&w);
  g_assert_true (clap_client_check_finish (fx->client, result, &round_trip, &status, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (status, ==, 404);
  g_assert_cmpuint (round_trip, <, 30 * 1000);
  g_clear_object (&result);

  w = (Wait) { 0 };
  clap_client_check_async (revoked, NULL, store_result, &w);
  result = wait_result (&w);
  g_assert_false (clap_client_check_finish (revoked, result, &round_trip, &status, &error));
  g_assert_error (error, CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_UNAUTHORIZED);
  g_assert_cmpuint (status, ==, 401);

  g_assert_cmpuint (clap_sim_server_get_request_count (fx->sim, CLAP_SIM_ENDPOINT_QUERY), ==, 2);
  g_assert_cmpuint (clap_sim_server_get_request_count (fx->sim, CLAP_SIM_ENDPOINT_CREATE), ==, 0);
}

static JsonObject *
exchange_of (GAsyncResult *result)
{
  JsonNode *node = clap_client_dup_exchange (result);
  JsonObject *object;

  g_assert_nonnull (node);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  object = json_object_ref (json_node_get_object (node));
  json_node_unref (node);
  return object;
}

/* Each call keeps what it sent and what came back, for Request Details. */
static void
test_exchange_calls (Fixture       *fx,
                     gconstpointer  data)
{
  g_autoptr(ClapRequest) request = simple_request ("A record of what was sent");
  g_autofree char *png = NULL;
  g_autofree char *path = g_build_filename (fx->dir, "recorded.mp4", NULL);
  g_autofree char *note = NULL;
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GFile) picture = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(ClapTaskInfo) created = NULL;
  g_autoptr(ClapTaskInfo) final = NULL;
  g_autoptr(JsonObject) record = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;
  GStatBuf st;
  Wait w = { 0 };

  /* create: the body as sent, the answer as received */
  clap_client_create_async (fx->client, request, NULL, store_result, &w);
  result = wait_result (&w);
  record = exchange_of (result);
  created = clap_client_create_finish (fx->client, result, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (record, "method"), ==, "POST");
  g_assert_cmpstr (json_object_get_string_member (record, "url"), ==,
                   (url = g_strconcat (fx->base, "/api/v1/video/generations", NULL)));
  g_assert_nonnull (strstr (json_object_get_string_member (record, "requestBody"),
                            "\"prompt\":\"A record of what was sent\""));
  g_assert_cmpint (json_object_get_int_member (record, "status"), ==, 200);
  g_assert_nonnull (strstr (json_object_get_string_member (record, "responseBody"),
                            created->task_id));
  g_assert_cmpstr (json_object_get_string_member (
                     json_object_get_object_member (record, "requestHeaders"), "Authorization"),
                   ==, "Bearer [redacted]");
  g_clear_object (&result);
  g_clear_pointer (&record, json_object_unref);

  /* a query that failed once: the record is of the last attempt */
  clap_sim_server_inject_fault (fx->sim, CLAP_SIM_ENDPOINT_QUERY, CLAP_SIM_FAULT_HTTP_500, 1);
  w = (Wait) { 0 };
  clap_client_query_async (fx->client, created->task_id, NULL, store_result, &w);
  result = wait_result (&w);
  record = exchange_of (result);
  final = clap_client_query_finish (fx->client, result, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (record, "method"), ==, "GET");
  g_assert_cmpint (json_object_get_int_member (record, "status"), ==, 200);
  g_assert_true (json_object_get_null_member (record, "error"));
  g_clear_pointer (&final, clap_task_info_free);
  g_clear_object (&result);
  g_clear_pointer (&record, json_object_unref);

  /* an upload: the PUT, its bytes described */
  png = write_png (fx, 640, 360);
  picture = g_file_new_for_path (png);
  g_assert_cmpint (g_stat (png, &st), ==, 0);
  w = (Wait) { 0 };
  clap_client_upload_async (fx->client, picture, "image/png", NULL, store_result, &w);
  result = wait_result (&w);
  record = exchange_of (result);
  g_free (clap_client_upload_finish (fx->client, result, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (record, "method"), ==, "PUT");
  note = g_strdup_printf ("[%" G_GOFFSET_FORMAT " bytes of image/png]", (goffset) st.st_size);
  g_assert_cmpstr (json_object_get_string_member (record, "requestBody"), ==, note);
  g_assert_cmpint (json_object_get_int_member (record, "status"), ==, 200);
  g_clear_object (&result);
  g_clear_pointer (&record, json_object_unref);

  /* a download: its size, not its bytes */
  final = wait_final (fx, created->task_id);
  w = (Wait) { 0 };
  clap_client_download_async (fx->client, final->result_urls[0], file, CLAP_RESULT_MAX_BYTES,
                              CLAP_DOWNLOAD_KIND_VIDEO, NULL, NULL, NULL, NULL, store_result, &w);
  result = wait_result (&w);
  record = exchange_of (result);
  g_assert_true (clap_client_download_finish (fx->client, result, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_free (note);
  note = g_strdup_printf ("[%" G_GOFFSET_FORMAT " bytes]", (goffset) st.st_size);
  g_assert_cmpstr (json_object_get_string_member (record, "responseBody"), ==, note);
  g_assert_true (json_object_get_null_member (record, "requestBody"));
}

/* A second server, on another origin: what reaches it? */
static void
record_headers (SoupServer        *server,
                SoupServerMessage *msg,
                const char        *path,
                GHashTable        *query,
                gpointer           user_data)
{
  gboolean *saw_auth = user_data;
  g_autoptr(GBytes) clip = clap_test_make_mp4 ("isom", 1000, 3000, 320, 180, FALSE, FALSE);

  if (soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                    "Authorization") != NULL)
    *saw_auth = TRUE;
  soup_server_message_set_status (msg, 200, NULL);
  soup_server_message_set_response (msg, "video/mp4", SOUP_MEMORY_COPY,
                                    g_bytes_get_data (clip, NULL), g_bytes_get_size (clip));
}

static void
test_key_stays_home (Fixture       *fx,
                     gconstpointer  data)
{
  g_autoptr(SoupServer) other = soup_server_new (NULL, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GSList) uris = NULL;
  g_autofree char *base = NULL;
  g_autofree char *url = NULL;
  g_autofree char *path = g_build_filename (fx->dir, "cdn.mp4", NULL);
  gboolean saw_auth = FALSE;

  soup_server_add_handler (other, NULL, record_headers, &saw_auth, NULL);
  g_assert_true (soup_server_listen_local (other, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error));
  uris = soup_server_get_uris (other);
  base = g_uri_to_string (uris->data);
  url = g_strconcat (base, "result.mp4", NULL);
  g_slist_free_full (g_steal_pointer (&uris), (GDestroyNotify) g_uri_unref);

  g_assert_true (download (fx, url, path, &error));
  g_assert_no_error (error);
  g_assert_false (saw_auth);
}

static GString *log_text;

static GLogWriterOutput
capture_log (GLogLevelFlags   level,
             const GLogField *fields,
             gsize            n_fields,
             gpointer         user_data)
{
  for (gsize i = 0; i < n_fields; i++)
    if (g_str_equal (fields[i].key, "MESSAGE"))
      g_string_append_printf (log_text, "%s\n", (const char *) fields[i].value);
  return G_LOG_WRITER_HANDLED;
}

static void
test_key_never_logged (void)
{
  /* Run in a subprocess: the log writer can be set only once. */
  if (g_test_subprocess ())
    {
      Fixture fx = { 0 };
      g_autoptr(ClapRequest) request = simple_request ("log me");
      g_autoptr(GError) error = NULL;
      g_autoptr(ClapTaskInfo) info = NULL;

      g_setenv ("G_MESSAGES_DEBUG", "all", TRUE);
      log_text = g_string_new (NULL);
      g_log_set_writer_func (capture_log, NULL, NULL);

      fixture_setup (&fx, NULL);
      info = create (&fx, request, &error);
      g_assert_no_error (error);
      g_clear_pointer (&info, clap_task_info_free);
      info = query (&fx, "cl-unknown", &error);
      g_clear_error (&error);

      g_assert_nonnull (strstr (log_text->str, "Authorization: Bearer [redacted]"));
      g_assert_null (strstr (log_text->str, KEY));
      g_assert_null (strstr (log_text->str, "0123456789abcdef"));
      fixture_teardown (&fx, NULL);
      return;
    }

  g_test_trap_subprocess (NULL, 60 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
}

static void
test_insecure_urls (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ClapClient) client = clap_client_new ("http://apimodels.app", KEY, &error);

  g_assert_null (client);
  g_assert_error (error, CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_INSECURE_URL);
  g_clear_error (&error);

  client = clap_client_new (NULL, KEY, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (clap_client_get_base_url (client), ==, "https://apimodels.app");
  g_clear_object (&client);

  client = clap_client_new ("http://127.0.0.1:9/", KEY, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (clap_client_get_base_url (client), ==, "http://127.0.0.1:9");
}

static void
test_insecure_download (Fixture       *fx,
                        gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (fx->dir, "x.mp4", NULL);

  g_assert_false (download (fx, "http://example.com/x.mp4", path, &error));
  g_assert_error (error, CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_INSECURE_URL);
}

static void
test_network_down (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ClapClient) client = NULL;
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(ClapTaskInfo) info = NULL;
  g_autofree char *base = NULL;
  Wait w = { 0 };

  /* A port nobody listens on: bind it, and never accept. */
  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
  g_assert_true (g_socket_bind (socket, address, TRUE, NULL));
  bound = g_socket_get_local_address (socket, NULL);
  base = g_strdup_printf ("http://127.0.0.1:%u",
                          g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));

  client = clap_client_new (base, KEY, &error);
  clap_client_set_retry_policy (client, 3, 10, 20);
  clap_client_query_async (client, "cl1", NULL, store_result, &w);
  result = wait_result (&w);
  info = clap_client_query_finish (client, result, &error);
  g_assert_null (info);
  g_assert_error (error, CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_NETWORK);
  g_assert_nonnull (strstr (error->message, "network"));
}

/* Poller ------------------------------------------------------------------ */

typedef struct {
  ClapPoller *poller;
  guint       finished;
  guint       max_in_flight;
  guint       sampler;
} PollWatch;

static gboolean
sample_in_flight (gpointer user_data)
{
  PollWatch *watch = user_data;

  watch->max_in_flight = MAX (watch->max_in_flight, clap_poller_get_n_in_flight (watch->poller));
  return G_SOURCE_CONTINUE;
}

static void
on_finished (ClapPoller *poller,
             ClapTask   *task,
             PollWatch  *watch)
{
  watch->finished++;
}

static void
test_poller (Fixture       *fx,
             gconstpointer  data)
{
  g_autoptr(ClapPoller) poller = clap_poller_new (fx->client);
  g_autoptr(GPtrArray) tasks = g_ptr_array_new_with_free_func (g_object_unref);
  PollWatch watch = { poller };
  gboolean all_done = FALSE;

  g_assert_false (clap_poller_is_scheduled (poller));
  clap_poller_set_interval (poller, 30, 120);
  clap_poller_set_max_in_flight (poller, 2);
  g_signal_connect (poller, "task-finished", G_CALLBACK (on_finished), &watch);

  for (guint i = 0; i < 6; i++)
    {
      g_autofree char *prompt = g_strdup_printf ("take %u%s", i, i == 3 ? " [sim:fail]" : "");
      g_autoptr(ClapRequest) request = simple_request (prompt);
      g_autoptr(GError) error = NULL;
      g_autoptr(ClapTaskInfo) info = create (fx, request, &error);
      ClapTask *task = clap_task_new_for_request (request);

      g_assert_no_error (error);
      clap_task_apply_info (task, info, NULL);
      g_ptr_array_add (tasks, task);
    }

  /* Added once all exist: creating them iterates the main context, and on
   * a slow machine (sanitizers) a take added early could be done already. */
  for (guint i = 0; i < tasks->len; i++)
    clap_poller_add (poller, g_ptr_array_index (tasks, i));

  /* a timer waits, or the cap's worth of queries run */
  g_assert_true (clap_poller_is_scheduled (poller) || clap_poller_get_n_in_flight (poller) == 2);
  g_assert_cmpuint (clap_poller_get_n_active (poller), ==, 6);

  watch.sampler = g_timeout_add (1, sample_in_flight, &watch);
  while (!all_done)
    {
      g_main_context_iteration (NULL, TRUE);
      all_done = watch.finished == 6;
    }
  g_source_remove (watch.sampler);

  g_assert_cmpuint (watch.max_in_flight, <=, 2);
  g_assert_cmpuint (clap_poller_get_n_active (poller), ==, 0);
  /* nothing active: nothing scheduled */
  g_assert_false (clap_poller_is_scheduled (poller));

  for (guint i = 0; i < tasks->len; i++)
    {
      ClapTask *task = g_ptr_array_index (tasks, i);

      if (i == 3)
        {
          g_assert_cmpint (clap_task_get_state (task), ==, CLAP_TASK_STATE_FAILED);
          g_assert_cmpstr (clap_task_get_fail_message (task), ==, "Content policy violation");
        }
      else
        {
          g_assert_cmpint (clap_task_get_state (task), ==, CLAP_TASK_STATE_COMPLETED);
          g_assert_true (clap_task_needs_download (task));
        }
    }
}

static void
on_poll_error (ClapPoller *poller,
               ClapTask   *task,
               GError     *error,
               gboolean   *got)
{
  g_assert_error (error, CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_UNAUTHORIZED);
  *got = TRUE;
}

static void
test_poller_unauthorized (Fixture       *fx,
                          gconstpointer  data)
{
  g_autoptr(ClapRequest) request = simple_request ("key revoked");
  g_autoptr(GError) error = NULL;
  g_autoptr(ClapTaskInfo) info = create (fx, request, &error);
  g_autoptr(ClapTask) task = clap_task_new_for_request (request);
  g_autoptr(ClapClient) revoked = clap_client_new (fx->base, "sim-unauthorized", NULL);
  g_autoptr(ClapPoller) poller = clap_poller_new (revoked);
  gboolean got = FALSE;

  clap_task_apply_info (task, info, NULL);
  clap_poller_set_interval (poller, 20, 40);
  g_signal_connect (poller, "error", G_CALLBACK (on_poll_error), &got);
  clap_poller_add (poller, task);
  wait_until (&got, 10);

  /* paused: no timer, no more requests, until resumed with a good key */
  g_assert_true (clap_poller_is_paused (poller));
  g_assert_false (clap_poller_is_scheduled (poller));

  clap_poller_set_client (poller, fx->client);
  clap_poller_resume (poller);
  g_assert_true (clap_poller_is_scheduled (poller));
}

static void
count_error (ClapPoller *poller,
             ClapTask   *task,
             GError     *error,
             guint      *n)
{
  g_assert_error (error, CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_SERVER);
  (*n)++;
}

/* An outage is ridden out quietly at first, then reported once. */
static void
test_poller_outage (Fixture       *fx,
                    gconstpointer  data)
{
  g_autoptr(ClapRequest) request = simple_request ("through an outage");
  g_autoptr(GError) error = NULL;
  g_autoptr(ClapTaskInfo) info = create (fx, request, &error);
  g_autoptr(ClapTask) task = clap_task_new_for_request (request);
  g_autoptr(ClapPoller) poller = clap_poller_new (fx->client);
  guint n_errors = 0;

  clap_client_set_retry_policy (fx->client, 1, 10, 10);
  clap_task_apply_info (task, info, NULL);
  clap_poller_set_interval (poller, 20, 40);
  g_signal_connect (poller, "error", G_CALLBACK (count_error), &n_errors);
  clap_sim_server_inject_fault (fx->sim, CLAP_SIM_ENDPOINT_QUERY, CLAP_SIM_FAULT_HTTP_500, 6);
  clap_poller_add (poller, task);

  while (clap_sim_server_get_request_count (fx->sim, CLAP_SIM_ENDPOINT_QUERY) < 6)
    g_main_context_iteration (NULL, TRUE);
  /* the third failure in a row is reported, the sixth is not */
  g_assert_cmpuint (n_errors, ==, 1);
  g_assert_cmpuint (clap_poller_get_n_active (poller), ==, 1);

  /* a cancelled query in flight lets go of the client as it ends */
  g_clear_object (&poller);
  spin (100);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/core/client/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  ADD ("create-query-download", test_create_query_download);
  ADD ("create/faults-never-retried", test_create_faults_never_retried);
  ADD ("create/slow-times-out", test_create_slow_times_out);
  ADD ("create/errors", test_create_errors);
  ADD ("query/retries", test_query_retries);
  ADD ("query/retries-bounded", test_query_retries_bounded);
  ADD ("query/retry-after", test_retry_after);
  ADD ("query/cancel", test_cancel);
  ADD ("upload/create", test_upload_and_create);
  ADD ("upload/refused-before-sending", test_upload_refused);
  ADD ("upload/put-refused", test_upload_put_refused);
  ADD ("download/resume", test_download_resume);
  ADD ("download/faults", test_download_faults);
  ADD ("download/insecure", test_insecure_download);
  ADD ("download/locked", test_download_locked);
  ADD ("check/connection", test_check_connection);
  ADD ("exchange/calls", test_exchange_calls);
  ADD ("key/stays-home", test_key_stays_home);
  ADD ("poller/cap-and-idle", test_poller);
  ADD ("poller/unauthorized", test_poller_unauthorized);
  ADD ("poller/outage", test_poller_outage);
  g_test_add_func ("/core/client/key/never-logged", test_key_never_logged);
  g_test_add_func ("/core/client/insecure-base-url", test_insecure_urls);
  g_test_add_func ("/core/client/network-down", test_network_down);

  return g_test_run ();
}
