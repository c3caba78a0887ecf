/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clapboard-cli"

#include "config.h"

#include <stdio.h>
#include <unistd.h>
#include <glib/gi18n.h>

#include "clap-cli.h"
#include "clap-exchange.h"
#include "clap-untrusted.h"

/* list and resume: the history the window keeps, from a shell. resume runs
 * exactly what the application runs at start-up (clap_session_resume). */

static char *
one_line (const char *text,
          glong       max_chars)
{
  g_autofree char *flat = g_strdup (text ? text : "");
  g_autofree char *cut = NULL;

  for (char *p = flat; *p; p++)
    if (*p == '\n' || *p == '\t' || *p == '\r')
      *p = ' ';

  if (g_utf8_strlen (flat, -1) <= max_chars)
    return g_steal_pointer (&flat);

  cut = g_utf8_substring (flat, 0, max_chars - 1);
  return g_strconcat (cut, "…", NULL);
}

/* The members of a take that list --json and inspect print; the object is
 * left open for more. */
static void
begin_take_json (JsonBuilder *b,
                 ClapTask    *task)
{
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "uid");
  json_builder_add_string_value (b, clap_task_get_uid (task));
  json_builder_set_member_name (b, "taskId");
  json_builder_add_string_value (b, clap_task_get_task_id (task));
  json_builder_set_member_name (b, "state");
  json_builder_add_string_value (b, clap_task_state_to_string (clap_task_get_state (task)));
  json_builder_set_member_name (b, "model");
  json_builder_add_string_value (b, clap_task_get_model (task));
  json_builder_set_member_name (b, "prompt");
  json_builder_add_string_value (b, clap_task_get_prompt (task));
  json_builder_set_member_name (b, "localFile");
  json_builder_add_string_value (b, clap_task_get_local_file (task));
  json_builder_set_member_name (b, "cost");
  json_builder_add_int_value (b, clap_task_get_cost (task));
  json_builder_set_member_name (b, "failMessage");
  json_builder_add_string_value (b, clap_task_get_fail_message (task));
  /* why a completed take has no file (an expired link, a full disk) */
  json_builder_set_member_name (b, "errorMessage");
  json_builder_add_string_value (b, clap_task_get_error_message (task));
  /* something to check (the same task id as another take) */
  json_builder_set_member_name (b, "warning");
  json_builder_add_string_value (b, clap_task_get_warning (task));
  /* the service's own word for a state Clapboard does not know */
  json_builder_set_member_name (b, "serviceState");
  json_builder_add_string_value (b, clap_task_get_service_state (task));
}

static void
print_json (GListModel *store,
            guint       n)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *text = NULL;

  json_builder_begin_array (b);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(ClapTask) task = g_list_model_get_item (store, i);

      begin_take_json (b, task);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);

  root = json_builder_get_root (b);
  text = json_to_string (root, TRUE);
  g_print ("%s\n", text);
}

/* inspect ----------------------------------------------------------------- */

/* What was sent and answered for a take, as the history keeps it (its
 * Request Details in the window): the exact bodies, the key redacted. A
 * task id names every take the service gave it (it may have given it
 * twice); a take's uid names that one. */
