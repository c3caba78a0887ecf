/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "ui-test-util.h"

#include "clap-test-files.h"

#include <string.h>
#include <glib/gstdio.h>

#include "clap-application-private.h"
#include "clap-resources.h"
#include "clap-sim-server.h"
#include "clap-task-row.h"
#include "clap-window-private.h"
#include "clap-composer-private.h"
#include "clap-details-window.h"
#include "clap-input-zone-private.h"

/* The real window, against the in-process simulator, driven as a person
 * would: compose, generate, watch the take, preview it, save it, and see
 * the errors a person must see. */

typedef struct {
  ClapApplication *app;
  ClapSimServer   *sim;
  char            *base;
  char            *dir;
  ClapWindow      *window;
} Fixture;

static ClapApplication *app;

static ClapSession *
make_session (Fixture    *fx,
              const char *key)
{
  return ui_test_session_new (fx->dir, fx->base, key);
}

static void
setup (Fixture       *fx,
       gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  fx->dir = g_dir_make_tmp ("clap-ui-XXXXXX", NULL);
  fx->sim = ui_test_sim_new (150, 500, &fx->base);

  fx->window = clap_window_new (app);
  gtk_window_set_default_size (GTK_WINDOW (fx->window), 1100, 800);
  gtk_window_present (GTK_WINDOW (fx->window));
}

static void
teardown (Fixture       *fx,
          gconstpointer  data)
{
  gtk_window_destroy (GTK_WINDOW (fx->window));
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_clear_object (&fx->sim);
  clap_test_rm_rf (fx->dir);
  g_free (fx->dir);
  g_free (fx->base);
}

static ClapTask *
first_task (Fixture *fx)
{
  GListModel *model = G_LIST_MODEL (clap_session_get_store (fx->window->session));
  g_autoptr(ClapTask) task = g_list_model_get_n_items (model) > 0 ? g_list_model_get_item (model, 0)
                                                                  : NULL;
  return task;
}

static gboolean
is_downloaded (gpointer data)
{
  ClapTask *task = first_task (data);
  return task != NULL && clap_task_get_local_file (task) != NULL;
}

static gboolean
is_failed (gpointer data)
{
  ClapTask *task = first_task (data);
  return task != NULL && clap_task_get_state (task) == CLAP_TASK_STATE_FAILED;
}

typedef struct {
  GtkWidget  *root;
  const char *text;
} LabelQuery;

static gboolean
label_shown (gpointer data)
{
  LabelQuery *q = data;
  return ui_test_find_label (q->root, q->text) != NULL;
}

static ClapTaskRow *
find_row (GtkWidget *root)
{
  return (ClapTaskRow *) ui_test_find_type (root, CLAP_TYPE_TASK_ROW);
}

static GtkPicture *
find_picture (GtkWidget *root)
{
  return (GtkPicture *) ui_test_find_type (root, GTK_TYPE_PICTURE);
}

typedef struct {
  ClapTaskRow  *row;
  GdkPaintable *previous;
} ThumbnailQuery;

/* The row shows a new thumbnail, read at twice its 112 × 63. */
static gboolean
row_shows_thumbnail (gpointer data)
{
  ThumbnailQuery *query = data;
  GdkPaintable *paintable = gtk_picture_get_paintable (find_picture (GTK_WIDGET (query->row)));

  return paintable != NULL && paintable != query->previous &&
         gdk_paintable_get_intrinsic_width (paintable) == 224 &&
         gdk_paintable_get_intrinsic_height (paintable) == 126;
}

static gboolean
player_shows_frame (gpointer data)
{
  ClapWindow *window = data;
  GdkPaintable *paintable = clap_player_get_paintable (window->player);

  return clap_player_get_playing (window->player) &&
         gdk_paintable_get_intrinsic_width (paintable) > 0;
}

typedef struct {
  GFile *file;
} Exists;

static gboolean
file_exists (gpointer data)
{
  return g_file_query_exists (((Exists *) data)->file, NULL);
}

