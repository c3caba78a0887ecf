/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clapboard-cli"

#include "config.h"

#include <stdio.h>
#include <glib/gi18n.h>

#include "clap-cli.h"
#include "clap-transfer.h"

/* generate and cost: the options of a request, read from the command line
 * and checked against the catalogue, so a flag the model does not take is
 * refused by name instead of silently dropped. */

typedef struct {
  char     *model;
  char     *prompt;
  char     *negative_prompt;
  char     *mode;
  int       duration;
  char     *aspect_ratio;
  char     *image;
  char     *last_frame;
  char     *motion_video;
  double    motion_seconds;
  gboolean  audio;
  char    **voices;
  char     *orientation;
  char     *keep_original_sound;
  char     *version;
  char     *callback_url;

  /* generate only */
  gboolean  wait;
  char     *output;
  int       timeout;
  gboolean  force;
} Options;

static void
options_clear (Options *o)
{
  g_free (o->model);
  g_free (o->prompt);
  g_free (o->negative_prompt);
  g_free (o->mode);
  g_free (o->aspect_ratio);
  g_free (o->image);
  g_free (o->last_frame);
  g_free (o->motion_video);
  g_strfreev (o->voices);
  g_free (o->orientation);
  g_free (o->keep_original_sound);
  g_free (o->version);
  g_free (o->callback_url);
  g_free (o->output);
}

static GOptionContext *
options_context (Options    *o,
                 const char *command,
                 gboolean    generate)
{
  const GOptionEntry request_entries[] = {
    { "model", 'm', 0, G_OPTION_ARG_STRING, &o->model,
      N_("Model: kling-v2-6, kling-v3 or kling-motion-control (default kling-v2-6)"), "MODEL" },
    { "prompt", 'p', 0, G_OPTION_ARG_STRING, &o->prompt,
      N_("What the clip shows, up to 2500 characters (\"-\" reads it from stdin)"), "TEXT" },
    { "negative-prompt", 0, 0, G_OPTION_ARG_STRING, &o->negative_prompt,
      N_("What the clip must not show"), "TEXT" },
    { "mode", 0, 0, G_OPTION_ARG_STRING, &o->mode,
      N_("std or pro (motion control: std is 720p, pro 1080p)"), "MODE" },
    { "duration", 'd', 0, G_OPTION_ARG_INT, &o->duration,
      N_("Seconds: 5 or 10 for kling-v2-6, 3 to 15 for kling-v3"), "SECONDS" },
    { "aspect-ratio", 'a', 0, G_OPTION_ARG_STRING, &o->aspect_ratio,
      N_("16:9, 9:16 or 1:1"), "RATIO" },
    { "image", 'i', 0, G_OPTION_ARG_STRING, &o->image,
      N_("First frame, or the character for motion control: a PNG/JPEG file or an https URL"),
      "FILE|URL" },
    { "last-frame", 0, 0, G_OPTION_ARG_STRING, &o->last_frame,
      N_("Last frame: a PNG/JPEG file or an https URL"), "FILE|URL" },
    { "motion-video", 0, 0, G_OPTION_ARG_STRING, &o->motion_video,
      N_("Motion source for motion control: an MP4/MOV file or an https URL"), "FILE|URL" },
    { "motion-seconds", 0, 0, G_OPTION_ARG_DOUBLE, &o->motion_seconds,
      N_("Length of a motion video given as a URL (a file is measured)"), "SECONDS" },
    { "audio", 0, 0, G_OPTION_ARG_NONE, &o->audio,
      N_("Generate audio (kling-v2-6: pro mode only)"), NULL },
    { "voice", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o->voices,
      N_("A voice id, up to twice; call them in the prompt as <<<voice_1>>>, <<<voice_2>>>"), "ID" },
    { "orientation", 0, 0, G_OPTION_ARG_STRING, &o->orientation,
      N_("Motion control: follow the “video” (up to 30 s) or the “image” (up to 10 s)"), "WHICH" },
    { "keep-original-sound", 0, 0, G_OPTION_ARG_STRING, &o->keep_original_sound,
      N_("Motion control: yes or no"), "YES|NO" },
    { "version", 0, 0, G_OPTION_ARG_STRING, &o->version,
      N_("Motion control: Kling version 2.6 or 3.0"), "VERSION" },
    { "callback-url", 0, 0, G_OPTION_ARG_STRING, &o->callback_url,
      N_("An https URL the service calls when the take finishes"), "URL" },
    { NULL }
  };
  const GOptionEntry generate_entries[] = {
    { "wait", 'w', 0, G_OPTION_ARG_NONE, &o->wait,
      N_("Wait until the take finishes, showing its progress"), NULL },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &o->output,
      N_("With --wait: save the clip to FILE"), "FILE" },
    { "timeout", 0, 0, G_OPTION_ARG_INT, &o->timeout,
      N_("With --wait: give up waiting after SECONDS (the take goes on)"), "SECONDS" },
    { "force", 'f', 0, G_OPTION_ARG_NONE, &o->force,
      N_("Replace the output file if it exists"), NULL },
    { NULL }
  };
  g_autofree char *parameter = g_strdup_printf ("%s", command);
  GOptionContext *context = g_option_context_new (NULL);

  g_option_context_set_summary (context, generate
                                ? _("Submits a take and prints its task id.")
                                : _("Prints the estimated price of a take; nothing is sent."));
  g_option_context_add_main_entries (context, request_entries, GETTEXT_PACKAGE);
  if (generate)
    g_option_context_add_main_entries (context, generate_entries, GETTEXT_PACKAGE);
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  return context;
}

