/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clap-application"

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>
#include <gst/gst.h>

#include "clap-application.h"
#include "clap-application-private.h"
#include "clap-callback-server.h"
#include "clap-resources.h"
#include "clap-preferences.h"
#include "clap-secret.h"
#include "clap-sim-server.h"
#include "clap-util-private.h"
#include "clap-window.h"

/* The application: one instance (a second launch raises the window), the
 * API key (CLAPBOARD_API_KEY, else the keyring), and the session the window
 * shows: the real service, or with no key the built-in simulator ("demo
 * mode"), each with its own history so simulated takes never mix with paid
 * ones. */

struct _ClapApplication
{
  AdwApplication  parent_instance;

  GSettings      *settings;
  ClapSession    *session;
  ClapSimServer  *sim;
  ClapCallbackServer *receiver;
  GCancellable   *cancellable;

  char           *api_key;
  char           *key_status;
  gboolean        key_from_env;
  gboolean        force_demo;
  gboolean        demo;
  gboolean        started;

  /* the history that could not be opened, to try again or set aside */
  char           *failed_path;
  GError         *failed_error;
  ClapClient     *failed_client;
  gboolean        failed_demo;
};

G_DEFINE_FINAL_TYPE (ClapApplication, clap_application, ADW_TYPE_APPLICATION)

enum {
  PROP_0,
  PROP_SESSION,
  PROP_DEMO,
  PROP_KEY_STATUS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void start_real (ClapApplication *self);

ClapApplication *
clap_application_new (void)
{
  return g_object_new (CLAP_TYPE_APPLICATION,
                       "application-id", APP_ID,
                       "flags", G_APPLICATION_DEFAULT_FLAGS,
                       "resource-base-path", "/app/clapboard/Clapboard",
                       NULL);
}

GSettings *
clap_application_get_settings (ClapApplication *self)
{
  g_return_val_if_fail (CLAP_IS_APPLICATION (self), NULL);
  return self->settings;
}

ClapSession *
clap_application_get_session (ClapApplication *self)
{
  g_return_val_if_fail (CLAP_IS_APPLICATION (self), NULL);
  return self->session;
}

gboolean
clap_application_get_demo (ClapApplication *self)
{
  g_return_val_if_fail (CLAP_IS_APPLICATION (self), FALSE);
  return self->demo;
}

/* Where the key comes from, in words, for Preferences. */
const char *
clap_application_get_key_status (ClapApplication *self)
{
  g_return_val_if_fail (CLAP_IS_APPLICATION (self), NULL);
  return self->key_status;
}

gboolean
clap_application_has_api_key (ClapApplication *self)
{
  g_return_val_if_fail (CLAP_IS_APPLICATION (self), FALSE);
  return self->api_key != NULL;
}

gboolean
clap_application_key_from_environment (ClapApplication *self)
{
  g_return_val_if_fail (CLAP_IS_APPLICATION (self), FALSE);
  return self->key_from_env;
}

static void
set_key_status (ClapApplication *self,
                const char      *status)
{
  g_free (self->key_status);
  self->key_status = g_strdup (status);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_KEY_STATUS]);
}

static void
show_error (ClapApplication *self,
            const char      *message)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

  if (CLAP_IS_WINDOW (window))
    clap_window_show_message (CLAP_WINDOW (window), message);
  else
    g_message ("%s", message);
}

static void
apply_settings (ClapApplication *self)
{
  guint interval;

  if (self->session == NULL)
    return;

  interval = g_settings_get_uint (self->settings, "poll-interval") * 1000;
  clap_poller_set_interval (clap_session_get_poller (self->session), interval, interval * 8);
  clap_poller_set_max_in_flight (clap_session_get_poller (self->session),
                                 g_settings_get_uint (self->settings, "max-requests"));
  clap_session_set_max_downloads (self->session,
                                  g_settings_get_uint (self->settings, "max-downloads"));
  clap_session_set_cache_limits (self->session,
                                 (guint64) g_settings_get_uint (self->settings, "cache-size-mb")
                                 * 1000 * 1000,
                                 g_settings_get_uint (self->settings, "cache-max-days"));
}

/* Whether the session's service runs on this computer (the demo's
 * simulator, a local proxy): only then can it reach the receiver's own
 * loopback URL. */
