/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clap-transfer"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "clap-transfer.h"

/* Local inputs of a request (first frame, last frame, character image,
 * motion video) are checked against the provider's limits, then uploaded
 * through the files endpoint; the request then carries their public URLs.
 * A file that breaks a limit, or vanished since it was chosen, stops the
 * submission with its own message before anything is created or paid.
 */

static const ClapOption input_slots[] = {
  CLAP_OPTION_IMAGE,
  CLAP_OPTION_IMAGE_TAIL,
  CLAP_OPTION_MOTION_VIDEO,
};

/* The local file an input names (a path or a file:// URI), or NULL for a URL. */
GFile *
clap_input_get_local_file (const char *value)
{
  if (value == NULL || *value == '\0' || clap_input_is_url (value))
    return NULL;

  if (g_str_has_prefix (value, "file:"))
    return g_file_new_for_uri (value);

  return g_file_new_for_path (value);
}

static void
prefix_error (GError               **error,
              const ClapModelSpec   *model,
              ClapOption             slot)
{
  const ClapOptionSpec *spec = clap_model_get_option (model, slot);

  if (spec != NULL)
    g_prefix_error (error, "%s: ", g_dgettext (GETTEXT_PACKAGE, spec->label));
}

/* Probes one local input and checks it against the limits of its slot;
 * blocking, so run it in a worker thread. TRUE with @info zeroed when the
 * slot is empty or holds a URL. */
gboolean
clap_transfer_check_input (ClapRequest    *request,
                           ClapOption      slot,
                           ClapMediaInfo  *info,
                           GCancellable   *cancellable,
                           GError        **error)
{
  const ClapModelSpec *model = clap_request_get_model_spec (request);
  g_autoptr(GFile) file = NULL;
  gboolean ok;

  memset (info, 0, sizeof *info);

  if (model == NULL || !clap_model_has_option (model, slot))
    return TRUE;

  file = clap_input_get_local_file (clap_request_get_input (request, slot));
  if (file == NULL)
    return TRUE;

  ok = clap_media_probe_file (file, info, cancellable, error);
  if (ok)
    {
      if (slot == CLAP_OPTION_MOTION_VIDEO)
        ok = clap_media_check_video (info, clap_request_get_max_motion_seconds (request), error);
      else
        ok = clap_media_check_image (info, error);
    }

  if (!ok)
    prefix_error (error, model, slot);

  return ok;
}

/* Checks every local input; sets the motion video's length on @request. */
gboolean
clap_transfer_check_inputs (ClapRequest   *request,
                            GCancellable  *cancellable,
                            GError       **error)
{
  for (guint i = 0; i < G_N_ELEMENTS (input_slots); i++)
    {
      ClapMediaInfo info;

      if (!clap_transfer_check_input (request, input_slots[i], &info, cancellable, error))
        return FALSE;

      if (input_slots[i] == CLAP_OPTION_MOTION_VIDEO && info.duration > 0)
        clap_request_set_motion_seconds (request, info.duration);
    }

  return TRUE;
}

typedef struct {
  ClapRequest   *request;
  ClapMediaInfo  infos[G_N_ELEMENTS (input_slots)];
  guint          next;
} Inputs;

static void
inputs_free (Inputs *inputs)
{
  g_clear_object (&inputs->request);
  g_free (inputs);
}

static void upload_next (GTask *task);

static void
upload_done (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Inputs *inputs = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;
  ClapOption slot = input_slots[inputs->next];

  url = clap_client_upload_finish (CLAP_CLIENT (source), result, NULL, &error);
  if (url == NULL)
    {
      prefix_error (&error, clap_request_get_model_spec (inputs->request), slot);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  clap_request_set_input (inputs->request, slot, url);
  inputs->next++;
  upload_next (task);
}

static void
upload_next (GTask *task)
{
  Inputs *inputs = g_task_get_task_data (task);
  ClapClient *client = g_task_get_source_object (task);

  for (; inputs->next < G_N_ELEMENTS (input_slots); inputs->next++)
    {
      ClapOption slot = input_slots[inputs->next];
      g_autoptr(GFile) file = NULL;

      if (!clap_model_has_option (clap_request_get_model_spec (inputs->request), slot))
        continue;

      file = clap_input_get_local_file (clap_request_get_input (inputs->request, slot));
      if (file == NULL)
        continue;

      clap_client_upload_async (client, file,
                                clap_media_get_content_type (&inputs->infos[inputs->next]),
                                g_task_get_cancellable (task), upload_done, g_object_ref (task));
      return;
    }

  g_task_return_boolean (task, TRUE);
}

static void
check_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  Inputs *inputs = task_data;
  GError *error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (input_slots); i++)
    if (!clap_transfer_check_input (inputs->request, input_slots[i], &inputs->infos[i],
                                    cancellable, &error))
      {
        g_task_return_error (task, error);
        return;
      }

  g_task_return_boolean (task, TRUE);
}

static void
check_done (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Inputs *inputs = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  for (guint i = 0; i < G_N_ELEMENTS (input_slots); i++)
    if (input_slots[i] == CLAP_OPTION_MOTION_VIDEO && inputs->infos[i].duration > 0)
      clap_request_set_motion_seconds (inputs->request, inputs->infos[i].duration);

  /* The person's own links are checked here, before any upload or create,
   * against the service this client talks to; the links uploads return
   * replace local files only after this. */
  if (!clap_request_validate (inputs->request, &error) ||
      !clap_request_check_links (inputs->request,
                                 clap_client_get_base_url (g_task_get_source_object (task)),
                                 &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  upload_next (task);
}

/* Checks the local inputs of @request (in a worker thread) and the links
 * it holds (clap_request_check_links), then uploads the local inputs one by
 * one and replaces each by its public URL in @request. Pass a request
 * nothing else changes meanwhile (a copy). */
void
clap_transfer_upload_inputs_async (ClapClient          *client,
                                   ClapRequest         *request,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GTask) check = NULL;
  Inputs *inputs;

  g_return_if_fail (CLAP_IS_CLIENT (client));
  g_return_if_fail (CLAP_IS_REQUEST (request));

  task = g_task_new (client, cancellable, callback, user_data);
  g_task_set_source_tag (task, clap_transfer_upload_inputs_async);
  inputs = g_new0 (Inputs, 1);
  inputs->request = g_object_ref (request);
  g_task_set_task_data (task, inputs, (GDestroyNotify) inputs_free);

  /* The worker only reads the request; every change happens back here. */
  check = g_task_new (client, cancellable, check_done, g_object_ref (task));
  g_task_set_task_data (check, inputs, NULL);
  g_task_run_in_thread (check, check_thread);
}

gboolean
clap_transfer_upload_inputs_finish (ClapClient    *client,
                                    GAsyncResult  *result,
                                    GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, client), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
