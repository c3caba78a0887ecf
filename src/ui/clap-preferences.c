/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clap-preferences"

#include "config.h"

#include <glib/gi18n.h>

#include "clap-callback-server.h"
#include "clap-preferences.h"
#include "clap-request.h"
#include "clap-widget-util.h"

/* Preferences: the key (to the keyring through the application, never to
 * GSettings), the service address, files, behaviour and the callback
 * receiver (GSettings). */

struct _ClapPreferences
{
  AdwPreferencesWindow  parent_instance;

  ClapApplication      *app;
  GSettings            *settings;

  AdwPasswordEntryRow  *key_row;
  AdwActionRow         *key_status_row;
  GtkWidget            *forget_button;
  AdwEntryRow          *base_url_row;
  AdwActionRow         *check_row;
  GtkStack             *check_stack;
  GtkButton            *check_button;
  GtkSpinner           *check_spinner;
  GtkImage             *check_icon;
  GCancellable         *check_cancellable;
  AdwActionRow         *folder_row;
  GtkSpinButton        *cache_size;
  GtkSpinButton        *cache_days;
  GtkSwitch            *notifications_switch;
  GtkSpinButton        *poll_interval;
  GtkSpinButton        *max_requests;
  GtkSpinButton        *max_downloads;
  GtkSwitch            *callback_switch;
  AdwEntryRow          *callback_address_row;
  AdwEntryRow          *callback_public_url_row;
};

G_DEFINE_FINAL_TYPE (ClapPreferences, clap_preferences, ADW_TYPE_PREFERENCES_WINDOW)

static void
update_key_status (ClapPreferences *self)
{
  const char *status = clap_application_get_key_status (self->app);
  gboolean has_key = clap_application_has_api_key (self->app);
  gboolean from_env = clap_application_key_from_environment (self->app);

  adw_action_row_set_subtitle (self->key_status_row, status ? status : "");
  gtk_widget_set_visible (self->forget_button, has_key && !from_env);
  gtk_widget_set_sensitive (GTK_WIDGET (self->key_row), !from_env);
}

static void
on_key_apply (ClapPreferences *self)
{
  const char *key = gtk_editable_get_text (GTK_EDITABLE (self->key_row));

  if (key == NULL || *key == '\0')
    return;

  clap_application_set_api_key (self->app, key);
  /* The key is not shown again, and not kept in the entry either. */
  gtk_editable_set_text (GTK_EDITABLE (self->key_row), "");
  adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (self),
                                    adw_toast_new (_("API key saved")));
}

static void
on_forget_clicked (ClapPreferences *self)
{
  clap_application_set_api_key (self->app, NULL);
  adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (self),
                                    adw_toast_new (_("API key forgotten")));
}

static void
on_base_url_apply (ClapPreferences *self)
{
  g_autofree char *url = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->base_url_row))));
  g_autoptr(GError) error = NULL;

  if (*url == '\0')
    {
      g_settings_reset (self->settings, "base-url");
      return;
    }

  if (!clap_url_is_allowed (url, &error))
    {
      gtk_widget_add_css_class (GTK_WIDGET (self->base_url_row), "error");
      adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (self), adw_toast_new (error->message));
      return;
    }

  gtk_widget_remove_css_class (GTK_WIDGET (self->base_url_row), "error");
  g_settings_set_string (self->settings, "base-url", url);
}

/* @ok: TRUE for a good answer, FALSE for a bad one; the icon is hidden for
 * neither (no answer yet). */
static void
show_check_result (ClapPreferences *self,
                   const char      *text,
                   int              ok)
{
  GtkWidget *icon = GTK_WIDGET (self->check_icon);

  gtk_spinner_set_spinning (self->check_spinner, FALSE);
  gtk_stack_set_visible_child_name (self->check_stack, "button");
  adw_action_row_set_subtitle (self->check_row, text);
  gtk_widget_remove_css_class (icon, "success");
  gtk_widget_remove_css_class (icon, "error");
  gtk_widget_set_visible (icon, ok >= 0);
  if (ok >= 0)
    {
      gtk_image_set_from_icon_name (self->check_icon, ok ? "emblem-ok-symbolic"
                                                         : "dialog-warning-symbolic");
      gtk_widget_add_css_class (icon, ok ? "success" : "error");
    }
  /* A screen reader hears the outcome without looking for it. */
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->check_row),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, text, -1);
}

