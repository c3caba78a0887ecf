/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "ui-test-util.h"

ClapSimServer *
ui_test_sim_new (guint   pending_ms,
                 guint   processing_ms,
                 char  **base_url)
{
  g_autoptr(GError) error = NULL;
  ClapSimServer *sim = clap_sim_server_new ();

  g_object_set (sim, "pending-ms", pending_ms, "processing-ms", processing_ms, NULL);
  g_assert_true (clap_sim_server_listen (sim, 0, &error));
  g_assert_no_error (error);
  *base_url = clap_sim_server_dup_base_url (sim);
  return sim;
}

/* Short retry delays and a quick poll keep the tests fast; the bounds are
 * what the core tests check. */
ClapSession *
ui_test_session_new (const char *dir,
                     const char *base_url,
                     const char *key)
{
  g_autofree char *db = g_build_filename (dir, "history.db", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(ClapStore) store = clap_store_open (db, &error);
  g_autoptr(ClapClient) client = NULL;
  ClapSession *session;

  g_assert_no_error (error);
  client = clap_client_new (base_url, key, &error);
  g_assert_no_error (error);
  clap_client_set_retry_policy (client, 3, 20, 40);
  session = clap_session_new (store, client, NULL);
  clap_poller_set_interval (clap_session_get_poller (session), 50, 200);
  return session;
}

void
ui_test_wait_for (gboolean   (*cond) (gpointer),
                  gpointer     data,
                  guint        seconds,
                  const char  *what)
{
  /* Sanitized builds run several times slower: build-aux/sanitize.sh sets it. */
  const char *factor = g_getenv ("CLAPBOARD_TEST_TIMEOUT_FACTOR");
  gint64 end = g_get_monotonic_time () +
               (gint64) (seconds * G_USEC_PER_SEC * (factor ? MAX (g_ascii_strtod (factor, NULL), 1.0) : 1.0));

  while (!cond (data))
    {
      if (g_get_monotonic_time () > end)
        g_error ("timed out waiting for %s", what);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
}

/* The application, registered as start-up would, without activating it:
 * the tests give its windows their own sessions. */
ClapApplication *
ui_test_app_new (void)
{
  g_autoptr(GError) error = NULL;
  ClapApplication *app = clap_application_new ();

  g_application_set_flags (G_APPLICATION (app), G_APPLICATION_NON_UNIQUE);
  g_assert_true (g_application_register (G_APPLICATION (app), NULL, &error));
  g_assert_no_error (error);
  return app;
}

/* The first toplevel of @type (a dialog, the shortcuts window…), or NULL. */
GtkWindow *
ui_test_find_toplevel (GType type)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWindow) window = g_list_model_get_item (toplevels, i);
      if (G_TYPE_CHECK_INSTANCE_TYPE (window, type))
        return window;
    }
  return NULL;
}

GtkWidget *
ui_test_find_widget (GtkWidget     *root,
                     UiTestMatch    match,
                     gconstpointer  data)
{
  if (match (root, data))
    return root;

  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = ui_test_find_widget (child, match, data);
      if (found != NULL)
        return found;
    }
  return NULL;
}

static gboolean
is_of_type (GtkWidget     *widget,
            gconstpointer  type)
{
  return G_TYPE_CHECK_INSTANCE_TYPE (widget, GPOINTER_TO_SIZE (type));
}

GtkWidget *
ui_test_find_type (GtkWidget *root,
                   GType      type)
{
  return ui_test_find_widget (root, is_of_type, GSIZE_TO_POINTER (type));
}

static gboolean
is_label_with (GtkWidget     *widget,
               gconstpointer  text)
{
  return GTK_IS_LABEL (widget) && gtk_widget_get_mapped (widget) &&
         strstr (gtk_label_get_label (GTK_LABEL (widget)), text) != NULL;
}

GtkWidget *
ui_test_find_label (GtkWidget  *root,
                    const char *text)
{
  return ui_test_find_widget (root, is_label_with, text);
}
