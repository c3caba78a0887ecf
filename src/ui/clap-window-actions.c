/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clap-window"

#include "config.h"

#include <glib/gi18n.h>

#include "clap-details-window.h"
#include "clap-window-private.h"

/* What a person does to a take (the row's buttons and context menu): each
 * a window action whose parameter is the take's uid, so rows stay simple
 * and the same action serves the buttons, the menu and the keyboard. */

ClapTask *
_clap_window_find_task (ClapWindow *self,
                        GVariant   *uid)
{
  if (self->session == NULL || uid == NULL)
    return NULL;
  return clap_store_find_by_uid (clap_session_get_store (self->session),
                                 g_variant_get_string (uid, NULL));
}

static ClapTask *
task_for (ClapWindow *self,
          GVariant   *parameter)
{
  ClapTask *task = _clap_window_find_task (self, parameter);

  if (task == NULL && parameter == NULL)
    task = self->previewed;
  return task;
}

/* Saving ------------------------------------------------------------------ */

/* "2026-11-26 A lighthouse at dawn.mp4": a name a person recognises. */
static char *
suggested_name (ClapTask *task)
{
  g_autoptr(GDateTime) when = g_date_time_new_from_unix_local (clap_task_get_submit_time (task) / 1000);
  g_autofree char *date = g_date_time_format (when, "%Y-%m-%d %H.%M");
  g_autofree char *prompt = g_strdup (clap_task_get_prompt (task) ? clap_task_get_prompt (task)
                                                                  : _("Clip"));
  g_autofree char *words = NULL;
  g_autoptr(GString) clean = g_string_new (NULL);

  /* At most 40 characters of the prompt, without characters file systems refuse. */
  words = g_utf8_substring (prompt, 0, MIN (g_utf8_strlen (prompt, -1), 40));
  for (const char *p = words; *p; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      if (c == '/' || c == '\\' || c == ':' || c == '*' || c == '?' || c == '"' ||
          c == '<' || c == '>' || c == '|' || g_unichar_iscntrl (c))
        c = ' ';
      g_string_append_unichar (clean, c);
    }
  g_strstrip (clean->str);

  return g_strdup_printf ("%s %s.mp4", date, clean->str);
}

static GFile *
default_folder (ClapWindow *self)
{
  g_autofree char *setting = g_settings_get_string (self->settings, "download-folder");
  const char *videos;

  if (setting != NULL && *setting != '\0')
    return g_file_new_for_path (setting);

  videos = g_get_user_special_dir (G_USER_DIRECTORY_VIDEOS);
  return g_file_new_for_path (videos ? videos : g_get_home_dir ());
}

typedef struct {
  ClapWindow *window;
  ClapTask   *task;
  GFile      *destination;
} Copy;

static void
copy_free (Copy *copy)
{
  g_clear_object (&copy->window);
  g_clear_object (&copy->task);
  g_clear_object (&copy->destination);
  g_free (copy);
}

static void
copy_done (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Copy *copy = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *name = g_file_get_basename (copy->destination);

  if (!g_file_copy_finish (G_FILE (source), result, &error))
    {
      g_autofree char *message = NULL;

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE))
        message = g_strdup_printf (_("“%s” could not be saved: the disk is full."), name);
      else
        message = g_strdup_printf (_("“%s” could not be saved: %s"), name, error->message);
      clap_window_show_message (copy->window, message);
    }
  else
    {
      g_autofree char *message = g_strdup_printf (_("Saved “%s”"), name);

      clap_task_set_saved_time (copy->task, g_get_real_time () / 1000);
      clap_window_show_message (copy->window, message);
    }

  copy_free (copy);
}

static void
copy_to (ClapWindow *self,
         ClapTask   *task,
         GFile      *destination)
{
  g_autoptr(GFile) source = g_file_new_for_path (clap_task_get_local_file (task));
  Copy *copy = g_new0 (Copy, 1);

  copy->window = g_object_ref (self);
  copy->task = g_object_ref (task);
  copy->destination = g_object_ref (destination);
  g_file_copy_async (source, destination, G_FILE_COPY_OVERWRITE, G_PRIORITY_DEFAULT,
                     self->cancellable, NULL, NULL, copy_done, copy);
}

/* A name in @folder that is not taken yet: "name.mp4", "name (2).mp4"… */
static GFile *
free_name (GFile      *folder,
           const char *name)
{
  g_autofree char *stem = g_strndup (name, strlen (name) - strlen (".mp4"));

  for (guint i = 1; i < 1000; i++)
    {
      g_autofree char *candidate = i == 1 ? g_strdup (name)
                                          : g_strdup_printf ("%s (%u).mp4", stem, i);
      g_autoptr(GFile) file = g_file_get_child (folder, candidate);

      if (!g_file_query_exists (file, NULL))
        return g_steal_pointer (&file);
    }
  return g_file_get_child (folder, name);
}