static gboolean
parse_yes_no (const char *value,
              gboolean   *out)
{
  const char *yes[] = { "yes", "on", "true", "1" };
  const char *no[] = { "no", "off", "false", "0" };

  for (guint i = 0; i < G_N_ELEMENTS (yes); i++)
    {
      if (g_ascii_strcasecmp (value, yes[i]) == 0)
        return *out = TRUE, TRUE;
      if (g_ascii_strcasecmp (value, no[i]) == 0)
        return *out = FALSE, TRUE;
    }
  return FALSE;
}

static char *
read_stdin (void)
{
  g_autoptr(GString) text = g_string_new (NULL);
  char buffer[4096];
  size_t n;

  while ((n = fread (buffer, 1, sizeof buffer, stdin)) > 0)
    g_string_append_len (text, buffer, (gssize) n);

  /* a trailing newline from echo or a file is not part of the prompt */
  while (text->len > 0 && text->str[text->len - 1] == '\n')
    g_string_truncate (text, text->len - 1);

  return g_string_free (g_steal_pointer (&text), FALSE);
}

/* Builds the request; on a usage or rule error prints it and returns NULL
 * with *exit_code set. */
static ClapRequest *
options_to_request (Options *o,
                    int     *exit_code)
{
  g_autoptr(ClapRequest) request = NULL;
  const ClapModelSpec *model;
  struct { gboolean given; ClapOption option; const char *flag; } given[] = {
    { o->negative_prompt != NULL, CLAP_OPTION_NEGATIVE_PROMPT, "--negative-prompt" },
    { o->aspect_ratio != NULL, CLAP_OPTION_ASPECT_RATIO, "--aspect-ratio" },
    { o->duration != 0, CLAP_OPTION_DURATION, "--duration" },
    { o->image != NULL, CLAP_OPTION_IMAGE, "--image" },
    { o->last_frame != NULL, CLAP_OPTION_IMAGE_TAIL, "--last-frame" },
    { o->motion_video != NULL, CLAP_OPTION_MOTION_VIDEO, "--motion-video" },
    { o->audio, CLAP_OPTION_SOUND, "--audio" },
    { o->voices != NULL, CLAP_OPTION_VOICES, "--voice" },
    { o->orientation != NULL, CLAP_OPTION_CHARACTER_ORIENTATION, "--orientation" },
    { o->keep_original_sound != NULL, CLAP_OPTION_KEEP_ORIGINAL_SOUND, "--keep-original-sound" },
    { o->version != NULL, CLAP_OPTION_VERSION, "--version" },
  };

  request = clap_request_new (o->model ? o->model : "kling-v2-6");
  model = clap_request_get_model_spec (request);
  if (model == NULL)
    {
      g_printerr (_("clapboard-cli: “%s” is not a model; use kling-v2-6, kling-v3 or "
                    "kling-motion-control.\n"), o->model);
      *exit_code = CLAP_EXIT_USAGE;
      return NULL;
    }

  for (guint i = 0; i < G_N_ELEMENTS (given); i++)
    {
      gboolean allowed = clap_model_has_option (model, given[i].option);

      /* Motion control's length follows its video. */
      if (given[i].option == CLAP_OPTION_DURATION && (model->flags & CLAP_MODEL_DURATION_IS_VIDEO))
        allowed = FALSE;

      if (given[i].given && !allowed)
        {
          g_printerr (_("clapboard-cli: %s is not an option of %s.\n"), given[i].flag,
                      g_dgettext (GETTEXT_PACKAGE, model->label));
          *exit_code = CLAP_EXIT_USAGE;
          return NULL;
        }
    }

  if (o->prompt != NULL && g_str_equal (o->prompt, "-"))
    {
      g_free (o->prompt);
      o->prompt = read_stdin ();
    }

  clap_request_set_prompt (request, o->prompt);
  clap_request_set_negative_prompt (request, o->negative_prompt);
  if (o->mode != NULL)
    clap_request_set_mode (request, o->mode);
  if (o->duration != 0)
    clap_request_set_duration (request, o->duration > 0 ? (guint) o->duration : G_MAXUINT);
  else
    clap_request_set_duration (request, model->default_duration);
  if (o->aspect_ratio != NULL)
    clap_request_set_aspect_ratio (request, o->aspect_ratio);
  clap_request_set_image (request, o->image);
  clap_request_set_image_tail (request, o->last_frame);
  clap_request_set_motion_video (request, o->motion_video);
  clap_request_set_motion_seconds (request, o->motion_seconds);
  clap_request_set_sound (request, o->audio);
  clap_request_set_voices (request, (const char * const *) o->voices);
  if (o->orientation != NULL)
    clap_request_set_character_orientation (request, o->orientation);
  if (o->version != NULL)
    clap_request_set_version (request, o->version);
  clap_request_set_callback_url (request, o->callback_url);

  if (o->keep_original_sound != NULL)
    {
      gboolean keep;

      if (!parse_yes_no (o->keep_original_sound, &keep))
        {
          g_printerr (_("clapboard-cli: --keep-original-sound takes yes or no, not “%s”.\n"),
                      o->keep_original_sound);
          *exit_code = CLAP_EXIT_USAGE;
          return NULL;
        }
      clap_request_set_keep_original_sound (request, keep);
    }

  return g_steal_pointer (&request);
}