int
clap_cli_inspect (ClapCli  *cli,
                  int       argc,
                  char    **argv)
{
  gboolean text = FALSE;
  const GOptionEntry entries[] = {
    { "text", 0, 0, G_OPTION_ARG_NONE, &text,
      N_("Print the requests and answers as text to read, not as JSON"), NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new (_("TASK_ID"));
  g_autoptr(ClapStore) store = NULL;
  g_autoptr(GPtrArray) takes = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *out = NULL;
  g_autoptr(GError) error = NULL;
  ClapTask *by_uid;

  g_option_context_set_summary (context, _("Prints what was sent to the service for a take and "
                                           "what it answered, as the history keeps it: the exact "
                                           "bodies, with the API key redacted."));
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);

  if (!g_option_context_parse (context, &argc, &argv, &error))
    return clap_cli_usage_error (context, error->message);
  if (argc != 2)
    return clap_cli_usage_error (context, _("give exactly one task id"));

  store = clap_store_open_for_reading (NULL, &error);
  if (store == NULL)
    return clap_cli_fail (cli, error);

  takes = clap_store_find_all_by_task_id (store, argv[1]);
  by_uid = clap_store_find_by_uid (store, argv[1]);
  if (takes->len == 0 && by_uid != NULL)
    g_ptr_array_add (takes, g_object_ref (by_uid));

  if (takes->len == 0)
    {
      g_autofree char *shown = clap_untrusted_escape (argv[1], 80);

      g_printerr (_("clapboard-cli: no take in the history has the task id “%s”.\n"), shown);
      return CLAP_EXIT_NOT_FOUND;
    }

  json_builder_begin_array (b);
  for (guint i = 0; i < takes->len; i++)
    {
      ClapTask *task = g_ptr_array_index (takes, i);
      g_autoptr(JsonNode) exchanges = clap_store_dup_exchanges (store, clap_task_get_uid (task),
                                                                &error);

      if (exchanges == NULL)
        return clap_cli_fail (cli, error);

      if (text)
        {
          g_autofree char *details = clap_exchanges_to_text (exchanges);
          g_autofree char *prompt = clap_untrusted_escape (clap_task_get_prompt (task), 200);

          g_print ("%s%s · %s\n%s", i > 0 ? "\n" : "", clap_task_get_uid (task),
                   prompt ? prompt : "", details);
          continue;
        }

      begin_take_json (b, task);
      json_builder_set_member_name (b, "exchanges");
      json_builder_add_value (b, g_steal_pointer (&exchanges));
      json_builder_end_object (b);
    }
  json_builder_end_array (b);

  if (!text)
    {
      root = json_builder_get_root (b);
      out = json_to_string (root, TRUE);
      g_print ("%s\n", out);
    }
  return CLAP_EXIT_OK;
}

int
clap_cli_list (ClapCli  *cli,
               int       argc,
               char    **argv)
{
  gboolean json = FALSE;
  int limit = 0;
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print the history as JSON"), NULL },
    { "limit", 'n', 0, G_OPTION_ARG_INT, &limit, N_("Print only the newest N takes"), "N" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(ClapStore) store = NULL;
  guint n;

  g_option_context_set_summary (context, _("Prints the history of takes, newest first: task id, "
                                           "state, model, prompt and local file, separated by "
                                           "tabs."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    return clap_cli_usage_error (context, error->message);

  /* Reading needs no key, no network, and no right to write: the history
   * is opened as it is, in a read-only folder too. */
  store = clap_store_open_for_reading (NULL, &error);
  if (store == NULL)
    return clap_cli_fail (cli, error);

  n = g_list_model_get_n_items (G_LIST_MODEL (store));
  if (limit > 0)
    n = MIN (n, (guint) limit);

  if (json)
    {
      print_json (G_LIST_MODEL (store), n);
      return CLAP_EXIT_OK;
    }

  if (isatty (STDOUT_FILENO))
    g_print ("%s\n", _("TASK ID\tSTATE\tMODEL\tPROMPT\tFILE"));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(ClapTask) task = g_list_model_get_item (G_LIST_MODEL (store), i);
      g_autofree char *prompt = one_line (clap_task_get_prompt (task), 60);
      const char *id = clap_task_get_task_id (task);
      const char *file = clap_task_get_local_file (task);

      g_print ("%s\t%s\t%s\t%s\t%s\n", id ? id : "-",
               clap_task_state_to_string (clap_task_get_state (task)),
               clap_task_get_model (task) ? clap_task_get_model (task) : "-",
               prompt, file ? file : "-");
    }

  return CLAP_EXIT_OK;
}

typedef struct {
  ClapCli *cli;
  guint    check_id;
  guint    n_failed;
  gboolean saw_error;
} Resume;

static void
on_finished (ClapSession *session,
             ClapTask    *task,
             Resume      *r)
{
  if (clap_task_get_state (task) == CLAP_TASK_STATE_FAILED)
    {
      r->n_failed++;
      g_printerr (_("%s failed: %s\n"), clap_task_get_task_id (task),
                  clap_task_get_fail_message (task) ? clap_task_get_fail_message (task) : "");
    }
}

static void
on_error (ClapSession *session,
          ClapTask    *task,
          GError      *error,
          Resume      *r)
{
  r->saw_error = TRUE;
  clap_cli_progress_end (r->cli);
  g_printerr ("clapboard-cli: %s%s%s\n", task && clap_task_get_task_id (task)
                                          ? clap_task_get_task_id (task) : "",
              task && clap_task_get_task_id (task) ? ": " : "", error->message);

  if (g_error_matches (error, CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_UNAUTHORIZED))
    clap_cli_quit (r->cli, CLAP_EXIT_AUTH);
}

/* Done when nothing is polled and no download runs or waits for a slot. */
static gboolean
check_done (gpointer user_data)
{
  Resume *r = user_data;
  ClapSession *session = r->cli->session;
  guint active = clap_poller_get_n_active (clap_session_get_poller (session));
  guint busy = clap_session_get_n_busy (session);

  if (active + busy > 0)
    {
      g_autofree char *takes = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u take",
                                                             "%u takes", active), active);
      g_autofree char *downloads = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u download",
                                                                 "%u downloads", busy), busy);

      /* Translators: "Following 3 takes, 1 download…" */
      clap_cli_progress (r->cli, _("Following %s, %s…"), takes, downloads);
      return G_SOURCE_CONTINUE;
    }

  r->check_id = 0;
  clap_cli_quit (r->cli, r->saw_error || r->n_failed > 0 ? CLAP_EXIT_FAILURE : CLAP_EXIT_OK);
  return G_SOURCE_REMOVE;
}