static void
test_generate_preview_save (Fixture       *fx,
                            gconstpointer  data)
{
  g_autoptr(ClapSession) session = make_session (fx, "window-key");
  ClapRequest *request;
  ClapTask *task;
  ClapTaskRow *row;
  LabelQuery completed = { GTK_WIDGET (fx->window), "Completed in" };
  GdkPaintable *paintable;
  g_autofree char *saved_dir = g_build_filename (fx->dir, "saved", NULL);
  g_autofree char *uid = NULL;
  g_autoptr(GFile) saved = NULL;
  g_autofree char *name = NULL;

  clap_window_set_session (fx->window, session, FALSE);
  g_assert_cmpstr (gtk_stack_get_visible_child_name (fx->window->takes_stack), ==, "empty");

  /* compose: the composer's live request is what the person edits */
  request = clap_composer_get_request (fx->window->composer);
  clap_request_set_model (request, "kling-v3");
  clap_request_set_prompt (request, "A paper boat on a rainy street");
  clap_request_set_duration (request, 3);

  /* Ctrl+Enter */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fx->window), "win.generate", NULL));
  g_assert_cmpstr (gtk_stack_get_visible_child_name (fx->window->takes_stack), ==, "list");

  ui_test_wait_for (is_downloaded, fx, 60, "the take to complete and download");
  task = first_task (fx);
  g_assert_cmpint (clap_task_get_state (task), ==, CLAP_TASK_STATE_COMPLETED);
  ui_test_wait_for (label_shown, &completed, 10, "the row to say Completed");

  row = find_row (GTK_WIDGET (fx->window->takes_view));
  g_assert_nonnull (row);
  g_assert_true (clap_task_row_get_task (row) == task);

  /* the provider's thumbnail (the simulator's is 320 × 180), read small */
  {
    ThumbnailQuery query = { row, NULL };
    g_autoptr(GdkPixbuf) portrait = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, 1080, 1920);
    g_autofree char *path = g_build_filename (fx->dir, "portrait.jpg", NULL);

    ui_test_wait_for (row_shows_thumbnail, &query, 10, "the row's thumbnail");

    /* a full portrait frame: decoded at the row's size, its middle cut to 16:9 */
    query.previous = gtk_picture_get_paintable (find_picture (GTK_WIDGET (row)));
    gdk_pixbuf_fill (portrait, 0x3366ccff);
    g_assert_true (gdk_pixbuf_save (portrait, path, "jpeg", NULL, NULL));
    clap_task_set_thumbnail_file (task, path);
    ui_test_wait_for (row_shows_thumbnail, &query, 10, "the portrait thumbnail");
  }

  /* preview: the player plays, and frames of the clip's size arrive */
  uid = g_strdup (clap_task_get_uid (task));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fx->window), "win.preview", "s", uid));
  ui_test_wait_for (player_shows_frame, fx->window, 30, "the player to show a frame");
  paintable = clap_player_get_paintable (fx->window->player);
  /* the simulator renders 16:9 clips at 320×180 */
  g_assert_cmpint (gdk_paintable_get_intrinsic_width (paintable), ==, 320);
  g_assert_cmpint (gdk_paintable_get_intrinsic_height (paintable), ==, 180);
  g_assert_true (gtk_revealer_get_reveal_child (fx->window->preview_revealer));

  /* save to the download folder (one click) */
  g_settings_set_string (fx->window->settings, "download-folder", saved_dir);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fx->window), "win.save", NULL));
  {
    g_autoptr(GFile) folder = g_file_new_for_path (saved_dir);
    g_autoptr(GFileEnumerator) e = NULL;
    LabelQuery toast = { GTK_WIDGET (fx->window), "Saved" };

    ui_test_wait_for (label_shown, &toast, 10, "the saved toast");
    e = g_file_enumerate_children (folder, G_FILE_ATTRIBUTE_STANDARD_NAME, 0, NULL, NULL);
    g_assert_nonnull (e);
    {
      g_autoptr(GFileInfo) info = g_file_enumerator_next_file (e, NULL, NULL);
      g_assert_nonnull (info);
      name = g_strdup (g_file_info_get_name (info));
    }
  }
  g_assert_true (g_str_has_suffix (name, "A paper boat on a rainy street.mp4"));
  g_assert_cmpint (clap_task_get_saved_time (task), >, 0);
  g_settings_reset (fx->window->settings, "download-folder");

  /* close the preview: the pipeline stops */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fx->window), "win.close-preview", NULL));
  g_assert_false (clap_player_get_playing (fx->window->player));
}

static gboolean
chooser_shown (gpointer data)
{
  return ui_test_find_toplevel (GTK_TYPE_FILE_CHOOSER_DIALOG) != NULL;
}

typedef struct {
  GtkWindow *chooser;
  GFile     *want;
} ChooserQuery;

static gboolean
chooser_has_file (gpointer data)
{
  ChooserQuery *q = data;
  g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (q->chooser));

  return file != NULL && g_file_equal (file, q->want);
}