/* Checks the local files and every rule; prints the first problem. */
static gboolean
check_request (ClapCli     *cli,
               ClapRequest *request)
{
  g_autoptr(GError) error = NULL;

  if (!clap_transfer_check_inputs (request, NULL, &error) ||
      !clap_request_validate (request, &error))
    {
      clap_cli_fail (cli, error);
      return FALSE;
    }

  return TRUE;
}

static gboolean
parse_options (Options         *o,
               GOptionContext  *context,
               int             *argc,
               char          ***argv,
               int             *exit_code)
{
  g_autoptr(GError) error = NULL;

  if (!g_option_context_parse (context, argc, argv, &error))
    {
      *exit_code = clap_cli_usage_error (context, error->message);
      return FALSE;
    }

  if (*argc > 1)
    {
      g_autofree char *message = g_strdup_printf (_("unexpected argument “%s”"), (*argv)[1]);
      *exit_code = clap_cli_usage_error (context, message);
      return FALSE;
    }

  return TRUE;
}

int
clap_cli_cost (ClapCli  *cli,
               int       argc,
               char    **argv)
{
  Options o = { 0 };
  g_autoptr(GOptionContext) context = options_context (&o, "cost", FALSE);
  g_autoptr(ClapRequest) request = NULL;
  g_autofree char *price_text = NULL;
  g_autofree char *description = NULL;
  ClapPrice price = 0;
  int exit_code = CLAP_EXIT_OK;

  /* A cost needs no prompt: the price does not depend on it. */
  if (!parse_options (&o, context, &argc, &argv, &exit_code))
    goto out;

  request = options_to_request (&o, &exit_code);
  if (request == NULL)
    goto out;
  if (clap_request_get_prompt (request) == NULL)
    clap_request_set_prompt (request, "-");

  if (!check_request (cli, request))
    {
      exit_code = cli->exit_code;
      goto out;
    }

  if (!clap_request_estimate (request, &price))
    {
      g_printerr ("%s\n", _("clapboard-cli: the provider sells no such combination."));
      exit_code = CLAP_EXIT_INVALID;
      goto out;
    }

  price_text = clap_price_format (price);
  description = clap_request_describe (request);
  g_print ("%s\n", price_text);
  if (!cli->quiet)
    g_printerr (_("Estimated price of %s\n"), description);

out:
  options_clear (&o);
  return exit_code;
}