static void
checked (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  ClapPreferences *self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  guint round_trip_ms = 0, http_status = 0;

  if (clap_client_check_finish (CLAP_CLIENT (source), result, &round_trip_ms, &http_status,
                                &error))
    {
      /* Translators: "The service answers and accepts the key · 182 ms" */
      text = g_strdup_printf (_("The service at %s answers and accepts the key · %u ms"),
                              clap_client_get_base_url (CLAP_CLIENT (source)), round_trip_ms);
      show_check_result (self, text, TRUE);
    }
  else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      if (round_trip_ms > 0)
        text = g_strdup_printf ("%s · %u ms", error->message, round_trip_ms);
      show_check_result (self, text ? text : error->message, FALSE);
    }

  g_object_unref (self);
}

/* One query for a task that cannot exist, through the client in use: a
 * 404 says the address is the service and the key was taken, a 401 that
 * the key was refused. Nothing is created, nothing is spent. */
static void
on_check_clicked (ClapPreferences *self)
{
  ClapSession *session = clap_application_get_session (self->app);

  if (session == NULL)
    {
      show_check_result (self, _("Clapboard is still starting; try again in a moment."), -1);
      return;
    }

  g_cancellable_cancel (self->check_cancellable);
  g_clear_object (&self->check_cancellable);
  self->check_cancellable = g_cancellable_new ();

  gtk_stack_set_visible_child_name (self->check_stack, "busy");
  gtk_spinner_set_spinning (self->check_spinner, TRUE);
  clap_client_check_async (clap_session_get_client (session), self->check_cancellable, checked,
                           g_object_ref (self));
}

/* Marks @row wrong and says why, or (@error NULL) clears the mark. */
static void
set_row_error (ClapPreferences *self,
               AdwEntryRow     *row,
               const GError    *error)
{
  if (error == NULL)
    {
      gtk_widget_remove_css_class (GTK_WIDGET (row), "error");
      return;
    }

  gtk_widget_add_css_class (GTK_WIDGET (row), "error");
  adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (self), adw_toast_new (error->message));
}

static void
on_callback_address_apply (ClapPreferences *self)
{
  GtkEditable *editable = GTK_EDITABLE (self->callback_address_row);
  g_autofree char *address = g_strstrip (g_strdup (gtk_editable_get_text (editable)));
  g_autoptr(GInetSocketAddress) parsed = NULL;
  g_autoptr(GError) error = NULL;

  if (*address == '\0')
    {
      g_autofree char *fallback = NULL;

      g_settings_reset (self->settings, "callback-address");
      fallback = g_settings_get_string (self->settings, "callback-address");
      gtk_editable_set_text (editable, fallback);
      set_row_error (self, self->callback_address_row, NULL);
      return;
    }

  parsed = clap_callback_server_parse_address (address, &error);
  set_row_error (self, self->callback_address_row, error);
  if (parsed != NULL)
    g_settings_set_string (self->settings, "callback-address", address);
}

static void
on_callback_public_url_apply (ClapPreferences *self)
{
  GtkEditable *editable = GTK_EDITABLE (self->callback_public_url_row);
  g_autofree char *url = g_strstrip (g_strdup (gtk_editable_get_text (editable)));
  g_autoptr(GError) error = NULL;

  /* The service calls only https addresses; plain http would be refused
   * with the request, and could only reach this computer anyway. */
  if (*url != '\0' && clap_url_is_allowed (url, &error) &&
      g_strcmp0 (g_uri_peek_scheme (url), "https") != 0)
    g_set_error (&error, CLAP_REQUEST_ERROR, CLAP_REQUEST_ERROR_BAD_URL,
                 _("“%s” is not an https address. Forward a public https:// address to the "
                   "listen address and write that one here."),
                 url);

  set_row_error (self, self->callback_public_url_row, error);
  if (error == NULL)
    g_settings_set_string (self->settings, "callback-public-url", url);
}

static void
update_folder (ClapPreferences *self)
{
  g_autofree char *folder = g_settings_get_string (self->settings, "download-folder");
  const char *shown = folder && *folder ? folder : g_get_user_special_dir (G_USER_DIRECTORY_VIDEOS);

  adw_action_row_set_subtitle (self->folder_row, shown ? shown : g_get_home_dir ());
}

static void
folder_response (GtkNativeDialog *dialog,
                 int              response,
                 ClapPreferences *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = file ? g_file_get_path (file) : NULL;

      if (path != NULL)
        g_settings_set_string (self->settings, "download-folder", path);
    }

  g_object_unref (dialog);
  g_object_unref (self);
}

static void
on_folder_clicked (ClapPreferences *self)
{
  GtkFileChooserNative *dialog =
    gtk_file_chooser_native_new (_("Download Folder"), GTK_WINDOW (self),
                                 GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER, _("_Select"), _("_Cancel"));

  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (dialog), TRUE);
  g_signal_connect (dialog, "response", G_CALLBACK (folder_response), g_object_ref (self));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