static void
save_as_response (GtkNativeDialog *dialog,
                  int              response,
                  gpointer         user_data)
{
  Copy *pending = user_data;

  g_debug ("Save As answered %d", response);
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));

      g_debug ("Save As to %s", file ? g_file_peek_path (file) : "(none)");
      if (file != NULL)
        copy_to (pending->window, pending->task, file);
    }

  copy_free (pending);
  g_object_unref (dialog);
}

static void
forget_chooser (ClapWindow *self)
{
  g_object_set_data (G_OBJECT (self), "clap-save-chooser", NULL);
}

/* Saves @task's clip: into the download folder at once, or asking where. */
void
_clap_window_save_task (ClapWindow *self,
                        ClapTask   *task,
                        gboolean    ask)
{
  g_autofree char *name = NULL;
  g_autoptr(GFile) folder = NULL;

  if (task == NULL)
    return;

  if (clap_task_get_local_file (task) == NULL)
    {
      clap_window_show_message (self, _("This take has no clip on this computer yet."));
      return;
    }

  name = suggested_name (task);
  folder = default_folder (self);

  if (!ask)
    {
      g_autoptr(GFile) destination = NULL;

      g_file_make_directory_with_parents (folder, NULL, NULL);
      destination = free_name (folder, name);
      copy_to (self, task, destination);
      return;
    }

  {
    GtkFileChooserNative *dialog;
    g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();
    Copy *pending = g_new0 (Copy, 1);

    dialog = gtk_file_chooser_native_new (_("Save Clip"), GTK_WINDOW (self),
                                          GTK_FILE_CHOOSER_ACTION_SAVE, _("_Save"), _("_Cancel"));
    gtk_file_filter_set_name (filter, _("MP4 videos"));
    gtk_file_filter_add_mime_type (filter, "video/mp4");
    gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (dialog), filter);
    /* Start in the download folder, or the nearest folder of it that exists:
     * the chooser shows an error for a missing one. */
    {
      g_autoptr(GFile) start = g_object_ref (folder);

      while (!g_file_query_exists (start, NULL) && g_file_has_parent (start, NULL))
        {
          GFile *parent = g_file_get_parent (start);
          g_object_unref (start);
          start = parent;
        }
      gtk_file_chooser_set_current_folder (GTK_FILE_CHOOSER (dialog), start, NULL);
    }
    gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (dialog), name);
    gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (dialog), TRUE);

    pending->window = g_object_ref (self);
    pending->task = g_object_ref (task);
    g_signal_connect (dialog, "response", G_CALLBACK (save_as_response), pending);
    /* Tests answer the chooser through it, as a portal would. */
    g_object_set_data (G_OBJECT (self), "clap-save-chooser", dialog);
    g_signal_connect_swapped (dialog, "response", G_CALLBACK (forget_chooser), self);
    gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
  }
}

static void
save_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  ClapWindow *self = CLAP_WINDOW (widget);
  _clap_window_save_task (self, task_for (self, parameter), FALSE);
}

static void
save_as_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  ClapWindow *self = CLAP_WINDOW (widget);
  _clap_window_save_task (self, task_for (self, parameter), TRUE);
}

/* Other row actions --------------------------------------------------------- */

static void
preview_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  ClapWindow *self = CLAP_WINDOW (widget);
  ClapTask *task = task_for (self, parameter);

  if (task != NULL)
    clap_window_preview (self, task);
}

static void
close_preview_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  clap_window_preview (CLAP_WINDOW (widget), NULL);
}

static void
show_items_done (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *folder_uri = user_data;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);
  if (reply == NULL)
    {
      /* No file manager that selects files: open the folder instead. */
      g_debug ("ShowItems failed: %s", error->message);
      g_app_info_launch_default_for_uri_async (folder_uri, NULL, NULL, NULL, NULL);
    }
}