/* generate ---------------------------------------------------------------- */

typedef struct {
  ClapCli     *cli;
  Options     *options;
  ClapRequest *request;
  ClapTask    *task;
  ClapPoller  *poller;
  guint        tick_id;
  guint        timeout_id;
  gboolean     creating;
  int          shown_state;
} Generate;

static void
show_state (Generate *g)
{
  ClapTaskState state = clap_task_get_state (g->task);
  gint64 seconds = (g_get_monotonic_time () - g->cli->started_us) / G_USEC_PER_SEC;

  clap_cli_progress (g->cli, "%s %s — %" G_GINT64_FORMAT ":%02" G_GINT64_FORMAT,
                     clap_task_get_task_id (g->task), clap_task_state_get_label (state),
                     seconds / 60, seconds % 60);
}

static gboolean
tick_cb (gpointer user_data)
{
  show_state (user_data);
  return G_SOURCE_CONTINUE;
}

static gboolean
timeout_cb (gpointer user_data)
{
  Generate *g = user_data;

  g->timeout_id = 0;
  clap_cli_progress_end (g->cli);
  g_printerr (_("clapboard-cli: the take is not finished after %d s; it goes on. "
                "Check it with: clapboard-cli status %s\n"),
              g->options->timeout, clap_task_get_task_id (g->task));
  clap_cli_quit (g->cli, CLAP_EXIT_TIMEOUT);
  return G_SOURCE_REMOVE;
}

static void
on_task_changed (ClapPoller *poller,
                 ClapTask   *task,
                 Generate   *g)
{
  /* Without a terminal, one line per state, not per answer. */
  if (!g->cli->stderr_is_tty && g->shown_state != (int) clap_task_get_state (task))
    {
      g->shown_state = clap_task_get_state (task);
      show_state (g);
    }
}

static void
on_task_finished (ClapPoller *poller,
                  ClapTask   *task,
                  Generate   *g)
{
  const char * const *urls = clap_task_get_result_urls (task);

  g_clear_handle_id (&g->tick_id, g_source_remove);
  g_clear_handle_id (&g->timeout_id, g_source_remove);
  clap_cli_progress_end (g->cli);

  if (clap_task_get_state (task) != CLAP_TASK_STATE_COMPLETED)
    {
      g_printerr (_("clapboard-cli: the take failed: %s\n"),
                  clap_task_get_fail_message (task) ? clap_task_get_fail_message (task) : "");
      clap_cli_quit (g->cli, CLAP_EXIT_TASK_FAILED);
      return;
    }

  if (urls == NULL)
    {
      g_printerr ("%s\n", _("clapboard-cli: the take completed without a result."));
      clap_cli_quit (g->cli, CLAP_EXIT_NETWORK);
      return;
    }

  if (g->options->output != NULL)
    {
      clap_cli_download_result (g->cli, urls[0], g->options->output, g->options->force);
      return;
    }

  for (guint i = 0; urls[i] != NULL; i++)
    g_print ("%s\n", urls[i]);
  clap_cli_quit (g->cli, CLAP_EXIT_OK);
}

static void
on_poll_error (ClapPoller *poller,
               ClapTask   *task,
               GError     *error,
               Generate   *g)
{
  clap_cli_quit (g->cli, clap_cli_fail (g->cli, error));
}

static void
start_waiting (Generate *g)
{
  const char *poll_ms = g_getenv ("CLAPBOARD_POLL_MS");

  g->poller = clap_poller_new (g->cli->client);
  if (poll_ms != NULL)
    {
      guint first = (guint) g_ascii_strtoull (poll_ms, NULL, 10);
      clap_poller_set_interval (g->poller, first, first * 4);
    }

  g_signal_connect (g->poller, "task-changed", G_CALLBACK (on_task_changed), g);
  g_signal_connect (g->poller, "task-finished", G_CALLBACK (on_task_finished), g);
  g_signal_connect (g->poller, "error", G_CALLBACK (on_poll_error), g);

  g->shown_state = clap_task_get_state (g->task);
  show_state (g);
  if (g->cli->stderr_is_tty && !g->cli->quiet)
    g->tick_id = g_timeout_add_seconds (1, tick_cb, g);
  if (g->options->timeout > 0)
    g->timeout_id = g_timeout_add_seconds ((guint) g->options->timeout, timeout_cb, g);

  clap_poller_add (g->poller, g->task);
}

