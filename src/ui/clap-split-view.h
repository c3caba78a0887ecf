/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define CLAP_TYPE_SPLIT_VIEW (clap_split_view_get_type ())
G_DECLARE_FINAL_TYPE (ClapSplitView, clap_split_view, CLAP, SPLIT_VIEW, GtkWidget)

GtkWidget *clap_split_view_get_start     (ClapSplitView *self);
void       clap_split_view_set_start     (ClapSplitView *self,
                                          GtkWidget     *child);
GtkWidget *clap_split_view_get_end       (ClapSplitView *self);
void       clap_split_view_set_end       (ClapSplitView *self,
                                          GtkWidget     *child);
gboolean   clap_split_view_get_stacked   (ClapSplitView *self);

G_END_DECLS