static void
open_folder_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  ClapWindow *self = CLAP_WINDOW (widget);
  ClapTask *task = task_for (self, parameter);
  g_autoptr(GFile) file = NULL;
  g_autoptr(GFile) folder = NULL;
  g_autofree char *uri = NULL;
  const char *uris[2] = { NULL, NULL };
  GDBusConnection *bus;

  if (task == NULL || clap_task_get_local_file (task) == NULL)
    return;

  file = g_file_new_for_path (clap_task_get_local_file (task));
  folder = g_file_get_parent (file);
  uri = g_file_get_uri (file);
  uris[0] = uri;

  bus = g_application_get_dbus_connection (g_application_get_default ());
  if (bus == NULL)
    {
      g_autofree char *folder_uri = g_file_get_uri (folder);
      g_app_info_launch_default_for_uri_async (folder_uri, NULL, NULL, NULL, NULL);
      return;
    }

  g_dbus_connection_call (bus, "org.freedesktop.FileManager1", "/org/freedesktop/FileManager1",
                          "org.freedesktop.FileManager1", "ShowItems",
                          g_variant_new ("(^ass)", uris, ""), NULL,
                          G_DBUS_CALL_FLAGS_NONE, 5000, NULL, show_items_done,
                          g_file_get_uri (folder));
}

static void
copy_text (ClapWindow *self,
           const char *text,
           const char *what)
{
  if (text == NULL)
    return;

  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (self)), text);
  clap_window_show_message (self, what);
}

static void
copy_id_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  ClapWindow *self = CLAP_WINDOW (widget);
  ClapTask *task = task_for (self, parameter);

  if (task != NULL)
    copy_text (self, clap_task_get_task_id (task), _("Task ID copied"));
}

static void
copy_prompt_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  ClapWindow *self = CLAP_WINDOW (widget);
  ClapTask *task = task_for (self, parameter);

  if (task != NULL)
    copy_text (self, clap_task_get_prompt (task), _("Prompt copied"));
}

/* What was sent and answered for the take, from the history. */
static void
details_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  ClapWindow *self = CLAP_WINDOW (widget);
  ClapTask *task = task_for (self, parameter);
  ClapDetailsWindow *details;

  if (task == NULL || self->session == NULL)
    return;

  details = clap_details_window_new (GTK_WINDOW (self), clap_session_get_store (self->session),
                                     task);
  gtk_window_present (GTK_WINDOW (details));
}

static void
reuse_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  ClapWindow *self = CLAP_WINDOW (widget);
  ClapTask *task = task_for (self, parameter);
  g_autoptr(ClapRequest) request = NULL;

  if (task == NULL || (request = clap_task_dup_request (task)) == NULL)
    return;

  clap_composer_load_request (self->composer, request);
  clap_window_show_message (self, _("Settings loaded into the composer"));
}

static void
download_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  ClapWindow *self = CLAP_WINDOW (widget);
  ClapTask *task = task_for (self, parameter);

  if (task == NULL || self->session == NULL)
    return;

  /* A clip the cache dropped, or a result refused, comes back on request
   * while its link works. */
  clap_task_set_evicted_time (task, 0);
  clap_task_set_refused_time (task, 0);
  clap_task_set_error_message (task, NULL);
  clap_session_download (self->session, task);
}

typedef struct {
  ClapWindow *window;
  ClapTask   *task;
} Confirm;

static void
confirm_free (Confirm *confirm)
{
  g_clear_object (&confirm->window);
  g_clear_object (&confirm->task);
  g_free (confirm);
}

static void
remove_response (AdwMessageDialog *dialog,
                 const char       *response,
                 Confirm          *confirm)
{
  ClapWindow *self = confirm->window;

  if (g_str_equal (response, "remove") && self->session != NULL)
    {
      if (self->previewed == confirm->task)
        clap_window_preview (self, NULL);
      clap_session_remove (self->session, confirm->task);
    }
  confirm_free (confirm);
}

static GtkWidget *
confirm_dialog (ClapWindow *self,
                const char *heading,
                const char *body,
                const char *response,
                const char *label)
{
  GtkWidget *dialog = adw_message_dialog_new (GTK_WINDOW (self), heading, body);

  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    response, label,
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), response,
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  return dialog;
}

static void
remove_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  ClapWindow *self = CLAP_WINDOW (widget);
  ClapTask *task = task_for (self, parameter);
  Confirm *confirm;
  GtkWidget *dialog;
  const char *body;

  if (task == NULL)
    return;

  if (clap_task_get_local_file (task) != NULL && clap_task_get_saved_time (task) == 0)
    body = _("Its clip has not been saved anywhere else and will be deleted from this computer.");
  else if (clap_task_state_is_active (clap_task_get_state (task)))
    body = _("The take is still being generated; it will go on, but Clapboard will stop "
             "following it.");
  else
    body = _("The take leaves the history; a saved copy of its clip stays where you saved it.");

  dialog = confirm_dialog (self, _("Remove Take?"), body, "remove", _("_Remove"));
  confirm = g_new0 (Confirm, 1);
  confirm->window = g_object_ref (self);
  confirm->task = g_object_ref (task);
  g_signal_connect (dialog, "response", G_CALLBACK (remove_response), confirm);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