static gboolean
service_is_local (ClapSession *session)
{
  const char *base = clap_client_get_base_url (clap_session_get_client (session));
  g_autoptr(GUri) uri = g_uri_parse (base, G_URI_FLAGS_NONE, NULL);

  return uri != NULL && _clap_host_is_loopback (g_uri_get_host (uri));
}

/* The callback receiver follows the settings and the session shown. Each
 * create then carries the public URL the person mapped to the receiver,
 * else the receiver's own URL when the service can reach it; a remote
 * service gets none rather than an address it cannot call. */
static void
update_receiver (ClapApplication *self)
{
  g_autofree char *address = g_settings_get_string (self->settings, "callback-address");
  g_autofree char *public_url = g_settings_get_string (self->settings, "callback-public-url");
  g_autofree char *url = NULL;
  g_autoptr(GError) error = NULL;

  if (self->session == NULL || !g_settings_get_boolean (self->settings, "callback-enabled"))
    {
      g_clear_object (&self->receiver);
      if (self->session != NULL)
        clap_session_set_callback_url (self->session, NULL);
      return;
    }

  if (self->receiver != NULL &&
      (clap_callback_server_get_session (self->receiver) != self->session ||
       g_strcmp0 (clap_callback_server_get_address (self->receiver), address) != 0))
    g_clear_object (&self->receiver);

  if (self->receiver == NULL)
    {
      g_autofree char *folder = g_path_get_dirname (
        clap_store_get_path (clap_session_get_store (self->session)));
      g_autofree char *token = NULL;

      /* The receiver answers only on a secret path, kept beside the
       * history, so that another person on this computer cannot reach it. */
      token = clap_callback_server_load_token (folder, &error);
      if (token == NULL)
        {
          clap_session_set_callback_url (self->session, NULL);
          show_error (self, error->message);
          return;
        }

      self->receiver = clap_callback_server_new (self->session);
      clap_callback_server_set_token (self->receiver, token);
      if (!clap_callback_server_listen (self->receiver, address, &error))
        {
          g_clear_object (&self->receiver);
          clap_session_set_callback_url (self->session, NULL);
          show_error (self, error->message);
          return;
        }
    }

  /* The public address forwards to the receiver: the secret path goes on it. */
  g_strstrip (public_url);
  while (g_str_has_suffix (public_url, "/"))
    public_url[strlen (public_url) - 1] = '\0';
  if (*public_url != '\0')
    {
      if (clap_url_is_allowed (public_url, &error))
        {
          g_autofree char *path = clap_callback_server_dup_path (self->receiver);
          url = g_strconcat (public_url, path, NULL);
        }
      else
        show_error (self, error->message);
    }
  else if (service_is_local (self->session))
    {
      url = clap_callback_server_dup_url (self->receiver);
    }

  clap_session_set_callback_url (self->session, url);
}

static void
on_settings_changed (GSettings       *settings,
                     const char      *key,
                     ClapApplication *self)
{
  if (g_str_has_prefix (key, "callback-"))
    update_receiver (self);
  else if (g_str_equal (key, "base-url") && !self->demo && self->session != NULL)
    {
      start_real (self);
      update_receiver (self);
    }
  else
    apply_settings (self);
}

/* A take finished while the person looks elsewhere: tell them, and let the
 * notification bring them to it. */
static void
on_task_finished (ClapSession     *session,
                  ClapTask        *task,
                  ClapApplication *self)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));
  g_autoptr(GNotification) notification = NULL;
  g_autofree char *id = NULL;
  const char *prompt = clap_task_get_prompt (task);
  gboolean completed = clap_task_get_state (task) == CLAP_TASK_STATE_COMPLETED;

  if (!g_settings_get_boolean (self->settings, "notifications") ||
      (window != NULL && gtk_window_is_active (window)))
    return;

  notification = g_notification_new (completed ? _("Take completed") : _("Take failed"));
  if (completed)
    g_notification_set_body (notification, prompt);
  else
    {
      g_autofree char *body = g_strdup_printf ("%s — %s", prompt ? prompt : "",
                                               clap_task_get_fail_message (task)
                                               ? clap_task_get_fail_message (task) : "");
      g_notification_set_body (notification, body);
    }
  g_notification_set_default_action_and_target (notification, "app.show-take", "s",
                                                 clap_task_get_uid (task));
  id = g_strdup_printf ("take-%s", clap_task_get_uid (task));
  g_application_send_notification (G_APPLICATION (self), id, notification);
}

