/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clapboard-sim"

#include "config.h"

#include <stdio.h>

#include <glib-unix.h>

#include "clap-sim-server.h"

static const char keywords_help[] =
  "Prompt keywords (they stay in the prompt and are drawn on the video):\n"
  "  [sim:fail]               the take fails: \"Content policy violation\"\n"
  "  [sim:fail=MESSAGE]       the take fails with MESSAGE\n"
  "  [sim:create=FAULT]       the create request answers FAULT\n"
  "  [sim:query=FAULT*N]      the take's first N queries answer FAULT\n"
  "  [sim:download=http-403]  the result URL has expired (http-404: it is gone)\n"
  "  [sim:slow-render]        the take stays processing three times longer\n"
  "  [sim:echo-model=NAME]    answers name model NAME, not the one asked for\n"
  "  [sim:no-link]            the take completes with no result URL in any field\n"
  "  [sim:state=WORD]         while processing, the state reads WORD\n"
  "  [sim:same-id]            the create answers the previous task's id\n"
  "  [sim:cancel]             the take ends cancelled\n"
  "\n"
  "Dialects (--dialect, or POST {\"dialect\":NAME} to URL/sim/dialect):\n"
  "  seed          the contract: taskId, state, resultUrls, failMsg, times in ms\n"
  "  gateway       task_id / numeric id, status, videos or video_url, error or\n"
  "                fail_reason, times in s or ISO 8601, code \"200\"; motion control\n"
  "                wants input_urls, video_urls and mode 720p/1080p\n"
  "  kling-native  task_id, task_status, task_status_msg, task_result.videos or\n"
  "                resultJson, times in ms or numeric strings\n"
  "\n"
  "Keys: any non-empty Bearer key works unless --key is given;\n"
  "sim-unauthorized answers 401, sim-no-balance answers 402 to a create.\n"
  "\n"
  "Faults over HTTP, no key needed:\n"
  "  curl -d '{\"endpoint\":\"query\",\"fault\":\"http-500\",\"count\":2}' URL/sim/faults\n"
  "  curl URL/sim/stats\n"
  "  curl URL/sim/tasks\n";

static char *
nicks (GType type)
{
  g_autoptr(GEnumClass) klass = g_type_class_ref (type);
  GString *names = g_string_new (NULL);

  for (guint i = 0; i < klass->n_values; i++)
    g_string_append_printf (names, "%s%s", i ? " " : "", klass->values[i].value_nick);

  return g_string_free (names, FALSE);
}

static gboolean
quit_cb (gpointer loop)
{
  g_main_loop_quit (loop);
  return G_SOURCE_CONTINUE;
}