static void
test_save_as (Fixture       *fx,
              gconstpointer  data)
{
  g_autoptr(ClapSession) session = make_session (fx, "window-key");
  ClapRequest *request = clap_composer_get_request (fx->window->composer);
  g_autofree char *target_dir = g_build_filename (fx->dir, "elsewhere", NULL);
  g_autofree char *target = g_build_filename (target_dir, "my clip.mp4", NULL);
  g_autoptr(GFile) folder = g_file_new_for_path (target_dir);
  g_autoptr(GFile) file = g_file_new_for_path (target);
  Exists exists = { file };
  GtkWindow *chooser;
  gpointer native;
  ClapTask *task;

  g_assert_true (g_file_make_directory (folder, NULL, NULL));
  clap_window_set_session (fx->window, session, FALSE);
  clap_request_set_model (request, "kling-v2-6");
  clap_request_set_prompt (request, "A kite");
  clap_request_set_duration (request, 5);
  gtk_widget_activate_action (GTK_WIDGET (fx->window), "win.generate", NULL);
  ui_test_wait_for (is_downloaded, fx, 60, "the take to download");
  task = first_task (fx);

  /* Save As… opens the file chooser; answer it as a person would */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fx->window), "win.save-as", "s",
                                             clap_task_get_uid (task)));
  ui_test_wait_for (chooser_shown, NULL, 10, "the file chooser");
  chooser = ui_test_find_toplevel (GTK_TYPE_FILE_CHOOSER_DIALOG);
  native = g_object_get_data (G_OBJECT (fx->window), "clap-save-chooser");
  g_assert_true (GTK_IS_FILE_CHOOSER_NATIVE (native));
  g_assert_true (gtk_file_chooser_set_current_folder (GTK_FILE_CHOOSER (native), folder, NULL));
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (native), "my clip.mp4");
  {
    ChooserQuery q = { chooser, file };
    ui_test_wait_for (chooser_has_file, &q, 10, "the chooser to take the folder and name");
  }
  /* The chooser answers: in a sandbox the portal does this; here the
   * native dialog relays its fallback dialog's answer the same way. */
  gtk_native_dialog_hide (GTK_NATIVE_DIALOG (native));
  g_signal_emit_by_name (native, "response", GTK_RESPONSE_ACCEPT);

  ui_test_wait_for (file_exists, &exists, 10, "the saved copy");
  {
    g_autofree char *a = NULL, *b = NULL;
    gsize la = 0, lb = 0;

    g_assert_true (g_file_get_contents (clap_task_get_local_file (task), &a, &la, NULL));
    /* the copy may still be being written: wait for the toast */
    {
      LabelQuery toast = { GTK_WIDGET (fx->window), "Saved" };
      ui_test_wait_for (label_shown, &toast, 10, "the saved toast");
    }
    g_assert_true (g_file_get_contents (target, &b, &lb, NULL));
    g_assert_cmpmem (a, la, b, lb);
  }
}

static void
test_balance_error (Fixture       *fx,
                    gconstpointer  data)
{
  g_autoptr(ClapSession) session = make_session (fx, "sim-no-balance");
  ClapRequest *request = clap_composer_get_request (fx->window->composer);
  LabelQuery toast = { GTK_WIDGET (fx->window), "balance is too low" };
  LabelQuery row_message = { GTK_WIDGET (fx->window->takes_view), "Add credits" };

  clap_window_set_session (fx->window, session, FALSE);
  clap_request_set_model (request, "kling-v2-6");
  clap_request_set_prompt (request, "Too expensive");
  clap_request_set_duration (request, 5);
  gtk_widget_activate_action (GTK_WIDGET (fx->window), "win.generate", NULL);

  ui_test_wait_for (is_failed, fx, 30, "the take to fail");
  ui_test_wait_for (label_shown, &toast, 10, "a toast naming the balance");
  ui_test_wait_for (label_shown, &row_message, 10, "the row to explain the failure");
  g_assert_cmpuint (clap_sim_server_get_request_count (fx->sim, CLAP_SIM_ENDPOINT_CREATE), ==, 1);
}