static void
set_session (ClapApplication *self,
             ClapSession     *session,
             gboolean         demo)
{
  GList *windows;

  if (self->session != NULL)
    g_signal_handlers_disconnect_by_data (self->session, self);
  g_set_object (&self->session, session);
  if (session != NULL)
    g_signal_connect (session, "task-finished", G_CALLBACK (on_task_finished), self);
  self->demo = demo;
  apply_settings (self);
  update_receiver (self);

  windows = gtk_application_get_windows (GTK_APPLICATION (self));
  for (GList *l = windows; l != NULL; l = l->next)
    if (CLAP_IS_WINDOW (l->data))
      clap_window_set_session (l->data, session, demo);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DEMO]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SESSION]);

  if (session != NULL)
    {
      clap_session_resume (session);
      /* clapboard-cli may write to the same history while the window is open */
      clap_store_watch (clap_session_get_store (session));
    }
}

void
_clap_application_set_session_for_tests (ClapApplication *self,
                                          ClapSession     *session)
{
  set_session (self, session, FALSE);
}

typedef struct {
  ClapApplication *app;
  ClapClient      *client;
  char            *path;
  gboolean         demo;
} Opening;

static void
store_opened (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Opening *opening = user_data;
  ClapApplication *self = opening->app;
  g_autoptr(GError) error = NULL;
  g_autoptr(ClapStore) store = clap_store_open_finish (result, &error);

  if (store == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          GList *windows = gtk_application_get_windows (GTK_APPLICATION (self));

          /* Not a toast that goes away over a spinner that never stops: the
           * window says it in place of the takes, with a way forward. */
          g_free (self->failed_path);
  g_clear_error (&self->failed_error);
          self->failed_path = g_strdup (opening->path);
          g_clear_error (&self->failed_error);
          self->failed_error = g_error_copy (error);
          g_set_object (&self->failed_client, opening->client);
          self->failed_demo = opening->demo;
          for (GList *l = windows; l != NULL; l = l->next)
            if (CLAP_IS_WINDOW (l->data))
              clap_window_show_history_error (l->data, error);
        }
    }
  else
    {
      g_autoptr(ClapSession) session = clap_session_new (store, opening->client, NULL);

      g_clear_pointer (&self->failed_path, g_free);
      g_clear_error (&self->failed_error);
      g_clear_object (&self->failed_client);
      set_session (self, session, opening->demo);
    }

  g_object_unref (opening->client);
  g_object_unref (opening->app);
  g_free (opening->path);
  g_free (opening);
}

static void
open_session (ClapApplication *self,
              ClapClient      *client,
              const char      *db_path,
              gboolean         demo)
{
  Opening *opening = g_new0 (Opening, 1);

  opening->app = g_object_ref (self);
  opening->client = g_object_ref (client);
  opening->path = g_strdup (db_path);
  opening->demo = demo;
  clap_store_open_async (db_path, self->cancellable, store_opened, opening);
}

/* The history could not be opened: the person freed space or fixed the
 * rights, or set it aside. */
static void
reopen_history_activated (GSimpleAction *action,
                          GVariant      *parameter,
                          gpointer       user_data)
{
  ClapApplication *self = user_data;
  g_autofree char *path = g_strdup (self->failed_path);
  g_autoptr(ClapClient) client = self->failed_client ? g_object_ref (self->failed_client) : NULL;

  if (path == NULL || client == NULL)
    return;
  open_session (self, client, path, self->failed_demo);
}

/* A damaged history is moved aside whole (never deleted) and a new one
 * starts in its place. */
static void
set_aside_history_activated (GSimpleAction *action,
                             GVariant      *parameter,
                             gpointer       user_data)
{
  ClapApplication *self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *aside = NULL;
  g_autofree char *message = NULL;

  if (self->failed_path == NULL)
    return;

  aside = clap_store_set_aside (self->failed_path, &error);
  if (aside == NULL)
    {
      show_error (self, error->message);
      return;
    }

  message = g_strdup_printf (_("The damaged history was kept as “%s”; a new one starts."), aside);
  show_error (self, message);
  reopen_history_activated (action, parameter, user_data);
}

