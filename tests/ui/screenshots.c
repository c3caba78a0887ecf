/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "clap-application-private.h"
#include "clap-details-window.h"
#include "clap-preferences.h"
#include "clap-resources.h"
#include "clap-sim-server.h"
#include "clap-window-private.h"

/* Renders the main states of the window to PNG files, for the README and
 * the app store: empty, composing, takes in every state, a preview
 * playing; in the light and dark styles, wide and narrow. Run by
 * build-aux/screenshots.sh under Xvfb.
 *
 *   clapboard-screenshots OUTPUT_DIR [SUFFIX]
 */

static ClapApplication *app;
static ClapSimServer *sim;
static char *out_dir;
static const char *suffix = "";

static void
spin (guint ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) ms * 1000;

  while (g_get_monotonic_time () < end)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (2000);
    }
}

/* The window as it is drawn, without decorations the window manager adds. */
static void
shoot (GtkWidget  *window,
       const char *name)
{
  g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new (window);
  g_autoptr(GtkSnapshot) snapshot = gtk_snapshot_new ();
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autofree char *file = g_strdup_printf ("%s/%s%s.png", out_dir, name, suffix);
  GskRenderer *renderer = gtk_native_get_renderer (GTK_NATIVE (window));
  int width = gtk_widget_get_width (window);
  int height = gtk_widget_get_height (window);

  spin (300);
  gdk_paintable_snapshot (paintable, snapshot, width, height);
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  texture = gsk_renderer_render_texture (renderer, node, &GRAPHENE_RECT_INIT (0, 0, width, height));
  if (!gdk_texture_save_to_png (texture, file))
    g_error ("could not write %s", file);
  g_print ("%s\n", file);
}

/* The button labelled @label under @root (depth first). */
static GtkWidget *
find_button (GtkWidget  *root,
             const char *label)
{
  if (GTK_IS_BUTTON (root) && g_strcmp0 (gtk_button_get_label (GTK_BUTTON (root)), label) == 0)
    return root;

  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_button (child, label);
      if (found != NULL)
        return found;
    }
  return NULL;
}

static ClapSession *
make_session (const char *dir)
{
  g_autofree char *db = g_build_filename (dir, "history.db", NULL);
  g_autofree char *base = clap_sim_server_dup_base_url (sim);
  g_autoptr(ClapStore) store = clap_store_open (db, NULL);
  g_autoptr(ClapClient) client = clap_client_new (base, "demo", NULL);
  ClapSession *session = clap_session_new (store, client, NULL);

  clap_poller_set_interval (clap_session_get_poller (session), 200, 400);
  return session;
}

static guint
n_created (ClapSession *session)
{
  GListModel *store = G_LIST_MODEL (clap_session_get_store (session));
  guint n = 0;

  for (guint i = 0; i < g_list_model_get_n_items (store); i++)
    {
      g_autoptr(ClapTask) task = g_list_model_get_item (store, i);
      n += clap_task_get_task_id (task) != NULL;
    }
  return n;
}

static void
submit (ClapWindow *window,
        const char *model,
        const char *prompt,
        guint       duration,
        const char *mode,
        gboolean    sound)
{
  g_autoptr(ClapRequest) request = clap_request_new (model);

  clap_request_set_prompt (request, prompt);
  clap_request_set_duration (request, duration);
  clap_request_set_mode (request, mode);
  clap_request_set_sound (request, sound);
  clap_session_submit (clap_window_get_session (window), request, 1);
}