static void
clap_preferences_dispose (GObject *object)
{
  ClapPreferences *self = CLAP_PREFERENCES (object);

  g_cancellable_cancel (self->check_cancellable);
  g_clear_object (&self->check_cancellable);
  g_clear_object (&self->app);
  g_clear_object (&self->settings);
  gtk_widget_dispose_template (GTK_WIDGET (self), CLAP_TYPE_PREFERENCES);

  G_OBJECT_CLASS (clap_preferences_parent_class)->dispose (object);
}

static void
clap_preferences_class_init (ClapPreferencesClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = clap_preferences_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/app/clapboard/Clapboard/ui/clap-preferences.ui");
  gtk_widget_class_bind_template_child (widget_class, ClapPreferences, key_row);
  gtk_widget_class_bind_template_child (widget_class, ClapPreferences, key_status_row);
  gtk_widget_class_bind_template_child (widget_class, ClapPreferences, forget_button);
  gtk_widget_class_bind_template_child (widget_class, ClapPreferences, base_url_row);
  gtk_widget_class_bind_template_child (widget_class, ClapPreferences, check_row);
  gtk_widget_class_bind_template_child (widget_class, ClapPreferences, check_stack);
  gtk_widget_class_bind_template_child (widget_class, ClapPreferences, check_button);
  gtk_widget_class_bind_template_child (widget_class, ClapPreferences, check_spinner);
  gtk_widget_class_bind_template_child (widget_class, ClapPreferences, check_icon);
  gtk_widget_class_bind_template_child (widget_class, ClapPreferences, folder_row);
  gtk_widget_class_bind_template_child (widget_class, ClapPreferences, cache_size);
  gtk_widget_class_bind_template_child (widget_class, ClapPreferences, cache_days);
  gtk_widget_class_bind_template_child (widget_class, ClapPreferences, notifications_switch);
  gtk_widget_class_bind_template_child (widget_class, ClapPreferences, poll_interval);
  gtk_widget_class_bind_template_child (widget_class, ClapPreferences, max_requests);
  gtk_widget_class_bind_template_child (widget_class, ClapPreferences, max_downloads);
  gtk_widget_class_bind_template_child (widget_class, ClapPreferences, callback_switch);
  gtk_widget_class_bind_template_child (widget_class, ClapPreferences, callback_address_row);
  gtk_widget_class_bind_template_child (widget_class, ClapPreferences, callback_public_url_row);
  gtk_widget_class_bind_template_callback (widget_class, on_key_apply);
  gtk_widget_class_bind_template_callback (widget_class, on_forget_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_base_url_apply);
  gtk_widget_class_bind_template_callback (widget_class, on_folder_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_check_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_callback_address_apply);
  gtk_widget_class_bind_template_callback (widget_class, on_callback_public_url_apply);
}

static void
clap_preferences_init (ClapPreferences *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  clap_button_name_after_label (self->check_button);
  clap_button_name_after_label (GTK_BUTTON (self->forget_button));
}

ClapPreferences *
clap_preferences_new (ClapApplication *app)
{
  ClapPreferences *self = g_object_new (CLAP_TYPE_PREFERENCES, NULL);
  g_autofree char *base = NULL;
  g_autofree char *callback_address = NULL;
  g_autofree char *callback_public_url = NULL;

  self->app = g_object_ref (app);
  self->settings = g_object_ref (clap_application_get_settings (app));

  base = g_settings_get_string (self->settings, "base-url");
  gtk_editable_set_text (GTK_EDITABLE (self->base_url_row), base);
  callback_address = g_settings_get_string (self->settings, "callback-address");
  gtk_editable_set_text (GTK_EDITABLE (self->callback_address_row), callback_address);
  callback_public_url = g_settings_get_string (self->settings, "callback-public-url");
  gtk_editable_set_text (GTK_EDITABLE (self->callback_public_url_row), callback_public_url);

  g_settings_bind (self->settings, "cache-size-mb",
                   gtk_spin_button_get_adjustment (self->cache_size), "value", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "cache-max-days",
                   gtk_spin_button_get_adjustment (self->cache_days), "value", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "notifications", self->notifications_switch, "active",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "poll-interval",
                   gtk_spin_button_get_adjustment (self->poll_interval), "value", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "max-requests",
                   gtk_spin_button_get_adjustment (self->max_requests), "value", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "max-downloads",
                   gtk_spin_button_get_adjustment (self->max_downloads), "value", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "callback-enabled", self->callback_switch, "active",
                   G_SETTINGS_BIND_DEFAULT);

  g_signal_connect_object (self->settings, "changed::download-folder",
                           G_CALLBACK (update_folder), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (app, "notify::key-status", G_CALLBACK (update_key_status), self,
                           G_CONNECT_SWAPPED);
  update_folder (self);
  update_key_status (self);

  return self;
}