static char *
data_path (const char *sub)
{
  g_autofree char *db = clap_store_get_default_path ();
  g_autofree char *dir = g_path_get_dirname (db);

  return sub ? g_build_filename (dir, sub, "history.db", NULL) : g_steal_pointer (&db);
}

static void
start_demo (ClapApplication *self)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ClapClient) client = NULL;
  g_autofree char *base = NULL;
  g_autofree char *db = data_path ("demo");

  if (self->sim == NULL)
    {
      self->sim = clap_sim_server_new ();
      /* Quick enough to watch, slow enough to see every state. */
      g_object_set (self->sim, "pending-ms", 2000, "processing-ms", 6000, NULL);
      if (!clap_sim_server_listen (self->sim, 0, &error))
        {
          g_autofree char *message =
            g_strdup_printf (_("The built-in simulator could not start: %s"), error->message);
          show_error (self, message);
          g_clear_object (&self->sim);
          return;
        }
    }

  base = clap_sim_server_dup_base_url (self->sim);
  client = clap_client_new (base, "demo", &error);
  g_assert_no_error (error);
  open_session (self, client, db, TRUE);
}

static void
start_real (ClapApplication *self)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ClapClient) client = NULL;
  g_autofree char *base = g_settings_get_string (self->settings, "base-url");
  g_autofree char *db = data_path (NULL);
  const char *env_base = g_getenv ("CLAPBOARD_BASE_URL");

  if (env_base != NULL && *env_base != '\0')
    {
      g_free (base);
      base = g_strdup (env_base);
    }

  client = clap_client_new (base, self->api_key, &error);
  if (client == NULL)
    {
      show_error (self, error->message);
      return;
    }

  /* Same history: only the key or address changed. */
  if (self->session != NULL && !self->demo)
    {
      clap_session_set_client (self->session, client);
      return;
    }

  open_session (self, client, db, FALSE);
}

static void
key_looked_up (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(ClapApplication) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *key = clap_secret_lookup_finish (result, &error);

  if (key != NULL && *key != '\0' && !self->force_demo)
    {
      self->api_key = g_steal_pointer (&key);
      set_key_status (self, _("Stored in the keyring."));
      start_real (self);
      return;
    }

  if (error != NULL)
    {
      g_debug ("%s", error->message);
      set_key_status (self, _("No keyring is available: a key entered here is kept for this "
                              "session only."));
    }
  else
    {
      set_key_status (self, _("No key yet: Clapboard runs on the built-in simulator."));
    }

  start_demo (self);
}

static void
start (ClapApplication *self)
{
  const char *env_key = g_getenv ("CLAPBOARD_API_KEY");

  if (self->started)
    return;
  self->started = TRUE;

  if (env_key != NULL && *env_key != '\0' && !self->force_demo)
    {
      self->api_key = g_strdup (env_key);
      self->key_from_env = TRUE;
      set_key_status (self, _("Set by CLAPBOARD_API_KEY, which overrides the keyring."));
      start_real (self);
      return;
    }

  clap_secret_lookup_async (self->cancellable, key_looked_up, g_object_ref (self));
}

typedef struct {
  ClapApplication *app;
  char            *key;
} Storing;

static void
key_stored (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  Storing *storing = user_data;
  g_autoptr(GError) error = NULL;

  if (clap_secret_store_finish (result, &error))
    set_key_status (storing->app, _("Stored in the keyring."));
  else
    {
      g_autofree char *message =
        g_strdup_printf (_("%s The key is kept for this session only."), error->message);
      set_key_status (storing->app, _("No keyring is available: the key is kept for this "
                                      "session only."));
      show_error (storing->app, message);
    }

  g_object_unref (storing->app);
  g_free (storing->key);
  g_free (storing);
}

/* A key entered in Preferences: used at once, and stored in the keyring
 * (or held for the session when there is none). NULL forgets it. */
