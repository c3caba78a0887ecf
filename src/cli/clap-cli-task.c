/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clapboard-cli"

#include "config.h"

#include <glib/gi18n.h>

#include "clap-cli.h"

/* status and download: what the service says of one task id. */

typedef struct {
  ClapCli  *cli;
  char     *output;
  gboolean  force;
  gboolean  json;
} TaskCommand;

static void
print_status (ClapTaskInfo *info)
{
  g_print ("task: %s\n", info->task_id);
  g_print ("state: %s\n", clap_task_state_to_string (info->state));
  if (info->model != NULL)
    g_print ("model: %s\n", info->model);
  if (info->create_time > 0)
    {
      g_autoptr(GDateTime) t = g_date_time_new_from_unix_utc (info->create_time / 1000);
      g_autofree char *s = g_date_time_format_iso8601 (t);
      g_print ("created: %s\n", s);
    }
  if (info->complete_time > 0)
    {
      g_autoptr(GDateTime) t = g_date_time_new_from_unix_utc (info->complete_time / 1000);
      g_autofree char *s = g_date_time_format_iso8601 (t);
      g_print ("completed: %s\n", s);
    }
  for (guint i = 0; info->result_urls != NULL && info->result_urls[i] != NULL; i++)
    g_print ("url: %s\n", info->result_urls[i]);
  if (info->fail_msg != NULL)
    g_print ("failure: %s\n", info->fail_msg);
}

static void
print_status_json (ClapTaskInfo *info)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *text = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "taskId");
  json_builder_add_string_value (b, info->task_id);
  json_builder_set_member_name (b, "state");
  json_builder_add_string_value (b, clap_task_state_to_string (info->state));
  json_builder_set_member_name (b, "model");
  json_builder_add_string_value (b, info->model);
  json_builder_set_member_name (b, "createTime");
  json_builder_add_int_value (b, info->create_time);
  json_builder_set_member_name (b, "completeTime");
  json_builder_add_int_value (b, info->complete_time);
  json_builder_set_member_name (b, "resultUrls");
  json_builder_begin_array (b);
  for (guint i = 0; info->result_urls != NULL && info->result_urls[i] != NULL; i++)
    json_builder_add_string_value (b, info->result_urls[i]);
  json_builder_end_array (b);
  json_builder_set_member_name (b, "failMsg");
  json_builder_add_string_value (b, info->fail_msg);
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  text = json_to_string (root, TRUE);
  g_print ("%s\n", text);
}

static void
queried (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  TaskCommand *cmd = user_data;
  g_autoptr(ClapTaskInfo) info = NULL;
  g_autoptr(GError) error = NULL;

  info = clap_client_query_finish (CLAP_CLIENT (source), result, &error);
  if (info == NULL)
    {
      clap_cli_quit (cmd->cli, clap_cli_fail (cmd->cli, error));
      return;
    }

  if (cmd->output == NULL)
    {
      if (cmd->json)
        print_status_json (info);
      else
        print_status (info);
      clap_cli_quit (cmd->cli, info->state == CLAP_TASK_STATE_FAILED ? CLAP_EXIT_TASK_FAILED
                                                                       : CLAP_EXIT_OK);
      return;
    }

  if (info->state == CLAP_TASK_STATE_FAILED)
    {
      g_printerr (_("clapboard-cli: the take failed: %s\n"), info->fail_msg ? info->fail_msg : "");
      clap_cli_quit (cmd->cli, CLAP_EXIT_TASK_FAILED);
      return;
    }

  if (info->state != CLAP_TASK_STATE_COMPLETED || info->result_urls == NULL)
    {
      g_printerr (_("clapboard-cli: the take is not finished yet (%s).\n"),
                  clap_task_state_get_label (info->state));
      clap_cli_quit (cmd->cli, CLAP_EXIT_FAILURE);
      return;
    }

  clap_cli_download_result (cmd->cli, info->result_urls[0], cmd->output, cmd->force);
}