static void
test_search_and_filter (Fixture       *fx,
                        gconstpointer  data)
{
  g_autoptr(ClapSession) session = make_session (fx, "window-key");
  ClapRequest *request = clap_composer_get_request (fx->window->composer);
  const char *prompts[] = { "A red fox", "A blue whale [sim:fail]", "A red balloon" };
  GListModel *shown = G_LIST_MODEL (fx->window->filtered);

  clap_window_set_session (fx->window, session, FALSE);
  clap_request_set_model (request, "kling-v2-6");
  clap_request_set_duration (request, 5);
  for (guint i = 0; i < G_N_ELEMENTS (prompts); i++)
    {
      clap_request_set_prompt (request, prompts[i]);
      gtk_widget_activate_action (GTK_WIDGET (fx->window), "win.generate", NULL);
    }
  g_assert_cmpuint (g_list_model_get_n_items (shown), ==, 3);

  /* Ctrl+F, then words */
  gtk_widget_activate_action (GTK_WIDGET (fx->window), "win.search", NULL);
  g_assert_true (gtk_search_bar_get_search_mode (fx->window->search_bar));
  gtk_editable_set_text (GTK_EDITABLE (fx->window->search_entry), "RED");
  g_signal_emit_by_name (fx->window->search_entry, "search-changed");
  g_assert_cmpuint (g_list_model_get_n_items (shown), ==, 2);

  gtk_editable_set_text (GTK_EDITABLE (fx->window->search_entry), "zebra");
  g_signal_emit_by_name (fx->window->search_entry, "search-changed");
  g_assert_cmpuint (g_list_model_get_n_items (shown), ==, 0);
  g_assert_cmpstr (gtk_stack_get_visible_child_name (fx->window->takes_stack), ==, "no-results");

  gtk_editable_set_text (GTK_EDITABLE (fx->window->search_entry), "");
  g_signal_emit_by_name (fx->window->search_entry, "search-changed");

  /* by state, once the failing one failed */
  {
    gint64 end = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
    gboolean failed = FALSE;

    while (!failed)
      {
        GListModel *all = G_LIST_MODEL (clap_session_get_store (session));

        for (guint i = 0; i < g_list_model_get_n_items (all); i++)
          {
            g_autoptr(ClapTask) t = g_list_model_get_item (all, i);
            failed |= clap_task_get_state (t) == CLAP_TASK_STATE_FAILED;
          }
        g_assert_cmpint (g_get_monotonic_time (), <, end);
        g_main_context_iteration (NULL, FALSE);
      }
  }
  gtk_drop_down_set_selected (fx->window->state_filter, 3 /* Failed */);
  g_assert_cmpuint (g_list_model_get_n_items (shown), ==, 1);
  gtk_drop_down_set_selected (fx->window->state_filter, 0);
  g_assert_cmpuint (g_list_model_get_n_items (shown), ==, 3);
}

static gboolean
zone_has_image (gpointer data)
{
  ClapRequest *request = clap_composer_get_request (CLAP_COMPOSER (data));
  return clap_request_get_image (request) != NULL;
}

static gboolean
sim_completed (gpointer data)
{
  Fixture *fx = data;
  ClapTask *task = first_task (fx);

  return task != NULL && clap_task_get_state (task) == CLAP_TASK_STATE_COMPLETED &&
         clap_task_get_local_file (task) != NULL;
}

/* The whole flow through the composer's own widgets: type, choose, drop,
 * press Ctrl+Enter. */