void
clap_application_set_api_key (ClapApplication *self,
                              const char      *key)
{
  g_autofree char *stripped = key ? g_strstrip (g_strdup (key)) : NULL;

  g_return_if_fail (CLAP_IS_APPLICATION (self));

  if (stripped != NULL && *stripped == '\0')
    g_clear_pointer (&stripped, g_free);
  if (g_strcmp0 (stripped, self->api_key) == 0)
    return;

  g_free (self->api_key);
  self->api_key = g_strdup (stripped);
  self->force_demo = FALSE;

  if (stripped != NULL)
    {
      Storing *storing = g_new0 (Storing, 1);

      storing->app = g_object_ref (self);
      storing->key = g_steal_pointer (&stripped);
      clap_secret_store_async (storing->key, self->cancellable, key_stored, storing);
      start_real (self);
    }
  else
    {
      clap_secret_clear_async (self->cancellable, NULL, NULL);
      set_key_status (self, _("No key yet: Clapboard runs on the built-in simulator."));
      start_demo (self);
    }
}

static void
preferences_activated (GSimpleAction *action,
                       GVariant      *parameter,
                       gpointer       user_data)
{
  ClapApplication *self = user_data;
  GtkWindow *parent = gtk_application_get_active_window (GTK_APPLICATION (self));
  ClapPreferences *preferences = clap_preferences_new (self);

  gtk_window_set_transient_for (GTK_WINDOW (preferences), parent);
  gtk_window_present (GTK_WINDOW (preferences));
}

static void
about_activated (GSimpleAction *action,
                 GVariant      *parameter,
                 gpointer       user_data)
{
  ClapApplication *self = user_data;
  GtkWindow *parent = gtk_application_get_active_window (GTK_APPLICATION (self));
  const char *developers[] = { "The Clapboard developers", NULL };
  AdwAboutWindow *about;

  about = ADW_ABOUT_WINDOW (adw_about_window_new ());
  adw_about_window_set_application_name (about, _("Clapboard"));
  adw_about_window_set_application_icon (about, APP_ID);
  adw_about_window_set_version (about, PACKAGE_VERSION);
  adw_about_window_set_developer_name (about, _("The Clapboard developers"));
  adw_about_window_set_developers (about, developers);
  adw_about_window_set_comments (about, _("Make short video clips with the Kling models of "
                                          "the apimodels.app API: see the price before you pay, "
                                          "watch every take, and keep every result."));
  adw_about_window_set_license_type (about, GTK_LICENSE_GPL_3_0);
  adw_about_window_set_website (about, "https://apimodels.app");
  adw_about_window_add_link (about, _("API Documentation"), "https://apimodels.app");
  adw_about_window_set_copyright (about, "© 2026 The Clapboard developers");
  gtk_window_set_transient_for (GTK_WINDOW (about), parent);
  gtk_window_present (GTK_WINDOW (about));
}

static void
quit_activated (GSimpleAction *action,
                GVariant      *parameter,
                gpointer       user_data)
{
  ClapApplication *self = user_data;
  GList *windows = g_list_copy (gtk_application_get_windows (GTK_APPLICATION (self)));

  /* Closing the windows saves their state; the history flushes on shutdown. */
  for (GList *l = windows; l != NULL; l = l->next)
    gtk_window_destroy (l->data);
  g_list_free (windows);
  g_application_quit (G_APPLICATION (self));
}

static void
show_take_activated (GSimpleAction *action,
                     GVariant      *parameter,
                     gpointer       user_data)
{
  ClapApplication *self = user_data;
  GtkWindow *window;
  ClapTask *task;

  g_application_activate (G_APPLICATION (self));
  window = gtk_application_get_active_window (GTK_APPLICATION (self));
  if (self->session == NULL || !CLAP_IS_WINDOW (window))
    return;

  task = clap_store_find_by_uid (clap_session_get_store (self->session),
                                 g_variant_get_string (parameter, NULL));
  if (task != NULL && clap_task_get_local_file (task) != NULL)
    clap_window_preview (CLAP_WINDOW (window), task);
}

static const GActionEntry app_actions[] = {
  { "show-take", show_take_activated, "s" },
  { "reopen-history", reopen_history_activated },
  { "set-aside-history", set_aside_history_activated },
  { "preferences", preferences_activated },
  { "about", about_activated },
  { "quit", quit_activated },
};