static void
created (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Generate *g = user_data;
  g_autoptr(ClapTaskInfo) info = NULL;
  g_autoptr(GError) error = NULL;

  g->creating = FALSE;
  info = clap_client_create_finish (CLAP_CLIENT (source), result, &error);
  if (info == NULL)
    {
      int code = clap_cli_fail (g->cli, error);

      /* The request left but no clear answer came back: it may exist, and
       * be charged. Say so, and never send it again by ourselves. */
      if (code == CLAP_EXIT_NETWORK &&
          !g_error_matches (error, CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_RATE_LIMITED))
        {
          g_printerr ("%s\n", _("clapboard-cli: the request may have reached the service and "
                                "been charged. Check your apimodels.app dashboard before trying "
                                "again."));
          code = CLAP_EXIT_UNCERTAIN;
        }

      clap_cli_quit (g->cli, code);
      return;
    }

  clap_task_apply_info (g->task, info);
  g_print ("%s\n", info->task_id);
  fflush (stdout);

  if (!g->options->wait)
    {
      clap_cli_quit (g->cli, CLAP_EXIT_OK);
      return;
    }

  start_waiting (g);
}

static void
uploaded (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  Generate *g = user_data;
  g_autoptr(GError) error = NULL;

  if (!clap_transfer_upload_inputs_finish (CLAP_CLIENT (source), result, &error))
    {
      int code = clap_cli_fail (g->cli, error);

      /* An upload failure costs nothing: nothing was created. */
      clap_cli_quit (g->cli, code);
      return;
    }

  clap_cli_progress (g->cli, "%s", _("Submitting…"));
  g->creating = TRUE;
  clap_client_create_async (g->cli->client, g->request, g->cli->cancellable, created, g);
}

int
clap_cli_generate (ClapCli  *cli,
                   int       argc,
                   char    **argv)
{
  Options o = { 0 };
  g_autoptr(GOptionContext) context = options_context (&o, "generate", TRUE);
  g_autoptr(ClapRequest) request = NULL;
  Generate g = { cli, &o };
  ClapPrice price = 0;
  int exit_code = CLAP_EXIT_OK;

  if (!parse_options (&o, context, &argc, &argv, &exit_code))
    goto out;

  if ((o.output != NULL || o.timeout != 0) && !o.wait)
    {
      exit_code = clap_cli_usage_error (context, _("--output and --timeout need --wait"));
      goto out;
    }

  request = options_to_request (&o, &exit_code);
  if (request == NULL)
    goto out;

  if (!check_request (cli, request))
    {
      exit_code = cli->exit_code;
      goto out;
    }

  if (!clap_cli_ensure_client (cli, TRUE))
    {
      exit_code = cli->exit_code;
      goto out;
    }

  if (clap_request_estimate (request, &price))
    {
      g_autofree char *text = clap_price_format (price);
      g_autofree char *description = clap_request_describe (request);

      if (!cli->quiet)
        g_printerr (_("%s — estimated price %s\n"), description, text);
    }

  g.request = request;
  g.task = clap_task_new_for_request (request);

  clap_cli_progress (cli, "%s", _("Checking and uploading inputs…"));
  clap_transfer_upload_inputs_async (cli->client, request, cli->cancellable, uploaded, &g);
  exit_code = clap_cli_run_loop (cli);

  if (exit_code == CLAP_EXIT_INTERRUPTED && g.creating)
    g_printerr ("%s\n", _("The request was already sent: it may have been created and charged. "
                          "Check your apimodels.app dashboard before trying again."));
  else if (exit_code == CLAP_EXIT_INTERRUPTED && clap_task_get_task_id (g.task) != NULL)
    g_printerr (_("The take goes on on the service. Check it with: clapboard-cli status %s\n"),
                clap_task_get_task_id (g.task));

  g_clear_handle_id (&g.tick_id, g_source_remove);
  g_clear_handle_id (&g.timeout_id, g_source_remove);
  g_clear_object (&g.poller);
  g_clear_object (&g.task);

out:
  options_clear (&o);
  return exit_code;
}