int
main (int argc, char *argv[])
{
  g_autofree char *dir = g_dir_make_tmp ("clap-shots-XXXXXX", NULL);
  g_autoptr(ClapSession) session = NULL;
  ClapWindow *window;
  ClapRequest *request;
  gboolean dark;
  const char *localedir = g_getenv ("CLAPBOARD_LOCALEDIR");

  if (argc < 2)
    g_error ("usage: clapboard-screenshots OUTPUT_DIR [SUFFIX]");
  out_dir = argv[1];
  if (argc > 2)
    suffix = argv[2];
  dark = g_str_has_suffix (suffix, "dark");

  /* Translated as the application is (main.c); screenshots.sh renders a
   * zh_CN set with CLAPBOARD_LOCALEDIR=BUILD/po. */
  bindtextdomain (GETTEXT_PACKAGE, localedir ? localedir : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  g_setenv ("CLAPBOARD_DATA_DIR", dir, TRUE);
  gtk_init ();
  adw_init ();
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (),
                                      dark ? ADW_COLOR_SCHEME_FORCE_DARK
                                           : ADW_COLOR_SCHEME_FORCE_LIGHT);

  app = clap_application_new ();
  g_application_set_flags (G_APPLICATION (app), G_APPLICATION_NON_UNIQUE);
  g_application_register (G_APPLICATION (app), NULL, NULL);

  sim = clap_sim_server_new ();
  g_object_set (sim, "pending-ms", 2000, "processing-ms", 4000, NULL);
  clap_sim_server_listen (sim, 0, NULL);

  window = clap_window_new (app);
  gtk_window_set_default_size (GTK_WINDOW (window), 1180, 760);
  gtk_window_present (GTK_WINDOW (window));
  session = make_session (dir);
  clap_window_set_session (window, session, TRUE);
  spin (500);
  shoot (GTK_WIDGET (window), "empty");

  /* composing */
  request = clap_composer_get_request (window->composer);
  clap_request_set_model (request, "kling-v2-6");
  clap_request_set_prompt (request, "A lighthouse keeper climbs the stairs at dawn, warm light "
                                    "through the windows, cinematic, slow dolly-in");
  clap_request_set_mode (request, "pro");
  clap_request_set_duration (request, 10);
  clap_request_set_sound (request, TRUE);
  clap_composer_load_request (window->composer, request);
  shoot (GTK_WIDGET (window), "composing");

  /* takes in every state: completed, failed, interrupted, generating, queued */
  submit (window, "kling-v3", "Paper boats racing down a rainy street, macro lens", 5, "pro", TRUE);
  submit (window, "kling-v2-6", "A fox in the snow looks up at the northern lights", 5, "std", FALSE);
  submit (window, "kling-v2-6", "A city of glass at noon [sim:fail]", 5, "std", FALSE);
  /* those three sent (creates go out asynchronously, in any order), then
   * the connection drops after the service made the fourth */
  for (guint i = 0; i < 100 && n_created (session) < 3; i++)
    spin (50);
  clap_sim_server_inject_fault (sim, CLAP_SIM_ENDPOINT_CREATE, CLAP_SIM_FAULT_CREATED_THEN_DROP, 1);
  submit (window, "kling-v3", "Lanterns rising over a lake at night", 5, "std", FALSE);
  spin (5500);
  submit (window, "kling-v3", "Slow motion tea pouring into a cup, steam rising", 8, "std", FALSE);
  spin (2500);
  submit (window, "kling-v2-6", "A hummingbird hovering over a red flower", 10, "pro", FALSE);
  spin (2000);
  shoot (GTK_WIDGET (window), "takes");

  /* the keyboard's focus on the list, as Tab from Generate leaves it */
  if (*suffix == '\0')
    {
      gtk_window_set_focus_visible (GTK_WINDOW (window), TRUE);
      gtk_widget_grab_focus (GTK_WIDGET (window->takes_view));
      shoot (GTK_WIDGET (window), "keyboard");
    }

  /* a preview playing */
  {
    GListModel *store = G_LIST_MODEL (clap_session_get_store (session));

    for (guint i = 0; i < g_list_model_get_n_items (store); i++)
      {
        g_autoptr(ClapTask) task = g_list_model_get_item (store, i);
        if (clap_task_get_local_file (task) != NULL)
          {
            clap_window_preview (window, task);
            break;
          }
      }
    spin (1500);
    shoot (GTK_WIDGET (window), "preview");
  }

  /* a completed take's Request Details */
  {
    GListModel *store = G_LIST_MODEL (clap_session_get_store (session));
    GtkWindow *details = NULL;

    for (guint i = 0; i < g_list_model_get_n_items (store); i++)
      {
        g_autoptr(ClapTask) task = g_list_model_get_item (store, i);

        if (clap_task_get_local_file (task) != NULL)
          {
            gtk_widget_activate_action (GTK_WIDGET (window), "win.details", "s",
                                        clap_task_get_uid (task));
            break;
          }
      }
    spin (800);
    for (GList *l = gtk_window_list_toplevels (); l != NULL; l = g_list_delete_link (l, l))
      if (CLAP_IS_DETAILS_WINDOW (l->data))
        details = l->data;
    if (details != NULL)
      {
        shoot (GTK_WIDGET (details), "details");
        gtk_window_destroy (details);
      }
  }

  /* Preferences, after Check Connection */
  {
    ClapPreferences *prefs;

    _clap_application_set_session_for_tests (app, session);
    prefs = clap_preferences_new (app);
    gtk_window_set_transient_for (GTK_WINDOW (prefs), GTK_WINDOW (window));
    gtk_window_present (GTK_WINDOW (prefs));
    spin (300);
    gtk_widget_activate (find_button (GTK_WIDGET (prefs), _("_Check Connection")));
    spin (1000);
    shoot (GTK_WIDGET (prefs), "preferences");
    gtk_window_destroy (GTK_WINDOW (prefs));
    _clap_application_set_session_for_tests (app, NULL);
  }

  /* narrow */
  gtk_window_set_default_size (GTK_WINDOW (window), 360, 760);
  spin (800);
  shoot (GTK_WIDGET (window), "narrow");

  clap_window_preview (window, NULL);
  gtk_window_destroy (GTK_WINDOW (window));
  spin (200);
  g_clear_object (&sim);
  g_clear_object (&app);
  return 0;
}
