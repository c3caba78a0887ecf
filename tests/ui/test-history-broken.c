/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <glib/gstdio.h>

#include "ui-test-util.h"

#include "clap-test-files.h"
#include "clap-window.h"

/* The application started on a history that is not one (random bytes, a
 * copy cut short): the window says so in place of the takes, with a way
 * forward, and setting it aside keeps it whole while a new one starts. A
 * program of its own: the application is activated as at start-up. */

static GtkWidget *
window_root (void)
{
  GtkWindow *window = ui_test_find_toplevel (CLAP_TYPE_WINDOW);
  return window ? GTK_WIDGET (window) : NULL;
}

static gboolean
label_shown (gpointer data)
{
  GtkWidget *root = window_root ();
  return root != NULL && ui_test_find_label (root, data) != NULL;
}

static gboolean
is_button_labelled (GtkWidget     *widget,
                    gconstpointer  label)
{
  return GTK_IS_BUTTON (widget) && g_strcmp0 (gtk_button_get_label (GTK_BUTTON (widget)), label) == 0;
}

static void
test_set_aside (void)
{
  g_autofree char *dir = g_dir_make_tmp ("clap-ui-broken-XXXXXX", NULL);
  g_autofree char *db = g_build_filename (dir, "history.db", NULL);
  g_autofree char *garbage = g_strnfill (16384, 'x');
  g_autoptr(ClapApplication) app = NULL;
  g_autoptr(GDir) listing = NULL;
  g_autofree char *aside = NULL;
  g_autofree char *kept = NULL;
  GtkWidget *button;
  const char *name;
  gsize length;

  g_assert_true (g_file_set_contents (db, garbage, -1, NULL));
  g_setenv ("CLAPBOARD_DATA_DIR", dir, TRUE);
  /* a key, and a service that is not there: the history is opened first */
  g_setenv ("CLAPBOARD_API_KEY", "broken-history-key", TRUE);
  g_setenv ("CLAPBOARD_BASE_URL", "http://127.0.0.1:9", TRUE);

  app = ui_test_app_new ();
  g_application_activate (G_APPLICATION (app));
  ui_test_wait_for (label_shown, "The History Cannot Be Opened", 20, "the broken history page");
  ui_test_wait_for (label_shown, "damaged or is not a Clapboard history", 5, "why");

  /* Left as it is until the person chooses. */
  g_assert_true (g_file_get_contents (db, &kept, &length, NULL));
  g_assert_cmpmem (kept, length, garbage, strlen (garbage));
  g_clear_pointer (&kept, g_free);

  button = ui_test_find_widget (window_root (), is_button_labelled,
                                "_Set Aside and Start a New History");
  g_assert_nonnull (button);
  g_assert_true (gtk_widget_get_mapped (button));
  g_signal_emit_by_name (button, "clicked");
  ui_test_wait_for (label_shown, "No Takes Yet", 20, "a new, empty history");
  ui_test_wait_for (label_shown, "The damaged history was kept as", 5, "where it went");

  listing = g_dir_open (dir, 0, NULL);
  while ((name = g_dir_read_name (listing)) != NULL)
    if (g_str_has_prefix (name, "history.db.damaged-") && !g_str_has_suffix (name, "-wal") &&
        !g_str_has_suffix (name, "-shm") && !g_str_has_suffix (name, "-ids"))
      aside = g_build_filename (dir, name, NULL);
  g_assert_nonnull (aside);
  g_assert_true (g_file_get_contents (aside, &kept, &length, NULL));
  g_assert_cmpmem (kept, length, garbage, strlen (garbage));

  gtk_window_destroy (ui_test_find_toplevel (CLAP_TYPE_WINDOW));
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_application_quit (G_APPLICATION (app));
  clap_test_rm_rf (dir);
}

int
main (int argc, char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  g_test_add_func ("/ui/history-broken/set-aside", test_set_aside);

  return g_test_run ();
}
