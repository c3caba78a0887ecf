/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <glib/gstdio.h>
#include <libsoup/soup.h>

#include "clap-test-files.h"
#include "rel-util.h"

/* The history from the command line, where the command line is the
 * subject: a take the service finished without a link, and a history that
 * is damaged. The service here is a small scripted server (the simulator
 * always gives a link), run on a thread of its own while clapboard-cli
 * runs. */

typedef struct {
  GThread      *thread;
  GMainContext *context;
  GMainLoop    *loop;
  SoupServer   *server;
  char         *url;
  GMutex        lock;
  GCond         ready;
  guint         n_queries;
} Fake;

static void
reply (SoupServerMessage *msg,
       const char        *data)
{
  g_autofree char *body = g_strdup_printf ("{\"code\":200,\"msg\":\"success\",\"data\":%s}", data);

  soup_server_message_set_status (msg, 200, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, body, strlen (body));
}

/* Creates one task, and says it is completed, with no link. */
static void
handle (SoupServer        *server,
        SoupServerMessage *msg,
        const char        *path,
        GHashTable        *query,
        gpointer           user_data)
{
  Fake *fake = user_data;

  if (g_str_equal (soup_server_message_get_method (msg), "POST"))
    reply (msg, "{\"taskId\":\"cl-no-link\",\"state\":\"pending\"}");
  else
    {
      g_mutex_lock (&fake->lock);
      fake->n_queries++;
      g_mutex_unlock (&fake->lock);
      reply (msg, "{\"taskId\":\"cl-no-link\",\"state\":\"completed\"}");
    }
}

static gpointer
serve (gpointer user_data)
{
  Fake *fake = user_data;
  g_autoptr(GError) error = NULL;
  GSList *uris;

  g_main_context_push_thread_default (fake->context);
  fake->server = soup_server_new (NULL, NULL);
  soup_server_add_handler (fake->server, "/api/v1/video/generations", handle, fake, NULL);
  g_assert_true (soup_server_listen_local (fake->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error));
  g_assert_no_error (error);
  uris = soup_server_get_uris (fake->server);

  g_mutex_lock (&fake->lock);
  fake->url = g_strdup_printf ("http://127.0.0.1:%d", g_uri_get_port (uris->data));
  g_cond_signal (&fake->ready);
  g_mutex_unlock (&fake->lock);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  g_main_loop_run (fake->loop);

  soup_server_disconnect (fake->server);
  g_clear_object (&fake->server);
  g_main_context_pop_thread_default (fake->context);
  return NULL;
}

static Fake *
fake_start (void)
{
  Fake *fake = g_new0 (Fake, 1);

  g_mutex_init (&fake->lock);
  g_cond_init (&fake->ready);
  fake->context = g_main_context_new ();
  fake->loop = g_main_loop_new (fake->context, FALSE);
  fake->thread = g_thread_new ("fake-service", serve, fake);

  g_mutex_lock (&fake->lock);
  while (fake->url == NULL)
    g_cond_wait (&fake->ready, &fake->lock);
  g_mutex_unlock (&fake->lock);
  return fake;
}

static guint
fake_n_queries (Fake *fake)
{
  guint n;

  g_mutex_lock (&fake->lock);
  n = fake->n_queries;
  g_mutex_unlock (&fake->lock);
  return n;
}

static void
fake_stop (Fake *fake)
{
  g_main_loop_quit (fake->loop);
  g_thread_join (fake->thread);
  g_main_loop_unref (fake->loop);
  g_main_context_unref (fake->context);
  g_mutex_clear (&fake->lock);
  g_cond_clear (&fake->ready);
  g_free (fake->url);
  g_free (fake);
}

static char *tmp_dir;

/* generate --wait ends on a take completed without a link: exit 6, saying
 * so and that resume asks again; resume asks once and does not wait. */
static void
test_completed_without_link (void)
{
  Fake *fake = fake_start ();
  g_autofree char *data_dir = g_build_filename (tmp_dir, "no-link", NULL);
  const char *env[] = { "CLAPBOARD_BASE_URL", fake->url, NULL };
  g_autoptr(JsonArray) history = NULL;
  g_auto(RelRun) run = { 0 };
  g_auto(RelRun) resume = { 0 };
  JsonObject *take;
  guint queries;

  /* --timeout: an old clapboard-cli would wait forever */
  rel_cli_run (&run, NULL, data_dir, env,
               (const char *[]) { "generate", "--prompt", "Finished, but where?", "--wait",
                                  "--timeout", "60", NULL });
  g_assert_cmpint (run.status, ==, 6);
  g_assert_cmpstr (run.out, ==, "cl-no-link\n");
  rel_assert_contains (run.err, "gave no link");
  rel_assert_contains (run.err, "`clapboard-cli resume` asks again later");

  history = rel_cli_list (data_dir);
  take = rel_find (history, "taskId", "cl-no-link");
  g_assert_nonnull (take);
  g_assert_cmpstr (rel_get_string (take, "state"), ==, "completed");
  g_assert_null (rel_get_string (take, "localFile"));
  rel_assert_contains (rel_get_string (take, "errorMessage"), "gave no link");

  queries = fake_n_queries (fake);
  rel_cli_run (&resume, NULL, data_dir, env, (const char *[]) { "resume", NULL });
  g_assert_cmpint (resume.status, ==, 0);
  rel_assert_contains (resume.err, "cl-no-link: finished, but the service gave no link");
  g_assert_cmpuint (fake_n_queries (fake), ==, queries + 1);

  fake_stop (fake);
}

/* A history that is not one is said to be damaged, whatever reads it,
 * and is left exactly as it was. */
static void
test_damaged_history (void)
{
  g_autofree char *data_dir = g_build_filename (tmp_dir, "damaged", NULL);
  g_autofree char *path = g_build_filename (data_dir, "history.db", NULL);
  g_autofree char *garbage = g_strnfill (10000, '#');
  const char *commands[] = { "list", "resume" };

  g_assert_cmpint (g_mkdir_with_parents (data_dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (path, garbage, -1, NULL));

  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      g_auto(RelRun) run = { 0 };
      g_autofree char *after = NULL;

      rel_cli_run (&run, NULL, data_dir, NULL, (const char *[]) { commands[i], NULL });
      g_assert_cmpint (run.status, !=, 0);
      rel_assert_contains (run.err, "is damaged or is not a Clapboard history");
      rel_assert_contains (run.err, "move it away");
      g_assert_null (strstr (run.err, "could not be written"));
      g_assert_true (g_file_get_contents (path, &after, NULL, NULL));
      g_assert_cmpstr (after, ==, garbage);
    }
}

int
main (int   argc,
      char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);
  g_assert_nonnull (g_getenv ("CLAPBOARD_CLI"));

  tmp_dir = g_dir_make_tmp ("clap-rel-history-XXXXXX", NULL);

  g_test_add_func ("/reliability/history/completed-without-link", test_completed_without_link);
  g_test_add_func ("/reliability/history/damaged", test_damaged_history);

  status = g_test_run ();

  clap_test_rm_rf (tmp_dir);
  g_free (tmp_dir);
  return status;
}