static void
test_compose_drop_generate (Fixture       *fx,
                            gconstpointer  data)
{
  g_autoptr(ClapSession) session = make_session (fx, "window-key");
  ClapComposer *composer = fx->window->composer;
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (_clap_composer_get_prompt_view (composer));
  AdwComboRow *model_row = _clap_composer_get_model_row (composer);
  ClapInputZone *zone = _clap_composer_get_zone (composer, CLAP_OPTION_IMAGE);
  GtkDropTarget *target = _clap_input_zone_get_drop_target (zone);
  g_autofree char *png = g_build_filename (fx->dir, "first frame.png", NULL);
  g_autoptr(GdkTexture) texture = NULL;
  g_autoptr(GBytes) pixels = NULL;
  g_autoptr(GFile) file = g_file_new_for_path (png);
  GValue value = G_VALUE_INIT;
  gboolean accepted = FALSE;
  guint8 *data_px = g_malloc (640 * 360 * 4);
  ClapRequest *request = clap_composer_get_request (composer);
  ClapTask *task;

  for (guint i = 0; i < 640 * 360 * 4; i++)
    data_px[i] = (guint8) (i % 251);
  pixels = g_bytes_new_take (data_px, 640 * 360 * 4);
  texture = gdk_memory_texture_new (640, 360, GDK_MEMORY_R8G8B8A8, pixels, 640 * 4);
  g_assert_true (gdk_texture_save_to_png (texture, png));

  clap_window_set_session (fx->window, session, FALSE);

  /* choose Kling 3 in the model row */
  for (guint i = 0; i < clap_catalog_get_n_models (); i++)
    if (g_str_equal (clap_catalog_get_model (i)->id, "kling-v3"))
      adw_combo_row_set_selected (model_row, i);
  g_assert_cmpstr (clap_request_get_model (request), ==, "kling-v3");

  /* type the prompt */
  gtk_text_buffer_insert_at_cursor (buffer, "A lighthouse keeper climbs the stairs", -1);
  g_assert_cmpstr (clap_request_get_prompt (request), ==, "A lighthouse keeper climbs the stairs");

  /* drop a PNG from a file manager onto the first-frame zone */
  g_value_init (&value, GDK_TYPE_FILE_LIST);
  {
    GSList *files = g_slist_prepend (NULL, file);
    g_value_take_boxed (&value, gdk_file_list_new_from_list (files));
    g_slist_free (files);
  }
  g_signal_emit_by_name (target, "drop", &value, 10.0, 10.0, &accepted);
  g_value_unset (&value);
  g_assert_true (accepted);
  ui_test_wait_for (zone_has_image, composer, 20, "the dropped image to be checked and set");
  g_assert_cmpstr (clap_request_get_image (request), ==, png);

  /* Ctrl+Enter */
  g_assert_true (gtk_widget_get_sensitive (GTK_WIDGET (_clap_composer_get_generate_button (composer))));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fx->window), "win.generate", NULL));
  ui_test_wait_for (sim_completed, fx, 60, "the take to complete and download");

  /* the image went up once, then the take was created with its URL */
  g_assert_cmpuint (clap_sim_server_get_request_count (fx->sim, CLAP_SIM_ENDPOINT_FILES), ==, 1);
  g_assert_cmpuint (clap_sim_server_get_request_count (fx->sim, CLAP_SIM_ENDPOINT_UPLOAD_PUT), ==, 1);
  g_assert_cmpuint (clap_sim_server_get_request_count (fx->sim, CLAP_SIM_ENDPOINT_CREATE), ==, 1);
  task = first_task (fx);
  g_assert_cmpstr (clap_task_get_prompt (task), ==, "A lighthouse keeper climbs the stairs");
  g_assert_cmpstr (clap_task_get_model (task), ==, "kling-v3");
}

static void
test_demo_badge (Fixture       *fx,
                 gconstpointer  data)
{
  g_autoptr(ClapSession) session = make_session (fx, "demo");

  clap_window_set_session (fx->window, session, TRUE);
  g_assert_true (gtk_widget_get_visible (fx->window->demo_badge));
  g_assert_true (gtk_revealer_get_reveal_child (fx->window->demo_banner));

  /* a phone-narrow window keeps the header for the title; the banner says it */
  gtk_window_set_default_size (GTK_WINDOW (fx->window), 360, 700);
  g_assert_false (gtk_widget_get_visible (fx->window->demo_badge));
  g_assert_true (gtk_revealer_get_reveal_child (fx->window->demo_banner));
  gtk_window_set_default_size (GTK_WINDOW (fx->window), 1000, 700);
  g_assert_true (gtk_widget_get_visible (fx->window->demo_badge));

  clap_window_set_session (fx->window, session, FALSE);
  g_assert_false (gtk_widget_get_visible (fx->window->demo_badge));
}

/* A notification server, as GNOME Shell is one: org.gtk.Notifications. */
static const char notifications_xml[] =
  "<node><interface name='org.gtk.Notifications'>"
  "<method name='AddNotification'><arg type='s' direction='in'/><arg type='s' direction='in'/>"
  "<arg type='a{sv}' direction='in'/></method>"
  "<method name='RemoveNotification'><arg type='s' direction='in'/><arg type='s' direction='in'/>"
  "</method></interface></node>";

typedef struct {
  char     *title;
  char     *body;
  char     *action;
  GVariant *target;
} Shown;

static void
on_notification_call (GDBusConnection       *connection,
                      const char            *sender,
                      const char            *object_path,
                      const char            *interface_name,
                      const char            *method_name,
                      GVariant              *parameters,
                      GDBusMethodInvocation *invocation,
                      gpointer               user_data)
{
  Shown *shown = user_data;

  if (g_str_equal (method_name, "AddNotification"))
    {
      g_autoptr(GVariant) notification = g_variant_get_child_value (parameters, 2);
      GVariantDict dict;

      g_variant_dict_init (&dict, notification);
      g_variant_dict_lookup (&dict, "title", "s", &shown->title);
      g_variant_dict_lookup (&dict, "body", "s", &shown->body);
      g_variant_dict_lookup (&dict, "default-action", "s", &shown->action);
      shown->target = g_variant_dict_lookup_value (&dict, "default-action-target", NULL);
      g_variant_dict_clear (&dict);
    }
  g_dbus_method_invocation_return_value (invocation, NULL);
}