int
clap_cli_resume (ClapCli  *cli,
                 int       argc,
                 char    **argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(GError) error = NULL;
  Resume r = { cli };
  GListModel *store;
  int exit_code;
  guint n;

  g_option_context_set_summary (context, _("Follows every take the history holds that is not "
                                           "finished, and downloads every completed result "
                                           "not yet on this computer. Takes interrupted while "
                                           "being submitted are marked, never sent again."));
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    return clap_cli_usage_error (context, error->message);

  if (!clap_cli_ensure_session (cli, TRUE))
    return cli->exit_code;

  g_signal_connect (cli->session, "task-finished", G_CALLBACK (on_finished), &r);
  g_signal_connect (cli->session, "error", G_CALLBACK (on_error), &r);
  clap_session_resume (cli->session);
  if (clap_session_get_n_elsewhere (cli->session) > 0)
    {
      guint elsewhere = clap_session_get_n_elsewhere (cli->session);

      g_printerr (g_dngettext (GETTEXT_PACKAGE,
                               "%u take is followed by another Clapboard that is running; "
                               "it is left to it.\n",
                               "%u takes are followed by another Clapboard that is running; "
                               "they are left to it.\n", elsewhere), elsewhere);
    }

  r.check_id = g_timeout_add (100, check_done, &r);
  exit_code = clap_cli_run_loop (cli);
  g_clear_handle_id (&r.check_id, g_source_remove);
  g_signal_handlers_disconnect_by_data (cli->session, &r);

  /* What the history holds now, for the person or the script. */
  store = G_LIST_MODEL (clap_session_get_store (cli->session));
  n = g_list_model_get_n_items (store);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(ClapTask) task = g_list_model_get_item (store, i);
      ClapTaskState state = clap_task_get_state (task);

      if (state == CLAP_TASK_STATE_INTERRUPTED)
        g_printerr (_("%s: submission interrupted — it may have been created and charged; check "
                      "your provider dashboard.\n"), clap_task_get_uid (task));
      else if (clap_task_is_missing_link (task) && clap_task_get_task_id (task) != NULL)
        g_printerr (_("%s: finished, but the service gave no link to the clip; "
                      "`clapboard-cli resume` asks again later.\n"), clap_task_get_task_id (task));
      else if (state == CLAP_TASK_STATE_COMPLETED && clap_task_get_local_file (task) != NULL)
        g_print ("%s\t%s\n", clap_task_get_task_id (task), clap_task_get_local_file (task));
    }

  return exit_code;
}
