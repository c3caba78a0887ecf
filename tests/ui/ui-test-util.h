/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "clap-application.h"
#include "clap-session.h"
#include "clap-sim-server.h"

G_BEGIN_DECLS

/* What the window tests share: an in-process simulator on a fast clock, a
 * session on a history in @dir that talks to it, and a wait with a deadline
 * that iterates the main context (never a fixed sleep). */
ClapSimServer *ui_test_sim_new     (guint        pending_ms,
                                    guint        processing_ms,
                                    char       **base_url);
ClapSession   *ui_test_session_new (const char  *dir,
                                    const char  *base_url,
                                    const char  *key);
void           ui_test_wait_for    (gboolean   (*cond) (gpointer),
                                    gpointer     data,
                                    guint        seconds,
                                    const char  *what);

ClapApplication *ui_test_app_new          (void);
GtkWindow       *ui_test_find_toplevel    (GType        type);

/* Depth-first searches of @root's widget tree: the first widget @match
 * accepts, the first of @type, the first mapped label containing @text. */
typedef gboolean (*UiTestMatch) (GtkWidget     *widget,
                                 gconstpointer  data);
GtkWidget       *ui_test_find_widget      (GtkWidget    *root,
                                           UiTestMatch   match,
                                           gconstpointer data);
GtkWidget       *ui_test_find_type        (GtkWidget    *root,
                                           GType         type);
GtkWidget       *ui_test_find_label       (GtkWidget    *root,
                                           const char   *text);

G_END_DECLS