static gboolean
notified (gpointer data)
{
  return ((Shown *) data)->title != NULL;
}

static void
test_notification (Fixture       *fx,
                   gconstpointer  data)
{
  g_autoptr(ClapSession) session = make_session (fx, "window-key");
  g_autoptr(GDBusNodeInfo) info = g_dbus_node_info_new_for_xml (notifications_xml, NULL);
  GDBusConnection *bus = g_application_get_dbus_connection (G_APPLICATION (app));
  const GDBusInterfaceVTable vtable = { on_notification_call };
  ClapRequest *request = clap_composer_get_request (fx->window->composer);
  GtkWidget *other;
  Shown shown = { 0 };
  guint object_id, name_id;
  ClapTask *task;

  object_id = g_dbus_connection_register_object (bus, "/org/gtk/Notifications",
                                                 info->interfaces[0], &vtable, &shown, NULL, NULL);
  name_id = g_bus_own_name_on_connection (bus, "org.gtk.Notifications", G_BUS_NAME_OWNER_FLAGS_NONE,
                                          NULL, NULL, NULL, NULL);

  /* the application's session finishes a take while the person is in
   * another window */
  clap_window_set_session (fx->window, session, FALSE);
  _clap_application_set_session_for_tests (app, session);
  other = gtk_window_new ();
  gtk_window_present (GTK_WINDOW (other));
  clap_request_set_model (request, "kling-v2-6");
  clap_request_set_prompt (request, "A notified lighthouse");
  clap_request_set_duration (request, 5);
  gtk_widget_activate_action (GTK_WIDGET (fx->window), "win.generate", NULL);
  ui_test_wait_for (is_downloaded, fx, 60, "the take to complete");
  task = first_task (fx);

  if (gtk_window_is_active (GTK_WINDOW (fx->window)))
    {
      g_test_skip ("the window stayed focused (no window manager moves the focus here)");
    }
  else
    {
      ui_test_wait_for (notified, &shown, 10, "the notification");
      g_assert_cmpstr (shown.title, ==, "Take completed");
      g_assert_cmpstr (shown.body, ==, "A notified lighthouse");
      g_assert_cmpstr (shown.action, ==, "app.show-take");
      g_assert_cmpstr (g_variant_get_string (shown.target, NULL), ==, clap_task_get_uid (task));

      /* clicking it opens the take */
      g_action_group_activate_action (G_ACTION_GROUP (app), "show-take", shown.target);
      g_assert_true (clap_window_get_previewed (fx->window) == task);
    }

  _clap_application_set_session_for_tests (app, NULL);
  gtk_window_destroy (GTK_WINDOW (other));
  g_bus_unown_name (name_id);
  g_dbus_connection_unregister_object (bus, object_id);
  g_free (shown.title);
  g_free (shown.body);
  g_free (shown.action);
  g_clear_pointer (&shown.target, g_variant_unref);
}

static gboolean
exited (gpointer data)
{
  return g_subprocess_get_identifier (data) == NULL;
}

/* A take made with clapboard-cli while the window is open shows up in the
 * list at once; the command line exits without waiting, and the window
 * follows the take to the end and fetches its video. */
static void
test_takes_from_the_command_line (Fixture       *fx,
                                  gconstpointer  data)
{
  g_autoptr(ClapSession) session = make_session (fx, "window-key");
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (
    G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_autoptr(GSubprocess) cli = NULL;
  LabelQuery listed = { GTK_WIDGET (fx->window->takes_view), "Typed in a terminal" };
  LabelQuery completed = { GTK_WIDGET (fx->window->takes_view), "Completed in" };

  /* as the application opens it: the history is watched */
  clap_window_set_session (fx->window, session, FALSE);
  _clap_application_set_session_for_tests (app, session);

  g_subprocess_launcher_setenv (launcher, "CLAPBOARD_DATA_DIR", fx->dir, TRUE);
  g_subprocess_launcher_setenv (launcher, "CLAPBOARD_BASE_URL", fx->base, TRUE);
  g_subprocess_launcher_setenv (launcher, "CLAPBOARD_API_KEY", "window-key", TRUE);
  cli = clap_test_spawn_cli (launcher, (const char *[]) { "generate", "--model", "kling-v3",
                                                         "--duration", "3", "--prompt",
                                                         "Typed in a terminal", NULL });

  ui_test_wait_for (label_shown, &listed, 30, "the command line's take in the list");
  ui_test_wait_for (label_shown, &completed, 60, "the window to finish the take");
  ui_test_wait_for (exited, cli, 30, "clapboard-cli to exit");
  g_assert_cmpint (g_subprocess_get_exit_status (cli), ==, 0);
  g_assert_nonnull (clap_task_get_local_file (first_task (fx)));
  g_assert_cmpstr (clap_task_get_prompt (first_task (fx)), ==, "Typed in a terminal");

  _clap_application_set_session_for_tests (app, NULL);
}

static gboolean
has_tooltip (GtkWidget     *widget,
             gconstpointer  text)
{
  return GTK_IS_BUTTON (widget) && g_strcmp0 (gtk_widget_get_tooltip_text (widget), text) == 0;
}

static gboolean
all_downloaded (gpointer data)
{
  Fixture *fx = data;
  GListModel *model = G_LIST_MODEL (clap_session_get_store (fx->window->session));
  guint n = g_list_model_get_n_items (model);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(ClapTask) task = g_list_model_get_item (model, i);

      if (clap_task_get_local_file (task) == NULL)
        return FALSE;
    }
  return n > 0;
}