retry_response (AdwMessageDialog *dialog,
                const char       *response,
                Confirm          *confirm)
{
  if (g_str_equal (response, "send") && confirm->window->session != NULL &&
      clap_session_can_retry (confirm->window->session, confirm->task))
    clap_session_retry (confirm->window->session, confirm->task);
  confirm_free (confirm);
}

static void
retry_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  ClapWindow *self = CLAP_WINDOW (widget);
  ClapTask *task = task_for (self, parameter);
  g_autofree char *price = NULL;
  g_autofree char *body = NULL;
  Confirm *confirm;
  GtkWidget *dialog;

  if (task == NULL || self->session == NULL || !clap_session_can_retry (self->session, task))
    return;

  price = clap_price_format (clap_task_get_cost (task));
  if (clap_task_get_state (task) == CLAP_TASK_STATE_INTERRUPTED)
    body = g_strdup_printf (_("The first attempt may already have been created and charged. "
                              "Check your apimodels.app dashboard first: sending it again costs "
                              "about %s more."), price);
  else
    body = g_strdup_printf (_("The take is sent again, at about %s."), price);

  dialog = confirm_dialog (self, _("Send Take Again?"), body, "send", _("_Send Again"));
  if (clap_task_get_state (task) != CLAP_TASK_STATE_INTERRUPTED)
    adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "send",
                                                ADW_RESPONSE_SUGGESTED);
  confirm = g_new0 (Confirm, 1);
  confirm->window = g_object_ref (self);
  confirm->task = g_object_ref (task);
  g_signal_connect (dialog, "response", G_CALLBACK (retry_response), confirm);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* Window-wide ---------------------------------------------------------------- */

static void
generate_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  clap_composer_generate (CLAP_WINDOW (widget)->composer);
}

static void
search_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  ClapWindow *self = CLAP_WINDOW (widget);

  gtk_search_bar_set_search_mode (self->search_bar, TRUE);
  /* A hidden entry's text is not realized yet, and until it is its input
   * method drops what is typed: the words typed right after Ctrl+F. */
  gtk_widget_realize (GTK_WIDGET (gtk_editable_get_delegate (GTK_EDITABLE (self->search_entry))));
  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
}

static void
paste_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  ClapWindow *self = CLAP_WINDOW (widget);
  GtkWidget *focus = gtk_root_get_focus (GTK_ROOT (self));

  /* In a text field, Ctrl+V pastes text as usual. */
  if (focus != NULL && (GTK_IS_TEXT (focus) || GTK_IS_TEXT_VIEW (focus)))
    {
      gtk_widget_activate_action (focus, "clipboard.paste", NULL);
      return;
    }

  clap_composer_paste (self->composer);
}

void
_clap_window_class_add_actions (GtkWidgetClass *widget_class)
{
  gtk_widget_class_install_action (widget_class, "win.preview", "s", preview_action);
  gtk_widget_class_install_action (widget_class, "win.details", "s", details_action);
  gtk_widget_class_install_action (widget_class, "win.save", NULL, save_action);
  gtk_widget_class_install_action (widget_class, "win.save-task", "s", save_action);
  gtk_widget_class_install_action (widget_class, "win.save-as", "s", save_as_action);
  gtk_widget_class_install_action (widget_class, "win.open-folder", "s", open_folder_action);
  gtk_widget_class_install_action (widget_class, "win.copy-id", "s", copy_id_action);
  gtk_widget_class_install_action (widget_class, "win.copy-prompt", "s", copy_prompt_action);
  gtk_widget_class_install_action (widget_class, "win.reuse", "s", reuse_action);
  gtk_widget_class_install_action (widget_class, "win.remove", "s", remove_action);
  gtk_widget_class_install_action (widget_class, "win.retry", "s", retry_action);
  gtk_widget_class_install_action (widget_class, "win.download", "s", download_action);
  gtk_widget_class_install_action (widget_class, "win.close-preview", NULL, close_preview_action);
  gtk_widget_class_install_action (widget_class, "win.generate", NULL, generate_action);
  gtk_widget_class_install_action (widget_class, "win.search", NULL, search_action);
  gtk_widget_class_install_action (widget_class, "win.paste", NULL, paste_action);

  /* A search entry with the focus takes Escape first, to close the search. */
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "win.close-preview", NULL);
}