static void
request_handled_cb (ClapSimServer *server,
                    const char    *method,
                    const char    *path,
                    guint          status,
                    gpointer       user_data)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *stamp = g_date_time_format (now, "%H:%M:%S");

  if (status == 0)
    g_printerr ("%s %s %s -> dropped\n", stamp, method, path);
  else
    g_printerr ("%s %s %s -> %u\n", stamp, method, path, status);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(ClapSimServer) server = clap_sim_server_new ();
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(GError) error = NULL;
  g_autofree char *endpoints = nicks (CLAP_TYPE_SIM_ENDPOINT);
  g_autofree char *faults = nicks (CLAP_TYPE_SIM_FAULT);
  g_autofree char *help = g_strdup_printf ("%s\nEndpoints: %s\nFaults: %s\n",
                                           keywords_help, endpoints, faults);
  g_autofree char *url = NULL;
  g_autofree char *result_file = NULL;
  g_autofree char *data_dir = NULL;
  g_autofree char *key = NULL;
  g_autofree char *dialect_name = NULL;
  ClapSimDialect dialect;
  int port = 0, pending_ms, processing_ms, slow_ms, result_ttl_ms, upload_url_ttl_ms;
  gboolean full_resolution = FALSE;
  double time_scale;
  const GOptionEntry entries[] = {
    { "port", 'p', 0, G_OPTION_ARG_INT, &port, "Port on 127.0.0.1 (0: any free one)", "N" },
    { "pending-ms", 0, 0, G_OPTION_ARG_INT, &pending_ms, "Time a take stays pending", "MS" },
    { "processing-ms", 0, 0, G_OPTION_ARG_INT, &processing_ms, "Least time a take stays processing", "MS" },
    { "slow-ms", 0, 0, G_OPTION_ARG_INT, &slow_ms, "Delay of the slow fault", "MS" },
    { "full-resolution", 0, 0, G_OPTION_ARG_NONE, &full_resolution, "Render 720p/1080p at 24 fps", NULL },
    { "result-file", 0, 0, G_OPTION_ARG_FILENAME, &result_file, "Serve this file as every result", "FILE" },
    { "data-dir", 0, 0, G_OPTION_ARG_FILENAME, &data_dir, "Where uploads and renders go", "DIR" },
    { "result-ttl-ms", 0, 0, G_OPTION_ARG_INT, &result_ttl_ms, "Result URLs expire after this (0: never)", "MS" },
    { "upload-url-ttl-ms", 0, 0, G_OPTION_ARG_INT, &upload_url_ttl_ms, "Upload URLs expire after this", "MS" },
    { "time-scale", 0, 0, G_OPTION_ARG_DOUBLE, &time_scale, "Multiplies the callback retry schedule", "X" },
    { "key", 0, 0, G_OPTION_ARG_STRING, &key, "The only API key accepted", "KEY" },
    { "dialect", 0, 0, G_OPTION_ARG_STRING, &dialect_name,
      "Answer as seed (default), gateway or kling-native", "NAME" },
    { NULL }
  };

  /* The server's own defaults are the options' defaults. */
  g_object_get (server,
                "pending-ms", &pending_ms, "processing-ms", &processing_ms, "slow-ms", &slow_ms,
                "result-ttl-ms", &result_ttl_ms, "upload-url-ttl-ms", &upload_url_ttl_ms,
                "time-scale", &time_scale, NULL);

  g_option_context_set_summary (context, "A local simulator of the apimodels.app Kling video API.");
  g_option_context_set_description (context, help);
  g_option_context_add_main_entries (context, entries, NULL);

  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("clapboard-sim: %s\n", error->message);
      return 2;
    }

  if (port < 0 || port > G_MAXUINT16 || pending_ms < 0 || processing_ms < 0 || slow_ms < 0 ||
      result_ttl_ms < 0 || upload_url_ttl_ms < 0 || time_scale <= 0)
    {
      g_printerr ("clapboard-sim: a value is negative or out of range\n");
      return 2;
    }

  if (dialect_name != NULL)
    {
      g_autoptr(GEnumClass) klass = g_type_class_ref (CLAP_TYPE_SIM_DIALECT);
      GEnumValue *value = g_enum_get_value_by_nick (klass, dialect_name);

      if (value == NULL)
        {
          g_printerr ("clapboard-sim: unknown dialect \"%s\": use seed, gateway or kling-native\n",
                      dialect_name);
          return 2;
        }

      dialect = value->value;
      g_object_set (server, "dialect", dialect, NULL);
    }

  g_object_set (server,
                "pending-ms", pending_ms, "processing-ms", processing_ms, "slow-ms", slow_ms,
                "full-resolution", full_resolution, "result-file", result_file,
                "data-dir", data_dir, "result-ttl-ms", result_ttl_ms,
                "upload-url-ttl-ms", upload_url_ttl_ms, "time-scale", time_scale,
                "accepted-key", key, NULL);
  g_signal_connect (server, "request-handled", G_CALLBACK (request_handled_cb), NULL);

  if (!clap_sim_server_listen (server, port, &error))
    {
      g_printerr ("clapboard-sim: %s\n", error->message);
      return 1;
    }

  /* Scripts read this line to learn the port: print it first, at once. */
  url = clap_sim_server_dup_base_url (server);
  printf ("Clapboard simulator listening on %s\n", url);
  fflush (stdout);

  g_unix_signal_add (SIGINT, quit_cb, loop);
  g_unix_signal_add (SIGTERM, quit_cb, loop);
  g_main_loop_run (loop);

  return 0;
}