/* The provider's gateway answers in several shapes: one take in each,
 * generated from the window as a person would, completes and downloads. */
static void
test_dialects (Fixture       *fx,
               gconstpointer  data)
{
  static const struct {
    ClapSimDialect dialect;
    const char    *prompt;
  } takes[] = {
    { CLAP_SIM_DIALECT_SEED, "A lighthouse at dawn, as the contract says" },
    { CLAP_SIM_DIALECT_GATEWAY, "A lighthouse at dawn, through the gateway" },
    { CLAP_SIM_DIALECT_KLING_NATIVE, "A lighthouse at dawn, in Kling's own words" },
  };
  g_autoptr(ClapSession) session = make_session (fx, "window-key");
  ClapRequest *request = clap_composer_get_request (fx->window->composer);
  GListModel *model;

  clap_window_set_session (fx->window, session, FALSE);
  clap_request_set_model (request, "kling-v3");
  clap_request_set_duration (request, 3);

  for (guint i = 0; i < G_N_ELEMENTS (takes); i++)
    {
      clap_sim_server_set_dialect (fx->sim, takes[i].dialect);
      clap_request_set_prompt (request, takes[i].prompt);
      g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fx->window), "win.generate", NULL));
      ui_test_wait_for (all_downloaded, fx, 60, takes[i].prompt);
    }

  model = G_LIST_MODEL (clap_session_get_store (session));
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, G_N_ELEMENTS (takes));
  for (guint i = 0; i < G_N_ELEMENTS (takes); i++)
    {
      g_autoptr(ClapTask) task = g_list_model_get_item (model, i);

      g_assert_cmpint (clap_task_get_state (task), ==, CLAP_TASK_STATE_COMPLETED);
      g_assert_nonnull (clap_task_get_task_id (task));
      g_assert_null (clap_task_get_warning (task));
      g_assert_true (g_file_test (clap_task_get_local_file (task), G_FILE_TEST_IS_REGULAR));
    }
}

static GtkWindow *
details_window (void)
{
  return ui_test_find_toplevel (CLAP_TYPE_DETAILS_WINDOW);
}

static gboolean
details_shown (gpointer data)
{
  GtkWindow *details = details_window ();
  GtkWidget *view = details ? ui_test_find_type (GTK_WIDGET (details), GTK_TYPE_TEXT_VIEW) : NULL;

  /* the text is shown once the history is read */
  return view != NULL && gtk_widget_get_mapped (view);
}

static void
clipboard_read (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  *(char **) user_data = gdk_clipboard_read_text_finish (GDK_CLIPBOARD (source), result, NULL);
}

static gboolean
is_set (gpointer data)
{
  return *(char **) data != NULL;
}

/* A take run on another model than asked says so on its row; its Request
 * Details show what was sent and answered, and copy whole. */
