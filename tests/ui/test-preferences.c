/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "ui-test-util.h"

#include "clap-test-files.h"

#include "clap-application-private.h"
#include "clap-preferences.h"
#include "clap-sim-server.h"

/* Preferences, as a person uses them: Check Connection asks the service,
 * through the client in use, and says what it answered, spending nothing. */

static ClapApplication *app;

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

static gboolean
is_button_labelled (GtkWidget     *widget,
                    gconstpointer  label)
{
  return GTK_IS_BUTTON (widget) && g_strcmp0 (gtk_button_get_label (GTK_BUTTON (widget)), label) == 0;
}

static void
check_with_key (ClapSimServer *sim,
                const char    *base,
                const char    *dir,
                const char    *key,
                const char    *expected)
{
  g_autoptr(ClapSession) session = ui_test_session_new (dir, base, key);
  ClapPreferences *prefs;
  GtkWidget *button;
  LabelQuery answered;

  _clap_application_set_session_for_tests (app, session);
  prefs = clap_preferences_new (app);
  gtk_window_present (GTK_WINDOW (prefs));

  button = ui_test_find_widget (GTK_WIDGET (prefs), is_button_labelled, "_Check Connection");
  g_assert_nonnull (button);
  g_signal_emit_by_name (button, "clicked");

  answered = (LabelQuery) { GTK_WIDGET (prefs), expected };
  ui_test_wait_for (label_shown, &answered, 20, expected);

  gtk_window_destroy (GTK_WINDOW (prefs));
  _clap_application_set_session_for_tests (app, NULL);
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static void
test_check_connection (void)
{
  g_autofree char *dir = g_dir_make_tmp ("clap-ui-prefs-XXXXXX", NULL);
  g_autofree char *base = NULL;
  g_autoptr(ClapSimServer) sim = ui_test_sim_new (100, 300, &base);

  check_with_key (sim, base, dir, "prefs-key", "accepts the key");
  check_with_key (sim, base, dir, "sim-unauthorized", "The API key was rejected");

  /* A query for a task that cannot exist creates nothing. */
  g_assert_cmpuint (clap_sim_server_get_request_count (sim, CLAP_SIM_ENDPOINT_CREATE), ==, 0);
  g_assert_cmpuint (clap_sim_server_get_request_count (sim, CLAP_SIM_ENDPOINT_QUERY), ==, 2);
  clap_test_rm_rf (dir);
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
  g_test_add_func ("/ui/preferences/check-connection", test_check_connection);

  status = g_test_run ();
  g_clear_object (&app);
  return status;
}