static int
run_task_command (ClapCli      *cli,
                  int           argc,
                  char        **argv,
                  gboolean      download)
{
  TaskCommand cmd = { cli };
  const GOptionEntry entries[] = {
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &cmd.output, N_("Save the clip to FILE"), "FILE" },
    { "force", 'f', 0, G_OPTION_ARG_NONE, &cmd.force,
      N_("Replace the output file if it exists"), NULL },
    { NULL }
  };
  const GOptionEntry status_entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &cmd.json, N_("Print the status as JSON"), NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new (_("TASK_ID"));
  g_autoptr(GError) error = NULL;
  int exit_code;

  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  g_option_context_add_main_entries (context, download ? entries : status_entries,
                                     GETTEXT_PACKAGE);

  if (!g_option_context_parse (context, &argc, &argv, &error))
    return clap_cli_usage_error (context, error->message);

  if (argc != 2)
    return clap_cli_usage_error (context, _("give exactly one task id"));

  if (download && cmd.output == NULL)
    return clap_cli_usage_error (context, _("download needs --output FILE"));

  if (!clap_cli_ensure_client (cli, TRUE))
    return cli->exit_code;

  clap_client_query_async (cli->client, argv[1], cli->cancellable, queried, &cmd);
  exit_code = clap_cli_run_loop (cli);
  g_free (cmd.output);
  return exit_code;
}

int
clap_cli_status (ClapCli  *cli,
                 int       argc,
                 char    **argv)
{
  return run_task_command (cli, argc, argv, FALSE);
}

int
clap_cli_download (ClapCli  *cli,
                   int       argc,
                   char    **argv)
{
  return run_task_command (cli, argc, argv, TRUE);
}

/* check ------------------------------------------------------------------- */

/* Whether the service answers at its address and takes the key, without
 * spending anything: one query for a task that cannot exist. */

typedef struct {
  ClapCli  *cli;
  gboolean  json;
} Check;

static void
print_check_json (ClapCli      *cli,
                  gboolean      accepted,
                  guint         round_trip_ms,
                  guint         http_status,
                  const GError *error)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *text = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "baseUrl");
  json_builder_add_string_value (b, clap_client_get_base_url (cli->client));
  json_builder_set_member_name (b, "keyAccepted");
  json_builder_add_boolean_value (b, accepted);
  json_builder_set_member_name (b, "httpStatus");
  json_builder_add_int_value (b, http_status);
  json_builder_set_member_name (b, "roundTripMs");
  json_builder_add_int_value (b, round_trip_ms);
  json_builder_set_member_name (b, "error");
  json_builder_add_string_value (b, error ? error->message : NULL);
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  text = json_to_string (root, TRUE);
  g_print ("%s\n", text);
}

static void
checked (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Check *check = user_data;
  ClapCli *cli = check->cli;
  g_autoptr(GError) error = NULL;
  guint round_trip_ms = 0, http_status = 0;
  gboolean accepted;

  accepted = clap_client_check_finish (CLAP_CLIENT (source), result, &round_trip_ms, &http_status,
                                       &error);
  if (check->json)
    print_check_json (cli, accepted, round_trip_ms, http_status, error);

  if (!accepted)
    {
      /* With --json the message is in the JSON; the exit code says the same. */
      clap_cli_quit (cli, check->json ? clap_cli_exit_code_for_error (error)
                                      : clap_cli_fail (cli, error));
      return;
    }

  if (!check->json)
    /* Translators: "The service at https://apimodels.app accepts the key (HTTP 404 for a
     * test query, 182 ms)." */
    g_print (_("The service at %s accepts the key (HTTP %u for a test query, %u ms). Nothing "
               "was spent.\n"), clap_client_get_base_url (cli->client), http_status,
             round_trip_ms);
  clap_cli_quit (cli, CLAP_EXIT_OK);
}

int
clap_cli_check (ClapCli  *cli,
                int       argc,
                char    **argv)
{
  Check check = { cli };
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &check.json, N_("Print the result as JSON"), NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(GError) error = NULL;

  g_option_context_set_summary (context,
                                _("Checks the service address and the API key without spending "
                                  "anything: one query for a task that cannot exist. Exit code 0: "
                                  "the key is accepted; 4: it is rejected; 6: the service cannot "
                                  "be reached or does not answer as it should."));
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);

  if (!g_option_context_parse (context, &argc, &argv, &error))
    return clap_cli_usage_error (context, error->message);
  if (argc != 1)
    return clap_cli_usage_error (context, _("check takes no argument"));

  if (!clap_cli_ensure_client (cli, TRUE))
    return cli->exit_code;

  clap_client_check_async (cli->client, cli->cancellable, checked, &check);
  return clap_cli_run_loop (cli);
}