static void
test_warning_and_request_details (Fixture       *fx,
                                  gconstpointer  data)
{
  g_autoptr(ClapSession) session = make_session (fx, "window-key");
  ClapRequest *request = clap_composer_get_request (fx->window->composer);
  LabelQuery warned = { GTK_WIDGET (fx->window), "The service answered as “kling-video/kling-v2-6”" };
  GtkWidget *view, *copy;
  GtkTextBuffer *buffer;
  GtkTextIter start, end;
  g_autofree char *text = NULL;
  g_autofree char *copied = NULL;

  clap_window_set_session (fx->window, session, FALSE);
  clap_request_set_model (request, "kling-v3");
  clap_request_set_duration (request, 3);
  clap_request_set_prompt (request, "A fox in the snow [sim:echo-model=kling-video/kling-v2-6]");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fx->window), "win.generate", NULL));
  ui_test_wait_for (is_downloaded, fx, 60, "the take to complete and download");
  ui_test_wait_for (label_shown, &warned, 10, "the row's warning");

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fx->window), "win.details", "s",
                                             clap_task_get_uid (first_task (fx))));
  ui_test_wait_for (details_shown, NULL, 10, "the Request Details");

  view = ui_test_find_type (GTK_WIDGET (details_window ()), GTK_TYPE_TEXT_VIEW);
  buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (view));
  gtk_text_buffer_get_bounds (buffer, &start, &end);
  text = gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
  g_assert_nonnull (strstr (text, "POST "));
  g_assert_nonnull (strstr (text, "Authorization: Bearer [redacted]"));
  g_assert_nonnull (strstr (text, "\"prompt\" : \"A fox in the snow"));
  g_assert_nonnull (strstr (text, "\"model\" : \"kling-video/kling-v2-6\""));
  g_assert_null (strstr (text, "window-key"));

  copy = ui_test_find_widget (GTK_WIDGET (details_window ()), has_tooltip, "Copy All");
  g_assert_nonnull (copy);
  g_assert_true (gtk_widget_get_sensitive (copy));
  g_signal_emit_by_name (copy, "clicked");
  gdk_clipboard_read_text_async (gtk_widget_get_clipboard (copy), NULL, clipboard_read, &copied);
  ui_test_wait_for (is_set, &copied, 10, "the copied details");
  g_assert_cmpstr (copied, ==, text);

  gtk_window_destroy (details_window ());
}

/* A catalogue of the person's own that cannot be used is named above the
 * composer, entry and all, until dismissed. The catalogue is read once per
 * process: the window is opened in a child process that has the file. */
static void
test_catalog_banner (Fixture       *fx,
                     gconstpointer  data)
{
  if (!g_test_subprocess ())
    {
      g_autofree char *path = g_build_filename (fx->dir, "my-catalog.json", NULL);

      g_assert_true (g_file_set_contents (path, "{\"models\": [{\"id\": \"kling-v3\", \"options\": "
                                                "[{\"name\": \"mode\", \"wire\": 5}]}]}",
                                          -1, NULL));
      g_setenv ("CLAPBOARD_CATALOG", path, TRUE);
      g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
      g_unsetenv ("CLAPBOARD_CATALOG");
      g_test_trap_assert_passed ();
      return;
    }

  {
    LabelQuery named = { GTK_WIDGET (fx->window), "my-catalog.json" };
    GtkWidget *label, *banner, *dismiss;

    ui_test_wait_for (label_shown, &named, 10, "the catalogue banner");
    label = ui_test_find_label (GTK_WIDGET (fx->window), "my-catalog.json");
    g_assert_nonnull (strstr (gtk_label_get_label (GTK_LABEL (label)), "options[“mode”].wire"));
    banner = gtk_widget_get_ancestor (label, GTK_TYPE_REVEALER);
    g_assert_true (gtk_revealer_get_reveal_child (GTK_REVEALER (banner)));

    dismiss = ui_test_find_widget (banner, has_tooltip, "Dismiss");
    g_assert_nonnull (dismiss);
    g_signal_emit_by_name (dismiss, "clicked");
    g_assert_false (gtk_revealer_get_reveal_child (GTK_REVEALER (banner)));
  }
}

int
main (int argc, char *argv[])
{
  g_autofree char *data_dir = g_dir_make_tmp ("clap-ui-data-XXXXXX", NULL);
  int status;

  g_setenv ("CLAPBOARD_DATA_DIR", data_dir, TRUE);
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  app = ui_test_app_new ();

#define ADD(path, func) g_test_add ("/ui/window/" path, Fixture, NULL, setup, func, teardown)
  ADD ("generate-preview-save", test_generate_preview_save);
  ADD ("save-as", test_save_as);
  ADD ("balance-error", test_balance_error);
  ADD ("search-and-filter", test_search_and_filter);
  ADD ("demo-badge", test_demo_badge);
  ADD ("compose-drop-generate", test_compose_drop_generate);
  ADD ("takes-from-the-command-line", test_takes_from_the_command_line);
  ADD ("catalog-banner", test_catalog_banner);
  ADD ("dialects", test_dialects);
  ADD ("warning-and-request-details", test_warning_and_request_details);
  /* last: opening a take from a notification activates the application,
   * which then starts its own (demo) session for every window */
  ADD ("notification", test_notification);

  status = g_test_run ();
  g_clear_object (&app);
  clap_test_rm_rf (data_dir);
  return status;
}