static void
clap_application_startup (GApplication *app)
{
  ClapApplication *self = CLAP_APPLICATION (app);
  const char *quit_accels[] = { "<Control>q", NULL };
  const char *prefs_accels[] = { "<Control>comma", NULL };
  const char *generate_accels[] = { "<Control>Return", "<Control>KP_Enter", NULL };
  const char *search_accels[] = { "<Control>f", NULL };
  const char *save_accels[] = { "<Control>s", NULL };
  const char *paste_accels[] = { "<Control>v", NULL };

  G_APPLICATION_CLASS (clap_application_parent_class)->startup (app);

  gst_init (NULL, NULL);

  g_action_map_add_action_entries (G_ACTION_MAP (self), app_actions, G_N_ELEMENTS (app_actions),
                                   self);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.quit", quit_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.preferences", prefs_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.generate", generate_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.search", search_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.save", save_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.paste", paste_accels);

  g_signal_connect (self->settings, "changed", G_CALLBACK (on_settings_changed), self);
}

static void
clap_application_activate (GApplication *app)
{
  ClapApplication *self = CLAP_APPLICATION (app);
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

  if (window == NULL)
    {
      window = GTK_WINDOW (clap_window_new (self));
      if (self->session != NULL)
        clap_window_set_session (CLAP_WINDOW (window), self->session, self->demo);
      else if (self->failed_error != NULL)
        clap_window_show_history_error (CLAP_WINDOW (window), self->failed_error);
    }

  gtk_window_present (window);
  start (self);
}

static int
clap_application_handle_local_options (GApplication *app,
                                       GVariantDict *options)
{
  ClapApplication *self = CLAP_APPLICATION (app);

  if (g_variant_dict_contains (options, "version"))
    {
      g_print ("clapboard %s\n", PACKAGE_VERSION);
      return 0;
    }

  if (g_variant_dict_contains (options, "demo"))
    self->force_demo = TRUE;

  return -1;
}

static void
clap_application_shutdown (GApplication *app)
{
  ClapApplication *self = CLAP_APPLICATION (app);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->receiver);
  if (self->session != NULL)
    clap_store_flush (clap_session_get_store (self->session), NULL);

  G_APPLICATION_CLASS (clap_application_parent_class)->shutdown (app);
}

static void
clap_application_dispose (GObject *object)
{
  ClapApplication *self = CLAP_APPLICATION (object);

  if (self->session != NULL)
    g_signal_handlers_disconnect_by_data (self->session, self);
  g_clear_object (&self->receiver);
  g_clear_object (&self->session);
  g_clear_object (&self->failed_client);
  g_clear_object (&self->sim);
  g_clear_object (&self->settings);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (clap_application_parent_class)->dispose (object);
}

static void
clap_application_finalize (GObject *object)
{
  ClapApplication *self = CLAP_APPLICATION (object);

  g_free (self->api_key);
  g_free (self->key_status);
  g_free (self->failed_path);

  G_OBJECT_CLASS (clap_application_parent_class)->finalize (object);
}

static void
clap_application_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  ClapApplication *self = CLAP_APPLICATION (object);

  switch (prop_id)
    {
    case PROP_SESSION:
      g_value_set_object (value, self->session);
      break;
    case PROP_DEMO:
      g_value_set_boolean (value, self->demo);
      break;
    case PROP_KEY_STATUS:
      g_value_set_string (value, self->key_status);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
clap_application_class_init (ClapApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->dispose = clap_application_dispose;
  object_class->finalize = clap_application_finalize;

  clap_register_resource ();
  object_class->get_property = clap_application_get_property;

  app_class->startup = clap_application_startup;
  app_class->activate = clap_application_activate;
  app_class->handle_local_options = clap_application_handle_local_options;
  app_class->shutdown = clap_application_shutdown;

  properties[PROP_SESSION] =
    g_param_spec_object ("session", NULL, NULL, CLAP_TYPE_SESSION,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_DEMO] =
    g_param_spec_boolean ("demo", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_KEY_STATUS] =
    g_param_spec_string ("key-status", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
clap_application_init (ClapApplication *self)
{
  const GOptionEntry options[] = {
    { "demo", 0, 0, G_OPTION_ARG_NONE, NULL,
      N_("Run on the built-in simulator, whatever key is set"), NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, NULL, N_("Print the version and quit"), NULL },
    { NULL }
  };

  self->settings = g_settings_new (APP_ID);
  self->cancellable = g_cancellable_new ();
  g_application_add_main_option_entries (G_APPLICATION (self), options);
}
